//! Export of converted rows in the forms TRL's trainers read.

use serde_json::{json, Map, Value};

use super::pair::{Message, NormalizedRow, Role};

fn message_json(message: &Message) -> Value {
    let mut object = Map::new();
    object.insert("role".into(), Value::String(message.role.name().into()));
    object.insert("content".into(), Value::String(message.content.clone()));
    if let Some(calls) = &message.tool_calls {
        object.insert("tool_calls".into(), calls.clone());
    }
    Value::Object(object)
}

fn messages_json(messages: &[Message]) -> Value {
    Value::Array(messages.iter().map(message_json).collect())
}

/// A conversation as one string for TRL's standard (string) form: a prompt that is a single
/// user turn is its text verbatim; longer conversations become `Role: text` blocks separated by
/// blank lines (`System:`, `User:`, `Assistant:`, `Tool:`), a lossy rendering because the
/// standard form has no turn structure.
fn conversation_text(messages: &[Message]) -> String {
    match messages {
        [only] if only.tool_calls.is_none() => only.content.clone(),
        many => many
            .iter()
            .map(|m| {
                let role = match m.role {
                    Role::System => "System",
                    Role::User => "User",
                    Role::Assistant => "Assistant",
                    Role::Tool => "Tool",
                };
                match &m.tool_calls {
                    Some(calls) => format!("{role}: {}{calls}", m.content),
                    None => format!("{role}: {}", m.content),
                }
            })
            .collect::<Vec<_>>()
            .join("\n\n"),
    }
}

/// The row in TRL's explicit-prompt form. `conversational = true` (`--export trl`): `prompt`
/// message list and `chosen`/`rejected` assistant message lists; `false`
/// (`--export trl-standard`): the same as strings. KTO rows become `prompt`, `completion`,
/// `label` in the same two forms.
pub fn export_trl(row: &NormalizedRow, conversational: bool) -> Value {
    let render = |messages: &[Message]| {
        if conversational {
            messages_json(messages)
        } else {
            Value::String(conversation_text(messages))
        }
    };
    match row {
        NormalizedRow::Pair(pair) => json!({
            "prompt": render(&pair.prompt),
            "chosen": render(&pair.chosen),
            "rejected": render(&pair.rejected),
        }),
        NormalizedRow::Unpaired(unpaired) => json!({
            "prompt": render(&unpaired.prompt),
            "completion": render(&unpaired.completion),
            "label": unpaired.label,
        }),
    }
}
