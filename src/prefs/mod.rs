//! Preference-pair validation.
