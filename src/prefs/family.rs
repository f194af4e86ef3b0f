//! Preference-data families and their detection over all rows.
//!
//! A row is classified by its key set first, then by the JSON types of the values, then by
//! markers inside strings (HH-RLHF `\n\nHuman:` transcripts). The file's family is the one most
//! rows have; rows of another family are `mixed_schema`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A preference-data layout (issue 5's table of formats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// `prompt`, `chosen`, `rejected` as strings.
    StandardExplicit,
    /// `chosen`, `rejected` strings holding the whole exchange (HH-RLHF `\n\nHuman:` …
    /// `\n\nAssistant:` transcripts are split into turns; other strings share a common prefix).
    StandardImplicit,
    /// `prompt` message list; `chosen`/`rejected` assistant message lists.
    ConversationalExplicit,
    /// `chosen`, `rejected` (or LLaMA-Factory v1 `chosen_messages`, `rejected_messages`) full
    /// message lists sharing all but the last turn.
    ConversationalImplicit,
    /// UltraFeedback-binarized (H4): `prompt` string + `chosen`/`rejected` full lists, optional
    /// `score_chosen`, `score_rejected`, `prompt_id`, `messages`.
    H4Hybrid,
    /// LLaMA-Factory ranking: `conversations` [`from`/`value`] + `chosen`/`rejected` single
    /// message objects, optional `system`.
    SharegptRanking,
    /// `instruction`, `input`, `chosen`, `rejected`, optional `system`, `history`.
    AlpacaRanking,
    /// `question`/`input`/`instruction` + `chosen`/`rejected` or
    /// `chosen_response`/`rejected_response`, optional `system`.
    NamedFieldPairs,
    /// OpenAI-style DPO: `input.messages`, `preferred_output`, `non_preferred_output`.
    OpenaiDpo,
    /// KTO / unpaired: `prompt`, `completion`, `label`, or LLaMA-Factory's `messages` + `label`.
    Kto,
    /// Ranked lists: Nectar `answers[{answer, rank}]`; `generations` + `ratings`;
    /// UltraFeedback raw `completions[{response, overall_score}]`. The best and the worst
    /// candidate become chosen and rejected.
    RankedList,
    /// A/B with a label: SHP (`human_ref_A/B`, `labels`), arena (`response_a/b` or
    /// `conversation_a/b`, `winner*`), pairwise judge output (`output_1/2`, `preference`).
    AbLabel,
}

impl Family {
    /// Every family, in declaration order.
    pub const ALL: [Family; 12] = [
        Family::StandardExplicit,
        Family::StandardImplicit,
        Family::ConversationalExplicit,
        Family::ConversationalImplicit,
        Family::H4Hybrid,
        Family::SharegptRanking,
        Family::AlpacaRanking,
        Family::NamedFieldPairs,
        Family::OpenaiDpo,
        Family::Kto,
        Family::RankedList,
        Family::AbLabel,
    ];

