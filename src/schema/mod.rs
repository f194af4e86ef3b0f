//! Schema detection (over every row, never the first alone) and field paths.
//!
//! A row's schema is read from its keys and value types; the file's schema is the most common row
//! schema, with the per-schema counts kept so a mixed file is visible in the report.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Schema {
    /// `text` or `content`: pretraining text.
    Text,
    /// `instruction` / `input` / `output`.
    Alpaca,
    /// `conversations`: a list of `{from, value}` turns.
    Sharegpt,
    /// `messages`: a list of `{role, content}` turns.
    Messages,
    /// `chosen` / `rejected`, with or without `prompt` (the preference checks refine the family).
    Preference,
    /// `prompt` / `completion` / `label` (Kahneman-Tversky, unpaired).
    Kto,
    Unknown,
}

impl Schema {
    pub fn name(self) -> &'static str {
        match self {
            Schema::Text => "text",
            Schema::Alpaca => "alpaca",
            Schema::Sharegpt => "sharegpt",
            Schema::Messages => "messages",
            Schema::Preference => "preference",
            Schema::Kto => "kto",
            Schema::Unknown => "unknown",
        }
    }

    const ALL: [Schema; 7] = [
        Schema::Text,
        Schema::Alpaca,
        Schema::Sharegpt,
        Schema::Messages,
        Schema::Preference,
        Schema::Kto,
        Schema::Unknown,
    ];
}

/// A list of turns: every item has a role, and some have text (an assistant turn that only
/// calls tools has no `content`).
fn is_turn_list(v: Option<&Value>, role_key: &str, text_key: &str) -> bool {
    match v {
        Some(Value::Array(items)) => {
            items.iter().all(|t| t.get(role_key).is_some())
                && items.iter().any(|t| t.get(text_key).is_some())
        }
        _ => false,
    }
}

/// The row has `key`, not null.
fn has(row: &Value, key: &str) -> bool {
    row.get(key).is_some_and(|v| !v.is_null())
}

/// The schema of one row, from its keys and value types.
pub fn classify(row: &Value) -> Schema {
    let Value::Object(o) = row else {
        return Schema::Unknown;
    };
    let has = |k: &str| has(row, k);
    if (has("chosen") && has("rejected"))
        || (has("chosen_response") && has("rejected_response"))
        || (has("preferred_output") && has("non_preferred_output"))
        || (has("chosen_messages") && has("rejected_messages"))
    {
        return Schema::Preference;
    }
    if has("prompt") && has("completion") && o.contains_key("label") {
        return Schema::Kto;
    }
    if is_turn_list(o.get("messages"), "role", "content") {
        return Schema::Messages;
    }
    if is_turn_list(o.get("conversations"), "from", "value") {
        return Schema::Sharegpt;
    }
    if has("instruction") && has("output") {
        return Schema::Alpaca;
    }
    if o.get("text").is_some_and(Value::is_string) || o.get("content").is_some_and(Value::is_string)
    {
        return Schema::Text;
    }
    Schema::Unknown
}

/// Counts row schemas over a whole file.
#[derive(Debug, Default, Clone)]
pub struct SchemaDetector {
    counts: BTreeMap<Schema, u64>,
    /// Rows per (schema, spelling of its default fields), see [`default_fields_spelling`].
    spellings: BTreeMap<(Schema, u8), u64>,
}

/// What detection found.
#[derive(Debug, Clone, Serialize)]
pub struct SchemaReport {
    pub schema: Schema,
    /// Rows per schema (only schemas seen).
    pub rows_by_schema: BTreeMap<&'static str, u64>,
    /// The fields compared by default for this schema (see [`default_fields`]).
    pub default_fields: Vec<String>,
}

impl SchemaDetector {
    pub fn observe(&mut self, row: &Value) {
        let schema = classify(row);
        *self.counts.entry(schema).or_default() += 1;
        let spelling = default_fields_spelling(schema, row);
        *self.spellings.entry((schema, spelling)).or_default() += 1;
    }

