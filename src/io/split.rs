//! The second pass: route every row, byte-identical, to the kept or the removed output.

use std::cell::RefCell;

use super::{Format, ReaderOptions, RowReader};
use crate::Result;

const MAX_SAMPLES: usize = 500;
const MAX_SAMPLE_BYTES: usize = 32 * 1024;

/// Where a piece of output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Kept,
    Removed,
    /// Kept rows converted by the exporter (e.g. TRL form), when one is set.
    Export,
}

/// Reads the input again (framing only, no parsing) and writes each row to the output its
/// decision names.
///
/// Output format follows the input: JSONL and CSV/TSV rows are written with their own line
/// terminator (a last row without one gets `\n`), and CSV/TSV outputs start with the input's
/// header line; JSON array elements are written as a JSON array, each element's bytes as in the
/// input. Compressed input is written decompressed; a byte-order mark is not copied. Rows over
/// the length limit are copied too, piece by piece as they stream past (never held in memory).
pub struct Splitter {
    reader: RowReader,
    router: Router,
}

/// Turns a kept row's bytes into the bytes written instead (`None`: keep them as they are).
pub type Rewriter = Box<dyn Fn(&[u8]) -> Option<Vec<u8>>>;

/// Everything but the reader, so rows can be routed while the reader is borrowed.
struct Router {
    rewriter: Option<Rewriter>,
    exporter: Option<Rewriter>,
    /// Which rows are sampled for display (default: the removed ones), the first
    /// [`MAX_SAMPLES`] of them.
    sample_mask: Option<Vec<bool>>,
    /// Rows sampled whatever the cap (sorted): the cluster viewer's, which must all be there.
    pinned: Vec<u64>,
    /// Samples taken under the cap.
    capped_samples: usize,
    /// Kept rows written with rewritten bytes.
    rewritten: u64,
    /// The first removed rows (text, capped), for the page to show.
    samples: Vec<(u64, String)>,
    format: Format,
    header: Option<Vec<u8>>,
    kept: Vec<bool>,
    started: [bool; 2],
    written: [u64; 2],
    /// The over-long row whose bytes are being copied piece by piece.
    streaming: Option<u64>,
}

impl Router {
    fn destination(&self, row: u64) -> Destination {
        if self.kept.get(row as usize).copied().unwrap_or(false) {
            Destination::Kept
        } else {
            Destination::Removed
        }
    }

    /// Writes what goes before a row in its output (the header or `[` first, `,` between JSON
    /// elements) and says which output that is. `head`: the row's bytes (the first piece of an
    /// over-long row), for the removed samples.
    fn begin_row(
        &mut self,
        row: u64,
        head: &[u8],
        out: &mut dyn FnMut(Destination, &[u8]),
    ) -> Destination {
        let dest = self.destination(row);
        let slot = dest as usize;
        let sampled = match &self.sample_mask {
            Some(mask) => mask.get(row as usize).copied().unwrap_or(false),
            None => dest == Destination::Removed,
        };
        let pinned = self.pinned.binary_search(&row).is_ok();
        if pinned || (sampled && self.capped_samples < MAX_SAMPLES) {
            self.capped_samples += usize::from(!pinned);
            let cut = head.len().min(MAX_SAMPLE_BYTES);
            self.samples
                .push((row, String::from_utf8_lossy(&head[..cut]).into_owned()));
        }
        if !self.started[slot] {
            self.started[slot] = true;
            write_opening(self.format, self.header.as_deref(), dest, out);
        } else if self.format == Format::Json {
            out(dest, b",\n");
        }
        dest
    }

    fn end_row(
        &mut self,
        dest: Destination,
        terminator: &[u8],
        out: &mut dyn FnMut(Destination, &[u8]),
    ) {
        if self.format != Format::Json {
            out(
                dest,
                if terminator.is_empty() {
                    b"\n"
                } else {
                    terminator
                },
            );
        }
        self.written[dest as usize] += 1;
    }

    /// A piece of an over-long row (see [`RowReader::push_with_parts`]).
    fn part(&mut self, row: u64, piece: &[u8], out: &mut dyn FnMut(Destination, &[u8])) {
        if self.streaming != Some(row) {
            self.streaming = Some(row);
            self.begin_row(row, piece, out);
        }
        out(self.destination(row), piece);
    }

    fn route(
        &mut self,
        row: u64,
        raw: &[u8],
        terminator: &[u8],
        out: &mut dyn FnMut(Destination, &[u8]),
    ) {
        if self.streaming == Some(row) {
            self.streaming = None;
            let dest = self.destination(row);
            self.end_row(dest, terminator, out);
            return;
        }
        if raw.is_empty() {
            return; // no bytes to copy (e.g. "the JSON array has no closing `]`")
        }
        let dest = self.begin_row(row, raw, out);
        let rewritten = match (&self.rewriter, dest) {
            (Some(rewrite), Destination::Kept) => rewrite(raw),
            _ => None,
        };
        match rewritten {
            Some(bytes) => {
                self.rewritten += 1;
                out(dest, &bytes);
            }
            None => out(dest, raw),
        }
        self.end_row(dest, terminator, out);
        if let (Some(export), Destination::Kept) = (&self.exporter, dest) {
            if let Some(line) = export(raw) {
                out(Destination::Export, &line);
            }
        }
    }
}

