//! The streaming preference-pair checker.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;
use xxhash_rust::xxh3::Xxh3DefaultBuilder;

use super::codes;
use super::config::PrefsConfig;
use super::convert::normalize_row;
use super::family::Family;
use super::pair::{
    FindingDetail, Message, NormalizedPair, NormalizedRow, NormalizedUnpaired, Role,
};
use super::stats::{
    margin_histogram, median_f32, Divergence, LabelBalance, LengthBias, Log2Accumulator,
    PrefsStats, PromptReuse, RefusalRates, SideLengths,
};
use super::text::{
    combine_hashes, comparison_form, find_template_token, first_difference, hash_form, is_refusal,
    is_sentinel_text, languages_differ,
};
use super::tokens::{EstimateTokenCounter, TokenCounter};

/// What the checker found in one row.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RowFindings {
    /// Error codes (each at most once, in the order found). Non-empty means the row is unusable.
    pub errors: Vec<&'static str>,
    /// Warning codes (each at most once, in the order found).
    pub warnings: Vec<&'static str>,
    /// For `duplicate_pair` / `contradiction`: the index of the earlier row.
    pub duplicate_of: Option<u64>,
    /// Where each finding applies (one or more per code).
    pub details: Vec<FindingDetail>,
}

impl RowFindings {
    /// True if the row has no error.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// Records a finding under its code's kind (error or warning).
    fn add(&mut self, detail: FindingDetail) {
        let code = detail.code;
        let list = if codes::is_error_code(code) {
            &mut self.errors
        } else {
            &mut self.warnings
        };
        if !list.contains(&code) {
            list.push(code);
        }
        self.details.push(detail);
    }
}

/// A row's findings and, when it converted, its normalised form (for export or display).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedRow {
    /// The findings.
    pub findings: RowFindings,
    /// The row in normalised form; `None` when it could not be converted.
    pub row: Option<NormalizedRow>,
}

/// A function telling whether a text shares an n-gram with an evaluation set (`--against`);
/// it receives the prompt, chosen and rejected text of a row joined by newlines.
pub type ContaminationProbe = Box<dyn FnMut(&str) -> bool>;

/// Streaming checker: call [`PrefsChecker::check`] for every row in order, then
/// [`PrefsChecker::finish`].
///
/// Duplicates and contradictions are looked up among earlier rows without errors.
/// State per row is fixed width: one 64-bit key → first row index for duplicate and
/// contradiction lookup, one prompt hash → count, and for pairs one `f32` length ratio and, for
/// scored pairs, one `f64` margin: about 40–80 bytes per valid row with hash-table overhead
/// (1 M rows ≈ 40–80 MB). Rows with errors add nothing.
pub struct PrefsChecker {
    config: PrefsConfig,
    family: Option<Family>,
    tokens: Box<dyn TokenCounter>,
    contamination: Option<ContaminationProbe>,
    first_row_of_key: HashMap<u64, u64, Xxh3DefaultBuilder>,
    pairs_per_prompt: HashMap<u64, u32, Xxh3DefaultBuilder>,
    acc: Accumulators,
}

#[derive(Default)]
struct Accumulators {
    rows: u64,
    valid_rows: u64,
    rows_with_errors: u64,
    rows_with_warnings: u64,
    pairs: u64,
    unpaired: u64,
    error_counts: BTreeMap<&'static str, u64>,
    warning_counts: BTreeMap<&'static str, u64>,
    chosen_longer: u64,
    equal_length: u64,
    length_ratios: Vec<f32>,
    chars: [Log2Accumulator; 3],
    tokens: [Log2Accumulator; 3],
    margins: Vec<f64>,
    scores_out_of_scale: u64,
    prompt_user_turns: BTreeMap<u32, u64>,
    model_matrix: BTreeMap<String, BTreeMap<String, u64>>,
    models_seen: BTreeMap<String, ()>,
    refusal_chosen: u64,
    refusal_rejected: u64,
    divergence: Log2Accumulator,
    prefix_pairs: u64,
    desirable: u64,
    undesirable: u64,
}

