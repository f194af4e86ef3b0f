//! Byte ranges of an uncompressed input, cut at line ends, for signing in parallel.
//!
//! The CLI (a seekable file) and the page (a `File` sliced in a worker) both plan their ranges
//! with [`LineRangePlanner`]; a gzip or zstd input cannot be cut by seeking and goes through
//! [`PlainRangeCutter`](super::PlainRangeCutter) instead.

/// Bytes worth reading at a time while looking for the next newline: one slice of the file in
/// the page, one `read` in the CLI. Rows are usually far shorter, so most searches take one.
pub const PROBE_BYTES: usize = 64 * 1024;

/// Plans up to `pieces` byte ranges `[start, end)` of about equal size over an uncompressed
/// input of `len` bytes. Every range but the last ends just after a newline, so no row spans two
/// ranges; together they cover the input exactly, in order, and none is empty (an empty input
/// gives the one range `[0, 0)`). Where a row is longer than a piece, the pieces it swallows
/// merge: fewer ranges than asked.
///
/// Seek-driven and push-style, so the caller does its own reading: [`wanted`](Self::wanted)
/// names the offset to read at, [`feed`](Self::feed) takes the bytes read there (any number, up
/// to the input's end; [`PROBE_BYTES`] is a good size; none means the input ended), until
/// `wanted` is `None`; then [`ranges`](Self::ranges). It asks only for bytes from each nominal
/// cut (`len · k / pieces`) to the newline after it, and never twice for the same offset (a read
/// longer than needed may overlap the next search's: reads are small and few).
#[derive(Debug, Clone)]
pub struct LineRangePlanner {
    len: u64,
    pieces: u64,
    /// The nominal cut to place after the current one (1 to `pieces − 1`).
    next_piece: u64,
    /// Where the current search for a newline reads next; `None` once every cut is placed.
    probe_at: Option<u64>,
    /// Starts of the ranges found so far; the first is 0.
    cuts: Vec<u64>,
}

impl LineRangePlanner {
    /// A planner for an input of `len` bytes cut into at most `pieces` ranges (0 counts as 1).
    pub fn new(len: u64, pieces: usize) -> Self {
        let mut planner = LineRangePlanner {
            len,
            pieces: pieces.max(1) as u64,
            next_piece: 1,
            probe_at: None,
            cuts: vec![0],
        };
        planner.start_next_search();
        planner
    }

    /// The offset whose bytes the planner needs next, or `None` when the ranges are ready.
    pub fn wanted(&self) -> Option<u64> {
        self.probe_at
    }

    /// The bytes read at [`wanted`](Self::wanted): the cut goes just after their first newline;
    /// without one, the search goes on after them. No bytes means the input ended there (a file
    /// that shrank while it was planned): the range runs to the end. Ignored once the ranges are
    /// ready.
    pub fn feed(&mut self, bytes: &[u8]) {
        let Some(at) = self.probe_at else { return };
        match bytes.iter().position(|&b| b == b'\n') {
            Some(newline) => {
                let cut = at + newline as u64 + 1;
                // The search started at or after the last cut, so `cut` is past it.
                if cut < self.len {
                    self.cuts.push(cut);
                    self.start_next_search();
                } else {
                    // The input's last byte: a cut there would leave an empty last range.
                    self.finish_searching();
                }
            }
            None => {
                let next = at + bytes.len() as u64;
                if bytes.is_empty() || next >= self.len {
                    // No newline from here to the end: no later cut can exist either, and this
                    // piece and every one after it belong to the last range.
                    self.finish_searching();
                } else {
                    self.probe_at = Some(next);
                }
            }
        }
    }

    /// The ranges `[start, end)` in order. Before the planner is done (while
    /// [`wanted`](Self::wanted) still names an offset) the cuts not yet found are missing, so
    /// the ranges are fewer and longer, but still cover the input.
    pub fn ranges(&self) -> Vec<(u64, u64)> {
        let ends = self.cuts.iter().skip(1).copied().chain([self.len]);
        self.cuts.iter().copied().zip(ends).collect()
    }

    /// No newline is left to cut after: the ranges are ready.
    fn finish_searching(&mut self) {
        self.next_piece = self.pieces;
        self.probe_at = None;
    }

