//! Conversion of a parsed row of a given family into a [`NormalizedRow`].
//!
//! Structural problems (`missing_field`, `mixed_schema`, `bad_message`, `label_not_bool`,
//! `unknown_schema`) make conversion fail; findings that still leave a usable shape
//! (`prompt_mismatch`, `bad_last_role` of an implicit split, ties, sentinel scores among ranked
//! candidates) travel with the converted row.

use serde_json::{Map, Value};

use super::codes;
use super::config::{AbLabelSide, PrefsConfig, RankDirection};
use super::family::{classify_row, has, has_hh_markers, Family, HH_ASSISTANT, HH_HUMAN};
use super::pair::{
    FindingDetail, Message, NormalizedPair, NormalizedRow, NormalizedUnpaired, Role,
};
use super::text::first_difference;

/// A successfully converted row and the findings found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// The row in normalised form.
    pub row: NormalizedRow,
    /// Findings that do not prevent conversion (e.g. `prompt_mismatch`).
    pub findings: Vec<FindingDetail>,
}

/// Converts `value`, read as `family`, into the normalised form. On failure returns every
/// structural finding (at least one).
pub fn normalize_row(
    value: &Value,
    family: Family,
    config: &PrefsConfig,
) -> Result<Converted, Vec<FindingDetail>> {
    let Some(object) = value.as_object() else {
        return Err(vec![
            FindingDetail::new(codes::UNKNOWN_SCHEMA).note("the row is not a JSON object")
        ]);
    };
    let mut reader = Reader {
        object,
        config,
        findings: Vec::new(),
        fatal: false,
    };
    let row = match family {
        Family::StandardExplicit => reader.standard_explicit(),
        Family::StandardImplicit => reader.standard_implicit(),
        Family::ConversationalExplicit => reader.conversational_explicit(),
        Family::ConversationalImplicit => reader.conversational_implicit(),
        Family::H4Hybrid => reader.h4_hybrid(),
        Family::SharegptRanking => reader.sharegpt_ranking(),
        Family::AlpacaRanking => reader.alpaca_ranking(),
        Family::NamedFieldPairs => reader.named_field_pairs(),
        Family::OpenaiDpo => reader.openai_dpo(),
        Family::Kto => reader.kto(),
        Family::RankedList => reader.ranked_list(),
        Family::AbLabel => reader.ab_label(),
    };
    match row {
        Some(mut row) if !reader.fatal => {
            // A row that converts but is of another family (an alpaca row in a named-field
            // file) is read wrongly by this family's rules.
            if let Some(detail) = foreign_family(value, object, family) {
                return Err(vec![detail]);
            }
            if let NormalizedRow::Pair(pair) = &mut row {
                reader.generic_scores_and_models(pair);
            }
            Ok(Converted {
                row,
                findings: reader.findings,
            })
        }
        _ => {
            let mut findings: Vec<FindingDetail> = reader
                .findings
                .into_iter()
                .filter(|f| is_structural(f.code))
                .collect();
            if findings.is_empty() {
                findings.push(FindingDetail::new(codes::UNKNOWN_SCHEMA));
            }
            // A row missing the family's keys that carries keys of another family is a row of
            // that other family, not an incomplete row of this one.
            if findings.iter().any(|f| f.code == codes::MISSING_FIELD) {
                if let Some(detail) = foreign_family(value, object, family) {
                    return Err(vec![detail]);
                }
            }
            Err(findings)
        }
    }
}

/// A `mixed_schema` finding if the row classifies as another family and carries a key that
/// family reads and `family` does not.
fn foreign_family(
    value: &Value,
    object: &Map<String, Value>,
    family: Family,
) -> Option<FindingDetail> {
    let other = classify_row(value).filter(|&other| other != family)?;
    let key = object.keys().find(|key| {
        other.known_keys().contains(&key.as_str()) && !family.known_keys().contains(&key.as_str())
    })?;
    Some(
        FindingDetail::new(codes::MIXED_SCHEMA)
            .field(key.clone())
            .note(format!(
                "the row looks like {} but the file is {}",
                other.name(),
                family.name()
            )),
    )
}

fn is_structural(code: &str) -> bool {
    [
        codes::MISSING_FIELD,
        codes::MIXED_SCHEMA,
        codes::BAD_MESSAGE,
        codes::LABEL_NOT_BOOL,
        codes::UNKNOWN_SCHEMA,
    ]
    .contains(&code)
}

