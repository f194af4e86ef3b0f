//! Whitespace and Unicode normalisation used for exact-duplicate keys.

use unicode_normalization::UnicodeNormalization;

/// Unicode NFC with runs of white space collapsed to one ASCII space and trimmed.
pub fn nfc_collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.nfc().collect::<String>().split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The text compared by `dedup.exact.normalize`: lower case, punctuation dropped, white space
/// collapsed (datatrove's `simplify_text` once the text layer provides it).
pub fn dedup_key_text(text: &str) -> String {
    let lowered: String = text
        .nfc()
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    nfc_collapse_whitespace(&lowered)
}