const PROMPT: usize = 0;
const CHOSEN: usize = 1;
const REJECTED: usize = 2;
const MAX_TRACKED_TURNS: u32 = 20;

/// Text of a message list for length, refusal and divergence purposes: contents joined by
/// newlines (tool calls excluded).
fn joined_content(messages: &[Message]) -> std::borrow::Cow<'_, str> {
    match messages {
        [] => "".into(),
        [only] => only.content.as_str().into(),
        many => many
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n")
            .into(),
    }
}

impl PrefsChecker {
    /// A checker reading rows as `family` (`None`: the file matched no family, every row is
    /// `unknown_schema`), counting tokens with the built-in estimate.
    pub fn new(config: PrefsConfig, family: Option<Family>) -> Self {
        PrefsChecker {
            config,
            family,
            tokens: Box::new(EstimateTokenCounter),
            contamination: None,
            first_row_of_key: HashMap::default(),
            pairs_per_prompt: HashMap::default(),
            acc: Accumulators::default(),
        }
    }

    /// Replaces the token counter (e.g. an exact tokenizer).
    pub fn with_token_counter(mut self, counter: Box<dyn TokenCounter>) -> Self {
        self.tokens = counter;
        self
    }

    /// Enables the `contamination` warning with the given probe.
    pub fn with_contamination_probe(mut self, probe: ContaminationProbe) -> Self {
        self.contamination = Some(probe);
        self
    }

    /// The configuration in use.
    pub fn config(&self) -> &PrefsConfig {
        &self.config
    }

    /// The family rows are read as.
    pub fn family(&self) -> Option<Family> {
        self.family
    }

    /// Records a row the reader could not parse (`parse_error`).
    pub fn check_unparsable(&mut self, _row_index: u64) -> RowFindings {
        let mut findings = RowFindings::default();
        findings.add(FindingDetail::new(codes::PARSE_ERROR));
        self.tally(&findings);
        findings
    }

    /// Checks one parsed row. `row_index` is the row's 0-based position in the file; rows must
    /// come in increasing order for `duplicate_of` to name the earliest row.
    pub fn check(&mut self, row_index: u64, value: &Value) -> RowFindings {
        self.check_row(row_index, value).findings
    }

    /// Like [`PrefsChecker::check`], also returning the normalised row.
    pub fn check_row(&mut self, row_index: u64, value: &Value) -> CheckedRow {
        let mut findings = RowFindings::default();
        let Some(family) = self.family else {
            findings.add(
                FindingDetail::new(codes::UNKNOWN_SCHEMA)
                    .note("the file matches no supported family"),
            );
            self.tally(&findings);
            return CheckedRow {
                findings,
                row: None,
            };
        };
        let converted = match normalize_row(value, family, &self.config) {
            Ok(converted) => converted,
            Err(problems) => {
                for problem in problems {
                    findings.add(problem);
                }
                self.tally(&findings);
                return CheckedRow {
                    findings,
                    row: None,
                };
            }
        };
        for finding in converted.findings {
            findings.add(finding);
        }
        let row = converted.row;
        match &row {
            NormalizedRow::Pair(pair) => self.check_pair(row_index, pair, &mut findings),
            NormalizedRow::Unpaired(unpaired) => {
                self.check_unpaired(row_index, unpaired, &mut findings)
            }
        }
        self.tally(&findings);
        CheckedRow {
            findings,
            row: Some(row),
        }
    }

    fn tally(&mut self, findings: &RowFindings) {
        let acc = &mut self.acc;
        acc.rows += 1;
        for code in &findings.errors {
            *acc.error_counts.entry(code).or_insert(0) += 1;
        }
        for code in &findings.warnings {
            *acc.warning_counts.entry(code).or_insert(0) += 1;
        }
        if findings.errors.is_empty() {
            acc.valid_rows += 1;
        } else {
            acc.rows_with_errors += 1;
        }
        if !findings.warnings.is_empty() {
            acc.rows_with_warnings += 1;
        }
    }

