//! Deduplication: exact (hash of the compared text) and near (MinHash + LSH).

pub mod contamination;
pub mod lsh;
pub mod minhash;
pub mod minhash_params;
