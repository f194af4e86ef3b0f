//! Streaming readers and writers.
//!
//! [`RowReader`] is the one entry point: push bytes in chunks of any size, get [`Record`]s out.
//! It detects compression (gzip or zstd, by magic bytes) and format (JSONL, JSON array, CSV, TSV,
//! text lines, from the first bytes of content; the file name is only a hint for ambiguous cases
//! and for telling text lines from a table), strips a UTF-8 BOM,
//! frames rows ([`frame`]) and parses each row on its own, so a broken row becomes a
//! [`RowContent::Invalid`] and the rest of the file goes on.

pub mod decompress;
pub mod frame;
pub mod ranges;
pub mod split;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Error, Result};
use decompress::Decoder;
pub use decompress::{
    compression_of, decompressed_head, Decompressor, IgnoredTrailing, PlainRangeCutter,
};
use frame::{Frame, FrameKind, JsonArrayFramer, LineFramer};

pub use ranges::{LineRangePlanner, PROBE_BYTES};
pub use split::{Destination, OutputParts, Part, Splitter};

/// Default bound on one row's size: a longer row is reported, not buffered.
pub const DEFAULT_MAX_ROW_BYTES: usize = 64 * 1024 * 1024;

/// How many leading bytes (after decompression) are looked at to detect the format.
pub const SNIFF_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Jsonl,
    /// One top-level JSON array of records.
    Json,
    Csv,
    Tsv,
    /// Plain text, one document per line (a `.txt` file, or one with an extension datasieve does
    /// not know that is not a table): each line is the row `{"text": line}`.
    Text,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Text => "text",
        }
    }

    /// The extension of the kept/removed files written for this input format.
    pub fn output_extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            other => other.name(),
        }
    }

    /// Rows are records of their own (a header line names CSV/TSV fields; a text line is only
    /// text), not JSON values whose fields can be rewritten in place.
    pub fn is_line_records(self) -> bool {
        matches!(self, Format::Csv | Format::Tsv | Format::Text)
    }
}

/// The row a line of a plain-text input stands for: `{"text": line}`.
pub fn text_line_value(raw: &[u8]) -> std::result::Result<Value, String> {
    match std::str::from_utf8(raw) {
        Ok(s) => Ok(serde_json::json!({ "text": s })),
        Err(e) => Err(format!(
            "not valid UTF-8 at byte {} of the line",
            e.valid_up_to()
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// Bytes needed to tell the compression from the magic number (zstd's is four bytes).
const MAGIC_BYTES: usize = 4;

/// Reader settings (part of the pipeline config, key `input`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReaderOptions {
    /// `null` = detect from content.
    pub format: Option<Format>,
    /// A row longer than this many bytes is reported as a `parse_error`, not read into memory.
    pub max_row_bytes: usize,
    /// The input's file name, used only to break ties in detection (`.jsonl` vs `.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            format: None,
            max_row_bytes: DEFAULT_MAX_ROW_BYTES,
            file_name: None,
        }
    }
}

/// One row of the input.
#[derive(Debug)]
pub struct Record<'a> {
    /// 0-based index among the rows (blank lines and CSV headers are not rows).
    pub row: u64,
    /// 1-based line number of the row's first byte.
    pub line: u64,
    /// Byte span of the row content in the (decompressed) input, without its line terminator.
    pub span: (u64, u64),
    /// The row's bytes as they stand in the input (empty for an over-long row).
    pub raw: &'a [u8],
    /// The line terminator after the row (`\n`, `\r\n`, or empty).
    pub terminator: &'static [u8],
    pub content: RowContent,
}

/// What a row holds once parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum RowContent {
    /// A JSON value (CSV/TSV rows become objects of header → string).
    Value(Value),
    /// The row could not be read; the message says why, for a person.
    Invalid(String),
    /// Parsing was not requested ([`RowReader::framing_only`]).
    Unparsed,
}

/// What detection found, available once the first rows are out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Detected {
    pub format: Format,
    pub compression: Compression,
    /// The input started with a UTF-8 byte-order mark (not part of any row).
    pub bom: bool,
}

/// Receives the bytes of over-long rows, piece by piece, with the index the row will have.
type PartSink<'p> = dyn FnMut(u64, &[u8]) + 'p;
type RecordSink<'r> = dyn FnMut(Record<'_>) -> Result<()> + 'r;

