//! Text helpers of the preference checks: comparison keys, divergence, template tokens,
//! refusals and a writing-system heuristic for language mismatch.

use std::sync::OnceLock;

use regex::Regex;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
use xxhash_rust::xxh3::Xxh3;

use super::pair::Message;

/// Offset in chars of the first char where `a` and `b` differ; `None` if they are equal. If
/// one is a prefix of the other, the offset is the shorter one's length.
pub fn first_difference(a: &str, b: &str) -> Option<usize> {
    if a == b {
        return None;
    }
    let mut chars_a = a.chars();
    let mut chars_b = b.chars();
    let mut offset = 0;
    loop {
        match (chars_a.next(), chars_b.next()) {
            (Some(x), Some(y)) if x == y => offset += 1,
            _ => return Some(offset),
        }
    }
}

/// Appends `text` to `out` in comparison form: Unicode NFC, runs of white space collapsed to
/// one space, trimmed. ASCII and already-NFC text skip the normalisation pass.
pub fn push_comparison_form(text: &str, out: &mut String) {
    if text.is_ascii() {
        push_ascii_words(text, out);
    } else if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        push_words(text, out);
    } else {
        let normalized: String = text.nfc().collect();
        push_words(&normalized, out);
    }
}

/// Separates a new word from what `out` holds (nothing at the start or after a `\u{1}` field
/// separator).
fn push_separator(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\u{1}') {
        out.push(' ');
    }
}

fn push_words(source: &str, out: &mut String) {
    for word in source.split_whitespace() {
        push_separator(out);
        out.push_str(word);
    }
}

/// [`push_words`] for ASCII text, on bytes: the same words (the ASCII characters with the
/// Unicode White_Space property are exactly these six), several times faster than decoding
/// chars.
fn push_ascii_words(source: &str, out: &mut String) {
    let bytes = source.as_bytes();
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r');
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !is_space(bytes[i]) {
            i += 1;
        }
        if start < i {
            push_separator(out);
            out.push_str(&source[start..i]);
        }
    }
}

/// The comparison form of one completion or prompt: each message as role, content (comparison
/// form) and tool calls, separated by control characters that never occur in the forms.
pub fn comparison_form(messages: &[Message]) -> String {
    let mut out = String::new();
    for message in messages {
        out.push('\u{1}');
        out.push_str(message.role.name());
        out.push('\u{1}');
        push_comparison_form(&message.content, &mut out);
        if let Some(calls) = &message.tool_calls {
            out.push('\u{2}');
            out.push_str(&calls.to_string());
        }
    }
    out
}

/// A fixed-seed 64-bit hash of a comparison form (deterministic across runs and platforms).
pub fn hash_form(form: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(form.as_bytes())
}

/// Combines component hashes into one key, with a tag keeping pair and KTO keys apart.
pub fn combine_hashes(tag: u8, parts: &[u64]) -> u64 {
    let mut hasher = Xxh3::new();
    hasher.update(&[tag]);
    for part in parts {
        hasher.update(&part.to_le_bytes());
    }
    hasher.digest()
}

/// Chat-template and end-of-sequence tokens that should never be inside message content: the
/// trainer renders the template itself, so these would be doubled or tokenized as text.
fn template_token_regex() -> &'static Regex {
    static REGEX: OnceLock<Regex> = OnceLock::new();
    REGEX.get_or_init(|| {
        Regex::new(concat!(
            r"<\|(?:im_start|im_end|eot_id|start_header_id|end_header_id|begin_of_text|end_of_text|endoftext|",
            r"eom_id|system|user|assistant|end|im_sep|fim_prefix|fim_middle|fim_suffix)\|>",
            r"|\[/?INST\]|<</?SYS>>|</s>|<start_of_turn>|<end_of_turn>|<｜(?:begin|end)▁of▁sentence｜>",
            r"|<｜(?:User|Assistant)｜>"
        ))
        .expect("template-token pattern is valid")
    })
}

/// The first template token in `text`: (char offset, token).
pub fn find_template_token(text: &str) -> Option<(usize, &str)> {
    // Every listed token contains `<` or `[`; most content has neither near a match, so the
    // cheap byte test skips the regex for the common case.
    if !text.as_bytes().iter().any(|&b| b == b'<' || b == b'[') {
        return None;
    }
    template_token_regex()
        .find(text)
        .map(|m| (text[..m.start()].chars().count(), m.as_str()))
}

