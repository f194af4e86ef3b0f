//! Language identification: the `lang` rule and the language distribution of the report.
//!
//! Detection uses the `whatlang` crate (69 languages, script detection plus trigram profiles,
//! pure Rust, about 80 KB of source). It was chosen over `lingua` for the web page: lingua is more
//! accurate on very short texts but its models are shipped per language (the English model crate
//! alone is 2.6 MB compressed, the 75 together well over 100 MB unpacked), which a static page
//! cannot carry; on rows of a sentence or more both agree on the common languages.
//!
//! Languages are named by ISO 639-1 codes (`"en"`, `"de"`, `"zh"`). whatlang's Mandarin
//! (`cmn`) is reported as `"zh"` and its Bokmål (`nob`) as `"nb"`; `"no"` is accepted in the
//! configuration as an alias of `"nb"`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use whatlang::Lang;

use crate::error::{Error, Result};

/// Reason code: the row's detected language is not among the allowed ones, or the detection is
/// less confident than required, or no language could be detected at all (no letters).
pub const WRONG_LANGUAGE: &str = "wrong_language";

/// Configuration of the `lang` rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LangConfig {
    /// ISO 639-1 codes of the languages to keep (`["en", "de"]`). Empty: every language is kept
    /// and the rule only measures the distribution.
    pub allowed: Vec<String>,
    /// Rows whose detection confidence (0.0–1.0) is below this are dropped as `wrong_language`
    /// even if the detected language is allowed. Only applies when `allowed` is non-empty.
    pub min_confidence: f64,
    /// Texts with fewer letters than this are measured but not judged (kept): a short
    /// instruction ("Provide the past tense of the verb: sing") is too little text to tell
    /// languages apart, and whatlang then guesses Afrikaans or Welsh with low confidence.
    /// 0 judges every text.
    pub min_letters: usize,
}

impl Default for LangConfig {
    fn default() -> Self {
        LangConfig {
            allowed: Vec::new(),
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            min_letters: 0,
        }
    }
}

/// Letters counted per text (at least): enough for any sensible `min_letters`.
pub const LETTERS_COUNTED: usize = 1000;

/// Letters of `text`, counted up to `limit` (enough to compare with [`LangConfig::min_letters`]).
pub fn letters_up_to(text: &str, limit: usize) -> usize {
    text.chars()
        .filter(|c| c.is_alphabetic())
        .take(limit)
        .count()
}

/// Default confidence threshold. whatlang reports 1.0 for most rows of a sentence or more; values
/// below 0.5 mean the two best languages were nearly tied.
pub const DEFAULT_MIN_CONFIDENCE: f64 = 0.5;

/// ISO 639-1 code of every language whatlang can return, by its ISO 639-3 variant.
const ISO_639_1: &[(Lang, &str)] = &[
    (Lang::Epo, "eo"),
    (Lang::Eng, "en"),
    (Lang::Rus, "ru"),
    (Lang::Cmn, "zh"),
    (Lang::Spa, "es"),
    (Lang::Por, "pt"),
    (Lang::Ita, "it"),
    (Lang::Ben, "bn"),
    (Lang::Fra, "fr"),
    (Lang::Deu, "de"),
    (Lang::Ukr, "uk"),
    (Lang::Kat, "ka"),
    (Lang::Ara, "ar"),
    (Lang::Hin, "hi"),
    (Lang::Jpn, "ja"),
    (Lang::Heb, "he"),
    (Lang::Yid, "yi"),
    (Lang::Pol, "pl"),
    (Lang::Amh, "am"),
    (Lang::Jav, "jv"),
    (Lang::Kor, "ko"),
    (Lang::Nob, "nb"),
    (Lang::Dan, "da"),
    (Lang::Swe, "sv"),
    (Lang::Fin, "fi"),
    (Lang::Tur, "tr"),
    (Lang::Nld, "nl"),
    (Lang::Hun, "hu"),
    (Lang::Ces, "cs"),
    (Lang::Ell, "el"),
    (Lang::Bul, "bg"),
    (Lang::Bel, "be"),
    (Lang::Mar, "mr"),
    (Lang::Kan, "kn"),
    (Lang::Ron, "ro"),
    (Lang::Slv, "sl"),
    (Lang::Hrv, "hr"),
    (Lang::Srp, "sr"),
    (Lang::Mkd, "mk"),
    (Lang::Lit, "lt"),
    (Lang::Lav, "lv"),
    (Lang::Est, "et"),
    (Lang::Tam, "ta"),
    (Lang::Vie, "vi"),
    (Lang::Urd, "ur"),
    (Lang::Tha, "th"),
    (Lang::Guj, "gu"),
    (Lang::Uzb, "uz"),
    (Lang::Pan, "pa"),
    (Lang::Aze, "az"),
    (Lang::Ind, "id"),
    (Lang::Tel, "te"),
    (Lang::Pes, "fa"),
    (Lang::Mal, "ml"),
    (Lang::Ori, "or"),
    (Lang::Mya, "my"),
    (Lang::Nep, "ne"),
    (Lang::Sin, "si"),
    (Lang::Khm, "km"),
    (Lang::Tuk, "tk"),
    (Lang::Aka, "ak"),
    (Lang::Zul, "zu"),
    (Lang::Sna, "sn"),
    (Lang::Afr, "af"),
    (Lang::Lat, "la"),
    (Lang::Slk, "sk"),
    (Lang::Cat, "ca"),
    (Lang::Tgl, "tl"),
    (Lang::Hye, "hy"),
    (Lang::Cym, "cy"),
];

