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
    /// A row longer than the limit: its bytes were skipped, `len` says how many there were.
    Oversize { len: u64 },
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
    /// Set once the row went over the limit: from then on bytes are counted, not kept.
    oversize_len: Option<u64>,
    /// The last byte added, kept even when the bytes are not (a `\r` before the `\n` is part
    /// of the terminator, not of the row).
    last: Option<u8>,
    /// A byte other than space, tab or `\r` was added (an over-long run of white space is a
    /// blank line, not an over-long row).
    non_blank: bool,
}

impl Pending {
    fn extend(&mut self, data: &[u8], max: usize) {
        if let Some(&b) = data.last() {
            self.last = Some(b);
        }
        if !self.non_blank {
            self.non_blank = data.iter().any(|b| !matches!(b, b' ' | b'\t' | b'\r'));
        }
        match &mut self.oversize_len {
            Some(len) => *len += data.len() as u64,
            None if self.bytes.len() + data.len() > max => {
                self.oversize_len = Some((self.bytes.len() + data.len()) as u64);
                self.bytes = Vec::new();
            }
            None => self.bytes.extend_from_slice(data),
        }
    }
    fn is_empty(&self) -> bool {
        self.bytes.is_empty() && self.oversize_len.is_none()
    }
    fn clear(&mut self) {
        self.bytes.clear();
        self.oversize_len = None;
        self.last = None;
        self.non_blank = false;
    }
}

/// Newline-delimited rows: JSONL lines, or CSV/TSV records (`quote_aware`: a newline inside a
/// double-quoted field does not end the record). Blank lines (only spaces, tabs, `\r`) are
/// skipped but counted in line numbers. The first row of a CSV/TSV file is framed as the header.
#[derive(Debug)]
pub struct LineFramer {
    max_row_bytes: usize,
    quote_aware: bool,
    in_quotes: bool,
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

impl LineFramer {
    /// A framer for JSONL.
    pub fn jsonl(max_row_bytes: usize, start_offset: u64) -> Self {
        Self::new(max_row_bytes, start_offset, false)
    }

    /// A framer for CSV/TSV records (quote-aware, first record is the header).
    pub fn csv(max_row_bytes: usize, start_offset: u64) -> Self {
        Self::new(max_row_bytes, start_offset, true)
    }

    fn new(max_row_bytes: usize, start_offset: u64, quote_aware: bool) -> Self {
        LineFramer {
            max_row_bytes,
            quote_aware,
            in_quotes: false,
            inner_newlines: 0,
            expect_header: quote_aware,
            offset: start_offset,
            line: 1,
            pending_start: start_offset,
            pending: Pending::default(),
        }
    }