impl Splitter {
    /// `format` and `header` (CSV/TSV header line with its terminator) are what the first pass
    /// detected. `kept[i]` says whether row `i` is kept; rows past its end are removed.
    pub fn new(
        options: ReaderOptions,
        format: Format,
        header: Option<Vec<u8>>,
        kept: Vec<bool>,
    ) -> Self {
        let options = ReaderOptions {
            format: Some(format),
            ..options
        };
        Splitter {
            reader: RowReader::framing_only(options),
            router: Router {
                exporter: None,
                sample_mask: None,
                pinned: Vec::new(),
                capped_samples: 0,
                rewriter: None,
                rewritten: 0,
                samples: Vec::new(),
                format,
                header,
                kept,
                started: [false; 2],
                written: [0; 2],
                streaming: None,
            },
        }
    }

    /// Writes kept rows through `rewrite` (cleaned text); removed rows stay byte-identical.
    pub fn with_rewriter(mut self, rewrite: Rewriter) -> Self {
        self.router.rewriter = Some(rewrite);
        self
    }

    /// Also converts each kept row (its original bytes) with `export`, to [`Destination::Export`].
    pub fn with_exporter(mut self, export: Rewriter) -> Self {
        self.router.exporter = Some(export);
        self
    }

    /// Samples the rows `mask` marks (instead of the removed ones) for display.
    pub fn with_sample_mask(mut self, mask: Vec<bool>) -> Self {
        self.router.sample_mask = Some(mask);
        self
    }

    /// Also samples these rows, beyond the cap on samples (a few hundred at most: the rows of
    /// the clusters the page shows, which would otherwise be missing once the removed rows
    /// before them have filled the cap).
    pub fn with_pinned_samples(mut self, mut rows: Vec<u64>) -> Self {
        rows.sort_unstable();
        rows.dedup();
        self.router.pinned = rows;
        self
    }

    /// Kept rows written with rewritten bytes so far.
    pub fn rewritten_rows(&self) -> u64 {
        self.router.rewritten
    }

    pub fn push(&mut self, chunk: &[u8], out: &mut dyn FnMut(Destination, &[u8])) -> Result<()> {
        let Splitter { reader, router } = self;
        // Both callbacks write through the router to the outputs; the reader calls them one at
        // a time, so a RefCell shares them.
        let shared = RefCell::new((router, out));
        reader.push_with_parts(
            chunk,
            &mut |r| {
                let (router, out) = &mut *shared.borrow_mut();
                router.route(r.row, r.raw, r.terminator, *out);
                Ok(())
            },
            &mut |row, piece| {
                let (router, out) = &mut *shared.borrow_mut();
                router.part(row, piece, *out);
            },
        )
    }

    /// The first sampled rows (removed, or as the sample mask says) as (row, text), each cut at
    /// 32 kB: what the page lists.
    pub fn removed_samples(&self) -> &[(u64, String)] {
        &self.router.samples
    }

    /// Ends both outputs (an output that got no rows still gets its header or `[]`). Returns the
    /// number of rows written to (kept, removed).
    pub fn finish(&mut self, out: &mut dyn FnMut(Destination, &[u8])) -> Result<(u64, u64)> {
        let Splitter { reader, router } = self;
        let shared = RefCell::new((router, &mut *out));
        reader.finish_with_parts(
            &mut |r| {
                let (router, out) = &mut *shared.borrow_mut();
                router.route(r.row, r.raw, r.terminator, *out);
                Ok(())
            },
            &mut |row, piece| {
                let (router, out) = &mut *shared.borrow_mut();
                router.part(row, piece, *out);
            },
        )?;
        let r = &mut self.router;
        for dest in [Destination::Kept, Destination::Removed] {
            let slot = dest as usize;
            if !r.started[slot] {
                write_opening(r.format, r.header.as_deref(), dest, out);
                if r.format == Format::Json {
                    out(dest, b"]\n");
                }
            } else if r.format == Format::Json {
                out(dest, b"\n]\n");
            }
        }
        Ok((r.written[0], r.written[1]))
    }
}

fn write_opening(
    format: Format,
    header: Option<&[u8]>,
    dest: Destination,
    out: &mut dyn FnMut(Destination, &[u8]),
) {
    match format {
        Format::Json => out(dest, b"[\n"),
        Format::Csv | Format::Tsv => {
            if let Some(h) = header {
                out(dest, h);
            }
        }
        Format::Jsonl | Format::Text => {}
    }
}