enum Framer {
    Line(LineFramer),
    Array(JsonArrayFramer),
}

impl Framer {
    fn push(&mut self, data: &[u8], emit: &mut frame::Emit<'_>) -> Result<()> {
        match self {
            Framer::Line(f) => f.push(data, emit),
            Framer::Array(f) => f.push(data, emit),
        }
    }
    fn finish(&mut self, emit: &mut frame::Emit<'_>) -> Result<()> {
        match self {
            Framer::Line(f) => f.finish(emit),
            Framer::Array(f) => f.finish(emit),
        }
    }
}

enum Stage {
    /// Waiting for enough bytes to tell gzip or zstd from plain.
    SniffCompression(Vec<u8>),
    /// Waiting for enough (decompressed) bytes to tell the format.
    SniffFormat(Vec<u8>),
    Framing(Framer),
    Finished,
}

/// Push-style row reader. Feed it with [`push`](Self::push), end with [`finish`](Self::finish);
/// both call `on_record` for every complete row, in input order.
pub struct RowReader {
    options: ReaderOptions,
    parse: bool,
    stage: Stage,
    decoder: Option<Decoder>,
    detected: Option<Detected>,
    compression: Compression,
    rows: u64,
    header: Option<Vec<String>>,
    header_raw: Option<Vec<u8>>,
    bytes_in: u64,
    ignored_trailing: Option<IgnoredTrailing>,
}

impl RowReader {
    /// A reader that parses every row.
    pub fn new(options: ReaderOptions) -> Self {
        RowReader {
            options,
            parse: true,
            stage: Stage::SniffCompression(Vec::new()),
            decoder: None,
            detected: None,
            compression: Compression::None,
            rows: 0,
            header: None,
            header_raw: None,
            bytes_in: 0,
            ignored_trailing: None,
        }
    }

    /// A reader that only frames rows (for the second pass that copies bytes).
    pub fn framing_only(options: ReaderOptions) -> Self {
        RowReader {
            parse: false,
            ..Self::new(options)
        }
    }

    /// Format and compression, once known.
    pub fn detected(&self) -> Option<Detected> {
        self.detected
    }

    /// The raw header line of a CSV/TSV input with its line terminator, once read.
    pub fn header_raw(&self) -> Option<&[u8]> {
        self.header_raw.as_deref()
    }

