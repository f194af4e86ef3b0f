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

/// The text compared by `dedup.exact.normalize`: datatrove's `simplify_text` (NFC, lower case,
/// punctuation removed, digits mapped to 0, accents stripped, white space collapsed), so exact
/// dedup and MinHash see the same text.
pub fn dedup_key_text(text: &str) -> String {
    super::simplify::simplify_text(text)
}