    /// Moves to the next nominal cut that lies inside the input (the cuts before it that fall at
    /// its end place nothing).
    fn start_next_search(&mut self) {
        self.probe_at = None;
        let last_cut = *self.cuts.last().expect("the first cut is 0");
        while self.next_piece < self.pieces {
            // In u128: `len · k` overflows u64 for inputs over 2^64 / pieces bytes.
            let nominal = (u128::from(self.len) * u128::from(self.next_piece)
                / u128::from(self.pieces)) as u64;
            self.next_piece += 1;
            let from = nominal.max(last_cut);
            if from < self.len {
                self.probe_at = Some(from);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::SmallRng, Rng, SeedableRng};

    /// Drives a planner over `input`, reading `read_size()` bytes at each request; checks that no
    /// offset is asked for twice.
    fn plan(input: &[u8], pieces: usize, mut read_size: impl FnMut() -> usize) -> Vec<(u64, u64)> {
        let mut planner = LineRangePlanner::new(input.len() as u64, pieces);
        let mut asked = Vec::new();
        while let Some(at) = planner.wanted() {
            assert!(
                !asked.contains(&at),
                "offset {at} asked for twice: {asked:?}"
            );
            asked.push(at);
            let at = at as usize;
            let end = (at + read_size().max(1)).min(input.len());
            planner.feed(&input[at..end]);
        }
        planner.ranges()
    }

    /// The same plan, written the obvious way: for each nominal cut, just after the first newline
    /// at or after it (and after the last cut).
    fn reference(input: &[u8], pieces: usize) -> Vec<(u64, u64)> {
        let len = input.len();
        let pieces = pieces.max(1);
        let mut cuts = vec![0usize];
        for k in 1..pieces {
            let from = (len * k / pieces).max(*cuts.last().unwrap());
            if let Some(newline) = input[from.min(len)..].iter().position(|&b| b == b'\n') {
                let cut = from + newline + 1;
                if cut < len {
                    cuts.push(cut);
                }
            }
        }
        let ends = cuts.iter().skip(1).copied().chain([len]);
        cuts.iter()
            .zip(ends)
            .map(|(&s, e)| (s as u64, e as u64))
            .collect()
    }

    fn check_contract(input: &[u8], pieces: usize, ranges: &[(u64, u64)]) {
        assert!(!ranges.is_empty());
        assert!(
            ranges.len() <= pieces.max(1),
            "{ranges:?} for {pieces} pieces"
        );
        assert_eq!(ranges[0].0, 0);
        assert_eq!(ranges.last().unwrap().1, input.len() as u64);
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "contiguous: {ranges:?}");
        }
        for &(start, end) in &ranges[..ranges.len() - 1] {
            assert!(start < end, "empty range in {ranges:?}");
            assert_eq!(
                input[end as usize - 1],
                b'\n',
                "cut after a newline: {ranges:?}"
            );
        }
    }

    #[test]
    fn cuts_just_after_the_newline_following_each_nominal_cut() {
        let input = b"aaaa\nbbbb\ncccc\ndddd\n";
        let ranges = plan(input, 4, || PROBE_BYTES);
        // Nominal cuts at 5, 10, 15 fall on row starts: the cut goes after that row.
        assert_eq!(ranges, vec![(0, 10), (10, 15), (15, 20)]);
        check_contract(input, 4, &ranges);
        assert_eq!(plan(input, 1, || PROBE_BYTES), vec![(0, 20)]);
    }

    #[test]
    fn a_row_longer_than_a_piece_merges_pieces_and_an_unterminated_end_stays_whole() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 1000));
        input.extend_from_slice(b"\nlast row without newline");
        let ranges = plan(&input, 8, || 7);
        check_contract(&input, 8, &ranges);
        assert_eq!(ranges, reference(&input, 8));
        assert_eq!(ranges.len(), 2, "{ranges:?}");
        assert_eq!(plan(b"", 4, || 7), vec![(0, 0)]);
        assert_eq!(plan(b"no newline at all", 4, || 3), vec![(0, 17)]);
    }

    #[test]
    fn any_read_size_gives_the_reference_plan() {
        let mut rng = SmallRng::seed_from_u64(0x5eed_0001);
        for case in 0..500 {
            let rows = rng.gen_range(0..40);
            let mut input = Vec::new();
            for _ in 0..rows {
                let row_len = if rng.gen_ratio(1, 8) {
                    rng.gen_range(0..3000)
                } else {
                    rng.gen_range(0..40)
                };
                input.extend(std::iter::repeat_n(b'r', row_len));
                input.push(b'\n');
            }
            if rng.gen_bool(0.3) {
                input.extend_from_slice(b"tail without newline");
            }
            let pieces = rng.gen_range(0..12);
            let max_read = rng.gen_range(1..200);
            let ranges = plan(&input, pieces, || rng.gen_range(1..=max_read));
            assert_eq!(ranges, reference(&input, pieces), "case {case}");
            check_contract(&input, pieces, &ranges);
        }
    }

    #[test]
    fn a_file_that_ends_early_ends_the_search() {
        let mut planner = LineRangePlanner::new(100, 2);
        assert_eq!(planner.wanted(), Some(50));
        planner.feed(b"");
        assert_eq!(planner.wanted(), None);
        assert_eq!(planner.ranges(), vec![(0, 100)]);
    }
}
