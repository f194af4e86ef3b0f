//! The normalised representation every family converts into, and the per-row findings type.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A message role after role-tag mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Instructions for the model; only valid as the first turn.
    System,
    /// A human turn.
    User,
    /// A model turn (including tool calls).
    Assistant,
    /// A tool or function result.
    Tool,
}

impl Role {
    /// The OpenAI/TRL role name.
    pub fn name(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// The mapped role.
    pub role: Role,
    /// The text (text parts of a content list are concatenated; `""` when the message only
    /// carries tool calls).
    pub content: String,
    /// The message's `tool_calls` (or legacy `function_call`) value, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Value>,
}

impl Message {
    /// A message with text content and no tool calls.
    pub fn text(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
            tool_calls: None,
        }
    }

    /// True if the message carries neither non-blank text nor tool calls.
    pub fn is_blank(&self) -> bool {
        self.content.trim().is_empty() && self.tool_calls.is_none()
    }
}

/// A preference pair in the shape every family converts into: a prompt conversation and two
/// completions (one or more assistant-side messages each).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NormalizedPair {
    /// The shared prompt: optional system turn, then user/assistant/tool turns, ending (when
    /// valid) in a user or tool turn.
    pub prompt: Vec<Message>,
    /// The preferred completion.
    pub chosen: Vec<Message>,
    /// The dispreferred completion.
    pub rejected: Vec<Message>,
    /// The chosen response's score, where the row has one.
    pub score_chosen: Option<f64>,
    /// The rejected response's score, where the row has one.
    pub score_rejected: Option<f64>,
    /// The model that wrote the chosen response, where the row says.
    pub model_chosen: Option<String>,
    /// The model that wrote the rejected response, where the row says.
    pub model_rejected: Option<String>,
    /// The row's label or ranking says the two responses are equally good.
    pub tie: bool,
    /// Only for a `prompt_mismatch` (two full conversations whose turns before the last assistant
    /// turn differ): the rejected conversation's own prompt, so a viewer can show both. `prompt`
    /// is the chosen side's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_prompt: Option<Vec<Message>>,
}

/// An unpaired (KTO) example.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NormalizedUnpaired {
    /// The prompt conversation.
    pub prompt: Vec<Message>,
    /// The completion.
    pub completion: Vec<Message>,
    /// True for a desirable completion.
    pub label: bool,
}

/// A converted row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NormalizedRow {
    /// A preference pair.
    Pair(NormalizedPair),
    /// A KTO example.
    Unpaired(NormalizedUnpaired),
}

impl NormalizedRow {
    /// The prompt messages of either kind.
    pub fn prompt(&self) -> &[Message] {
        match self {
            NormalizedRow::Pair(pair) => &pair.prompt,
            NormalizedRow::Unpaired(unpaired) => &unpaired.prompt,
        }
    }
}

/// Where in the row a finding applies, so a viewer can highlight it. Message indexes and char
/// offsets refer to the normalised row ([`super::CheckedRow::row`]), whose message contents are
/// the input strings except that HH-RLHF turns are trimmed of surrounding white space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingDetail {
    /// The finding's code (one of [`super::codes`]).
    pub code: &'static str,
    /// The side or input key concerned: `prompt`, `chosen`, `rejected`, `completion`, or the
    /// name of a missing or mistyped key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Index of the message within that side (for `prompt_mismatch`: within the full chosen and
    /// rejected conversations, the first message where they diverge).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_index: Option<usize>,
    /// Offset in Unicode scalar values (chars) into that message's content where the problem
    /// starts (for `prompt_mismatch`: the first differing char).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub char_offset: Option<usize>,
    /// A short human-readable explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl FindingDetail {
    /// A detail carrying only a code.
    pub fn new(code: &'static str) -> Self {
        FindingDetail {
            code,
            field: None,
            message_index: None,
            char_offset: None,
            note: None,
        }
    }

    /// Sets the field.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Sets the message index.
    pub fn message(mut self, index: usize) -> Self {
        self.message_index = Some(index);
        self
    }

    /// Sets the char offset.
    pub fn at(mut self, char_offset: usize) -> Self {
        self.char_offset = Some(char_offset);
        self
    }

    /// Sets the note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}