    /// Checks common to both kinds: prompt shape, completion shape, role order, template tokens,
    /// language. `completions` are (field name, messages, empty-code).
    fn check_shape(
        &self,
        prompt: &[Message],
        completions: &[(&str, &[Message], &'static str)],
        findings: &mut RowFindings,
    ) {
        if prompt
            .iter()
            .all(|m| m.role == Role::System || m.is_blank())
        {
            findings.add(FindingDetail::new(codes::EMPTY_PROMPT).field("prompt"));
        }
        if let Some(last) = prompt.last() {
            if !matches!(last.role, Role::User | Role::Tool) {
                findings.add(
                    FindingDetail::new(codes::BAD_LAST_ROLE)
                        .field("prompt")
                        .message(prompt.len() - 1)
                        .note(format!("the prompt ends in a {} turn", last.role.name())),
                );
            }
        }
        for &(field, messages, empty_code) in completions {
            if messages.iter().all(Message::is_blank) {
                findings.add(FindingDetail::new(empty_code).field(field));
            } else if is_sentinel_text(&joined_content(messages))
                && messages.iter().all(|m| m.tool_calls.is_none())
            {
                findings.add(
                    FindingDetail::new(codes::SENTINEL_VALUE)
                        .field(field)
                        .note("the response is a placeholder"),
                );
            }
            let first_bad = messages
                .iter()
                .position(|m| matches!(m.role, Role::User | Role::System));
            let last_not_assistant = messages.last().is_some_and(|m| m.role != Role::Assistant);
            if messages.is_empty()
                || first_bad.is_some()
                || last_not_assistant
                || messages[0].role != Role::Assistant
            {
                let index = first_bad.unwrap_or(messages.len().saturating_sub(1));
                findings.add(
                    FindingDetail::new(codes::BAD_LAST_ROLE)
                        .field(field)
                        .message(index)
                        .note("the completion is not an assistant turn"),
                );
            }
        }
        // Role order over prompt + each completion; reported once per side.
        for &(field, messages, _) in completions {
            let sequence = prompt.iter().chain(messages.iter());
            let mut previous: Option<Role> = None;
            for (index, message) in sequence.enumerate() {
                let problem = match (previous, message.role) {
                    (Some(_), Role::System) => Some("a system turn after the first turn"),
                    (Some(Role::User), Role::User) => Some("two user turns in a row"),
                    (Some(Role::Assistant), Role::Assistant) => {
                        Some("two assistant turns in a row")
                    }
                    _ => None,
                };
                if let Some(problem) = problem {
                    let (side, local) = if index < prompt.len() {
                        ("prompt", index)
                    } else {
                        (field, index - prompt.len())
                    };
                    findings.add(
                        FindingDetail::new(codes::ROLE_ORDER)
                            .field(side)
                            .message(local)
                            .note(problem),
                    );
                    break;
                }
                previous = Some(message.role);
            }
            if findings.details.last().is_some_and(|d| {
                d.code == codes::ROLE_ORDER && d.field.as_deref() == Some("prompt")
            }) {
                break;
            }
        }
        if self.config.detect_template_tokens {
            let sides = std::iter::once(("prompt", prompt))
                .chain(completions.iter().map(|&(f, m, _)| (f, m)));
            'sides: for (field, messages) in sides {
                for (index, message) in messages.iter().enumerate() {
                    if let Some((offset, token)) = find_template_token(&message.content) {
                        findings.add(
                            FindingDetail::new(codes::TEMPLATE_TOKENS)
                                .field(field)
                                .message(index)
                                .at(offset)
                                .note(format!("`{token}` inside content")),
                        );
                        break 'sides;
                    }
                }
            }
        }
        if self.config.detect_language_mismatch {
            if let (Some(user), Some(&(field, first, _))) = (
                prompt.iter().rev().find(|m| m.role == Role::User),
                completions.first(),
            ) {
                if languages_differ(&user.content, &joined_content(first)) {
                    findings.add(
                        FindingDetail::new(codes::LANGUAGE_MISMATCH)
                            .field(field)
                            .note("prompt and response are written in different scripts"),
                    );
                }
            }
        }
    }

    fn check_pair(&mut self, row_index: u64, pair: &NormalizedPair, findings: &mut RowFindings) {
        self.check_shape(
            &pair.prompt,
            &[
                ("chosen", &pair.chosen, codes::EMPTY_CHOSEN),
                ("rejected", &pair.rejected, codes::EMPTY_REJECTED),
            ],
            findings,
        );
        let chosen_form = comparison_form(&pair.chosen);
        let rejected_form = comparison_form(&pair.rejected);
        let both_blank = pair.chosen.iter().all(Message::is_blank)
            && pair.rejected.iter().all(Message::is_blank);
        if chosen_form == rejected_form && !both_blank {
            findings.add(FindingDetail::new(codes::IDENTICAL_PAIR).field("rejected"));
        }
        for (field, score) in [
            ("score_chosen", pair.score_chosen),
            ("score_rejected", pair.score_rejected),
        ] {
            if score == Some(-100.0) && !findings.errors.contains(&codes::SENTINEL_VALUE) {
                findings.add(
                    FindingDetail::new(codes::SENTINEL_VALUE)
                        .field(field)
                        .note("score is -100"),
                );
            }
        }
        if let (Some(chosen), Some(rejected)) = (pair.score_chosen, pair.score_rejected) {
            if chosen < rejected {
                findings.add(
                    FindingDetail::new(codes::SCORE_INVERTED)
                        .field("score_chosen")
                        .note(format!("chosen scored {chosen}, rejected {rejected}")),
                );
            } else if chosen == rejected && !pair.tie {
                findings.add(
                    FindingDetail::new(codes::SCORE_TIE).note(format!("both scored {chosen}")),
                );
            }
        }
        if pair.tie {
            findings.add(
                FindingDetail::new(codes::SCORE_TIE).note("the row's label or ranking is a tie"),
            );
        }
        let chosen_text = joined_content(&pair.chosen);
        let rejected_text = joined_content(&pair.rejected);
        let refusal = self
            .config
            .detect_refusals
            .then(|| (is_refusal(&chosen_text), is_refusal(&rejected_text)));
        if refusal.is_some_and(|(chosen, _)| chosen) {
            findings.add(FindingDetail::new(codes::REFUSAL_IN_CHOSEN).field("chosen"));
        }
        let prompt_tokens: u64 = pair
            .prompt
            .iter()
            .map(|m| self.tokens.count(&m.content))
            .sum();
        let chosen_tokens = self.tokens.count(&chosen_text);
        let rejected_tokens = self.tokens.count(&rejected_text);
        self.check_lengths(
            prompt_tokens,
            &[
                (&chosen_text, chosen_tokens),
                (&rejected_text, rejected_tokens),
            ],
            findings,
        );
        self.check_contamination(&pair.prompt, &[&chosen_text, &rejected_text], findings);

        let prompt_hash = hash_form(&comparison_form(&pair.prompt));
        let chosen_hash = hash_form(&chosen_form);
        let rejected_hash = hash_form(&rejected_form);
        let key = combine_hashes(b'P', &[prompt_hash, chosen_hash, rejected_hash]);
        let swapped = combine_hashes(b'P', &[prompt_hash, rejected_hash, chosen_hash]);
        self.check_repeats(row_index, key, swapped, findings);

        if !findings.is_valid() {
            return;
        }
        // Distribution statistics over usable pairs.
        let acc = &mut self.acc;
        acc.pairs += 1;
        *self.pairs_per_prompt.entry(prompt_hash).or_insert(0) += 1;
        let prompt_chars: u64 = pair
            .prompt
            .iter()
            .map(|m| m.content.chars().count() as u64)
            .sum();
        let chosen_chars = chosen_text.chars().count() as u64;
        let rejected_chars = rejected_text.chars().count() as u64;
        acc.chars[PROMPT].add(prompt_chars);
        acc.chars[CHOSEN].add(chosen_chars);
        acc.chars[REJECTED].add(rejected_chars);
        acc.tokens[PROMPT].add(prompt_tokens);
        acc.tokens[CHOSEN].add(chosen_tokens);
        acc.tokens[REJECTED].add(rejected_tokens);
        if chosen_chars > rejected_chars {
            acc.chosen_longer += 1;
        } else if chosen_chars == rejected_chars {
            acc.equal_length += 1;
        }
        if rejected_chars > 0 {
            acc.length_ratios
                .push(chosen_chars as f32 / rejected_chars as f32);
        }
        if let (Some(chosen), Some(rejected)) = (pair.score_chosen, pair.score_rejected) {
            acc.margins.push(chosen - rejected);
            if let Some(scale) = self.config.score_scale {
                acc.scores_out_of_scale += [chosen, rejected]
                    .iter()
                    .filter(|&&s| s < scale.min || s > scale.max)
                    .count() as u64;
            }
        }
        let user_turns = pair.prompt.iter().filter(|m| m.role == Role::User).count() as u32;
        *acc.prompt_user_turns
            .entry(user_turns.min(MAX_TRACKED_TURNS))
            .or_insert(0) += 1;
        if pair.model_chosen.is_some() || pair.model_rejected.is_some() {
            let chosen_model = Self::matrix_name(acc, &self.config, pair.model_chosen.as_deref());
            let rejected_model =
                Self::matrix_name(acc, &self.config, pair.model_rejected.as_deref());
            *acc.model_matrix
                .entry(chosen_model)
                .or_default()
                .entry(rejected_model)
                .or_insert(0) += 1;
        }
        if let Some((chosen, rejected)) = refusal {
            acc.refusal_chosen += chosen as u64;
            acc.refusal_rejected += rejected as u64;
        }
        if let Some(offset) = first_difference(&chosen_text, &rejected_text) {
            acc.divergence.add(offset as u64);
            if offset as u64 == chosen_chars.min(rejected_chars) {
                acc.prefix_pairs += 1;
            }
        }
    }

    fn matrix_name(acc: &mut Accumulators, config: &PrefsConfig, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "(unknown)".into();
        };
        if acc.models_seen.contains_key(name) {
            return name.to_string();
        }
        if acc.models_seen.len() < config.max_models_in_matrix {
            acc.models_seen.insert(name.to_string(), ());
            return name.to_string();
        }
        "(other)".into()
    }