/// Refusal and AI-boilerplate phrases (English), matched case-insensitively with straight or
/// curly apostrophes. Word boundaries are ASCII (`(?-u:\b)`): a Unicode `\b` would push the
/// regex engine off its DFA onto a much slower engine for any non-ASCII text.
fn refusal_regex() -> &'static Regex {
    static REGEX: OnceLock<Regex> = OnceLock::new();
    REGEX.get_or_init(|| {
        Regex::new(concat!(
            r"(?i)(?-u:\b)as an ai(?: language model| assistant| model)?(?-u:\b)|(?-u:\b)as a language model(?-u:\b)",
            r"|(?-u:\b)i(?:'|’)?m (?:sorry|afraid),? (?:but )?i (?:can(?:'|’)?t|cannot|am unable|won(?:'|’)?t)",
            r"|(?-u:\b)i (?:can(?:'|’)?t|cannot|won(?:'|’)?t|will not|am unable to|(?:'|’)m unable to|am not able to|(?:'|’)m not able to) ",
            r"(?:help|assist|provide|fulfil|fulfill|comply|answer|do that|support|engage|create|generate|write|give)",
            r"|(?-u:\b)i apologi[sz]e,? but(?-u:\b)|(?-u:\b)i(?:'|’)?m not comfortable(?-u:\b)|(?-u:\b)i must (?:decline|refuse)(?-u:\b)",
            r"|(?-u:\b)i do not feel comfortable(?-u:\b)|(?-u:\b)against my (?:programming|guidelines)(?-u:\b)"
        ))
        .expect("refusal pattern is valid")
    })
}

/// True if `text` contains refusal or "as an AI language model" boilerplate.
pub fn is_refusal(text: &str) -> bool {
    refusal_regex().is_match(text)
}

/// The writing system a text is mostly written in, by counting letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Script {
    /// Latin letters.
    Latin,
    /// Cyrillic letters.
    Cyrillic,
    /// Greek letters.
    Greek,
    /// Arabic letters.
    Arabic,
    /// Hebrew letters.
    Hebrew,
    /// Devanagari and other Indic scripts.
    Indic,
    /// Thai letters.
    Thai,
    /// Han ideographs (Chinese; Japanese kanji count as Japanese when kana are present).
    Han,
    /// Hiragana and katakana (Japanese).
    Kana,
    /// Hangul (Korean).
    Hangul,
}

const SCRIPT_COUNT: usize = 10;

fn script_of(c: char) -> Option<Script> {
    let code = c as u32;
    Some(match code {
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF => Script::Latin,
        0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
        0x400..=0x52F => Script::Cyrillic,
        0x590..=0x5FF => Script::Hebrew,
        0x600..=0x6FF | 0x750..=0x77F => Script::Arabic,
        0x900..=0xDFF => Script::Indic,
        0xE00..=0xE7F => Script::Thai,
        0x3040..=0x30FF => Script::Kana,
        0x1100..=0x11FF | 0xAC00..=0xD7AF => Script::Hangul,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF => Script::Han,
        _ => return None,
    })
}

/// Letter counts per script, where one Han, kana or Hangul character weighs as much as three
/// Latin letters (roughly one word), so a Chinese answer with some code stays Chinese.
fn script_weights(text: &str) -> [u32; SCRIPT_COUNT] {
    let mut weights = [0u32; SCRIPT_COUNT];
    if text.is_ascii() {
        weights[Script::Latin as usize] =
            text.bytes().filter(u8::is_ascii_alphabetic).count() as u32;
        return weights;
    }
    for c in text.chars() {
        if let Some(script) = script_of(c) {
            let weight = match script {
                Script::Han | Script::Kana | Script::Hangul => 3,
                _ => 1,
            };
            weights[script as usize] += weight;
        }
    }
    // Kanji inside Japanese text count as Japanese; a few kana inside Chinese text (a
    // transliterated name) do not make it Japanese.
    let kana = weights[Script::Kana as usize];
    if kana > 0 && kana * 10 >= kana + weights[Script::Han as usize] {
        weights[Script::Kana as usize] += weights[Script::Han as usize];
        weights[Script::Han as usize] = 0;
    }
    weights
}

const ALL_SCRIPTS: [Script; SCRIPT_COUNT] = [
    Script::Latin,
    Script::Cyrillic,
    Script::Greek,
    Script::Arabic,
    Script::Hebrew,
    Script::Indic,
    Script::Thai,
    Script::Han,
    Script::Kana,
    Script::Hangul,
];

/// Minimum weighted letter count for a text to have a language at all.
const MIN_LETTERS: u32 = 20;
/// A script is "used noticeably" in a text from this share of its weighted letters ...
const PRESENCE_SHARE: f64 = 0.15;
/// ... or from this many weighted letters (a one-sentence instruction around a long passage).
const PRESENCE_LETTERS: u32 = 60;

/// Words that mark a translation request, where prompt and response differ in language on
/// purpose (English, Chinese, German, French/Spanish/Portuguese/Italian stems).
fn asks_for_translation(prompt: &str) -> bool {
    static REGEX: OnceLock<Regex> = OnceLock::new();
    REGEX
        .get_or_init(|| {
            Regex::new(r"(?i)translat|翻译|翻譯|übersetz|tradu")
                .expect("translation pattern is valid")
        })
        .is_match(prompt)
}

