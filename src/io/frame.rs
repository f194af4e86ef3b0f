//! Framers cut a byte stream into rows without parsing them: one per input format.
//!
//! Every framer is push-style: bytes arrive in chunks cut at arbitrary boundaries (in the middle of
//! a row, a UTF-8 sequence or a CRLF pair) and complete frames come out through a callback, each
//! with its 1-based line number and byte span. A frame is handed out as a slice into the caller's
//! chunk when it lies inside it, and from an internal buffer only when it straddles chunks, so the
//! common case copies nothing. The internal buffer never grows past `max_row_bytes`: a longer row
//! is skipped to its end and reported as [`FrameKind::Oversize`].

use std::ops::Range;

use memchr::memchr;

/// One row's bytes, as it stands in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// 1-based line number of the row's first byte.
    pub line: u64,
    /// Byte offsets of the row content (without its line terminator) in the (decompressed) input.
    pub span: (u64, u64),
    /// The row content, without the line terminator. Empty for [`FrameKind::Oversize`].
    pub raw: &'a [u8],
    /// The line terminator that followed the row: `b"\n"`, `b"\r\n"` or `b""` (end of input, or
    /// a JSON array element).
    pub terminator: &'static [u8],
    pub kind: FrameKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// A data row.
    Row,
    /// The header record of a CSV/TSV file.
    Header,
    /// A row longer than the limit: its bytes were not kept, `len` says how many there were.
    /// Its bytes were handed out before, in order, as [`FrameKind::OversizePart`] frames.
    Oversize { len: u64 },
    /// A piece of an over-long row's bytes, so they can be copied without being held (the
    /// output splitter copies them; the parsing pass ignores them). Not a row.
    OversizePart,
    /// The framer could not find the row's boundaries (e.g. text after the closing `]`).
    Malformed(&'static str),
}

/// Receives frames. Returning an error stops the framer and the error is passed up unchanged.
pub type Emit<'e> = dyn FnMut(Frame<'_>) -> crate::Result<()> + 'e;

fn terminator_of(crlf: bool) -> &'static [u8] {
    if crlf {
        b"\r\n"
    } else {
        b"\n"
    }
}

/// Bytes of a row that straddles chunks, with the bound that keeps a bad file from eating memory.
#[derive(Debug, Default)]
struct Pending {
    bytes: Vec<u8>,
    /// Set once the row went over the limit: from then on bytes are counted and handed out as
    /// [`FrameKind::OversizePart`] frames, not kept.
    oversize_len: Option<u64>,
    /// Offset of the row's first byte in the input.
    start: u64,
    /// Bytes of an over-long row handed out so far.
    streamed: u64,
    /// An over-long line's last byte so far is a `\r`, not handed out yet: if a `\n` follows it
    /// belongs to the CRLF terminator, not to the row.
    held_cr: bool,
}

impl Pending {
    /// Adds bytes of the row; past `max` they are handed out through `emit` instead of kept.
    /// `hold_cr`: a trailing `\r` may start a CRLF terminator (lines, not JSON elements).
    fn extend(
        &mut self,
        data: &[u8],
        max: usize,
        hold_cr: bool,
        line: u64,
        emit: &mut Emit<'_>,
    ) -> crate::Result<()> {
        match self.oversize_len {
            Some(len) => {
                self.oversize_len = Some(len + data.len() as u64);
                self.stream(data, hold_cr, line, emit)
            }
            None if self.bytes.len() + data.len() > max => {
                self.oversize_len = Some((self.bytes.len() + data.len()) as u64);
                let kept = std::mem::take(&mut self.bytes); // frees the buffer
                self.stream(&kept, hold_cr, line, emit)?;
                self.stream(data, hold_cr, line, emit)
            }
            None => {
                self.bytes.extend_from_slice(data);
                Ok(())
            }
        }
    }