    /// Rows seen so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Compressed (as given) bytes pushed so far.
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in
    }

    /// Once finished: bytes after the end of the gzip data that are not gzip data, which were
    /// ignored (the rows before them were read). See [`IgnoredTrailing::describe`].
    pub fn ignored_trailing(&self) -> Option<IgnoredTrailing> {
        self.ignored_trailing
    }

    pub fn push(
        &mut self,
        chunk: &[u8],
        on_record: &mut dyn FnMut(Record<'_>) -> Result<()>,
    ) -> Result<()> {
        self.push_inner(chunk, on_record, None)
    }

    /// [`push`](Self::push), also handing out the bytes of over-long rows (which are never
    /// records' `raw`) to `on_part`, in order, before the row's record; for copying them.
    pub(crate) fn push_with_parts(
        &mut self,
        chunk: &[u8],
        on_record: &mut RecordSink<'_>,
        on_part: &mut PartSink<'_>,
    ) -> Result<()> {
        self.push_inner(chunk, on_record, Some(on_part))
    }

    fn push_inner(
        &mut self,
        chunk: &[u8],
        on_record: &mut RecordSink<'_>,
        on_part: Option<&mut PartSink<'_>>,
    ) -> Result<()> {
        self.bytes_in += chunk.len() as u64;
        match &mut self.stage {
            Stage::Finished => return Err(Error::Usage("push after finish".into())),
            // Sniffing works on the caller's bytes when they suffice (no copy: rows stay
            // sub-slices of the input, see `OutputParts`), else on a buffer.
            Stage::SniffCompression(buf) if buf.is_empty() && chunk.len() >= MAGIC_BYTES => {
                self.start_decompression(chunk);
                self.stage = Stage::SniffFormat(Vec::new());
                return self.push_plain_after_compression(chunk, on_record, on_part);
            }
            Stage::SniffCompression(buf) => {
                buf.extend_from_slice(chunk);
                if buf.len() < MAGIC_BYTES {
                    return Ok(());
                }
                let buf = std::mem::take(buf);
                self.start_decompression(&buf);
                self.stage = Stage::SniffFormat(Vec::new());
                return self.push_plain_after_compression(&buf, on_record, on_part);
            }
            _ => {}
        }
        self.push_plain_after_compression(chunk, on_record, on_part)
    }

    fn start_decompression(&mut self, head: &[u8]) {
        self.compression = decompress::compression_of(head);
        self.decoder = Decoder::new(self.compression);
    }

    fn push_plain_after_compression(
        &mut self,
        chunk: &[u8],
        on_record: &mut RecordSink<'_>,
        mut on_part: Option<&mut PartSink<'_>>,
    ) -> Result<()> {
        let Some(mut decoder) = self.decoder.take() else {
            return self.push_plain(chunk, on_record, on_part);
        };
        let result = decoder.push(chunk, &mut |plain| {
            self.push_plain(plain, on_record, on_part.as_deref_mut())
        });
        self.decoder = Some(decoder);
        result
    }

    fn push_plain(
        &mut self,
        data: &[u8],
        on_record: &mut RecordSink<'_>,
        on_part: Option<&mut PartSink<'_>>,
    ) -> Result<()> {
        if let Stage::SniffFormat(buf) = &mut self.stage {
            // The format is told from the first 64 KiB, or, when the options name it, only a
            // byte-order mark is looked for (the splitter's second pass).
            let need = if self.options.format.is_some() {
                3
            } else {
                SNIFF_BYTES
            };
            if buf.is_empty() && data.len() >= need {
                return self.start_framing(data, on_record, on_part);
            }
            buf.extend_from_slice(data);
            if buf.len() < need {
                return Ok(());
            }
            let buf = std::mem::take(buf);
            return self.start_framing(&buf, on_record, on_part);
        }
        self.frame(data, on_record, on_part)
    }

    fn start_framing(
        &mut self,
        head: &[u8],
        on_record: &mut RecordSink<'_>,
        on_part: Option<&mut PartSink<'_>>,
    ) -> Result<()> {
        let bom = head.starts_with(b"\xEF\xBB\xBF");
        let body = if bom { &head[3..] } else { head };
        let format = match self.options.format {
            Some(f) => f,
            // Only the first 64 KiB, whatever the chunking.
            None => detect_format(
                &body[..body.len().min(SNIFF_BYTES)],
                self.options.file_name.as_deref(),
            )?,
        };
        let start = if bom { 3 } else { 0 };
        let max = self.options.max_row_bytes;
        let framer = match format {
            Format::Jsonl | Format::Text => Framer::Line(LineFramer::jsonl(max, start)),
            Format::Csv => Framer::Line(LineFramer::csv_with_delimiter(max, start, b',')),
            Format::Tsv => Framer::Line(LineFramer::csv_with_delimiter(max, start, b'\t')),
            Format::Json => Framer::Array(JsonArrayFramer::new(max, start)),
        };
        self.detected = Some(Detected {
            format,
            compression: self.compression,
            bom,
        });
        self.stage = Stage::Framing(framer);
        self.frame(body, on_record, on_part)
    }

    fn frame(
        &mut self,
        data: &[u8],
        on_record: &mut RecordSink<'_>,
        on_part: Option<&mut PartSink<'_>>,
    ) -> Result<()> {
        let Stage::Framing(framer) = &mut self.stage else {
            return Err(Error::Usage("reader is not framing".into()));
        };
        let mut state = RowState {
            format: self.detected.map(|d| d.format).unwrap_or(Format::Jsonl),
            parse: self.parse,
            max_row_bytes: self.options.max_row_bytes,
            rows: &mut self.rows,
            header: &mut self.header,
            header_raw: &mut self.header_raw,
            on_record,
            on_part,
        };
        framer.push(data, &mut |f| state.on_frame(f))
    }

    /// Ends the input: flushes the last row (one without a final newline) and reports a
    /// truncated JSON array or compressed stream.
    pub fn finish(&mut self, on_record: &mut dyn FnMut(Record<'_>) -> Result<()>) -> Result<()> {
        self.finish_inner(on_record, None)
    }

    /// [`finish`](Self::finish) with the bytes of over-long rows (see [`Self::push_with_parts`]).
    pub(crate) fn finish_with_parts(
        &mut self,
        on_record: &mut RecordSink<'_>,
        on_part: &mut PartSink<'_>,
    ) -> Result<()> {
        self.finish_inner(on_record, Some(on_part))
    }

    fn finish_inner(
        &mut self,
        on_record: &mut RecordSink<'_>,
        mut on_part: Option<&mut PartSink<'_>>,
    ) -> Result<()> {
        if let Stage::SniffCompression(buf) = &mut self.stage {
            let buf = std::mem::take(buf);
            self.start_decompression(&buf);
            self.stage = Stage::SniffFormat(Vec::new());
            self.push_plain_after_compression(&buf, on_record, on_part.as_deref_mut())?;
        }
        if let Some(mut decoder) = self.decoder.take() {
            decoder.finish()?;
            self.ignored_trailing = decoder.ignored_trailing();
        }
        if let Stage::SniffFormat(buf) = &mut self.stage {
            let buf = std::mem::take(buf);
            self.start_framing(&buf, on_record, on_part.as_deref_mut())?;
        }
        let stage = std::mem::replace(&mut self.stage, Stage::Finished);
        if let Stage::Framing(mut framer) = stage {
            let mut state = RowState {
                format: self.detected.map(|d| d.format).unwrap_or(Format::Jsonl),
                parse: self.parse,
                max_row_bytes: self.options.max_row_bytes,
                rows: &mut self.rows,
                header: &mut self.header,
                header_raw: &mut self.header_raw,
                on_record,
                on_part,
            };
            framer.finish(&mut |f| state.on_frame(f))?;
        }
        Ok(())
    }
}

/// The parts of the reader that turning frames into records needs, borrowed apart from the framer.
struct RowState<'r, 'c, 'p> {
    format: Format,
    parse: bool,
    max_row_bytes: usize,
    rows: &'r mut u64,
    header: &'r mut Option<Vec<String>>,
    header_raw: &'r mut Option<Vec<u8>>,
    on_record: &'r mut RecordSink<'c>,
    on_part: Option<&'r mut PartSink<'p>>,
}