    fn check_unpaired(
        &mut self,
        row_index: u64,
        row: &NormalizedUnpaired,
        findings: &mut RowFindings,
    ) {
        // A desirable completion plays the chosen role, an undesirable one the rejected role.
        let (field, empty_code) = if row.label {
            ("chosen", codes::EMPTY_CHOSEN)
        } else {
            ("rejected", codes::EMPTY_REJECTED)
        };
        self.check_shape(
            &row.prompt,
            &[(field, &row.completion, empty_code)],
            findings,
        );
        let completion_text = joined_content(&row.completion);
        let refusal = self.config.detect_refusals && is_refusal(&completion_text);
        if refusal && row.label {
            findings.add(FindingDetail::new(codes::REFUSAL_IN_CHOSEN).field("completion"));
        }
        let prompt_tokens: u64 = row
            .prompt
            .iter()
            .map(|m| self.tokens.count(&m.content))
            .sum();
        let completion_tokens = self.tokens.count(&completion_text);
        self.check_lengths(
            prompt_tokens,
            &[(&completion_text, completion_tokens)],
            findings,
        );
        self.check_contamination(&row.prompt, &[&completion_text], findings);

        let prompt_hash = hash_form(&comparison_form(&row.prompt));
        let completion_hash = hash_form(&comparison_form(&row.completion));
        let key = combine_hashes(b'K', &[prompt_hash, completion_hash, row.label as u64]);
        let opposite = combine_hashes(b'K', &[prompt_hash, completion_hash, !row.label as u64]);
        self.check_repeats(row_index, key, opposite, findings);

        if !findings.is_valid() {
            return;
        }
        let acc = &mut self.acc;
        acc.unpaired += 1;
        *self.pairs_per_prompt.entry(prompt_hash).or_insert(0) += 1;
        let side = if row.label { CHOSEN } else { REJECTED };
        acc.chars[PROMPT].add(
            row.prompt
                .iter()
                .map(|m| m.content.chars().count() as u64)
                .sum(),
        );
        acc.chars[side].add(completion_text.chars().count() as u64);
        acc.tokens[PROMPT].add(prompt_tokens);
        acc.tokens[side].add(completion_tokens);
        let user_turns = row.prompt.iter().filter(|m| m.role == Role::User).count() as u32;
        *acc.prompt_user_turns
            .entry(user_turns.min(MAX_TRACKED_TURNS))
            .or_insert(0) += 1;
        if row.label {
            acc.desirable += 1;
            acc.refusal_chosen += refusal as u64;
        } else {
            acc.undesirable += 1;
            acc.refusal_rejected += refusal as u64;
        }
    }