/// Reads one object, collecting findings. `fatal` is set by any structural finding.
struct Reader<'a> {
    object: &'a Map<String, Value>,
    config: &'a PrefsConfig,
    findings: Vec<FindingDetail>,
    fatal: bool,
}

/// Which side of an A/B row was preferred.
enum AbOutcome {
    A,
    B,
    Tie,
}

impl<'a> Reader<'a> {
    fn fail(&mut self, detail: FindingDetail) {
        self.fatal = true;
        self.findings.push(detail);
    }

    fn missing(&mut self, key: &str) {
        self.fail(
            FindingDetail::new(codes::MISSING_FIELD)
                .field(key)
                .note(format!("`{key}` is absent or null")),
        );
    }

    fn mistyped(&mut self, key: &str, expected: &str) {
        self.fail(
            FindingDetail::new(codes::MIXED_SCHEMA)
                .field(key)
                .note(format!("`{key}` is not {expected}")),
        );
    }

    /// The non-null value of `key`, or a `missing_field`.
    fn required(&mut self, key: &str) -> Option<&'a Value> {
        match self.object.get(key) {
            Some(value) if !value.is_null() => Some(value),
            _ => {
                self.missing(key);
                None
            }
        }
    }

    /// A required string field.
    fn string(&mut self, key: &str) -> Option<&'a str> {
        let value = self.required(key)?;
        match value.as_str() {
            Some(text) => Some(text),
            None => {
                self.mistyped(key, "a string");
                None
            }
        }
    }

    /// An optional string field (absent, null: `None`; another type: `mixed_schema`).
    fn optional_string(&mut self, key: &str) -> Option<&'a str> {
        match self.object.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text),
            Some(_) => {
                self.mistyped(key, "a string");
                None
            }
        }
    }

    /// The first of `keys` present and non-null.
    fn first_present(&self, keys: &[&'static str]) -> Option<&'static str> {
        keys.iter().copied().find(|key| has(self.object, key))
    }

    /// A required message-list field of `self.object`.
    fn messages_field(&mut self, key: &str) -> Option<Vec<Message>> {
        let value = self.required(key)?;
        self.message_list(value, key)
    }

    /// Parses a list of message objects; `field` names it in findings.
    fn message_list(&mut self, value: &Value, field: &str) -> Option<Vec<Message>> {
        let Some(items) = value.as_array() else {
            self.mistyped(field, "a list of messages");
            return None;
        };
        let mut messages = Vec::with_capacity(items.len());
        let mut ok = true;
        for (index, item) in items.iter().enumerate() {
            match self.message(item, field, index) {
                Some(message) => messages.push(message),
                None => ok = false,
            }
        }
        ok.then_some(messages)
    }

    /// Parses one message object (`role`/`content` or ShareGPT `from`/`value`).
    fn message(&mut self, value: &Value, field: &str, index: usize) -> Option<Message> {
        let bad = |note: String| {
            FindingDetail::new(codes::BAD_MESSAGE)
                .field(field)
                .message(index)
                .note(note)
        };
        let Some(object) = value.as_object() else {
            self.fail(bad("the message is not an object".into()));
            return None;
        };
        let role = match object.get("role").or_else(|| object.get("from")) {
            Some(Value::String(tag)) => match self.config.role_tags.get(&tag.to_lowercase()) {
                Some(&role) => role,
                None => {
                    self.fail(bad(format!("unknown role `{tag}`")));
                    return None;
                }
            },
            _ => {
                self.fail(bad("role missing".into()));
                return None;
            }
        };
        let tool_calls = ["tool_calls", "function_call"]
            .iter()
            .find_map(|key| object.get(*key).filter(|v| !v.is_null()))
            .cloned();
        let content = match object.get("content").or_else(|| object.get("value")) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Array(parts)) => match text_of_parts(parts) {
                Some(text) => text,
                None => {
                    self.fail(bad("content has non-text parts".into()));
                    return None;
                }
            },
            None | Some(Value::Null) if tool_calls.is_some() => String::new(),
            None | Some(Value::Null) => {
                self.fail(bad("content missing".into()));
                return None;
            }
            Some(_) => {
                self.fail(bad("content is not text".into()));
                return None;
            }
        };
        Some(Message {
            role,
            content,
            tool_calls,
        })
    }

    /// A completion given as a string (one assistant message) or a message list.
    fn completion(&mut self, key: &str) -> Option<Vec<Message>> {
        let value = self.required(key)?;
        match value {
            Value::String(text) => Some(vec![Message::text(Role::Assistant, text.clone())]),
            Value::Array(_) => self.message_list(value, key),
            Value::Object(_) => self.message(value, key, 0).map(|message| vec![message]),
            _ => {
                self.mistyped(key, "a string or a message list");
                None
            }
        }
    }

    /// A prompt given as a string (HH transcripts split into turns) or a message list.
    fn prompt(&mut self, key: &str) -> Option<Vec<Message>> {
        let value = self.required(key)?;
        match value {
            Value::String(text) => Some(prompt_from_string(text)),
            Value::Array(_) => self.message_list(value, key),
            _ => {
                self.mistyped(key, "a string or a message list");
                None
            }
        }
    }

    fn with_system(&mut self, mut prompt: Vec<Message>) -> Vec<Message> {
        if let Some(system) = self.optional_string("system") {
            if !system.trim().is_empty() {
                prompt.insert(0, Message::text(Role::System, system));
            }
        }
        prompt
    }

    fn pair(prompt: Vec<Message>, chosen: Vec<Message>, rejected: Vec<Message>) -> NormalizedRow {
        NormalizedRow::Pair(NormalizedPair {
            prompt,
            chosen,
            rejected,
            score_chosen: None,
            score_rejected: None,
            model_chosen: None,
            model_rejected: None,
            tie: false,
            rejected_prompt: None,
        })
    }

    // ------------------------------------------------------------ families

    fn standard_explicit(&mut self) -> Option<NormalizedRow> {
        let prompt = self.string("prompt");
        let chosen = self.string("chosen");
        let rejected = self.string("rejected");
        Some(Self::pair(
            prompt_from_string(prompt?),
            vec![Message::text(Role::Assistant, chosen?)],
            vec![Message::text(Role::Assistant, rejected?)],
        ))
    }

    fn standard_implicit(&mut self) -> Option<NormalizedRow> {
        let chosen = self.string("chosen");
        let rejected = self.string("rejected");
        let (chosen, rejected) = (chosen?, rejected?);
        if has_hh_markers(chosen) || has_hh_markers(rejected) {
            let chosen = split_hh_transcript(chosen);
            let rejected = split_hh_transcript(rejected);
            return Some(self.implicit_pair(chosen, rejected));
        }
        // Plain strings: the prompt is the longest common prefix, cut back to white space the
        // way TRL's `extract_prompt` does.
        let mut split = chosen
            .char_indices()
            .zip(rejected.chars())
            .find(|((_, a), b)| a != b)
            .map(|((index, _), _)| index)
            .unwrap_or(chosen.len().min(rejected.len()));
        while split > 0 && !chosen.is_char_boundary(split) {
            split -= 1;
        }
        if let Some(space) = chosen[..split].rfind(char::is_whitespace) {
            if split < chosen.len().min(rejected.len()) {
                split = space + 1;
            }
        } else if split < chosen.len().min(rejected.len()) {
            split = 0;
        }
        Some(Self::pair(
            vec![Message::text(Role::User, &chosen[..split])],
            vec![Message::text(Role::Assistant, &chosen[split..])],
            vec![Message::text(Role::Assistant, &rejected[split..])],
        ))
    }

    fn conversational_explicit(&mut self) -> Option<NormalizedRow> {
        let prompt = self.messages_field("prompt");
        let chosen = self.messages_field("chosen");
        let rejected = self.messages_field("rejected");
        Some(Self::pair(prompt?, chosen?, rejected?))
    }

    fn conversational_implicit(&mut self) -> Option<NormalizedRow> {
        let (chosen_key, rejected_key) =
            if has(self.object, "chosen_messages") || has(self.object, "rejected_messages") {
                ("chosen_messages", "rejected_messages")
            } else {
                ("chosen", "rejected")
            };
        let chosen = self.messages_field(chosen_key);
        let rejected = self.messages_field(rejected_key);
        let (chosen, rejected) = (chosen?, rejected?);
        Some(self.implicit_pair(chosen, rejected))
    }

    fn h4_hybrid(&mut self) -> Option<NormalizedRow> {
        let prompt_text = self.string("prompt");
        let chosen = self.messages_field("chosen");
        let rejected = self.messages_field("rejected");
        let (prompt_text, chosen, rejected) = (prompt_text?, chosen?, rejected?);
        let row = self.implicit_pair(chosen, rejected);
        if let NormalizedRow::Pair(pair) = &row {
            let last_user = pair.prompt.iter().rev().find(|m| m.role == Role::User);
            if let Some(last_user) = last_user {
                if let Some(offset) = first_difference(prompt_text.trim(), last_user.content.trim())
                {
                    let index = pair
                        .prompt
                        .iter()
                        .rposition(|m| m.role == Role::User)
                        .unwrap_or(0);
                    self.findings.push(
                        FindingDetail::new(codes::PROMPT_MISMATCH)
                            .field("prompt")
                            .message(index)
                            .at(offset)
                            .note(
                                "the `prompt` field differs from the conversation's last user turn",
                            ),
                    );
                }
            }
        }
        Some(row)
    }

    fn sharegpt_ranking(&mut self) -> Option<NormalizedRow> {
        let prompt = self.messages_field("conversations");
        let chosen = self.completion("chosen");
        let rejected = self.completion("rejected");
        let prompt = self.with_system(prompt?);
        Some(Self::pair(prompt, chosen?, rejected?))
    }

    fn alpaca_ranking(&mut self) -> Option<NormalizedRow> {
        let instruction = self.string("instruction");
        let input = self.optional_string("input");
        let chosen = self.string("chosen");
        let rejected = self.string("rejected");
        let mut prompt = Vec::new();
        match self.object.get("history") {
            None | Some(Value::Null) => {}
            Some(Value::Array(turns)) => {
                for turn in turns {
                    match turn.as_array().map(Vec::as_slice) {
                        Some([Value::String(query), Value::String(answer)]) => {
                            prompt.push(Message::text(Role::User, query.clone()));
                            prompt.push(Message::text(Role::Assistant, answer.clone()));
                        }
                        _ => {
                            self.mistyped("history", "a list of [query, answer] string pairs");
                            return None;
                        }
                    }
                }
            }
            Some(_) => {
                self.mistyped("history", "a list of [query, answer] string pairs");
                return None;
            }
        }
        let instruction = instruction?;
        // LLaMA-Factory joins instruction and input with a newline.
        let query = match input {
            Some(input) if !input.is_empty() => format!("{instruction}\n{input}"),
            _ => instruction.to_string(),
        };
        prompt.push(Message::text(Role::User, query));
        let prompt = self.with_system(prompt);
        Some(Self::pair(
            prompt,
            vec![Message::text(Role::Assistant, chosen?)],
            vec![Message::text(Role::Assistant, rejected?)],
        ))
    }

    fn named_field_pairs(&mut self) -> Option<NormalizedRow> {
        let Some(prompt_key) = self.first_present(&["question", "instruction", "input", "prompt"])
        else {
            self.missing("question");
            return None;
        };
        let chosen_key = self
            .first_present(&["chosen", "chosen_response"])
            .unwrap_or("chosen");
        let rejected_key = self
            .first_present(&["rejected", "rejected_response"])
            .unwrap_or("rejected");
        let mut prompt = self.prompt(prompt_key);
        // An instruction with a separate input reads as LLaMA-Factory's alpaca join.
        if prompt_key == "instruction" {
            if let (Some([only]), Some(input)) =
                (prompt.as_deref_mut(), self.optional_string("input"))
            {
                if !input.is_empty() {
                    only.content = format!("{}\n{input}", only.content);
                }
            }
        }
        let chosen = self.completion(chosen_key);
        let rejected = self.completion(rejected_key);
        let prompt = self.with_system(prompt?);
        Some(Self::pair(prompt, chosen?, rejected?))
    }

    fn openai_dpo(&mut self) -> Option<NormalizedRow> {
        let prompt = match self.required("input") {
            Some(input) => match input.get("messages") {
                Some(messages) if !messages.is_null() => {
                    self.message_list(messages, "input.messages")
                }
                _ => {
                    self.missing("input.messages");
                    None
                }
            },
            None => None,
        };
        let chosen = self.messages_field("preferred_output");
        let rejected = self.messages_field("non_preferred_output");
        Some(Self::pair(prompt?, chosen?, rejected?))
    }

    fn kto(&mut self) -> Option<NormalizedRow> {
        let label = match self.required("label") {
            Some(Value::Bool(label)) => Some(*label),
            Some(other) => {
                self.fail(
                    FindingDetail::new(codes::LABEL_NOT_BOOL)
                        .field("label")
                        .note(format!("label is {other}")),
                );
                None
            }
            None => None,
        };
        let (prompt, completion) =
            if has(self.object, "messages") && !has(self.object, "completion") {
                let messages = self.messages_field("messages")?;
                let split = messages
                    .iter()
                    .rposition(|m| m.role == Role::Assistant)
                    .unwrap_or(messages.len());
                let (prompt, completion) = messages.split_at(split);
                (Some(prompt.to_vec()), Some(completion.to_vec()))
            } else {
                (self.prompt("prompt"), self.completion("completion"))
            };
        Some(NormalizedRow::Unpaired(NormalizedUnpaired {
            prompt: prompt?,
            completion: completion?,
            label: label?,
        }))
    }

    fn ranked_list(&mut self) -> Option<NormalizedRow> {
        let prompt_key = self
            .first_present(&["prompt", "instruction"])
            .unwrap_or("prompt");
        let prompt = self.prompt(prompt_key);
        let candidates = self.ranked_candidates()?;
        let prompt = prompt?;
        if candidates.len() < 2 {
            self.fail(FindingDetail::new(codes::MISSING_FIELD).note(format!(
                "{} rated candidate(s); a pair needs two",
                candidates.len()
            )));
            return None;
        }
        // Candidates carry a goodness where higher is better (ranks are flipped accordingly).
        let best = (0..candidates.len()).fold(0, |best, i| {
            if candidates[i].goodness > candidates[best].goodness {
                i
            } else {
                best
            }
        });
        let worst = (0..candidates.len())
            .filter(|&i| i != best)
            .fold(None::<usize>, |worst, i| match worst {
                Some(w) if candidates[w].goodness <= candidates[i].goodness => Some(w),
                _ => Some(i),
            })
            .unwrap_or(best);
        for candidate in &candidates {
            if candidate.score == Some(-100.0) {
                self.findings.push(
                    FindingDetail::new(codes::SENTINEL_VALUE).note("a candidate has score -100"),
                );
                break;
            }
        }
        let (best, worst) = (&candidates[best], &candidates[worst]);
        Some(NormalizedRow::Pair(NormalizedPair {
            prompt,
            chosen: vec![Message::text(Role::Assistant, best.text.clone())],
            rejected: vec![Message::text(Role::Assistant, worst.text.clone())],
            score_chosen: best.score,
            score_rejected: worst.score,
            model_chosen: best.model.clone(),
            model_rejected: worst.model.clone(),
            tie: best.goodness == worst.goodness,
            rejected_prompt: None,
        }))
    }

    /// The candidates of a ranked-list row, with higher `goodness` meaning better.
    fn ranked_candidates(&mut self) -> Option<Vec<Candidate>> {
        let mut candidates = Vec::new();
        if let Some(answers) = self.object.get("answers").and_then(Value::as_array) {
            let sign = match self.config.rank_direction {
                RankDirection::LowerIsBetter => -1.0,
                RankDirection::HigherIsBetter => 1.0,
            };
            for (index, answer) in answers.iter().enumerate() {
                let text = answer.get("answer").and_then(Value::as_str);
                let rank = answer.get("rank").and_then(number);
                match (text, rank) {
                    (Some(text), Some(rank)) => candidates.push(Candidate {
                        text: text.to_string(),
                        goodness: sign * rank,
                        score: None,
                        model: model_name(answer.get("model")),
                    }),
                    _ => {
                        self.fail(
                            FindingDetail::new(codes::MISSING_FIELD)
                                .field("answers")
                                .message(index)
                                .note("an answer needs a string `answer` and a numeric `rank`"),
                        );
                        return None;
                    }
                }
            }
        } else if let Some(completions) = self.object.get("completions").and_then(Value::as_array) {
            for (index, completion) in completions.iter().enumerate() {
                let text = completion.get("response").and_then(Value::as_str);
                let score = completion.get("overall_score").and_then(number);
                match (text, score) {
                    (Some(text), Some(score)) => candidates.push(Candidate {
                        text: text.to_string(),
                        goodness: score,
                        score: Some(score),
                        model: model_name(completion.get("model")),
                    }),
                    _ => {
                        self.fail(
                            FindingDetail::new(codes::MISSING_FIELD)
                                .field("completions")
                                .message(index)
                                .note("a completion needs a string `response` and a numeric `overall_score`"),
                        );
                        return None;
                    }
                }
            }
        } else {
            let generations = self.required("generations");
            let ratings = self.required("ratings");
            let (Some(Value::Array(generations)), Some(Value::Array(ratings))) =
                (generations, ratings)
            else {
                if !self.fatal {
                    self.mistyped("generations", "a list beside a list of `ratings`");
                }
                return None;
            };
            if generations.len() != ratings.len() {
                self.fail(
                    FindingDetail::new(codes::MISSING_FIELD)
                        .field("ratings")
                        .note(format!(
                            "{} ratings for {} generations",
                            ratings.len(),
                            generations.len()
                        )),
                );
                return None;
            }
            let models = self
                .object
                .get("generation_models")
                .or(self.object.get("models"))
                .and_then(Value::as_array);
            for (index, (generation, rating)) in generations.iter().zip(ratings).enumerate() {
                let Some(text) = generation.as_str() else {
                    self.mistyped("generations", "a list of strings");
                    return None;
                };
                // An unrated generation (null rating) cannot take part in the pair.
                if let Some(score) = number(rating) {
                    candidates.push(Candidate {
                        text: text.to_string(),
                        goodness: score,
                        score: Some(score),
                        model: models.and_then(|m| model_name(m.get(index))),
                    });
                }
            }
        }
        Some(candidates)
    }

    fn ab_label(&mut self) -> Option<NormalizedRow> {
        let object = self.object;
        let (prompt_key, a_key, b_key) = if has(object, "human_ref_A") {
            ("history", "human_ref_A", "human_ref_B")
        } else if has(object, "conversation_a") {
            ("", "conversation_a", "conversation_b")
        } else if has(object, "response_a") {
            ("prompt", "response_a", "response_b")
        } else {
            ("instruction", "output_1", "output_2")
        };
        let outcome = self.ab_outcome();
        let (prompt, a, b) = if prompt_key.is_empty() {
            let a = self.messages_field(a_key);
            let b = self.messages_field(b_key);
            let NormalizedRow::Pair(pair) = self.implicit_pair(a?, b?) else {
                unreachable!()
            };
            (pair.prompt, pair.chosen, pair.rejected)
        } else {
            let prompt = self.required(prompt_key).cloned();
            let a = self.required(a_key).cloned();
            let b = self.required(b_key).cloned();
            let (prompt, a, b) = (prompt?, a?, b?);
            // Arena exports hold JSON-encoded string lists (one entry per turn).
            match (
                decode_turn_list(&prompt),
                decode_turn_list(&a),
                decode_turn_list(&b),
            ) {
                (Some(prompts), Some(a), Some(b)) => {
                    let side = |answers: &[String]| {
                        let mut messages = Vec::new();
                        for (i, question) in prompts.iter().enumerate() {
                            messages.push(Message::text(Role::User, question.clone()));
                            if let Some(answer) = answers.get(i) {
                                messages.push(Message::text(Role::Assistant, answer.clone()));
                            }
                        }
                        messages
                    };
                    let NormalizedRow::Pair(pair) = self.implicit_pair(side(&a), side(&b)) else {
                        unreachable!()
                    };
                    (pair.prompt, pair.chosen, pair.rejected)
                }
                _ => {
                    let text = |value: &Value, key: &str, me: &mut Self| match value.as_str() {
                        Some(text) => Some(text.to_string()),
                        None => {
                            me.mistyped(key, "a string");
                            None
                        }
                    };
                    let prompt = text(&prompt, prompt_key, self);
                    let a = text(&a, a_key, self);
                    let b = text(&b, b_key, self);
                    (
                        prompt_from_string(&prompt?),
                        vec![Message::text(Role::Assistant, a?)],
                        vec![Message::text(Role::Assistant, b?)],
                    )
                }
            }
        };
        let outcome = outcome?;
        let model = |key: &str| model_name(object.get(key));
        let (model_a, model_b) = if has(object, "model_a") {
            (model("model_a"), model("model_b"))
        } else {
            (model("generator_1"), model("generator_2"))
        };
        let (score_a, score_b) = (
            object.get("score_A").and_then(number),
            object.get("score_B").and_then(number),
        );
        let a_wins = !matches!(outcome, AbOutcome::B);
        let (chosen, rejected, score_chosen, score_rejected, model_chosen, model_rejected) =
            if a_wins {
                (a, b, score_a, score_b, model_a, model_b)
            } else {
                (b, a, score_b, score_a, model_b, model_a)
            };
        Some(NormalizedRow::Pair(NormalizedPair {
            prompt,
            chosen,
            rejected,
            score_chosen,
            score_rejected,
            model_chosen,
            model_rejected,
            tie: matches!(outcome, AbOutcome::Tie),
            rejected_prompt: None,
        }))
    }

    /// Reads the A/B label, applying [`PrefsConfig::ab_label_side`].
    fn ab_outcome(&mut self) -> Option<AbOutcome> {
        let object = self.object;
        let raw = if has(object, "labels") {
            match object.get("labels").and_then(number) {
                Some(1.0) => Some(AbOutcome::A),
                Some(0.0) => Some(AbOutcome::B),
                _ => None,
            }
        } else if has(object, "winner_model_a")
            || has(object, "winner_model_b")
            || has(object, "winner_tie")
        {
            let flag = |key: &str| object.get(key).and_then(number).is_some_and(|v| v == 1.0);
            match (
                flag("winner_model_a"),
                flag("winner_model_b"),
                flag("winner_tie"),
            ) {
                (true, false, false) => Some(AbOutcome::A),
                (false, true, false) => Some(AbOutcome::B),
                (false, false, true) => Some(AbOutcome::Tie),
                _ => None,
            }
        } else if has(object, "winner") {
            match object.get("winner").and_then(Value::as_str) {
                Some("model_a") | Some("a") | Some("A") => Some(AbOutcome::A),
                Some("model_b") | Some("b") | Some("B") => Some(AbOutcome::B),
                Some(text) if text.starts_with("tie") => Some(AbOutcome::Tie),
                _ => None,
            }
        } else if has(object, "preference") {
            // Judge preference: 1 = output_1, 2 = output_2, fractional values average judges.
            match object.get("preference").and_then(number) {
                Some(p) if (1.0..1.5).contains(&p) => Some(AbOutcome::A),
                Some(p) if p > 1.5 && p <= 2.0 => Some(AbOutcome::B),
                Some(p) if p == 1.5 || p == 0.0 => Some(AbOutcome::Tie),
                _ => None,
            }
        } else {
            self.missing("labels");
            return None;
        };
        let Some(outcome) = raw else {
            let key = ["labels", "winner", "preference", "winner_model_a"]
                .into_iter()
                .find(|key| has(object, key))
                .unwrap_or("labels");
            self.mistyped(key, "a recognised A/B label");
            return None;
        };
        Some(match (self.config.ab_label_side, outcome) {
            (AbLabelSide::Preferred, outcome) => outcome,
            (AbLabelSide::Rejected, AbOutcome::A) => AbOutcome::B,
            (AbLabelSide::Rejected, AbOutcome::B) => AbOutcome::A,
            (AbLabelSide::Rejected, AbOutcome::Tie) => AbOutcome::Tie,
        })
    }

    /// Splits two full conversations at their last assistant turn; the chosen side's prefix
    /// becomes the prompt, and a different rejected prefix is a `prompt_mismatch`.
    fn implicit_pair(&mut self, chosen: Vec<Message>, rejected: Vec<Message>) -> NormalizedRow {
        let chosen_split = last_completion_start(&chosen);
        let rejected_split = last_completion_start(&rejected);
        let divergence = prompt_divergence(&chosen[..chosen_split], &rejected[..rejected_split]);
        let mismatch = divergence.is_some();
        self.findings.extend(divergence);
        let mut chosen = chosen;
        let mut rejected = rejected;
        let chosen_completion = chosen.split_off(chosen_split);
        let rejected_completion = rejected.split_off(rejected_split);
        let mut row = Self::pair(chosen, chosen_completion, rejected_completion);
        if let (true, NormalizedRow::Pair(pair)) = (mismatch, &mut row) {
            pair.rejected_prompt = Some(rejected);
        }
        row
    }

    /// Score and model keys several families share (`score_chosen`, `chosen_rating`,
    /// `chosen_model`, ...), read where the family itself set none.
    fn generic_scores_and_models(&mut self, pair: &mut NormalizedPair) {
        let object = self.object;
        let find = |keys: &[&str]| {
            keys.iter()
                .find_map(|key| object.get(*key).and_then(number))
        };
        if pair.score_chosen.is_none() && pair.score_rejected.is_none() {
            pair.score_chosen = find(&[
                "score_chosen",
                "chosen_score",
                "chosen_rating",
                "chosen-rating",
            ]);
            pair.score_rejected = find(&[
                "score_rejected",
                "rejected_score",
                "rejected_rating",
                "rejected-rating",
            ]);
        }
        if pair.model_chosen.is_none() && pair.model_rejected.is_none() {
            let find = |keys: &[&str]| keys.iter().find_map(|key| model_name(object.get(*key)));
            pair.model_chosen = find(&["chosen_model", "chosen-model"]);
            pair.model_rejected = find(&["rejected_model", "rejected-model"]);
        }
    }
}