impl RowState<'_, '_, '_> {
    fn on_frame(&mut self, frame: Frame<'_>) -> Result<()> {
        let content = match frame.kind {
            FrameKind::Header => {
                let mut header_line = frame.raw.to_vec();
                header_line.extend_from_slice(if frame.terminator.is_empty() {
                    b"\n"
                } else {
                    frame.terminator
                });
                *self.header_raw = Some(header_line);
                *self.header = Some(self.parse_header(frame.raw)?);
                return Ok(());
            }
            FrameKind::Oversize { len } => RowContent::Invalid(format!(
                "line {} is {}, over the {} limit (input.max_row_bytes)",
                frame.line,
                human_bytes(len),
                human_bytes(self.max_row_bytes as u64)
            )),
            FrameKind::OversizePart => {
                if let Some(on_part) = self.on_part.as_deref_mut() {
                    on_part(*self.rows, frame.raw);
                }
                return Ok(());
            }
            FrameKind::Malformed(why) => RowContent::Invalid(why.to_string()),
            FrameKind::Row if !self.parse => RowContent::Unparsed,
            FrameKind::Row => self.parse_row(frame.raw, frame.line),
        };
        let row = *self.rows;
        *self.rows += 1;
        (self.on_record)(Record {
            row,
            line: frame.line,
            span: frame.span,
            raw: frame.raw,
            terminator: frame.terminator,
            content,
        })
    }

    fn delimiter(&self) -> u8 {
        if self.format == Format::Tsv {
            b'\t'
        } else {
            b','
        }
    }

    fn parse_header(&self, raw: &[u8]) -> Result<Vec<String>> {
        frame::csv_fields(self.delimiter(), raw)
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                String::from_utf8(f).map_err(|_| {
                    Error::Format(format!("the header's column {} is not valid UTF-8", i + 1))
                })
            })
            .collect()
    }

    /// `line`: the input line the row starts on, to place errors inside multi-line rows.
    fn parse_row(&self, raw: &[u8], line: u64) -> RowContent {
        match self.format {
            Format::Jsonl | Format::Json => match serde_json::from_slice::<Value>(raw) {
                Ok(v) => RowContent::Value(v),
                Err(e) => RowContent::Invalid(describe_json_error(raw, line, &e)),
            },
            Format::Text => match text_line_value(raw) {
                Ok(v) => RowContent::Value(v),
                Err(why) => RowContent::Invalid(why),
            },
            Format::Csv | Format::Tsv => {
                let header = self.header.as_deref().unwrap_or(&[]);
                let fields = frame::csv_fields(self.delimiter(), raw);
                if fields.len() != header.len() {
                    let plural = |n: usize| if n == 1 { "field" } else { "fields" };
                    return RowContent::Invalid(format!(
                        "has {} {}, the header has {}",
                        fields.len(),
                        plural(fields.len()),
                        header.len()
                    ));
                }
                let mut object = Map::new();
                for (name, field) in header.iter().zip(fields) {
                    match String::from_utf8(field) {
                        Ok(s) => {
                            object.insert(name.clone(), Value::String(s));
                        }
                        Err(e) => {
                            return RowContent::Invalid(format!(
                                "field `{name}` is not valid UTF-8 (byte {} of the field)",
                                e.utf8_error().valid_up_to()
                            ))
                        }
                    }
                }
                RowContent::Value(Value::Object(object))
            }
        }
    }
}