    /// `prompt_too_long`, `pair_truncated` and `identical_after_truncation` for a trainer
    /// that truncates the prompt to `max_prompt_length` and the sequence to `max_length`,
    /// keeping the start.
    fn check_lengths(
        &self,
        prompt_tokens: u64,
        completions: &[(&str, u64)],
        findings: &mut RowFindings,
    ) {
        let max_length = self.config.max_length;
        let max_prompt = self.config.max_prompt_length;
        let prompt_over = max_prompt
            .filter(|&m| prompt_tokens > m)
            .map(|m| format!("limit max_prompt_length {m}"));
        let fills_sequence = max_length
            .filter(|&n| prompt_tokens >= n)
            .map(|n| format!("nothing left of max_length {n}"));
        if let Some(why) = prompt_over.or(fills_sequence) {
            findings.add(
                FindingDetail::new(codes::PROMPT_TOO_LONG)
                    .field("prompt")
                    .note(format!("{prompt_tokens} prompt tokens, {why}")),
            );
        }
        let Some(max_length) = max_length else { return };
        let kept_prompt = prompt_tokens.min(max_prompt.unwrap_or(u64::MAX));
        let budget = max_length.saturating_sub(kept_prompt);
        let truncated = completions
            .iter()
            .any(|&(_, tokens)| kept_prompt + tokens > max_length)
            || kept_prompt < prompt_tokens;
        if completions
            .iter()
            .any(|&(_, tokens)| prompt_tokens + tokens > max_length)
        {
            findings.add(FindingDetail::new(codes::PAIR_TRUNCATED).note(format!(
                "prompt {prompt_tokens} + completion {} tokens, max_length {max_length}",
                completions.iter().map(|c| c.1).max().unwrap_or(0)
            )));
        }
        if let [(chosen, _), (rejected, _)] = completions {
            if truncated && chosen != rejected {
                let kept_chosen = &chosen[..self.tokens.prefix_len(chosen, budget)];
                let kept_rejected = &rejected[..self.tokens.prefix_len(rejected, budget)];
                let mut a = String::new();
                let mut b = String::new();
                super::text::push_comparison_form(kept_chosen, &mut a);
                super::text::push_comparison_form(kept_rejected, &mut b);
                if a == b {
                    findings.add(FindingDetail::new(codes::IDENTICAL_AFTER_TRUNCATION).note(
                        format!("{budget} tokens left for the completion after the prompt"),
                    ));
                }
            }
        }
    }

