//! Settings of the preference-pair check.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::family::Family;
use super::pair::Role;

/// Which family to read the file as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FormatChoice {
    /// Detect the family over all rows ([`super::FamilyDetector`]).
    #[default]
    Auto,
    /// Read every row as this family; rows of other shapes get `mixed_schema`/`missing_field`.
    #[serde(untagged)]
    Family(Family),
}

/// How a `rank` field orders the candidates of a ranked list (Nectar's `answers[].rank`).
/// Scores and ratings (`ratings`, `overall_score`, `score_*`) are always higher-is-better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RankDirection {
    /// Rank 1 is the best answer (Nectar's convention).
    #[default]
    LowerIsBetter,
    /// The highest rank is the best answer.
    HigherIsBetter,
}

/// Which side an A/B label (SHP `labels`, arena `winner_*`, judge `preference`) designates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AbLabelSide {
    /// The label names the preferred response (SHP `labels = 1` means A is preferred; arena
    /// `winner_model_a = 1` means A won; judge `preference = 1` means `output_1` is better).
    #[default]
    Preferred,
    /// The label names the rejected response.
    Rejected,
}

/// The range scores are given on. Used to lay out the score-margin histogram and to count
/// scores outside it; never to decide which response is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreScale {
    /// Lowest possible score.
    pub min: f64,
    /// Highest possible score.
    pub max: f64,
}

/// Settings of `datasieve prefs`. Every field has a default; unknown keys are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrefsConfig {
    /// `auto` (detect the family over all rows) or a family name such as `standard_explicit`.
    pub format: FormatChoice,
    /// Cannot be inferred, shown in the report: how `rank` fields order ranked lists.
    pub rank_direction: RankDirection,
    /// Cannot be inferred, shown in the report: which side an A/B label points to.
    pub ab_label_side: AbLabelSide,
    /// Cannot be inferred, shown in the report: the score range, if known (`None`: unknown, the
    /// margin histogram spans the observed margins).
    pub score_scale: Option<ScoreScale>,
    /// Cannot be inferred, shown in the report: message role or ShareGPT `from` tag (lower
    /// case) → role. A tag not in the map is a `bad_message`.
    pub role_tags: BTreeMap<String, Role>,
    /// With a value: the trainer's `max_length` in tokens (prompt + completion); enables
    /// `pair_truncated`, `identical_after_truncation` and `prompt_too_long`.
    pub max_length: Option<u64>,
    /// With a value: the trainer's `max_prompt_length` in tokens; enables `prompt_too_long`.
    pub max_prompt_length: Option<u64>,
    /// Look for refusal boilerplate (`refusal_in_chosen` and the refusal-rate statistic).
    pub detect_refusals: bool,
    /// Look for pre-rendered chat-template tokens (`template_tokens`).
    pub detect_template_tokens: bool,
    /// Compare the writing system of prompt and response (`language_mismatch`).
    pub detect_language_mismatch: bool,
    /// Most distinct model names tracked in the chosen × rejected model matrix; further names
    /// are counted under `"(other)"`. Bounds memory on files with free-text model fields.
    pub max_models_in_matrix: usize,
}

impl Default for PrefsConfig {
    fn default() -> Self {
        PrefsConfig {
            format: FormatChoice::Auto,
            rank_direction: RankDirection::default(),
            ab_label_side: AbLabelSide::default(),
            score_scale: None,
            role_tags: default_role_tags(),
            max_length: None,
            max_prompt_length: None,
            detect_refusals: true,
            detect_template_tokens: true,
            detect_language_mismatch: true,
            max_models_in_matrix: 32,
        }
    }
}

/// The default role-tag mapping: OpenAI roles, ShareGPT/LLaMA-Factory tags (`human`, `gpt`,
/// `observation`, `function_call`) and common synonyms.
pub fn default_role_tags() -> BTreeMap<String, Role> {
    [
        ("system", Role::System),
        ("developer", Role::System),
        ("user", Role::User),
        ("human", Role::User),
        ("assistant", Role::Assistant),
        ("gpt", Role::Assistant),
        ("bot", Role::Assistant),
        ("model", Role::Assistant),
        ("chatgpt", Role::Assistant),
        ("function_call", Role::Assistant),
        ("tool", Role::Tool),
        ("function", Role::Tool),
        ("observation", Role::Tool),
        ("ipython", Role::Tool),
    ]
    .into_iter()
    .map(|(tag, role)| (tag.to_string(), role))
    .collect()
}

/// The four settings that cannot be inferred from the data, echoed into the statistics so a
/// reader of the report sees what the checks assumed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssumedSettings {
    /// See [`PrefsConfig::rank_direction`].
    pub rank_direction: RankDirection,
    /// See [`PrefsConfig::ab_label_side`].
    pub ab_label_side: AbLabelSide,
    /// See [`PrefsConfig::score_scale`].
    pub score_scale: Option<ScoreScale>,
    /// See [`PrefsConfig::role_tags`].
    pub role_tags: BTreeMap<String, Role>,
}

impl PrefsConfig {
    /// The four settings that cannot be inferred, for the report.
    pub fn assumed_settings(&self) -> AssumedSettings {
        AssumedSettings {
            rank_direction: self.rank_direction,
            ab_label_side: self.ab_label_side,
            score_scale: self.score_scale,
            role_tags: self.role_tags.clone(),
        }
    }
}