/// Why a row is not JSON, for people. For a row spanning several lines (a pretty-printed JSON
/// array element) the error's own line is given as a line of the input.
fn describe_json_error(raw: &[u8], line: u64, e: &serde_json::Error) -> String {
    if let Err(u) = std::str::from_utf8(raw) {
        return format!("not valid UTF-8 at byte {} of the row", u.valid_up_to());
    }
    let full = e.to_string();
    let what = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    if e.line() > 1 {
        format!(
            "not valid JSON at line {}, column {}: {what}",
            line + e.line() as u64 - 1,
            e.column()
        )
    } else {
        format!("not valid JSON at column {}: {what}", e.column())
    }
}

/// Bytes for people: "300 MB", "64 MiB".
pub fn human_bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1_000_000 {
        format!("{:.1} MB", n as f64 / 1e6)
    } else if n >= 1000 {
        format!("{:.1} kB", n as f64 / 1e3)
    } else {
        format!("{n} bytes")
    }
}

/// JSONL whose rows are arrays, or one JSON array? A first line that is a whole JSON value
/// followed by more lines is JSONL; a first line that is not a whole value (a pretty-printed
/// array) is a JSON array whatever the file is called. Only a file that is one line (or whose
/// first line does not fit in the sniffed head) goes by its name.
fn detect_bracket_format(head: &[u8], name: &str) -> Format {
    let named_jsonl = name.ends_with(".jsonl") || name.ends_with(".ndjson");
    let Some(nl) = memchr::memchr(b'\n', head) else {
        return if named_jsonl {
            Format::Jsonl
        } else {
            Format::Json
        };
    };
    let first_line = &head[..nl];
    let whole_value = serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok();
    let more_lines = head[nl + 1..].iter().any(|b| !b.is_ascii_whitespace());
    match (whole_value, more_lines) {
        (true, true) => Format::Jsonl,
        (false, _) => Format::Json,
        (true, false) => {
            if named_jsonl {
                Format::Jsonl
            } else {
                Format::Json
            }
        }
    }
}

/// Formats people drop by mistake, by their magic bytes, with what to do instead.
const OTHER_FORMATS: &[(&[u8], &str)] = &[
    (
        b"PAR1",
        "a Parquet file: export it as JSONL first, e.g. with pandas \
         `pd.read_parquet(\"f.parquet\").to_json(\"f.jsonl\", orient=\"records\", lines=True)`",
    ),
    (b"ARROW1", "an Arrow IPC file: export it as JSONL first"),
    (
        b"WARC/",
        "a WARC web archive: extract its pages' text as JSONL first (e.g. with datatrove's \
         WarcReader and JsonlWriter, or warcio)",
    ),
    (b"BZh", "bzip2-compressed: recompress it with gzip or zstd"),
    (
        b"\xFD7zXZ\x00",
        "xz-compressed: recompress it with gzip or zstd",
    ),
    (
        b"\x04\x22\x4D\x18",
        "lz4-compressed: recompress it with gzip or zstd",
    ),
    (
        b"PK\x03\x04",
        "a zip archive: unpack it and give datasieve the data file inside",
    ),
    (
        b"7z\xBC\xAF\x27\x1C",
        "a 7-Zip archive: unpack it and give datasieve the data file inside",
    ),
    (
        b"SQLite format 3\x00",
        "an SQLite database: export a table as JSONL first",
    ),
];