    fn stream(
        &mut self,
        data: &[u8],
        hold_cr: bool,
        line: u64,
        emit: &mut Emit<'_>,
    ) -> crate::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        if std::mem::take(&mut self.held_cr) {
            self.emit_part(b"\r", line, emit)?; // more bytes followed: the `\r` is content
        }
        match data.split_last() {
            Some((b'\r', body)) if hold_cr => {
                self.emit_part(body, line, emit)?;
                self.held_cr = true;
                Ok(())
            }
            _ => self.emit_part(data, line, emit),
        }
    }

    fn emit_part(&mut self, piece: &[u8], line: u64, emit: &mut Emit<'_>) -> crate::Result<()> {
        if piece.is_empty() {
            return Ok(());
        }
        let at = self.start + self.streamed;
        self.streamed += piece.len() as u64;
        emit(Frame {
            line,
            span: (at, at + piece.len() as u64),
            raw: piece,
            terminator: b"",
            kind: FrameKind::OversizePart,
        })
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty() && self.oversize_len.is_none()
    }

    /// Ready for the next row, starting at `start`; keeps the buffer's capacity.
    fn reset(&mut self, start: u64) {
        self.bytes.clear();
        self.oversize_len = None;
        self.start = start;
        self.streamed = 0;
        self.held_cr = false;
    }
}

/// Newline-delimited rows: JSONL lines, or CSV/TSV records (a newline inside a double-quoted
/// field does not end the record). Blank lines (only spaces, tabs, `\r`) are skipped but counted
/// in line numbers. The first row of a CSV/TSV file is framed as the header.
#[derive(Debug)]
pub struct LineFramer {
    max_row_bytes: usize,
    /// CSV/TSV: the field delimiter; `None` for JSONL (no quoting).
    csv_delimiter: Option<u8>,
    /// Where the CSV scanner stands in the current record, kept across chunks.
    quote_state: QuoteState,
    /// Newlines inside quoted fields of the record being scanned.
    inner_newlines: u64,
    /// CSV/TSV: the next row framed is the header.
    expect_header: bool,
    /// Offset of the next byte to arrive.
    offset: u64,
    /// Line number of the next line to start.
    line: u64,
    /// Offset where the pending (incomplete) line starts.
    pending_start: u64,
    pending: Pending,
}

/// The quoting states of a CSV field, as csv-core parses them: a `"` opens a quoted field only
/// at the start of a field (elsewhere it is a literal character, as in `5" screen`), and `""`
/// inside a quoted field is an escaped quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted field: the closing quote, or the first half of `""`.
    QuoteInQuoted,
}

impl LineFramer {
    /// A framer for JSONL.
    pub fn jsonl(max_row_bytes: usize, start_offset: u64) -> Self {
        Self::new(max_row_bytes, start_offset, None)
    }

    /// A framer for comma-separated records (quote-aware, first record is the header).
    pub fn csv(max_row_bytes: usize, start_offset: u64) -> Self {
        Self::csv_with_delimiter(max_row_bytes, start_offset, b',')
    }

    /// A framer for CSV-style records with the given delimiter (`\t` for TSV).
    pub fn csv_with_delimiter(max_row_bytes: usize, start_offset: u64, delimiter: u8) -> Self {
        Self::new(max_row_bytes, start_offset, Some(delimiter))
    }

    fn new(max_row_bytes: usize, start_offset: u64, csv_delimiter: Option<u8>) -> Self {
        LineFramer {
            max_row_bytes,
            csv_delimiter,
            quote_state: QuoteState::FieldStart,
            inner_newlines: 0,
            expect_header: csv_delimiter.is_some(),
            offset: start_offset,
            line: 1,
            pending_start: start_offset,
            pending: Pending::default(),
        }
    }

    pub fn push(&mut self, mut data: &[u8], emit: &mut Emit<'_>) -> crate::Result<()> {
        let limit = self.pending_limit();
        while !data.is_empty() {
            match self.find_record_end(data) {
                None => {
                    if self.pending.is_empty() {
                        self.pending_start = self.offset;
                        self.pending.reset(self.offset);
                    }
                    self.pending.extend(data, limit, true, self.line, emit)?;
                    self.offset += data.len() as u64;
                    return Ok(());
                }
                Some(nl) => {
                    let head = &data[..nl];
                    let line_end = self.offset + nl as u64;
                    if self.pending.is_empty() {
                        let start = self.offset;
                        self.emit_line(start, line_end, head, true, emit)?;
                    } else {
                        self.pending.extend(head, limit, true, self.line, emit)?;
                        let pending = std::mem::take(&mut self.pending);
                        let start = self.pending_start;
                        match pending.oversize_len {
                            Some(len) => {
                                self.emit_streamed_oversize(start, len, &pending, true, emit)?
                            }
                            None => self.emit_line(start, line_end, &pending.bytes, true, emit)?,
                        }
                        self.pending = pending;
                        self.pending.reset(line_end + 1);
                    }
                    self.offset = line_end + 1;
                    self.line += 1 + std::mem::take(&mut self.inner_newlines);
                    data = &data[nl + 1..];
                }
            }
        }
        Ok(())
    }

