//! wasm façade
