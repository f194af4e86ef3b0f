//! Deduplication: exact (hash of the compared text) and near (MinHash + LSH).

pub mod exact;