    /// The most common schema; ties go to the more specific one (declaration order).
    pub fn schema(&self) -> Schema {
        let mut best = Schema::Unknown;
        let mut best_n = 0;
        for s in Schema::ALL {
            let n = self.counts.get(&s).copied().unwrap_or(0);
            if n > best_n {
                best = s;
                best_n = n;
            }
        }
        best
    }

    pub fn report(&self) -> SchemaReport {
        let schema = self.schema();
        SchemaReport {
            schema,
            rows_by_schema: self.counts.iter().map(|(s, n)| (s.name(), *n)).collect(),
            default_fields: self
                .default_fields(schema)
                .iter()
                .map(|p| p.to_string())
                .collect(),
        }
    }

    /// The field paths compared when the user names none, for the file as a whole: the most
    /// common spelling among the schema's rows (ties: the first).
    pub fn default_fields(&self, schema: Schema) -> Vec<&'static str> {
        let mut best = (0u8, 0u64);
        for (&(s, spelling), &n) in &self.spellings {
            if s == schema && n > best.1 {
                best = (spelling, n);
            }
        }
        default_fields(schema, best.0)
    }
}

/// The field paths compared when the user names none: what a dedup or filter of this kind of
/// data is about. `spelling` picks among the ways a schema is written (see
/// [`default_fields_spelling`]): `text` or `content`; preference pairs by their prompt when
/// they have one (`prompt`, OpenAI's `input.messages`), else by both answers.
pub fn default_fields(schema: Schema, spelling: u8) -> Vec<&'static str> {
    match (schema, spelling) {
        (Schema::Text, 0) => vec!["text"],
        (Schema::Text, _) => vec!["content"],
        (Schema::Alpaca, _) => vec!["instruction", "input", "output"],
        // System prompts are left out: a long one shared by every row would make all rows look
        // alike to near dedup.
        (Schema::Sharegpt, _) => vec!["conversations[from!=system].value"],
        (Schema::Messages, _) => vec!["messages[role!=system].content"],
        (Schema::Preference, 0) => vec!["prompt"],
        (Schema::Preference, 1) => vec!["input.messages[role!=system].content"],
        (Schema::Preference, 2) => vec!["chosen", "rejected"],
        (Schema::Preference, 3) => vec!["chosen_response", "rejected_response"],
        // LLaMA-Factory v1: each list holds the whole chat; the user turns are the prompt.
        (Schema::Preference, 5) => vec!["chosen_messages[role=user].content"],
        (Schema::Preference, _) => vec![
            "preferred_output[*].content",
            "non_preferred_output[*].content",
        ],
        (Schema::Kto, _) => vec!["prompt", "completion"],
        (Schema::Unknown, _) => vec![],
    }
}

/// How many spellings [`default_fields`] knows for a schema.
pub fn default_fields_spellings(schema: Schema) -> u8 {
    match schema {
        Schema::Text => 2,
        Schema::Preference => 6,
        _ => 1,
    }
}

/// Which spelling of its schema one row uses (see [`default_fields`]).
pub fn default_fields_spelling(schema: Schema, row: &Value) -> u8 {
    let has = |k: &str| has(row, k);
    match schema {
        Schema::Text => u8::from(!row.get("text").is_some_and(Value::is_string)),
        Schema::Preference if has("prompt") => 0,
        Schema::Preference if row.pointer("/input/messages").is_some_and(Value::is_array) => 1,
        Schema::Preference if has("chosen") => 2,
        Schema::Preference if has("chosen_response") => 3,
        Schema::Preference if has("chosen_messages") => 5,
        Schema::Preference => 4,
        _ => 0,
    }
}

/// A path into a JSON row: `text`, `input.messages`, `messages[*].content`, `answers[0].answer`,
/// and list items picked by a string field: `messages[role=user].content`,
/// `conversations[from!=system].value` (an item without the field is not `=` and is `!=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    source: String,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    Each,
    /// The list items whose `key` is (`equal`) or is not the string `value`.
    Where {
        key: String,
        value: String,
        equal: bool,
    },
}