/// Does `head` read as a table with this delimiter: a header of two or more column names, and
/// complete records after it, at least four in five as wide as the header (quoted fields may
/// hold delimiters and newlines; a broken row is allowed)? Prose with a comma or two per line is
/// as regular as a table, so the header decides: a column name is a few words, not a sentence.
fn is_table(head: &[u8], delimiter: u8) -> bool {
    /// Longest column name and most words in one; "My new address is 777 Brockton Avenue" is
    /// prose.
    const NAME_BYTES: usize = 64;
    const NAME_WORDS: usize = 4;
    let is_column_name = |field: &[u8]| {
        let field = field.trim_ascii();
        !field.is_empty()
            && field.len() <= NAME_BYTES
            && field
                .split(u8::is_ascii_whitespace)
                .filter(|w| !w.is_empty())
                .count()
                <= NAME_WORDS
    };
    let mut framer = LineFramer::csv_with_delimiter(usize::MAX, 0, delimiter);
    let mut width = 0;
    let mut records = 0;
    let mut consistent = 0;
    let _ = framer.push(head, &mut |frame| {
        let fields = frame::csv_fields(delimiter, frame.raw);
        match frame.kind {
            FrameKind::Header if !fields.iter().all(|f| is_column_name(f)) => {
                // Stops the framer: not a table.
                return Err(Error::Format("no header".into()));
            }
            FrameKind::Header => width = fields.len(),
            _ => {
                records += 1;
                consistent += usize::from(fields.len() == width);
            }
        }
        Ok(())
    });
    width >= 2 && records >= 1 && consistent * 5 >= records * 4
}

/// Is `head` JSON or JSONL: a JSON value on its first line, or the start of one that goes on
/// past the head (a pretty-printed array cut at 64 KiB)?
fn looks_like_json(head: &[u8]) -> bool {
    use serde::de::IgnoredAny;
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    serde_json::from_slice::<IgnoredAny>(first_line.trim_ascii()).is_ok()
        || match serde_json::from_slice::<IgnoredAny>(head) {
            Ok(_) => true,
            Err(e) => e.is_eof(),
        }
}

/// Is the head UTF-8 (allowing a character cut at its end)?
fn is_utf8_head(head: &[u8]) -> bool {
    std::str::from_utf8(head).is_ok()
        || std::str::from_utf8(&head[..head.len().saturating_sub(4)]).is_ok()
}

fn not_utf8() -> Error {
    Error::Format(
        "the file is neither UTF-8 text nor gzip or zstd: datasieve reads JSONL, a JSON array, \
         CSV, TSV or text lines, optionally gzip- or zstd-compressed"
            .into(),
    )
}

/// File extensions datasieve knows (after a `.gz` or `.zst`): the content decides as documented
/// for them. A file with any other extension (or none) is read as a table only if it looks like
/// one, else as text lines ([`detect_format`], [`unrecognised_extension`]).
pub const KNOWN_EXTENSIONS: &[&str] = &["jsonl", "ndjson", "json", "csv", "tsv", "txt"];

/// `name` (lower case, compression suffix removed) ends with a known extension.
fn has_known_extension(name: &str) -> bool {
    extension(name).is_some_and(|ext| KNOWN_EXTENSIONS.contains(&ext))
}

/// The extension of a file name, without its dot (`None` for `Makefile` or `.bashrc`).
fn extension(name: &str) -> Option<&str> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rfind('.') {
        Some(dot) if dot > 0 => Some(&base[dot + 1..]),
        _ => None,
    }
}

