//! The stable public vocabulary of reason and warning codes. A code, once released, keeps its
//! meaning; new checks get new codes. Each stage defines its codes next to its rules; this module
//! holds the pipeline's own and gathers every code ([`all_codes`]) so the README's table and the
//! code can be checked against each other (tests/reason_codes.rs).

/// A row that could not be read as a record of the file's format (broken JSON, invalid UTF-8, a
/// line over the length limit, a CSV row with the wrong number of fields).
pub const PARSE_ERROR: &str = "parse_error";
/// The compared text equals the text of an earlier row (raw, or normalised, per config).
pub const EXACT_DUPLICATE: &str = "exact_duplicate";
/// The row is in a MinHash-LSH cluster whose kept row is another.
pub const NEAR_DUPLICATE: &str = "near_duplicate";
/// The row shares a word n-gram with an evaluation set (a warning for preference data).
pub const CONTAMINATION: &str = "contamination";

/// Every code a decision can carry, each once, grouped by stage.
pub fn all_codes() -> Vec<&'static str> {
    use crate::filter::{
        basic, c4, fineweb, gopher_quality as gq, gopher_repetition as gr, lang, pii,
    };
    let mut codes = vec![PARSE_ERROR, EXACT_DUPLICATE, NEAR_DUPLICATE, CONTAMINATION];
    codes.extend([
        gq::GOPHER_SHORT_DOC,
        gq::GOPHER_LONG_DOC,
        gq::GOPHER_BELOW_AVG_THRESHOLD,
        gq::GOPHER_ABOVE_AVG_THRESHOLD,
        gq::GOPHER_TOO_MANY_HASHES,
        gq::GOPHER_TOO_MANY_ELLIPSIS,
        gq::GOPHER_TOO_MANY_BULLETS,
        gq::GOPHER_TOO_MANY_END_ELLIPSIS,
        gq::GOPHER_BELOW_ALPHA_THRESHOLD,
        gq::GOPHER_ENOUGH_STOP_WORDS,
        gr::EMPTY,
        gr::DUP_PARA_FRAC,
        gr::DUP_PARA_CHAR_FRAC,
        gr::DUP_LINE_FRAC,
        gr::DUP_LINE_CHAR_FRAC,
    ]);
    codes.extend(
        gr::TOP_N_GRAM_CODES
            .iter()
            .chain(gr::DUPLICATED_N_GRAMS_CODES.iter())
            .filter(|c| !c.is_empty()),
    );
    codes.extend([c4::LOREM_IPSUM, c4::CURLY_BRACKET, c4::TOO_FEW_SENTENCES]);
    codes.extend([
        fineweb::EMPTY,
        fineweb::LINE_PUNCT_RATIO,
        fineweb::SHORT_LINE_RATIO,
        fineweb::CHAR_DUP_RATIO,
        fineweb::LIST_RATIO,
    ]);
    codes.extend([
        pii::PII_EMAIL,
        pii::PII_PHONE,
        pii::PII_IP,
        pii::PII_CREDIT_CARD,
        pii::PII_IBAN,
        pii::PII_SSN,
        pii::PII_SECRET,
        lang::WRONG_LANGUAGE,
        basic::TOO_SHORT,
        basic::TOO_LONG,
        basic::REGEX_MATCH,
        basic::BLOCKLIST,
    ]);
    codes.extend(
        crate::prefs::codes::ERROR_CODES
            .iter()
            .chain(crate::prefs::codes::WARNING_CODES),
    );
    let mut seen = std::collections::BTreeSet::new();
    codes.retain(|c| seen.insert(*c));
    codes
}