impl Step {
    /// The items of a list this step enters (for `Each` and `Where`).
    fn picks(&self, item: &Value) -> bool {
        match self {
            Step::Where { key, value, equal } => {
                (item.get(key).and_then(Value::as_str) == Some(value.as_str())) == *equal
            }
            _ => true,
        }
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

impl FieldPath {
    pub fn parse(path: &str) -> Result<FieldPath> {
        let bad = |why: &str| Error::Config(format!("field path `{path}`: {why}"));
        if path.trim().is_empty() {
            return Err(bad("empty"));
        }
        let mut steps = Vec::new();
        for part in path.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() && steps.is_empty() {
                return Err(bad("starts with no key name"));
            }
            if !key.is_empty() {
                steps.push(Step::Key(key.to_string()));
            }
            while !rest.is_empty() {
                let close = rest.find(']').ok_or_else(|| bad("`[` without `]`"))?;
                let inner = &rest[1..close];
                steps.push(if inner == "*" {
                    Step::Each
                } else if let Some((key, value)) = inner.split_once('=') {
                    let (key, equal) = match key.strip_suffix('!') {
                        Some(key) => (key, false),
                        None => (key, true),
                    };
                    if key.is_empty() || value.is_empty() {
                        return Err(bad("a selector is `[key=value]` or `[key!=value]`"));
                    }
                    Step::Where {
                        key: key.to_string(),
                        value: value.to_string(),
                        equal,
                    }
                } else {
                    Step::Index(inner.parse().map_err(|_| {
                        bad("`[...]` holds `*`, a number, `key=value` or `key!=value`")
                    })?)
                });
                rest = &rest[close + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(bad("unexpected text after `]`"));
                }
            }
        }
        Ok(FieldPath {
            source: path.to_string(),
            steps,
        })
    }

    /// Calls `f` on every string the path reaches, mutably (for rewriting text in place). Lists
    /// and `{text|content|value}` objects are entered as in [`collect_text`].
    pub fn for_each_string_mut(&self, row: &mut Value, f: &mut dyn FnMut(&mut String)) {
        walk_mut(row, &self.steps, f);
    }

    /// Appends every string the path reaches to `out` (see [`collect_text`] for non-strings).
    pub fn collect<'v>(&self, row: &'v Value, out: &mut Vec<Cow<'v, str>>) {
        walk(row, &self.steps, out);
    }
}

fn walk<'v>(v: &'v Value, steps: &[Step], out: &mut Vec<Cow<'v, str>>) {
    let Some((step, rest)) = steps.split_first() else {
        collect_text(v, out);
        return;
    };
    match (step, v) {
        (Step::Key(k), Value::Object(o)) => {
            if let Some(child) = o.get(k) {
                walk(child, rest, out)
            }
        }
        (Step::Index(i), Value::Array(a)) => {
            if let Some(child) = a.get(*i) {
                walk(child, rest, out)
            }
        }
        (Step::Each | Step::Where { .. }, Value::Array(a)) => a
            .iter()
            .filter(|child| step.picks(child))
            .for_each(|child| walk(child, rest, out)),
        _ => {}
    }
}

fn walk_mut(v: &mut Value, steps: &[Step], f: &mut dyn FnMut(&mut String)) {
    let Some((step, rest)) = steps.split_first() else {
        strings_mut(v, f);
        return;
    };
    match (step, v) {
        (Step::Key(k), Value::Object(o)) => {
            if let Some(child) = o.get_mut(k) {
                walk_mut(child, rest, f)
            }
        }
        (Step::Index(i), Value::Array(a)) => {
            if let Some(child) = a.get_mut(*i) {
                walk_mut(child, rest, f)
            }
        }
        (Step::Each | Step::Where { .. }, Value::Array(a)) => a
            .iter_mut()
            .filter(|child| step.picks(child))
            .for_each(|child| walk_mut(child, rest, f)),
        _ => {}
    }
}