    /// The index of the newline that ends the current record, if it is in `data`; remembers the
    /// quoting state across chunks.
    fn find_record_end(&mut self, data: &[u8]) -> Option<usize> {
        let Some(delimiter) = self.csv_delimiter else {
            return memchr(b'\n', data);
        };
        use QuoteState::*;
        let mut from = 0;
        while let Some(found) = memchr::memchr3(b'\n', b'"', delimiter, &data[from..]) {
            let at = from + found;
            if found > 0 {
                self.quote_state = after_ordinary_bytes(self.quote_state);
            }
            let b = data[at];
            self.quote_state = match (self.quote_state, b) {
                (Quoted, b'"') => QuoteInQuoted,
                (Quoted, b'\n') => {
                    self.inner_newlines += 1;
                    Quoted
                }
                (Quoted, _) => Quoted, // a delimiter inside quotes
                (QuoteInQuoted, b'"') => Quoted,
                (FieldStart, b'"') => Quoted,
                (Unquoted, b'"') => Unquoted,
                (_, b'\n') => {
                    self.quote_state = FieldStart;
                    return Some(at);
                }
                (_, _) => FieldStart, // a delimiter outside quotes
            };
            from = at + 1;
        }
        if from < data.len() {
            self.quote_state = after_ordinary_bytes(self.quote_state);
        }
        None
    }

    pub fn finish(&mut self, emit: &mut Emit<'_>) -> crate::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut pending = std::mem::take(&mut self.pending);
        match pending.oversize_len {
            Some(len) => {
                if std::mem::take(&mut pending.held_cr) {
                    pending.emit_part(b"\r", self.line, emit)?; // no `\n` came: it is content
                }
                self.emit_streamed_oversize(self.pending_start, len, &pending, false, emit)
            }
            None => self.emit_line(self.pending_start, self.offset, &pending.bytes, false, emit),
        }
    }

    /// How many bytes of a straddling line are kept: the limit, plus one for the `\r` of a CRLF
    /// terminator, so a row of exactly `max_row_bytes` is read whatever the chunk boundaries.
    fn pending_limit(&self) -> usize {
        self.max_row_bytes.saturating_add(1)
    }

    /// The end of a straddling line whose bytes went over the limit (and were streamed out):
    /// reported like one seen whole, its length without the `\r` of a CRLF terminator.
    fn emit_streamed_oversize(
        &mut self,
        start: u64,
        len: u64,
        pending: &Pending,
        had_newline: bool,
        emit: &mut Emit<'_>,
    ) -> crate::Result<()> {
        let crlf = had_newline && pending.held_cr;
        let terminator: &'static [u8] = if had_newline {
            terminator_of(crlf)
        } else {
            b""
        };
        self.emit_oversize(start, len - u64::from(crlf), terminator, emit)
    }

    fn emit_line(
        &mut self,
        start: u64,
        end: u64,
        bytes: &[u8],
        had_newline: bool,
        emit: &mut Emit<'_>,
    ) -> crate::Result<()> {
        let (content, crlf) = match bytes.last() {
            Some(b'\r') if had_newline => (&bytes[..bytes.len() - 1], true),
            _ => (bytes, false),
        };
        let terminator = if had_newline {
            terminator_of(crlf)
        } else {
            b""
        };
        // Over the limit before blank: a straddling over-long line is streamed out before it
        // could be known to be all white space, so a whole one must be a row too.
        if content.len() > self.max_row_bytes {
            let len = content.len() as u64;
            emit(Frame {
                line: self.line,
                span: (start, start + len),
                raw: content,
                terminator: b"",
                kind: FrameKind::OversizePart,
            })?;
            return self.emit_oversize(start, len, terminator, emit);
        }
        if content.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            return Ok(()); // blank line: counted (self.line advances), not a row
        }
        let content_end = end - u64::from(crlf);
        let kind = if std::mem::take(&mut self.expect_header) {
            FrameKind::Header
        } else {
            FrameKind::Row
        };
        emit(Frame {
            line: self.line,
            span: (start, content_end),
            raw: content,
            terminator,
            kind,
        })
    }

    fn emit_oversize(
        &mut self,
        start: u64,
        len: u64,
        terminator: &'static [u8],
        emit: &mut Emit<'_>,
    ) -> crate::Result<()> {
        self.expect_header = false;
        emit(oversize_frame(self.line, start, len, terminator))
    }
}