fn iso_639_1(lang: Lang) -> &'static str {
    ISO_639_1
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, code)| *code)
        // Only reachable if a future whatlang adds a language: fall back to its 639-3 code.
        .unwrap_or_else(|| lang.code())
}

/// Every ISO 639-1 code [`detect`] can return, in whatlang's order.
pub fn supported_codes() -> impl Iterator<Item = &'static str> {
    ISO_639_1.iter().map(|(_, code)| *code)
}

/// The English name of a supported language code (`"de"` → `"German"`).
pub fn language_name(code: &str) -> Option<&'static str> {
    ISO_639_1
        .iter()
        .find(|(_, c)| *c == code)
        .map(|(lang, _)| lang.eng_name())
}

/// Maps a configured code to the canonical ISO 639-1 code, accepting 639-1 (`"de"`), whatlang's
/// 639-3 (`"deu"`) and `"no"` for Bokmål, case-insensitively.
fn canonical_code(configured: &str) -> Option<&'static str> {
    let lower = configured.trim().to_ascii_lowercase();
    if lower == "no" {
        return Some("nb");
    }
    if let Some(code) = supported_codes().find(|c| *c == lower) {
        return Some(code);
    }
    Lang::from_code(lower).map(iso_639_1)
}

/// Detects the language of `text`: its ISO 639-1 code and whatlang's confidence (0.0–1.0).
/// `None` when the text has no letters to judge by (empty, digits, punctuation, emoji).
///
/// Fenced code blocks (lines between ```` ``` ```` or `~~~` fences) are left out first, because
/// whatlang picks the script by counting characters, and the Latin letters of a code block
/// outnumber the Han characters of the Chinese question around it (on LLaMA-Factory's
/// `dpo_zh_demo` this moves 10 of 300 rows from a wrong guess to `zh`, and changes no English
/// row). If nothing with letters is left outside the fences, the whole text is judged. Only the
/// first [`DETECTION_SAMPLE_BYTES`] of what is judged are read.
///
/// whatlang also lets the script with the most characters decide, which undercounts scripts that
/// write a word in one or two characters: a Chinese question quoting unfenced code or English
/// names loses to the Latin letters. So Han, kana and Hangul characters are weighed
/// [`CJK_CHARACTER_WEIGHT`] times a letter of other scripts (about the ratio of letters per word);
/// when they win, only the CJK characters are judged.
pub fn detect(text: &str) -> Option<(&'static str, f64)> {
    let prose = without_fenced_code(text);
    let judged = if prose.chars().any(char::is_alphabetic) {
        prose.as_ref()
    } else {
        text
    };
    let judged = leading_sample(judged);
    let cjk = judged.chars().filter(|&c| is_cjk(c)).count();
    let other_letters = judged
        .chars()
        .filter(|&c| c.is_alphabetic() && !is_cjk(c))
        .count();
    let info = if cjk > 0 && other_letters > 0 && cjk * CJK_CHARACTER_WEIGHT >= other_letters {
        let cjk_only: String = judged
            .chars()
            .filter(|&c| is_cjk(c) || !c.is_alphabetic())
            .collect();
        whatlang::detect(&cjk_only)
    } else {
        whatlang::detect(judged)
    };
    info.map(|info| (iso_639_1(info.lang()), info.confidence()))
}

/// Detection judges at most this many bytes from the start of the (code-free) text. whatlang's
/// cost grows with the text while its answer settles within the first few hundred words: on 2,332
/// real rows (C4 and DCLM web text, State of the Union addresses, LLaMA-Factory's Chinese demos)
/// a 4 KiB sample gave the same language as the whole text for every row, at 2.3x the speed.
pub const DETECTION_SAMPLE_BYTES: usize = 4096;