/// One piece of an output described by [`OutputParts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Input bytes `start..end` (offsets in the input as pushed, counting from its first byte).
    Input { start: u64, end: u64 },
    /// Bytes `start..end` of the copied bytes taken with the parts.
    Copied { start: usize, end: usize },
}

/// The [`Splitter`]'s outputs described as parts of the input instead of copies of it.
///
/// A piece of output that is a sub-slice of the chunk being pushed, or equal to the chunk's bytes
/// right after the span being built (a line terminator), extends a span of the input (a row that
/// straddles two chunks comes from the reader's buffer, is copied, and so ends the span); a span
/// of at
/// least [`OutputParts::MIN_SPAN`] bytes is handed out as [`Part::Input`], a shorter one as copied
/// bytes, so an output never has more than one input span per `MIN_SPAN` bytes. Any other piece (a
/// row that straddled two chunks, a header, `[` and `,`, a rewritten or exported row, the rows of
/// decompressed input) is copied. The page builds its downloads from the spans as slices of the
/// user's `File`: most output bytes are never copied. The parts, concatenated, are exactly the
/// bytes the splitter wrote.
#[derive(Debug, Default)]
pub struct OutputParts {
    outputs: [PartsOf; 3],
}

#[derive(Debug, Default)]
struct PartsOf {
    parts: Vec<Part>,
    copied: Vec<u8>,
    /// The span still growing, and its bytes while it is shorter than `MIN_SPAN`.
    open: Option<(u64, u64)>,
    open_bytes: Vec<u8>,
}

impl PartsOf {
    fn copy(&mut self, bytes: &[u8]) {
        let start = self.copied.len();
        self.copied.extend_from_slice(bytes);
        let end = self.copied.len();
        match self.parts.last_mut() {
            Some(Part::Copied { end: last_end, .. }) if *last_end == start => *last_end = end,
            _ => self.parts.push(Part::Copied { start, end }),
        }
    }

    fn close(&mut self) {
        if let Some((start, end)) = self.open.take() {
            if end - start >= OutputParts::MIN_SPAN {
                self.parts.push(Part::Input { start, end });
            } else {
                let bytes = std::mem::take(&mut self.open_bytes);
                self.copy(&bytes);
                self.open_bytes = bytes;
            }
            self.open_bytes.clear();
        }
    }
}

impl OutputParts {
    /// Spans shorter than this are copied (64 KiB: a 1 GB output is at most ~16 000 spans).
    pub const MIN_SPAN: u64 = 64 * 1024;

    /// Records `piece`, routed to `dest` while `chunk` (which starts at input offset
    /// `chunk_offset`) was being pushed, or during `finish` (then pass an empty chunk).
    pub fn add(&mut self, chunk: &[u8], chunk_offset: u64, dest: Destination, piece: &[u8]) {
        if piece.is_empty() {
            return;
        }
        let out = &mut self.outputs[dest as usize];
        let chunk_start = chunk.as_ptr() as usize;
        let piece_start = piece.as_ptr() as usize;
        let inside = !chunk.is_empty()
            && piece_start >= chunk_start
            && piece_start + piece.len() <= chunk_start + chunk.len();
        let start = if inside {
            chunk_offset + (piece_start - chunk_start) as u64
        } else {
            // A piece written from elsewhere (line terminators are static strings) that equals
            // the input bytes right after the open span continues it.
            let continues = out.open.is_some_and(|(_, end)| {
                end >= chunk_offset
                    && usize::try_from(end - chunk_offset)
                        .ok()
                        .and_then(|at| chunk.get(at..))
                        .is_some_and(|rest| rest.starts_with(piece))
            });
            if !continues {
                out.close();
                out.copy(piece);
                return;
            }
            out.open.expect("continues").1
        };
        let end = start + piece.len() as u64;
        match &mut out.open {
            Some((_, open_end)) if *open_end == start => *open_end = end,
            _ => {
                out.close();
                out.open = Some((start, end));
            }
        }
        let (open_start, open_end) = out.open.expect("just set");
        if open_end - open_start < Self::MIN_SPAN {
            out.open_bytes.extend_from_slice(piece);
        } else {
            out.open_bytes.clear(); // long enough: it stays a span
        }
    }

    /// The parts of `dest` completed since the last call, and the copied bytes they refer to. A
    /// span still growing is held back; after the splitter's `finish`, pass `done = true` to
    /// close it.
    pub fn take(&mut self, dest: Destination, done: bool) -> (Vec<Part>, Vec<u8>) {
        let out = &mut self.outputs[dest as usize];
        if done {
            out.close();
        }
        (
            std::mem::take(&mut out.parts),
            std::mem::take(&mut out.copied),
        )
    }
}