/// The quoting state after bytes that are neither a quote, a delimiter nor a newline.
fn after_ordinary_bytes(state: QuoteState) -> QuoteState {
    match state {
        QuoteState::Quoted => QuoteState::Quoted,
        QuoteState::FieldStart | QuoteState::Unquoted | QuoteState::QuoteInQuoted => {
            QuoteState::Unquoted
        }
    }
}

/// Elements of one top-level JSON array, found by tracking string and nesting state byte by byte
/// (the elements themselves are parsed later, one at a time, so the whole array never sits in
/// memory).
#[derive(Debug)]
pub struct JsonArrayFramer {
    max_row_bytes: usize,
    offset: u64,
    line: u64,
    state: ArrayState,
    /// The element's open brackets, innermost last (`{` or `[`).
    open: Vec<u8>,
    /// A closing bracket of the element did not match its opener.
    mismatched: bool,
    in_string: bool,
    escaped: bool,
    element_start: u64,
    element_line: u64,
    /// The state a run of stray text interrupted (before the opening or after the closing bracket).
    stray_in: ArrayState,
    pending: Pending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    BeforeOpen,
    /// Between elements: white space, commas, or the closing bracket.
    BetweenElements,
    InElement,
    AfterClose,
    /// A run of text outside the array (to the end of its line, or to the `[` that opens the
    /// array): one malformed row, framed like an element so it is the same at any chunk boundary.
    Stray,
}

const STRAY_TEXT: &str = "text outside the top-level JSON array";

/// An element's bytes without the white space that ends them (`end`: their end offset). Only an
/// element cut short by the array's `]` (`{"a": 1` + newline + `]`) has any: the white space
/// belongs between elements, not to the row, or a broken element would grow a newline each
/// time its output is read and written again. (A run of stray text keeps its bytes.)
fn without_trailing_space(raw: &[u8], end: u64, kind: FrameKind) -> (&[u8], u64) {
    if kind != FrameKind::Row {
        return (raw, end);
    }
    let trimmed = raw.trim_ascii_end();
    (trimmed, end - (raw.len() - trimmed.len()) as u64)
}

impl JsonArrayFramer {
    pub fn new(max_row_bytes: usize, start_offset: u64) -> Self {
        JsonArrayFramer {
            max_row_bytes,
            offset: start_offset,
            line: 1,
            state: ArrayState::BeforeOpen,
            open: Vec::new(),
            mismatched: false,
            in_string: false,
            escaped: false,
            element_start: 0,
            element_line: 1,
            stray_in: ArrayState::BeforeOpen,
            pending: Pending::default(),
        }
    }

    /// Starts a row (an element or a run of stray text) at byte `i` of the chunk at hand.
    fn start_row(&mut self, i: usize) {
        self.element_start = self.offset + i as u64;
        self.element_line = self.line;
        self.pending.reset(self.element_start);
    }