    pub fn push(&mut self, mut data: &[u8], emit: &mut Emit<'_>) -> crate::Result<()> {
        while !data.is_empty() {
            match self.find_record_end(data) {
                None => {
                    if self.pending.is_empty() {
                        self.pending_start = self.offset;
                    }
                    self.pending.extend(data, self.pending_limit());
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
                        self.pending.extend(head, self.pending_limit());
                        let pending = std::mem::take(&mut self.pending);
                        let start = self.pending_start;
                        match pending.oversize_len {
                            Some(len) => self.emit_pending_oversize(start, len, &pending, true, emit)?,
                            None => self.emit_line(start, line_end, &pending.bytes, true, emit)?,
                        }
                        self.pending = pending;
                        self.pending.clear();
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
        if !self.quote_aware {
            return memchr(b'\n', data);
        }
        let mut from = 0;
        while let Some(found) = memchr::memchr2(b'\n', b'"', &data[from..]) {
            let at = from + found;
            if data[at] == b'"' {
                self.in_quotes = !self.in_quotes;
            } else if self.in_quotes {
                self.inner_newlines += 1;
            } else {
                return Some(at);
            }
            from = at + 1;
        }
        None
    }

    pub fn finish(&mut self, emit: &mut Emit<'_>) -> crate::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        match pending.oversize_len {
            Some(len) => self.emit_pending_oversize(self.pending_start, len, &pending, false, emit),
            None => self.emit_line(self.pending_start, self.offset, &pending.bytes, false, emit),
        }
    }

    /// How many bytes of a straddling line are kept: the limit, plus one for the `\r` of a CRLF
    /// terminator, so a row of exactly `max_row_bytes` is read whatever the chunk boundaries.
    fn pending_limit(&self) -> usize {
        self.max_row_bytes.saturating_add(1)
    }

    /// A straddling line whose bytes went over the limit: reported like one seen whole (its
    /// length without the `\r` of a CRLF terminator; a blank line stays blank).
    fn emit_pending_oversize(
        &mut self,
        start: u64,
        len: u64,
        pending: &Pending,
        had_newline: bool,
        emit: &mut Emit<'_>,
    ) -> crate::Result<()> {
        if !pending.non_blank {
            return Ok(());
        }
        let len = len - u64::from(had_newline && pending.last == Some(b'\r'));
        self.emit_oversize(start, len, emit)
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
        if content.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            return Ok(()); // blank line: counted (self.line advances), not a row
        }
        if content.len() > self.max_row_bytes {
            return self.emit_oversize(start, content.len() as u64, emit);
        }
        let content_end = end - u64::from(crlf);
        let kind = if std::mem::take(&mut self.expect_header) { FrameKind::Header } else { FrameKind::Row };
        emit(Frame {
            line: self.line,
            span: (start, content_end),
            raw: content,
            terminator: if had_newline { terminator_of(crlf) } else { b"" },
            kind,
        })
    }

    fn emit_oversize(&mut self, start: u64, len: u64, emit: &mut Emit<'_>) -> crate::Result<()> {
        self.expect_header = false;
        emit(oversize_frame(self.line, start, len))
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
    depth: u32,
    in_string: bool,
    escaped: bool,
    element_start: u64,
    element_line: u64,
    pending: Pending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayState {
    BeforeOpen,
    /// Between elements: white space, commas, or the closing bracket.
    BetweenElements,
    InElement,
    AfterClose,
}

impl JsonArrayFramer {
    pub fn new(max_row_bytes: usize, start_offset: u64) -> Self {
        JsonArrayFramer {
            max_row_bytes,
            offset: start_offset,
            line: 1,
            state: ArrayState::BeforeOpen,
            depth: 0,
            in_string: false,
            escaped: false,
            element_start: 0,
            element_line: 1,
            pending: Pending::default(),
        }
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
                            self.element_start = self.offset + i as u64;
                            self.element_line = self.line;
                            segment_start = Some(i);
                            self.depth = 0;
                            self.in_string = false;
                            self.escaped = false;
                            continue; // re-read this byte as the element's first
                        }
                        _ => {
                            let at = self.offset + i as u64;
                            emit(Frame {
                                line: self.line,
                                span: (at, at + 1),
                                raw: &data[i..i + 1],
                                terminator: b"",
                                kind: FrameKind::Malformed(
                                    "text outside the top-level JSON array",
                                ),
                            })?;
                        }
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
                        self.emit_element(&data[seg..end_in_chunk], end, emit)?;
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
        if self.state == ArrayState::InElement {
            let seg = segment_start.unwrap_or(0);
            self.pending.extend(&data[seg..], self.max_row_bytes);
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
                if self.depth == 0 {
                    return Some(ElementEnd::Inclusive);
                }
            }
            return None;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' if self.depth > 0 => {
                self.depth -= 1;
                if self.depth == 0 {
                    return Some(ElementEnd::Inclusive);
                }
            }
            b',' | b']' | b' ' | b'\t' | b'\r' | b'\n' if self.depth == 0 => {
                return Some(ElementEnd::Before)
            }
            _ => {}
        }
        None
    }

    fn emit_element(&mut self, tail: &[u8], end: u64, emit: &mut Emit<'_>) -> crate::Result<()> {
        let start = self.element_start;
        let line = self.element_line;
        if self.pending.is_empty() {
            if tail.len() > self.max_row_bytes {
                return emit(oversize_frame(line, start, tail.len() as u64));
            }
            return emit(Frame { line, span: (start, end), raw: tail, terminator: b"", kind: FrameKind::Row });
        }
        self.pending.extend(tail, self.max_row_bytes);
        let pending = std::mem::take(&mut self.pending);
        let result = match pending.oversize_len {
            Some(len) => emit(oversize_frame(line, start, len)),
            None => emit(Frame {
                line,
                span: (start, end),
                raw: &pending.bytes,
                terminator: b"",
                kind: FrameKind::Row,
            }),
        };
        self.pending = pending;
        self.pending.clear();
        result
    }

    pub fn finish(&mut self, emit: &mut Emit<'_>) -> crate::Result<()> {
        match self.state {
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
                    kind: FrameKind::Malformed("the JSON array ends inside this element (truncated file?)"),
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

fn oversize_frame(line: u64, start: u64, len: u64) -> Frame<'static> {
    Frame { line, span: (start, start + len), raw: b"", terminator: b"", kind: FrameKind::Oversize { len } }
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