/// A candidate response of a ranked list.
struct Candidate {
    text: String,
    goodness: f64,
    score: Option<f64>,
    model: Option<String>,
}

/// A JSON number, or a string holding one.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn model_name(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .filter(|name| !name.trim().is_empty())
        .map(str::to_string)
}

/// The text of a content-part list (`[{type: "text", text|value: ...}]` or plain strings);
/// `None` if any part is not text.
fn text_of_parts(parts: &[Value]) -> Option<String> {
    let mut text = String::new();
    for part in parts {
        match part {
            Value::String(s) => text.push_str(s),
            Value::Object(object) => {
                let kind = object.get("type").and_then(Value::as_str).unwrap_or("text");
                if kind != "text" {
                    return None;
                }
                text.push_str(
                    object
                        .get("text")
                        .or(object.get("value"))
                        .and_then(Value::as_str)?,
                );
            }
            _ => return None,
        }
    }
    Some(text)
}

/// Index where the final completion starts: the last assistant turn (and what follows it).
/// Without any assistant turn the completion is empty.
fn last_completion_start(messages: &[Message]) -> usize {
    messages
        .iter()
        .rposition(|m| m.role == Role::Assistant)
        .unwrap_or(messages.len())
}

/// `None` if the two prompt conversations are equal; else a `prompt_mismatch` detail naming
/// the first differing message and char.
fn prompt_divergence(chosen: &[Message], rejected: &[Message]) -> Option<FindingDetail> {
    for (index, (a, b)) in chosen.iter().zip(rejected).enumerate() {
        if a.role != b.role {
            return Some(
                FindingDetail::new(codes::PROMPT_MISMATCH)
                    .field("prompt")
                    .message(index)
                    .at(0)
                    .note(format!("role {} vs {}", a.role.name(), b.role.name())),
            );
        }
        if a.content != b.content || a.tool_calls != b.tool_calls {
            let offset = first_difference(&a.content, &b.content).unwrap_or(0);
            return Some(
                FindingDetail::new(codes::PROMPT_MISMATCH)
                    .field("prompt")
                    .message(index)
                    .at(offset)
                    .note("chosen and rejected differ before their last assistant turn"),
            );
        }
    }
    (chosen.len() != rejected.len()).then(|| {
        FindingDetail::new(codes::PROMPT_MISMATCH)
            .field("prompt")
            .message(chosen.len().min(rejected.len()))
            .note(format!(
                "chosen has {} turns before its last assistant turn, rejected {}",
                chosen.len(),
                rejected.len()
            ))
    })
}

