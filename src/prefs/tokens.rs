//! Token counting for the length checks: a pluggable [`TokenCounter`] and the built-in
//! estimate used when no tokenizer is given.

use serde::Serialize;

/// Counts tokens of message content. Counts exclude chat-template overhead (role headers,
/// separators), which depends on the model's template.
pub trait TokenCounter {
    /// How counts are obtained, for the report.
    fn method(&self) -> TokenCountMethod;
    /// Tokens in `text`.
    fn count(&self, text: &str) -> u64;
    /// Byte length of the longest prefix of `text` that fits in `max_tokens` tokens (always a
    /// char boundary).
    fn prefix_len(&self, text: &str, max_tokens: u64) -> usize;
}

/// How token counts were obtained, and how far off they may be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenCountMethod {
    /// `estimate` or `tokenizer`.
    pub kind: &'static str,
    /// The rule or the tokenizer used.
    pub description: String,
    /// The expected error of the counts, in words.
    pub expected_error: String,
}

/// True for characters that BPE vocabularies of current chat models mostly spend about one
/// token on: CJK ideographs, kana, Hangul.
fn is_dense_char(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// Tokens ≈ one per CJK/kana/Hangul character + one per four other characters (rounded up).
/// No allocation, one pass over the chars.
#[derive(Debug, Clone, Copy, Default)]
pub struct EstimateTokenCounter;

impl EstimateTokenCounter {
    /// Cost of `c` in quarter tokens.
    fn quarters(c: char) -> u64 {
        if is_dense_char(c) {
            4
        } else {
            1
        }
    }
}

impl TokenCounter for EstimateTokenCounter {
    fn method(&self) -> TokenCountMethod {
        TokenCountMethod {
            kind: "estimate",
            description: "ceil((other chars + 4 × CJK/kana/Hangul chars) / 4), content only, no chat-template overhead"
                .into(),
            // Measured by bench/tokens/estimate_error.mjs on ../shared/data (bench/tokens/README.md):
            // per text, the median and the 10th..90th percentiles of (estimate − tokens) / tokens.
            expected_error: concat!(
                "measured against the cl100k_base and o200k_base tokenizers on real data (median per text, 10th..90th percentile): ",
                "English prose and web pages +10 to +29 % (an overcount: length warnings err on the cautious side), ",
                "chat +8 % (−1..+20 %), instructions +22 % (−8..+47 %), tool-call chats +7 % (−22..+46 %), ",
                "code and maths −4 % (−35..+23 %), Chinese −20 % (cl100k_base) and +20 % (o200k_base); ",
                "give a tokenizer.json for exact counts; chat-template overhead (3–10 tokens per message) is not included"
            )
            .into(),
        }
    }

    fn count(&self, text: &str) -> u64 {
        let quarters: u64 = if text.is_ascii() {
            text.len() as u64
        } else {
            text.chars().map(Self::quarters).sum()
        };
        quarters.div_ceil(4)
    }

    fn prefix_len(&self, text: &str, max_tokens: u64) -> usize {
        let budget = max_tokens.saturating_mul(4);
        if text.is_ascii() {
            return text.len().min(budget.min(usize::MAX as u64) as usize);
        }
        let mut spent = 0u64;
        for (index, c) in text.char_indices() {
            spent += Self::quarters(c);
            if spent > budget {
                return index;
            }
        }
        text.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_counts_ascii_and_cjk() {
        let counter = EstimateTokenCounter;
        assert_eq!(counter.count(""), 0);
        assert_eq!(counter.count("abcd"), 1);
        assert_eq!(counter.count("abcde"), 2);
        assert_eq!(counter.count("你好"), 2);
        assert_eq!(counter.count("你好ab"), 3);
    }

    #[test]
    fn prefix_len_respects_budget_and_char_boundaries() {
        let counter = EstimateTokenCounter;
        assert_eq!(counter.prefix_len("abcdefghij", 2), 8);
        assert_eq!(counter.prefix_len("abc", 5), 3);
        let text = "你好世界";
        assert_eq!(counter.prefix_len(text, 2), "你好".len());
        let mixed = "é你好";
        assert_eq!(counter.prefix_len(mixed, 1), "é".len());
        assert!(mixed.is_char_boundary(counter.prefix_len(mixed, 1)));
    }
}

#[cfg(feature = "hf-tokenizer")]
pub use hf::TokenizerJsonCounter;

/// Exact counts from a Hugging Face `tokenizer.json` (cargo feature `hf-tokenizer`).
#[cfg(feature = "hf-tokenizer")]
mod hf {
    use super::{EstimateTokenCounter, TokenCountMethod, TokenCounter};

    /// A [`TokenCounter`] backed by the `tokenizers` crate.
    pub struct TokenizerJsonCounter {
        tokenizer: tokenizers::Tokenizer,
        name: String,
    }

    impl TokenizerJsonCounter {
        /// Loads a `tokenizer.json` from its bytes; `name` (e.g. the file name) is shown in the
        /// report. Truncation and padding configured in the file are switched off, since they
        /// would cap or inflate the counts.
        pub fn from_bytes(json: &[u8], name: &str) -> Result<Self, String> {
            let mut tokenizer =
                tokenizers::Tokenizer::from_bytes(json).map_err(|e| format!("{name}: {e}"))?;
            tokenizer
                .with_truncation(None)
                .map_err(|e| format!("{name}: {e}"))?;
            tokenizer.with_padding(None);
            Ok(TokenizerJsonCounter {
                tokenizer,
                name: name.to_string(),
            })
        }
    }

    impl TokenCounter for TokenizerJsonCounter {
        fn method(&self) -> TokenCountMethod {
            TokenCountMethod {
                kind: "tokenizer",
                description: format!(
                    "tokenizer.json `{}`, content only, without special tokens",
                    self.name
                ),
                expected_error: concat!(
                    "exact for message content; chat-template and special tokens (typically 3–10 per ",
                    "message) are not included; a text the tokenizer fails on is estimated instead"
                )
                .into(),
            }
        }

        fn count(&self, text: &str) -> u64 {
            match self.tokenizer.encode(text, false) {
                Ok(encoding) => encoding.len() as u64,
                Err(_) => EstimateTokenCounter.count(text),
            }
        }

        fn prefix_len(&self, text: &str, max_tokens: u64) -> usize {
            if max_tokens == 0 {
                return 0;
            }
            let Ok(encoding) = self.tokenizer.encode(text, false) else {
                return EstimateTokenCounter.prefix_len(text, max_tokens);
            };
            let offsets = encoding.get_offsets();
            if (offsets.len() as u64) <= max_tokens {
                return text.len();
            }
            // Byte offsets into `text`. The byte-level pieces of one character all map to that
            // whole character, so a budget ending inside it keeps the character; the boundary
            // walk is a guard for tokenizers whose offsets are not char-aligned.
            let mut end = offsets[max_tokens as usize - 1].1.min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            end
        }
    }
}