    pub fn push(&mut self, data: &[u8], emit: &mut Emit<'_>) -> crate::Result<()> {
        // `segment_start` is where the current element's bytes begin within `data`, when it began
        // inside this chunk.
        let mut segment_start: Option<usize> = None;
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            match self.state {
                ArrayState::BeforeOpen | ArrayState::BetweenElements | ArrayState::AfterClose => {
                    if b == b'\n' {
                        self.line += 1;
                    }
                    match (self.state, b) {
                        (_, b' ' | b'\t' | b'\r' | b'\n') => {}
                        (ArrayState::BeforeOpen, b'[') => self.state = ArrayState::BetweenElements,
                        (ArrayState::BetweenElements, b',') => {}
                        (ArrayState::BetweenElements, b']') => self.state = ArrayState::AfterClose,
                        (ArrayState::BetweenElements, _) => {
                            self.state = ArrayState::InElement;
                            self.start_row(i);
                            segment_start = Some(i);
                            self.open.clear();
                            self.mismatched = false;
                            self.in_string = false;
                            self.escaped = false;
                            continue; // re-read this byte as the element's first
                        }
                        (state, _) => {
                            self.stray_in = state;
                            self.state = ArrayState::Stray;
                            self.start_row(i);
                            segment_start = Some(i);
                        }
                    }
                    i += 1;
                }
                ArrayState::Stray => {
                    let ends = matches!(b, b'\r' | b'\n')
                        || (self.stray_in == ArrayState::BeforeOpen && b == b'[');
                    if ends {
                        let seg = segment_start.take().unwrap_or(0);
                        let end = self.offset + i as u64;
                        self.emit_row(&data[seg..i], end, FrameKind::Malformed(STRAY_TEXT), emit)?;
                        self.state = self.stray_in;
                        continue; // re-read this byte in the state the run interrupted
                    }
                    i += 1;
                }
                ArrayState::InElement => {
                    let done = self.scan_element_byte(b);
                    if done.is_some() {
                        // The element ended: at byte i (inclusive) for containers and strings, or
                        // just before byte i for scalars that end at a delimiter.
                        let end_in_chunk = match done {
                            Some(ElementEnd::Inclusive) => i + 1,
                            _ => i,
                        };
                        let seg = segment_start.unwrap_or(0);
                        let end = self.offset + end_in_chunk as u64;
                        self.emit_row(&data[seg..end_in_chunk], end, FrameKind::Row, emit)?;
                        segment_start = None;
                        self.state = ArrayState::BetweenElements;
                        i = end_in_chunk;
                        continue;
                    }
                    if b == b'\n' {
                        self.line += 1;
                    }
                    i += 1;
                }
            }
        }
        if matches!(self.state, ArrayState::InElement | ArrayState::Stray) {
            let seg = segment_start.unwrap_or(0);
            self.pending.extend(
                &data[seg..],
                self.max_row_bytes,
                false,
                self.element_line,
                emit,
            )?;
        }
        self.offset += data.len() as u64;
        Ok(())
    }

    /// Advances the element scanner by one byte; returns how the element ends if it did.
    fn scan_element_byte(&mut self, b: u8) -> Option<ElementEnd> {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                if self.open.is_empty() {
                    return Some(ElementEnd::Inclusive);
                }
            }
            return None;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.open.push(b),
            b'}' | b']' if !self.open.is_empty() => {
                let opener = self.open[self.open.len() - 1];
                let matches = (opener, b) == (b'{', b'}') || (opener, b) == (b'[', b']');
                if !matches && b == b']' && self.open.len() == 1 && !self.mismatched {
                    // `{"text": "two"` + `]`: an object missing its `}`, then the array's end.
                    // Counting the `]` as the object's end would swallow the array's closing
                    // bracket and report a row past the end of the file.
                    self.open.clear();
                    return Some(ElementEnd::Before);
                }
                self.mismatched |= !matches;
                self.open.pop();
                if self.open.is_empty() {
                    return Some(ElementEnd::Inclusive);
                }
            }
            b',' | b']' | b' ' | b'\t' | b'\r' | b'\n' if self.open.is_empty() => {
                return Some(ElementEnd::Before)
            }
            _ => {}
        }
        None
    }

    /// Ends the current element (`kind` Row) or stray run (`kind` Malformed); `tail` is its part
    /// in the chunk at hand, `end` its end offset.
    fn emit_row(
        &mut self,
        tail: &[u8],
        end: u64,
        kind: FrameKind,
        emit: &mut Emit<'_>,
    ) -> crate::Result<()> {
        let start = self.element_start;
        let line = self.element_line;
        if self.pending.is_empty() {
            if tail.len() > self.max_row_bytes {
                let len = tail.len() as u64;
                emit(Frame {
                    line,
                    span: (start, end),
                    raw: tail,
                    terminator: b"",
                    kind: FrameKind::OversizePart,
                })?;
                return emit(oversize_frame(line, start, len, b""));
            }
            let (raw, end) = without_trailing_space(tail, end, kind);
            return emit(Frame {
                line,
                span: (start, end),
                raw,
                terminator: b"",
                kind,
            });
        }
        self.pending
            .extend(tail, self.max_row_bytes, false, line, emit)?;
        let pending = std::mem::take(&mut self.pending);
        let result = match pending.oversize_len {
            Some(len) => emit(oversize_frame(line, start, len, b"")),
            None => {
                let (raw, end) = without_trailing_space(&pending.bytes, end, kind);
                emit(Frame {
                    line,
                    span: (start, end),
                    raw,
                    terminator: b"",
                    kind,
                })
            }
        };
        self.pending = pending;
        self.pending.reset(end);
        result
    }

    pub fn finish(&mut self, emit: &mut Emit<'_>) -> crate::Result<()> {
        match self.state {
            ArrayState::Stray => {
                let end = self.offset;
                self.emit_row(&[], end, FrameKind::Malformed(STRAY_TEXT), emit)?;
                self.state = self.stray_in;
                self.finish(emit)
            }
            ArrayState::InElement => {
                let pending = std::mem::take(&mut self.pending);
                let start = self.element_start;
                // A scalar element at the very end (no closing bracket) ends here; anything else
                // is a truncated array.
                emit(Frame {
                    line: self.element_line,
                    span: (start, self.offset),
                    raw: &pending.bytes,
                    terminator: b"",
                    kind: FrameKind::Malformed(
                        "the JSON array ends inside this element (truncated file?)",
                    ),
                })
            }
            ArrayState::BetweenElements => emit(Frame {
                line: self.line,
                span: (self.offset, self.offset),
                raw: b"",
                terminator: b"",
                kind: FrameKind::Malformed("the JSON array has no closing `]` (truncated file?)"),
            }),
            ArrayState::BeforeOpen | ArrayState::AfterClose => Ok(()),
        }
    }
}