fn leading_sample(text: &str) -> &str {
    if text.len() <= DETECTION_SAMPLE_BYTES {
        return text;
    }
    let mut end = DETECTION_SAMPLE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// How many letters of an alphabetic script one Han, kana or Hangul character counts for when
/// deciding the main script: an English word averages about 4.7 letters, a Chinese word about 1.5
/// characters.
pub const CJK_CHARACTER_WEIGHT: usize = 3;

/// Han ideographs (URO, extension A, compatibility), Hiragana, Katakana, Hangul syllables and jamo.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2A6DF}'
        | '\u{3040}'..='\u{309F}' | '\u{30A0}'..='\u{30FF}'
        | '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

/// `text` without its Markdown fenced code blocks (fence lines included). An unclosed fence runs
/// to the end of the text, as Markdown renders it.
fn without_fenced_code(text: &str) -> Cow<'_, str> {
    if !text.contains("```") && !text.contains("~~~") {
        return Cow::Borrowed(text);
    }
    let mut prose = String::with_capacity(text.len());
    let mut open_fence: Option<&str> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let fence = ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f));
        match (open_fence, fence) {
            (None, Some(f)) => open_fence = Some(f),
            (Some(open), Some(f)) if open == f => open_fence = None,
            (None, None) => prose.push_str(line),
            _ => {}
        }
    }
    Cow::Owned(prose)
}

/// Why a row failed the `lang` rule, with the values the page shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "failure", rename_all = "snake_case")]
pub enum LangFailure {
    /// The detected language is not allowed.
    NotAllowed {
        detected: &'static str,
        confidence: f64,
    },
    /// The detected language is allowed but the detection is too uncertain.
    LowConfidence {
        detected: &'static str,
        confidence: f64,
        min_confidence: f64,
    },
    /// No language could be detected (the text has no letters).
    Undetected,
}

impl LangFailure {
    /// The reason code: always [`WRONG_LANGUAGE`].
    pub fn code(&self) -> &'static str {
        WRONG_LANGUAGE
    }

    /// A one-line explanation: `"language de (confidence 0.98) not in allowed en"`.
    pub fn describe(&self, allowed: &[&'static str]) -> String {
        match self {
            LangFailure::NotAllowed { detected, confidence } => format!(
                "language {detected} (confidence {confidence:.2}) not in allowed {}",
                allowed.join(",")
            ),
            LangFailure::LowConfidence { detected, confidence, min_confidence } => format!(
                "language {detected} detected with confidence {confidence:.2} < min {min_confidence:.2}"
            ),
            LangFailure::Undetected => "no language detected (no letters)".to_string(),
        }
    }
}

/// The `lang` rule with its configuration validated.
#[derive(Clone, Debug)]
pub struct LangFilter {
    allowed: Vec<&'static str>,
    min_confidence: f64,
    min_letters: usize,
}

/// The result of checking one text: the detection (for the distribution and the page's slider)
/// and the failure, if the row is to be dropped.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LangVerdict {
    pub detected: Option<(&'static str, f64)>,
    pub failure: Option<LangFailure>,
    /// The text's letters, counted up to [`LangConfig::min_letters`] (for re-judging).
    pub letters: usize,
}

impl LangFilter {
    /// Validates the configuration: every allowed code must be a supported language, and
    /// `min_confidence` must lie in 0.0..=1.0. The error message names the offending value.
    pub fn new(config: &LangConfig) -> Result<Self> {
        let mut allowed = Vec::with_capacity(config.allowed.len());
        for code in &config.allowed {
            let canonical = canonical_code(code).ok_or_else(|| {
                Error::Config(format!(
                    "lang.allowed: unknown language code {code:?}; use ISO 639-1 codes such as en, de, zh (supported: {})",
                    supported_codes().collect::<Vec<_>>().join(",")
                ))
            })?;
            if !allowed.contains(&canonical) {
                allowed.push(canonical);
            }
        }
        if !(0.0..=1.0).contains(&config.min_confidence) {
            return Err(Error::Config(format!(
                "lang.min_confidence must be between 0 and 1, got {}",
                config.min_confidence
            )));
        }
        Ok(LangFilter {
            allowed,
            min_confidence: config.min_confidence,
            min_letters: config.min_letters,
        })
    }

    /// The allowed languages as canonical ISO 639-1 codes (empty: all allowed).
    pub fn allowed(&self) -> &[&'static str] {
        &self.allowed
    }