    /// The snake_case name used in configs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Family::StandardExplicit => "standard_explicit",
            Family::StandardImplicit => "standard_implicit",
            Family::ConversationalExplicit => "conversational_explicit",
            Family::ConversationalImplicit => "conversational_implicit",
            Family::H4Hybrid => "h4_hybrid",
            Family::SharegptRanking => "sharegpt_ranking",
            Family::AlpacaRanking => "alpaca_ranking",
            Family::NamedFieldPairs => "named_field_pairs",
            Family::OpenaiDpo => "openai_dpo",
            Family::Kto => "kto",
            Family::RankedList => "ranked_list",
            Family::AbLabel => "ab_label",
        }
    }

    /// Parses a snake_case family name.
    pub fn from_name(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|family| family.name() == name)
    }

    /// True for families whose prompt is not a field of its own but the shared part of the
    /// chosen and rejected sides (where `prompt_mismatch` can occur).
    pub fn is_implicit(self) -> bool {
        matches!(
            self,
            Family::StandardImplicit | Family::ConversationalImplicit | Family::H4Hybrid
        )
    }

    /// True for unpaired (KTO) data.
    pub fn is_unpaired(self) -> bool {
        self == Family::Kto
    }

    /// Every top-level key this family reads or tolerates. A row missing required keys is
    /// `missing_field` unless it carries a key outside this set and looks like another family
    /// (then `mixed_schema`).
    pub fn known_keys(self) -> &'static [&'static str] {
        match self {
            Family::StandardExplicit => &["prompt", "chosen", "rejected"],
            Family::StandardImplicit => &["chosen", "rejected"],
            Family::ConversationalExplicit => &["prompt", "chosen", "rejected", "tools"],
            Family::ConversationalImplicit => &[
                "chosen",
                "rejected",
                "chosen_messages",
                "rejected_messages",
                "tools",
            ],
            Family::H4Hybrid => &[
                "prompt",
                "chosen",
                "rejected",
                "score_chosen",
                "score_rejected",
                "prompt_id",
                "messages",
            ],
            Family::SharegptRanking => &["conversations", "chosen", "rejected", "system", "tools"],
            Family::AlpacaRanking => &[
                "instruction",
                "input",
                "chosen",
                "rejected",
                "system",
                "history",
            ],
            Family::NamedFieldPairs => &[
                "question",
                "input",
                "instruction",
                "prompt",
                "chosen",
                "rejected",
                "chosen_response",
                "rejected_response",
                "system",
            ],
            Family::OpenaiDpo => &["input", "preferred_output", "non_preferred_output"],
            Family::Kto => &["prompt", "completion", "label", "messages"],
            Family::RankedList => &[
                "prompt",
                "instruction",
                "answers",
                "generations",
                "ratings",
                "completions",
            ],
            Family::AbLabel => &[
                "history",
                "human_ref_A",
                "human_ref_B",
                "labels",
                "score_A",
                "score_B",
                "prompt",
                "response_a",
                "response_b",
                "conversation_a",
                "conversation_b",
                "winner",
                "winner_model_a",
                "winner_model_b",
                "winner_tie",
                "model_a",
                "model_b",
                "instruction",
                "output_1",
                "output_2",
                "preference",
                "generator_1",
                "generator_2",
            ],
        }
    }
}

/// True if `object[key]` exists and is not `null`.
pub(crate) fn has(object: &Map<String, Value>, key: &str) -> bool {
    object.get(key).is_some_and(|value| !value.is_null())
}

fn is_str(object: &Map<String, Value>, key: &str) -> bool {
    object.get(key).is_some_and(Value::is_string)
}

fn is_list(object: &Map<String, Value>, key: &str) -> bool {
    object.get(key).is_some_and(Value::is_array)
}

/// HH-RLHF transcript marker at the start of a turn.
pub(crate) const HH_HUMAN: &str = "\n\nHuman:";
/// HH-RLHF transcript marker at the start of an assistant turn.
pub(crate) const HH_ASSISTANT: &str = "\n\nAssistant:";

/// True if `text` looks like an HH-RLHF transcript (both turn markers present).
pub(crate) fn has_hh_markers(text: &str) -> bool {
    (text.starts_with("Human:") || text.contains(HH_HUMAN)) && text.contains(HH_ASSISTANT)
}

/// Classifies one row on its own: key set, then value types. `None` if no family fits.
pub fn classify_row(value: &Value) -> Option<Family> {
    let object = value.as_object()?;
    if object
        .get("input")
        .is_some_and(|input| input.get("messages").is_some())
        && has(object, "preferred_output")
        && has(object, "non_preferred_output")
    {
        return Some(Family::OpenaiDpo);
    }
    if has(object, "conversations") && has(object, "chosen") && has(object, "rejected") {
        return Some(Family::SharegptRanking);
    }
    if is_list(object, "answers") || (has(object, "generations") && has(object, "ratings")) {
        return Some(Family::RankedList);
    }
    if is_list(object, "completions")
        && object["completions"]
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_object))
    {
        return Some(Family::RankedList);
    }
    if (has(object, "human_ref_A") && has(object, "human_ref_B"))
        || (has(object, "response_a") && has(object, "response_b"))
        || (has(object, "conversation_a") && has(object, "conversation_b"))
        || (has(object, "output_1") && has(object, "output_2"))
    {
        return Some(Family::AbLabel);
    }
    if object.contains_key("label")
        && (object.contains_key("completion") || is_list(object, "messages"))
        && !object.contains_key("chosen")
    {
        return Some(Family::Kto);
    }
    if has(object, "chosen_response") || has(object, "rejected_response") {
        return Some(Family::NamedFieldPairs);
    }
    if has(object, "chosen_messages") || has(object, "rejected_messages") {
        return Some(Family::ConversationalImplicit);
    }
    if !(has(object, "chosen") || has(object, "rejected")) {
        return None;
    }
    let chosen = object
        .get("chosen")
        .filter(|v| !v.is_null())
        .or(object.get("rejected"));
    let chosen_is_list = chosen.is_some_and(Value::is_array);
    let chosen_is_str = chosen.is_some_and(Value::is_string);
    if has(object, "prompt") {
        return match (
            is_str(object, "prompt"),
            is_list(object, "prompt"),
            chosen_is_str,
            chosen_is_list,
        ) {
            (true, _, true, _) => Some(Family::StandardExplicit),
            (true, _, _, true) => Some(Family::H4Hybrid),
            (_, true, _, true) => Some(Family::ConversationalExplicit),
            _ => None,
        };
    }
    if has(object, "instruction")
        && (object.contains_key("input") || object.contains_key("history"))
    {
        return Some(Family::AlpacaRanking);
    }
    if has(object, "question") || has(object, "input") || has(object, "instruction") {
        return Some(Family::NamedFieldPairs);
    }
    if chosen_is_list {
        return Some(Family::ConversationalImplicit);
    }
    if chosen_is_str {
        return Some(Family::StandardImplicit);
    }
    None
}

