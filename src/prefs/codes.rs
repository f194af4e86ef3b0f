//! The reason (error) and warning codes of the preference-pair check, exactly as issue 5 names
//! them. They are a stable public vocabulary: a code keeps its meaning once released.
//!
//! Errors make a row unusable for training (`datasieve prefs` exits 1 if any row has one);
//! warnings flag rows a trainer would accept but that probably teach the wrong thing.

// ---------------------------------------------------------------- errors

/// The row could not be read as a JSON record (broken JSON, invalid UTF-8, line too long). The
/// pipeline's reader reports it; [`crate::prefs::PrefsChecker::check_unparsable`] records it.
pub const PARSE_ERROR: &str = "parse_error";
/// The row (or, when the file's family is unknown, the whole file) matches no supported family.
pub const UNKNOWN_SCHEMA: &str = "unknown_schema";
/// The row belongs to a different family than the file's, or a field has a different JSON type
/// than the file's family requires (e.g. `chosen` is a message list in a string family).
pub const MIXED_SCHEMA: &str = "mixed_schema";
/// A key the file's family requires is absent or `null`.
pub const MISSING_FIELD: &str = "missing_field";
/// A message whose role is missing or unknown after role-tag mapping, or whose content is not
/// text (neither a string, a list of text parts, nor `null` beside `tool_calls`).
pub const BAD_MESSAGE: &str = "bad_message";
/// The prompt is empty or white space only.
pub const EMPTY_PROMPT: &str = "empty_prompt";
/// The chosen response is empty or white space only.
pub const EMPTY_CHOSEN: &str = "empty_chosen";
/// The rejected response is empty or white space only.
pub const EMPTY_REJECTED: &str = "empty_rejected";
/// Chosen equals rejected after white-space collapse and Unicode NFC: DPO's loss is a constant
/// ln 2 with no gradient.
pub const IDENTICAL_PAIR: &str = "identical_pair";
/// Implicit-prompt formats: the chosen and rejected sides differ before their last assistant
/// turn, so there is no single shared prompt.
pub const PROMPT_MISMATCH: &str = "prompt_mismatch";
/// The prompt does not end in a user or tool turn, or a completion is not an assistant turn.
pub const BAD_LAST_ROLE: &str = "bad_last_role";
/// Two user or two assistant turns in a row, or a system turn that is not the first turn.
pub const ROLE_ORDER: &str = "role_order";
/// A KTO label that is not a JSON boolean (`"true"`, `1`, ...).
pub const LABEL_NOT_BOOL: &str = "label_not_bool";
/// The chosen response's score is below the rejected response's.
pub const SCORE_INVERTED: &str = "score_inverted";
/// A score of −100, or a whole response that is "N/A" or "None".
pub const SENTINEL_VALUE: &str = "sentinel_value";

// ---------------------------------------------------------------- warnings

/// Chosen and rejected have equal scores, or an A/B label says "tie".
pub const SCORE_TIE: &str = "score_tie";
/// Same prompt, chosen and rejected as an earlier row (KTO: same prompt, completion and label);
/// `duplicate_of` names the earlier row.
pub const DUPLICATE_PAIR: &str = "duplicate_pair";
/// An earlier row has the same prompt with chosen and rejected swapped (KTO: same prompt and
/// completion with the opposite label); `duplicate_of` names the earlier row.
pub const CONTRADICTION: &str = "contradiction";
/// The prompt is longer than `max_prompt_length` tokens (or alone fills `max_length`).
pub const PROMPT_TOO_LONG: &str = "prompt_too_long";
/// Prompt plus chosen or prompt plus rejected is longer than `max_length` tokens.
pub const PAIR_TRUNCATED: &str = "pair_truncated";
/// After the truncation a trainer keeping the start of the sequence would do, chosen and
/// rejected are identical.
pub const IDENTICAL_AFTER_TRUNCATION: &str = "identical_after_truncation";
/// Pre-rendered chat-template or end-of-sequence tokens (`<|im_start|>`, `[INST]`,
/// `<|eot_id|>`, `</s>`, ...) inside message content.
pub const TEMPLATE_TOKENS: &str = "template_tokens";
/// Refusal or "as an AI language model" boilerplate in the chosen response.
pub const REFUSAL_IN_CHOSEN: &str = "refusal_in_chosen";
/// Prompt and response are written in different languages (script-based heuristic).
pub const LANGUAGE_MISMATCH: &str = "language_mismatch";
/// With an evaluation set: the row shares a 13-gram with it.
pub const CONTAMINATION: &str = "contamination";

/// Every error code, in the order above.
pub const ERROR_CODES: &[&str] = &[
    PARSE_ERROR,
    UNKNOWN_SCHEMA,
    MIXED_SCHEMA,
    MISSING_FIELD,
    BAD_MESSAGE,
    EMPTY_PROMPT,
    EMPTY_CHOSEN,
    EMPTY_REJECTED,
    IDENTICAL_PAIR,
    PROMPT_MISMATCH,
    BAD_LAST_ROLE,
    ROLE_ORDER,
    LABEL_NOT_BOOL,
    SCORE_INVERTED,
    SENTINEL_VALUE,
];

/// Every warning code, in the order above.
pub const WARNING_CODES: &[&str] = &[
    SCORE_TIE,
    DUPLICATE_PAIR,
    CONTRADICTION,
    PROMPT_TOO_LONG,
    PAIR_TRUNCATED,
    IDENTICAL_AFTER_TRUNCATION,
    TEMPLATE_TOKENS,
    REFUSAL_IN_CHOSEN,
    LANGUAGE_MISMATCH,
    CONTAMINATION,
];

/// True if `code` is one of [`ERROR_CODES`].
pub fn is_error_code(code: &str) -> bool {
    ERROR_CODES.contains(&code)
}
