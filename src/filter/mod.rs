//! Quality filters.
