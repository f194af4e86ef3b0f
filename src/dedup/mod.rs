//! Deduplication: exact (hash of the compared text) and near (MinHash + LSH), and
//! contamination against evaluation sets (shared word n-grams).

pub mod contamination;
pub mod exact;
pub mod lsh;
pub mod minhash;
pub mod minhash_params;