/// The language check, behind one function so a language-ID model can replace it: true if
/// `prompt` and `response` are mostly written in different scripts and neither uses the
/// other's script noticeably (15 % of its letters, or 60 letters with CJK characters counting
/// three). Short texts (under 20 weighted letters) and translation requests never mismatch.
/// Languages sharing a script (English vs French) are not told apart.
pub fn languages_differ(prompt: &str, response: &str) -> bool {
    let prompt_weights = script_weights(prompt);
    let response_weights = script_weights(response);
    let prompt_total: u32 = prompt_weights.iter().sum();
    let response_total: u32 = response_weights.iter().sum();
    if prompt_total < MIN_LETTERS || response_total < MIN_LETTERS {
        return false;
    }
    let dominant = |weights: &[u32; SCRIPT_COUNT]| {
        ALL_SCRIPTS
            .into_iter()
            .max_by_key(|&s| (weights[s as usize], std::cmp::Reverse(s as usize)))
            .unwrap_or(Script::Latin)
    };
    let prompt_script = dominant(&prompt_weights);
    let response_script = dominant(&response_weights);
    if prompt_script == response_script {
        return false;
    }
    let present = |weights: &[u32; SCRIPT_COUNT], total: u32, script: Script| {
        let weight = weights[script as usize];
        weight >= PRESENCE_LETTERS || weight as f64 / total as f64 >= PRESENCE_SHARE
    };
    !present(&response_weights, response_total, prompt_script)
        && !present(&prompt_weights, prompt_total, response_script)
        && !asks_for_translation(prompt)
}

/// True for a whole response that is a placeholder: "N/A" or "None" (any case, trimmed).
pub fn is_sentinel_text(text: &str) -> bool {
    let trimmed = text.trim();
    trimmed.eq_ignore_ascii_case("n/a") || trimmed.eq_ignore_ascii_case("none")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_counts_chars_not_bytes() {
        assert_eq!(first_difference("héllo", "héllx"), Some(4));
        assert_eq!(first_difference("abc", "abc"), None);
        assert_eq!(first_difference("abc", "abcd"), Some(3));
    }

    #[test]
    fn ascii_fast_path_splits_like_unicode_white_space() {
        let text = " a\tb\x0Bc\x0C d\r\n e  ";
        let mut fast = String::new();
        push_ascii_words(text, &mut fast);
        let mut slow = String::new();
        push_words(text, &mut slow);
        assert_eq!(fast, slow);
        assert_eq!(fast, "a b c d e");
    }

    #[test]
    fn comparison_form_collapses_space_and_composes() {
        let mut a = String::new();
        push_comparison_form("  Cafe\u{301}   au\n\tlait ", &mut a);
        assert_eq!(a, "Caf\u{e9} au lait");
    }

    #[test]
    fn template_tokens_are_found_with_offsets() {
        assert_eq!(
            find_template_token("héllo <|im_end|> x"),
            Some((6, "<|im_end|>"))
        );
        assert_eq!(find_template_token("[INST] hi"), Some((0, "[INST]")));
        assert_eq!(find_template_token("a </s>"), Some((2, "</s>")));
        assert_eq!(find_template_token("a <b>list</b> [1]"), None);
    }

    #[test]
    fn refusals_are_recognised() {
        assert!(is_refusal("As an AI language model, I cannot do that."));
        assert!(is_refusal("I’m sorry, but I can’t help with that."));
        assert!(is_refusal("I cannot provide instructions for this."));
        assert!(!is_refusal("Here is a recipe for bread."));
        assert!(!is_refusal("I can help you with that!"));
    }

    #[test]
    fn script_mismatch_needs_clear_difference() {
        let english = "Please explain how photosynthesis works in plants.";
        let chinese = "光合作用是植物利用阳光把二氧化碳和水转化为葡萄糖和氧气的过程。";
        assert!(languages_differ(english, chinese));
        assert!(!languages_differ(
            chinese,
            "光合作用是植物利用光能的过程，例如 `print(x)` 这样的代码不影响判断。"
        ));
        assert!(!languages_differ(
            english,
            "Photosynthesis converts light into chemical energy."
        ));
        assert!(!languages_differ("hi", "你好"));
        // An English instruction around a Chinese passage, answered in English: no mismatch.
        let passage = chinese.repeat(4);
        assert!(!languages_differ(&format!("Given a passage in simplified Chinese, generate a reading comprehension question whose answer is in the passage.\n{passage}"), english));
        // Translation requests differ on purpose.
        assert!(!languages_differ(
            &format!("把这句话翻译成英文：{chinese}"),
            english
        ));
        // A Chinese text mentioning a katakana name stays Chinese.
        assert!(!languages_differ(
            &format!("路易吉（日语：ルイージ）{passage}"),
            chinese
        ));
    }

    #[test]
    fn sentinels() {
        assert!(is_sentinel_text(" N/A "));
        assert!(is_sentinel_text("None"));
        assert!(!is_sentinel_text("None of the above."));
    }
}
