//! Text utilities shared by dedup and filters: normalisation, word tokenizer, sentence splitter.

pub mod normalize;
