//! Quality filters.

pub mod basic;
pub mod lang;
pub mod pii;