    fn check_contamination(
        &mut self,
        prompt: &[Message],
        completions: &[&str],
        findings: &mut RowFindings,
    ) {
        let Some(probe) = self.contamination.as_mut() else {
            return;
        };
        let mut text = joined_content(prompt).into_owned();
        for completion in completions {
            text.push('\n');
            text.push_str(completion);
        }
        if probe(&text) {
            findings.add(FindingDetail::new(codes::CONTAMINATION));
        }
    }

    /// `duplicate_pair` if `key` was seen, else `contradiction` if `opposite` was; records the
    /// first row of `key`. Only rows without errors take part: a row with an error is not
    /// trained on, so repeating it teaches nothing twice (and an implicit row with a
    /// `prompt_mismatch` has no single prompt to key on).
    fn check_repeats(
        &mut self,
        row_index: u64,
        key: u64,
        opposite: u64,
        findings: &mut RowFindings,
    ) {
        if !findings.is_valid() {
            return;
        }
        if let Some(&earlier) = self.first_row_of_key.get(&key) {
            findings.duplicate_of = Some(earlier);
            findings.add(
                FindingDetail::new(codes::DUPLICATE_PAIR).note(format!("same as row {earlier}")),
            );
            return;
        }
        self.first_row_of_key.insert(key, row_index);
        if key != opposite {
            if let Some(&earlier) = self.first_row_of_key.get(&opposite) {
                findings.duplicate_of = Some(earlier);
                findings.add(
                    FindingDetail::new(codes::CONTRADICTION)
                        .note(format!("row {earlier} says the opposite")),
                );
            }
        }
    }