    /// Detects the language of `text` and decides. With no allowed list every row passes.
    pub fn check(&self, text: &str) -> LangVerdict {
        let detected = detect(text);
        // Counted past `min_letters` too, so re-judging with a larger one needs no second look.
        let letters = letters_up_to(text, self.min_letters.max(LETTERS_COUNTED));
        let failure = self.judge(detected, letters);
        LangVerdict {
            detected,
            failure,
            letters,
        }
    }

    /// The decision for an already computed detection, so a threshold can be re-applied to
    /// stored detections without detecting again.
    /// `letters`: the text's letters (at least up to `min_letters`); a shorter text is not judged.
    pub fn judge(
        &self,
        detected: Option<(&'static str, f64)>,
        letters: usize,
    ) -> Option<LangFailure> {
        if self.allowed.is_empty() || letters < self.min_letters {
            return None;
        }
        match detected {
            None => Some(LangFailure::Undetected),
            Some((code, confidence)) if !self.allowed.contains(&code) => {
                Some(LangFailure::NotAllowed {
                    detected: code,
                    confidence,
                })
            }
            Some((code, confidence)) if confidence < self.min_confidence => {
                Some(LangFailure::LowConfidence {
                    detected: code,
                    confidence,
                    min_confidence: self.min_confidence,
                })
            }
            Some(_) => None,
        }
    }
}

/// Number of equal-width bins of the per-language confidence histogram (0.0–0.1, …, 0.9–1.0;
/// a confidence of exactly 1.0 goes into the last bin).
pub const CONFIDENCE_BINS: usize = 10;

/// Rows and confidence histogram of one language.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanguageCount {
    pub rows: u64,
    pub confidence_histogram: [u64; CONFIDENCE_BINS],
}

/// The language distribution of a dataset, for the report: rows per detected language (by ISO
/// 639-1 code, sorted by code) with a confidence histogram each, and the rows with no detectable
/// language. Deterministic: the map is ordered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LangDistribution {
    pub languages: BTreeMap<String, LanguageCount>,
    pub undetected: u64,
}

impl LangDistribution {
    /// Counts one row's detection.
    pub fn add(&mut self, detected: Option<(&str, f64)>) {
        match detected {
            None => self.undetected += 1,
            Some((code, confidence)) => {
                let entry = self.languages.entry(code.to_string()).or_default();
                entry.rows += 1;
                let bin = ((confidence.clamp(0.0, 1.0) * CONFIDENCE_BINS as f64) as usize)
                    .min(CONFIDENCE_BINS - 1);
                entry.confidence_histogram[bin] += 1;
            }
        }
    }

    /// Adds another distribution's counts to this one (for combining chunks or fields).
    pub fn merge(&mut self, other: &LangDistribution) {
        self.undetected += other.undetected;
        for (code, count) in &other.languages {
            let entry = self.languages.entry(code.clone()).or_default();
            entry.rows += count.rows;
            for (mine, theirs) in entry
                .confidence_histogram
                .iter_mut()
                .zip(count.confidence_histogram)
            {
                *mine += theirs;
            }
        }
    }

    /// Total rows counted, detected or not.
    pub fn total(&self) -> u64 {
        self.undetected + self.languages.values().map(|c| c.rows).sum::<u64>()
    }

