//! The stable public vocabulary of reason and warning codes. A code, once released, keeps its
//! meaning; new checks get new codes. Every code a decision can carry is listed here.

/// A row that could not be read as a record of the file's format (broken JSON, invalid UTF-8, a
/// line over the length limit, a CSV row with the wrong number of fields).
pub const PARSE_ERROR: &str = "parse_error";
/// The compared text equals the text of an earlier row (raw or normalised, per config).
pub const EXACT_DUPLICATE: &str = "exact_duplicate";
/// The row's MinHash signature collides with an earlier row's in some LSH band.
pub const NEAR_DUPLICATE: &str = "near_duplicate";
/// The row shares a word n-gram with an evaluation set.
pub const CONTAMINATION: &str = "contamination";