    /// The statistics of all rows checked.
    pub fn finish(self) -> PrefsStats {
        let mut acc = self.acc;
        let pairs = acc.pairs;
        let share = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64);
        let mut pairs_per_prompt: BTreeMap<String, u64> = BTreeMap::new();
        let mut max_pairs_per_prompt = 0u64;
        for &count in self.pairs_per_prompt.values() {
            max_pairs_per_prompt = max_pairs_per_prompt.max(count as u64);
            let key = if count >= 10 {
                "10+".to_string()
            } else {
                count.to_string()
            };
            *pairs_per_prompt.entry(key).or_insert(0) += 1;
        }
        let side_lengths = |accs: &[Log2Accumulator; 3]| SideLengths {
            prompt: accs[PROMPT].finish(),
            chosen: accs[CHOSEN].finish(),
            rejected: accs[REJECTED].finish(),
        };
        let family = self.family;
        PrefsStats {
            family,
            settings: self.config.assumed_settings(),
            token_counting: self.tokens.method(),
            max_length: self.config.max_length,
            max_prompt_length: self.config.max_prompt_length,
            rows: acc.rows,
            valid_rows: acc.valid_rows,
            rows_with_errors: acc.rows_with_errors,
            rows_with_warnings: acc.rows_with_warnings,
            pairs,
            unpaired: acc.unpaired,
            error_counts: acc.error_counts,
            warning_counts: acc.warning_counts,
            length_bias: LengthBias {
                pairs,
                chosen_longer_share: share(acc.chosen_longer, pairs),
                equal_length_share: share(acc.equal_length, pairs),
                median_length_ratio: median_f32(&mut acc.length_ratios),
            },
            length_chars: side_lengths(&acc.chars),
            length_tokens: side_lengths(&acc.tokens),
            score_margin: margin_histogram(
                &mut acc.margins,
                self.config.score_scale,
                acc.scores_out_of_scale,
            ),
            prompts: PromptReuse {
                unique_prompts: self.pairs_per_prompt.len() as u64,
                pairs_per_prompt,
                max_pairs_per_prompt,
            },
            prompt_user_turns: acc.prompt_user_turns,
            model_matrix: acc.model_matrix,
            refusals: self.config.detect_refusals.then(|| {
                // KTO rows: desirable completions play the chosen role, undesirable the rejected.
                let (chosen_examined, rejected_examined) = if family == Some(Family::Kto) {
                    (acc.desirable, acc.undesirable)
                } else {
                    (pairs, pairs)
                };
                RefusalRates {
                    chosen_examined,
                    rejected_examined,
                    chosen: acc.refusal_chosen,
                    rejected: acc.refusal_rejected,
                    chosen_rate: share(acc.refusal_chosen, chosen_examined),
                    rejected_rate: share(acc.refusal_rejected, rejected_examined),
                }
            }),
            first_divergence: Divergence {
                offsets: acc.divergence.finish(),
                median_bucket_start: acc.divergence.median_bucket_start(),
                prefix_pairs: acc.prefix_pairs,
            },
            kto_labels: (family == Some(Family::Kto)).then(|| LabelBalance {
                desirable: acc.desirable,
                undesirable: acc.undesirable,
                desirable_share: share(acc.desirable, acc.desirable + acc.undesirable),
            }),
        }
    }
}