/// A prompt string: an HH-RLHF transcript becomes its turns (a trailing empty `Assistant:`
/// cue is dropped); any other string is one user turn.
fn prompt_from_string(text: &str) -> Vec<Message> {
    if has_hh_markers(text) || text.contains(HH_HUMAN) {
        let mut turns = split_hh_transcript(text);
        if turns
            .last()
            .is_some_and(|m| m.role == Role::Assistant && m.content.trim().is_empty())
        {
            turns.pop();
        }
        if !turns.is_empty() {
            return turns;
        }
    }
    vec![Message::text(Role::User, text)]
}

/// Splits an HH-RLHF transcript (`\n\nHuman: … \n\nAssistant: …`) into turns. Text before
/// the first marker, if not blank, is kept as a user turn.
pub(crate) fn split_hh_transcript(text: &str) -> Vec<Message> {
    let mut markers: Vec<(usize, usize, Role)> = Vec::new();
    if text.starts_with("Human:") {
        markers.push((0, "Human:".len(), Role::User));
    }
    for (marker, role) in [(HH_HUMAN, Role::User), (HH_ASSISTANT, Role::Assistant)] {
        for (start, _) in text.match_indices(marker) {
            markers.push((start, start + marker.len(), role));
        }
    }
    markers.sort_unstable_by_key(|&(start, _, _)| start);
    let mut messages = Vec::with_capacity(markers.len() + 1);
    let head = &text[..markers.first().map_or(text.len(), |m| m.0)];
    if !head.trim().is_empty() {
        messages.push(Message::text(Role::User, head.trim()));
    }
    for (i, &(_, content_start, role)) in markers.iter().enumerate() {
        let end = markers.get(i + 1).map_or(text.len(), |next| next.0);
        messages.push(Message::text(role, text[content_start..end].trim()));
    }
    messages
}

/// A JSON string holding a JSON list of strings (arena exports), decoded. `None` if `value` is
/// not such a string (plain strings are read as they are by the caller).
fn decode_turn_list(value: &Value) -> Option<Vec<String>> {
    let text = value.as_str()?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        if let Ok(items) = serde_json::from_str::<Vec<Option<String>>>(trimmed) {
            if items.len() > 1 {
                return Some(items.into_iter().map(Option::unwrap_or_default).collect());
            }
            if let Some(Some(single)) = items.into_iter().next() {
                return Some(vec![single]);
            }
        }
    }
    None
}
