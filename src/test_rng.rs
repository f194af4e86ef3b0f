//! A small deterministic generator for the core's randomised tests (same sequence everywhere,
//! no seeding from the environment).

/// Marsaglia's xorshift64 (13, 7, 17) from `state` (non-zero): each call returns the next state.
pub(crate) fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