/// When a file of this name, detected as [`Format::Text`], was read as text lines only because
/// its extension is not one datasieve knows: a sentence saying so and how to choose another
/// format. `None` for a known extension (or no name).
pub fn unrecognised_extension(file_name: &str) -> Option<String> {
    let lower = file_name.to_ascii_lowercase();
    let name = [".gz", ".zst"]
        .iter()
        .find_map(|ext| lower.strip_suffix(ext))
        .unwrap_or(&lower);
    if file_name.is_empty() || has_known_extension(name) {
        return None;
    }
    let what = match extension(name) {
        Some(ext) => format!("the extension `.{ext}` is not one datasieve recognises"),
        None => "the file name has no extension datasieve recognises".to_string(),
    };
    let known: Vec<String> = KNOWN_EXTENSIONS.iter().map(|e| format!(".{e}")).collect();
    Some(format!(
        "`{file_name}`: {what} ({}), and its first lines are not a table with a header of \
         column names, so it was read as plain text, one document per line (each line the row \
         {{\"text\": line}}). To read it as another format, name it: CLI `--input-format \
         jsonl|json|csv|tsv`, config `input.format`.",
        known.join(", ")
    ))
}

/// Tells the format from the first bytes of (decompressed, BOM-stripped) content.
pub fn detect_format(head: &[u8], file_name: Option<&str>) -> Result<Format> {
    if let Some((_, what)) = OTHER_FORMATS
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
    {
        return Err(Error::Format(format!(
            "this is {what}. datasieve reads JSONL, a JSON array, CSV, TSV or text lines, optionally gzip- or \
             zstd-compressed"
        )));
    }
    if let Some(at) = head.iter().position(|&b| b == 0) {
        let what = if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
            "this is UTF-16 text (its byte-order mark says so): convert it to UTF-8, e.g. \
             `iconv -f UTF-16 -t UTF-8`"
                .to_string()
        } else {
            format!("this is a binary file, not text: NUL byte at offset {at}")
        };
        return Err(Error::Format(format!(
            "{what}. datasieve reads JSONL, a JSON array, CSV, TSV or text lines, optionally \
             gzip- or zstd-compressed"
        )));
    }
    let first = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(first) = first else {
        return Ok(Format::Jsonl); // empty or blank: no rows either way
    };
    let name = file_name.unwrap_or("").to_ascii_lowercase();
    let name = [".gz", ".zst"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(&name);
    // A `.txt` file, or one whose extension datasieve does not know (`foo.py`, `notes.md`),
    // that is not JSON (no JSON value on its first line, and not the start of one spread over
    // lines) is a table only if its head frames as one (a header of column names, records as
    // wide under it); else one document per line, even one starting with `[` or `{`.
    let unknown_extension = file_name.is_some_and(|n| !n.is_empty()) && !has_known_extension(name);
    if (name.ends_with(".txt") || unknown_extension) && !looks_like_json(&head[first..]) {
        return if is_table(&head[first..], b'\t') {
            Ok(Format::Tsv)
        } else if is_table(&head[first..], b',') {
            Ok(Format::Csv)
        } else if unknown_extension && !is_utf8_head(head) {
            Err(not_utf8())
        } else {
            Ok(Format::Text)
        };
    }
    match head[first] {
        b'{' => {
            let first_line = head[first..].split(|&b| b == b'\n').next().unwrap_or(&[]);
            if first_line.trim_ascii() == b"{" && head[first..].contains(&b'\n') {
                // No JSONL row is a lone `{`: this is JSON pretty-printed over many lines.
                return Err(Error::Format(
                    "the file starts with a JSON object spread over several lines (pretty-printed \
                     JSON): datasieve reads JSONL (one object per line) or a top-level JSON array \
                     of records"
                        .into(),
                ));
            }
            Ok(Format::Jsonl)
        }
        b'[' => Ok(detect_bracket_format(&head[first..], name)),
        _ => {
            let first_line = head[first..].split(|&b| b == b'\n').next().unwrap_or(&[]);
            let tabs = first_line.iter().filter(|&&b| b == b'\t').count();
            let commas = first_line.iter().filter(|&&b| b == b',').count();
            // The header line decides when it can; the name only breaks a tie.
            if tabs > commas || (tabs == commas && name.ends_with(".tsv")) {
                Ok(Format::Tsv)
            } else if commas > 0 || name.ends_with(".csv") {
                Ok(Format::Csv)
            } else if !is_utf8_head(head) {
                Err(not_utf8())
            } else {
                // One column of text with a header, e.g. a CSV with only `text`.
                Ok(Format::Csv)
            }
        }
    }
}