enum ElementEnd {
    /// The byte that ended the element belongs to it (`}`, `]`, `"`).
    Inclusive,
    /// The byte that ended the element is a delimiter after it (`,`, `]`, white space).
    Before,
}

fn oversize_frame(line: u64, start: u64, len: u64, terminator: &'static [u8]) -> Frame<'static> {
    Frame {
        line,
        span: (start, start + len),
        raw: b"",
        terminator,
        kind: FrameKind::Oversize { len },
    }
}

pub(crate) fn csv_reader(delimiter: u8) -> csv_core::Reader {
    csv_core::ReaderBuilder::new().delimiter(delimiter).build()
}

/// Splits one CSV record (as framed above) into its fields, unquoted.
pub fn csv_fields(delimiter: u8, record: &[u8]) -> Vec<Vec<u8>> {
    let mut reader = csv_reader(delimiter);
    // Unquoting never makes a record longer, so `out` never fills; `ends` grows for wide rows.
    // csv-core resumes a record where it stopped: the next call must get the buffers' unused
    // tails, and the field ends it reports are offsets from the record's start.
    let mut out = vec![0u8; record.len() + 16];
    let mut ends = vec![0usize; 64];
    let (mut out_len, mut ends_len) = (0, 0);
    let mut input = record;
    let mut fields = Vec::new();
    loop {
        // An empty input tells csv-core the data ended, which completes the last record.
        let (result, nin, nout, nend) =
            reader.read_record(input, &mut out[out_len..], &mut ends[ends_len..]);
        input = &input[nin..];
        out_len += nout;
        ends_len += nend;
        use csv_core::ReadRecordResult as R;
        match result {
            R::OutputEndsFull => {
                let n = ends.len() * 2;
                ends.resize(n, 0);
            }
            R::OutputFull => {
                let n = out.len() * 2;
                out.resize(n, 0);
            }
            R::InputEmpty => {}
            R::Record => {
                collect_fields(&out[..out_len], &ends[..ends_len], &mut fields);
                return fields;
            }
            R::End => return fields,
        }
    }
}

fn collect_fields(out: &[u8], ends: &[usize], fields: &mut Vec<Vec<u8>>) {
    let mut start = 0;
    for &end in ends {
        fields.push(out[start..end].to_vec());
        start = end;
    }
}

/// A byte range helper used by tests and writers.
pub fn span_range(span: (u64, u64)) -> Range<usize> {
    span.0 as usize..span.1 as usize
}