    /// Languages by descending row count (ties by code), for display.
    pub fn ranked(&self) -> Vec<(&str, u64)> {
        let mut ranked: Vec<(&str, u64)> = self
            .languages
            .iter()
            .map(|(c, n)| (c.as_str(), n.rows))
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_languages_with_iso_639_1_codes() {
        let en = detect(
            "The quick brown fox jumps over the lazy dog while the farmer watches from the porch.",
        );
        assert_eq!(en.map(|d| d.0), Some("en"));
        let de = detect(
            "Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer zusieht.",
        );
        assert_eq!(de.map(|d| d.0), Some("de"));
        let zh = detect("敏捷的棕色狐狸跳过了懒狗，农夫在门廊上看着。");
        assert_eq!(zh.map(|d| d.0), Some("zh"));
        assert_eq!(detect("12345 !!! 678"), None);
    }

    #[test]
    fn fenced_code_does_not_outvote_the_prose_around_it() {
        let text = "请用Python写一个函数，计算列表中所有数字的平均值，并处理空列表的情况。\n```python\ndef average(numbers):\n    if not numbers:\n        return None\n    return sum(numbers) / len(numbers)\n```\n";
        assert_eq!(detect(text).map(|d| d.0), Some("zh"));
        assert_eq!(
            without_fenced_code("a\n```\ncode\n```\nb\n~~~\nmore"),
            "a\nb\n"
        );
        // Only code: the code itself is judged rather than nothing.
        assert!(detect("```\nthe function returns the average of the numbers\n```").is_some());
    }

    #[test]
    fn cjk_characters_are_weighed_against_letters() {
        // Unfenced code: 31 Han characters against 60-odd Latin letters; whatlang alone says Latin.
        let question = "国会的转发数据收集了现任国会议员的帖子，并对它们进行编码。我们将重点关注转发数据。\nimport pandas as pd\nimport matplotlib.pyplot as plt\nregister_matplotlib_converters()";
        assert_eq!(detect(question).map(|d| d.0), Some("zh"));
        // English prose quoting a Chinese word stays English.
        let english = "The word 带来 means to bring or to bring along, and it is used when someone is bringing something with them to a place.";
        assert_eq!(detect(english).map(|d| d.0), Some("en"));
        // Kana decide Japanese over Chinese among the CJK characters.
        assert_eq!(
            detect("このページでは用語集が用意されている語句が赤く表示されています。").map(|d| d.0),
            Some("ja")
        );
    }

    #[test]
    fn sample_is_cut_on_a_char_boundary() {
        let long = "é".repeat(DETECTION_SAMPLE_BYTES); // two bytes each
        let sample = leading_sample(&long);
        assert_eq!(sample.len(), DETECTION_SAMPLE_BYTES);
        let odd = format!("a{long}");
        assert_eq!(leading_sample(&odd).len(), DETECTION_SAMPLE_BYTES - 1);
        assert_eq!(leading_sample("short"), "short");
    }

    #[test]
    fn config_accepts_aliases_and_rejects_unknown_codes() {
        let cfg = LangConfig {
            allowed: vec!["EN".into(), "deu".into(), "no".into()],
            ..LangConfig::default()
        };
        assert_eq!(
            LangFilter::new(&cfg).unwrap().allowed(),
            &["en", "de", "nb"]
        );
        let bad = LangConfig {
            allowed: vec!["klingon".into()],
            ..LangConfig::default()
        };
        let message = LangFilter::new(&bad).unwrap_err().to_string();
        assert!(message.contains("\"klingon\""), "{message}");
        let bad_threshold = LangConfig {
            min_confidence: 1.5,
            ..LangConfig::default()
        };
        assert!(LangFilter::new(&bad_threshold).is_err());
        assert!(serde_json::from_str::<LangConfig>(r#"{"allow":["en"]}"#).is_err());
    }

    #[test]
    fn judge_distinguishes_the_three_failures() {
        let filter = LangFilter::new(&LangConfig {
            allowed: vec!["en".into()],
            min_confidence: 0.8,
            ..LangConfig::default()
        })
        .unwrap();
        assert_eq!(filter.judge(Some(("en", 0.9)), 1000), None);
        assert_eq!(
            filter.judge(Some(("de", 1.0)), 1000),
            Some(LangFailure::NotAllowed {
                detected: "de",
                confidence: 1.0
            })
        );
        assert!(matches!(
            filter.judge(Some(("en", 0.3)), 1000),
            Some(LangFailure::LowConfidence { .. })
        ));
        assert_eq!(filter.judge(None, 1000), Some(LangFailure::Undetected));
        let open = LangFilter::new(&LangConfig::default()).unwrap();
        assert_eq!(open.judge(None, 1000), None);
        // Too few letters to judge: kept, whatever was detected.
        let patient = LangFilter::new(&LangConfig {
            allowed: vec!["en".into()],
            min_letters: 60,
            ..LangConfig::default()
        })
        .unwrap();
        assert_eq!(patient.judge(Some(("af", 0.23)), 59), None);
        assert!(patient.judge(Some(("af", 0.23)), 60).is_some());
        let short = patient.check("Provide the past tense of the verb: sing");
        assert_eq!((short.failure, short.letters), (None, 32));
        let long = patient.check(
            "Der schnelle braune Fuchs springt über den faulen Hund, und dann läuft er weiter in \
             den Wald hinein.",
        );
        assert!(long.failure.is_some(), "{long:?}");
    }

    #[test]
    fn distribution_counts_and_merges() {
        let mut a = LangDistribution::default();
        a.add(Some(("en", 1.0)));
        a.add(Some(("en", 0.05)));
        a.add(None);
        let mut b = LangDistribution::default();
        b.add(Some(("de", 0.55)));
        a.merge(&b);
        assert_eq!(a.total(), 4);
        assert_eq!(a.ranked(), vec![("en", 2), ("de", 1)]);
        assert_eq!(a.languages["en"].confidence_histogram[9], 1);
        assert_eq!(a.languages["en"].confidence_histogram[0], 1);
        assert_eq!(a.languages["de"].confidence_histogram[5], 1);
    }
}