/// The outcome of family detection over a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    /// The family most rows belong to; `None` if no row matched any family.
    pub family: Option<Family>,
    /// Rows observed.
    pub rows: u64,
    /// Rows per family (families with no row are absent).
    pub counts: BTreeMap<Family, u64>,
    /// Rows that are JSON objects matching no family.
    pub unknown_rows: u64,
    /// Rows that are not JSON objects.
    pub non_object_rows: u64,
    /// String-family rows whose chosen side contains HH-RLHF turn markers.
    pub hh_transcript_rows: u64,
    /// Human-readable sentences saying why the family was chosen.
    pub evidence: Vec<String>,
}

/// Streaming family detection: [`FamilyDetector::observe`] every parsed row, then
/// [`FamilyDetector::finish`]. Memory is constant.
#[derive(Debug, Clone, Default)]
pub struct FamilyDetector {
    rows: u64,
    counts: BTreeMap<Family, u64>,
    unknown_rows: u64,
    non_object_rows: u64,
    hh_transcript_rows: u64,
    first_row_of: BTreeMap<Family, u64>,
}

impl FamilyDetector {
    /// A detector that has seen no row.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one parsed row.
    pub fn observe(&mut self, value: &Value) {
        let row_index = self.rows;
        self.rows += 1;
        if !value.is_object() {
            self.non_object_rows += 1;
            return;
        }
        match classify_row(value) {
            Some(family) => {
                *self.counts.entry(family).or_insert(0) += 1;
                self.first_row_of.entry(family).or_insert(row_index);
                if family == Family::StandardImplicit
                    && value
                        .get("chosen")
                        .and_then(Value::as_str)
                        .is_some_and(has_hh_markers)
                {
                    self.hh_transcript_rows += 1;
                }
            }
            None => self.unknown_rows += 1,
        }
    }

    /// The family most rows belong to (ties go to the earlier family in [`Family::ALL`]), the
    /// counts and the evidence.
    pub fn finish(self) -> Detection {
        let family = self
            .counts
            .iter()
            .fold(
                None::<(Family, u64)>,
                |best, (&family, &count)| match best {
                    Some((_, best_count)) if best_count >= count => best,
                    _ => Some((family, count)),
                },
            )
            .map(|(family, _)| family);
        let mut evidence = Vec::new();
        for (family, count) in &self.counts {
            evidence.push(format!(
                "{count} of {} rows have the keys and value types of {} (first at row {})",
                self.rows,
                family.name(),
                self.first_row_of[family]
            ));
        }
        if self.hh_transcript_rows > 0 {
            evidence.push(format!(
                "{} rows hold HH-RLHF transcripts (\\n\\nHuman: … \\n\\nAssistant:), split into turns",
                self.hh_transcript_rows
            ));
        }
        if self.unknown_rows > 0 {
            evidence.push(format!(
                "{} rows match no supported family",
                self.unknown_rows
            ));
        }
        if self.non_object_rows > 0 {
            evidence.push(format!(
                "{} rows are not JSON objects",
                self.non_object_rows
            ));
        }
        Detection {
            family,
            rows: self.rows,
            counts: self.counts,
            unknown_rows: self.unknown_rows,
            non_object_rows: self.non_object_rows,
            hh_transcript_rows: self.hh_transcript_rows,
            evidence,
        }
    }
}

/// Detects the family over an iterator of parsed rows (convenience over [`FamilyDetector`]).
pub fn detect_family<'a>(rows: impl IntoIterator<Item = &'a Value>) -> Detection {
    let mut detector = FamilyDetector::new();
    for row in rows {
        detector.observe(row);
    }
    detector.finish()
}