fn strings_mut(v: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter_mut().for_each(|i| strings_mut(i, f)),
        Value::Object(o) => {
            for key in ["text", "content", "value"] {
                if let Some(inner) = o.get_mut(key) {
                    strings_mut(inner, f);
                    return;
                }
            }
        }
        _ => {}
    }
}

/// The text a value stands for: a string as is; a list, each item's text; an object with a
/// `text`, `content` or `value` string (OpenAI content parts, turns), that; numbers and booleans
/// as written; null nothing.
pub fn collect_text<'v>(v: &'v Value, out: &mut Vec<Cow<'v, str>>) {
    match v {
        Value::String(s) => out.push(Cow::Borrowed(s)),
        Value::Array(items) => items.iter().for_each(|i| collect_text(i, out)),
        Value::Object(o) => {
            for key in ["text", "content", "value"] {
                if let Some(inner) = o.get(key) {
                    collect_text(inner, out);
                    return;
                }
            }
        }
        Value::Number(n) => out.push(Cow::Owned(n.to_string())),
        Value::Bool(b) => out.push(Cow::Owned(b.to_string())),
        Value::Null => {}
    }
}

/// The text of the given fields of a row, joined by `\n`; `None` if no field is present.
pub fn text_of<'v>(row: &'v Value, fields: &[FieldPath]) -> Option<Cow<'v, str>> {
    let mut parts = Vec::new();
    for f in fields {
        f.collect(row, &mut parts);
    }
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Cow::Owned(parts.join("\n"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_each_family() {
        assert_eq!(classify(&json!({"text": "a"})), Schema::Text);
        assert_eq!(classify(&json!({"content": "a", "id": 1})), Schema::Text);
        assert_eq!(
            classify(&json!({"instruction": "a", "input": "", "output": "b"})),
            Schema::Alpaca
        );
        assert_eq!(
            classify(&json!({"conversations": [{"from": "human", "value": "hi"}]})),
            Schema::Sharegpt
        );
        assert_eq!(
            classify(&json!({"messages": [{"role": "user", "content": "hi"}]})),
            Schema::Messages
        );
        assert_eq!(
            classify(&json!({"prompt": "p", "chosen": "a", "rejected": "b"})),
            Schema::Preference
        );
        assert_eq!(
            classify(&json!({"chosen": "a", "rejected": "b"})),
            Schema::Preference
        );
        assert_eq!(
            classify(&json!({"instruction": "a", "input": "", "chosen": "x", "rejected": "y"})),
            Schema::Preference
        );
        assert_eq!(
            classify(&json!({"prompt": "p", "completion": "c", "label": true})),
            Schema::Kto
        );
        assert_eq!(classify(&json!({"foo": 1})), Schema::Unknown);
        assert_eq!(classify(&json!([1, 2])), Schema::Unknown);
        // An assistant turn that only calls a tool has no `content`: still a message list.
        assert_eq!(
            classify(&json!({"messages": [
                {"role": "user", "content": "price of GS?"},
                {"role": "assistant", "tool_calls": [{"id": "call_1"}]}
            ]})),
            Schema::Messages
        );
        assert_eq!(
            classify(&json!({"messages": [{"role": "assistant", "tool_calls": []}]})),
            Schema::Unknown,
            "no turn with text"
        );
    }

    #[test]
    fn preference_rows_are_compared_by_their_prompt_in_each_spelling() {
        let defaults = |row: Value| {
            let mut d = SchemaDetector::default();
            d.observe(&row);
            d.report().default_fields
        };
        assert_eq!(
            defaults(json!({"prompt": "p", "chosen": "a", "rejected": "b"})),
            ["prompt"]
        );
        assert_eq!(
            defaults(json!({
                "input": {"messages": [{"role": "user", "content": "p"}]},
                "preferred_output": [{"role": "assistant", "content": "a"}],
                "non_preferred_output": [{"role": "assistant", "content": "b"}]
            })),
            ["input.messages[role!=system].content"]
        );
        assert_eq!(
            defaults(json!({"chosen": "a", "rejected": "b"})),
            ["chosen", "rejected"]
        );
        assert_eq!(
            defaults(json!({"chosen_response": "a", "rejected_response": "b"})),
            ["chosen_response", "rejected_response"]
        );
        assert_eq!(
            defaults(json!({
                "chosen_messages": [
                    {"role": "user", "content": [{"type": "text", "value": "p"}]},
                    {"role": "assistant", "content": [{"type": "text", "value": "a"}]}
                ],
                "rejected_messages": [
                    {"role": "user", "content": [{"type": "text", "value": "p"}]},
                    {"role": "assistant", "content": [{"type": "text", "value": "b"}]}
                ]
            })),
            ["chosen_messages[role=user].content"]
        );
        assert_eq!(
            defaults(json!({
                "preferred_output": [{"role": "assistant", "content": "a"}],
                "non_preferred_output": [{"role": "assistant", "content": "b"}]
            })),
            [
                "preferred_output[*].content",
                "non_preferred_output[*].content"
            ]
        );
        // Every spelling's paths are valid paths.
        for schema in Schema::ALL {
            for spelling in 0..default_fields_spellings(schema) {
                for path in default_fields(schema, spelling) {
                    FieldPath::parse(path).unwrap();
                }
            }
        }
    }

    #[test]
    fn detection_counts_all_rows_not_the_first() {
        let mut d = SchemaDetector::default();
        d.observe(&json!({"foo": 1}));
        for _ in 0..3 {
            d.observe(&json!({"instruction": "a", "output": "b"}));
        }
        let r = d.report();
        assert_eq!(r.schema, Schema::Alpaca);
        assert_eq!(r.rows_by_schema["unknown"], 1);
        assert_eq!(r.rows_by_schema["alpaca"], 3);
        assert_eq!(r.default_fields, ["instruction", "input", "output"]);
    }

    #[test]
    fn field_paths_reach_nested_text() {
        let row = json!({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": [{"type": "text", "text": "yo"}]}], "input": {"messages": [{"content": "deep"}]}});
        let p = FieldPath::parse("messages[*].content").unwrap();
        assert_eq!(text_of(&row, &[p]).unwrap(), "hi\nyo");
        let p = FieldPath::parse("messages[1].role").unwrap();
        assert_eq!(text_of(&row, &[p]).unwrap(), "assistant");
        let p = FieldPath::parse("input.messages").unwrap();
        assert_eq!(text_of(&row, &[p]).unwrap(), "deep");
        let p = FieldPath::parse("missing").unwrap();
        assert!(text_of(&row, &[p]).is_none());
        assert!(FieldPath::parse("a[").is_err());
        assert!(FieldPath::parse("a[x]").is_err());
        assert!(FieldPath::parse("").is_err());
    }

    #[test]
    fn selectors_pick_list_items_by_a_string_field() {
        let mut row = json!({"messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "hi"},
            {"content": "no role"},
            {"role": "assistant", "content": [{"type": "text", "text": "yo"}]}
        ]});
        let text = |path: &str, row: &Value| {
            text_of(row, &[FieldPath::parse(path).unwrap()]).map(|t| t.into_owned())
        };
        assert_eq!(text("messages[role=user].content", &row).unwrap(), "hi");
        assert_eq!(
            text("messages[role!=system].content", &row).unwrap(),
            "hi\nno role\nyo"
        );
        assert_eq!(text("messages[role=tool].content", &row), None);
        // Rewriting goes through the same items.
        FieldPath::parse("messages[role!=system].content")
            .unwrap()
            .for_each_string_mut(&mut row, &mut |s| *s = s.to_uppercase());
        assert_eq!(
            row["messages"][0]["content"],
            "You are a helpful assistant."
        );
        assert_eq!(row["messages"][1]["content"], "HI");
        assert_eq!(row["messages"][3]["content"][0]["text"], "YO");
        for bad in ["m[=x]", "m[role=]", "m[!=x]", "m[role!]"] {
            let err = FieldPath::parse(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
    }
}
