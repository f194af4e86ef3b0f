//! Push-style decompression: compressed bytes in, in chunks cut anywhere; plain bytes out, in
//! pieces of bounded size whatever the compression ratio (a small chunk of a decompression bomb
//! never expands into memory at once).
//!
//! gzip (one or several members; bytes after the last one that are not a member are ignored and
//! reported) is framed here and inflated by flate2's raw deflate decoder; zstd (one or several
//! frames, skippable frames, content checksums; bytes after the last frame that are not a frame
//! are ignored and reported, as for gzip) through ruzstd's frame decoder, fed one whole block at
//! a time.

use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use serde::Serialize;

use super::Compression;
use crate::{Error, Result};

/// Largest window a zstd frame may ask for (the decoder keeps one window of output in memory).
/// `zstd --long` uses 128 MiB; anything beyond is refused with a message, not allocated.
const ZSTD_MAX_WINDOW: u64 = 128 * 1024 * 1024;
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// The compression the first bytes announce (at least 4 bytes are needed to tell zstd).
pub fn compression_of(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&ZSTD_MAGIC) || is_skippable_magic(head) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

fn is_skippable_magic(head: &[u8]) -> bool {
    // 0x184D2A50 ..= 0x184D2A5F, little-endian.
    head.len() >= 4 && head[0] & 0xF0 == 0x50 && head[1..4] == [0x2A, 0x4D, 0x18]
}

pub(crate) enum Decoder {
    Gzip(Box<GzipDecoder>),
    Zstd(Box<ZstdDecoder>),
}

/// Bytes after the end of the compressed data that are not compressed data: ignored, and said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IgnoredTrailing {
    /// Offset in the input (as given, compressed) of the first ignored byte.
    pub offset: u64,
    /// How many bytes were ignored (to the end of the input).
    pub bytes: u64,
}

impl IgnoredTrailing {
    /// For people: "20 bytes after the end of the gzip data at byte offset 43 are not gzip
    /// data; ignored."
    pub fn describe(&self, compression: Compression) -> String {
        let name = compression.name();
        let plural = if self.bytes == 1 { "byte" } else { "bytes" };
        let verb = if self.bytes == 1 { "is" } else { "are" };
        format!(
            "{} {plural} after the end of the {name} data at byte offset {} {verb} not {name} \
             data; ignored (the rows before them were read).",
            self.bytes, self.offset
        )
    }
}

impl Decoder {
    pub(crate) fn new(compression: Compression) -> Option<Decoder> {
        match compression {
            Compression::None => None,
            Compression::Gzip => Some(Decoder::Gzip(Box::default())),
            Compression::Zstd => Some(Decoder::Zstd(Box::default())),
        }
    }

    /// Decompresses `input`, handing every piece of plain bytes to `out` as it is produced.
    pub(crate) fn push(
        &mut self,
        input: &[u8],
        out: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        match self {
            Decoder::Gzip(decoder) => decoder.push(input, out),
            Decoder::Zstd(decoder) => decoder.push(input, out),
        }
    }

    /// Ends the stream: reports a truncated stream (every plain byte is handed out by `push`).
    pub(crate) fn finish(&mut self) -> Result<()> {
        match self {
            Decoder::Gzip(decoder) => decoder.finish(),
            Decoder::Zstd(decoder) => decoder.finish(),
        }
    }

    /// Bytes after the last gzip member or zstd frame that are not one (known once they are
    /// seen).
    pub(crate) fn ignored_trailing(&self) -> Option<IgnoredTrailing> {
        match self {
            Decoder::Gzip(decoder) => decoder.trailing,
            Decoder::Zstd(decoder) => decoder.trailing,
        }
    }
}

/// Push-style decompression of a whole gzip or zstd input, exactly as the row reader does it
/// (several members or frames; bytes after the last one ignored): for callers that need the
/// plain bytes themselves, such as the CLI's sign threads for a compressed input.
pub struct Decompressor {
    decoder: Decoder,
}

impl Decompressor {
    /// `None` for [`Compression::None`].
    pub fn new(compression: Compression) -> Option<Decompressor> {
        Decoder::new(compression).map(|decoder| Decompressor { decoder })
    }

    /// Decompresses the next piece of the input (cut anywhere), handing plain bytes to `out` in
    /// pieces of bounded size.
    pub fn push(&mut self, input: &[u8], out: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        self.decoder.push(input, out)
    }

    /// Ends the input: an error if it was cut short.
    pub fn finish(&mut self) -> Result<()> {
        self.decoder.finish()
    }
}

/// Decompresses a gzip or zstd input and cuts its plain bytes into ranges of about `target`
/// bytes, each ending just after a newline (the last one at the input's end): ranges that a
/// [`RangeSigner`](crate::pipeline::near::RangeSigner) may sign on its own while the job reads
/// the compressed input itself. The one cutter for the CLI's sign threads and the page's.
///
/// Memory is bounded: a row longer than `max_row_bytes` stops the cutter with an error (the
/// job's reader reports that row itself), and a range is handed out as soon as it is complete.
pub struct PlainRangeCutter {
    decompressor: Decompressor,
    pending: Vec<u8>,
    target: usize,
    max_row_bytes: usize,
}

impl PlainRangeCutter {
    /// `None` for [`Compression::None`] (an uncompressed input is cut by seeking).
    pub fn new(compression: Compression, target: usize, max_row_bytes: usize) -> Option<Self> {
        Some(PlainRangeCutter {
            decompressor: Decompressor::new(compression)?,
            pending: Vec::new(),
            target: target.max(1),
            max_row_bytes,
        })
    }

    /// Decompresses the next piece of the input (cut anywhere) and hands each range completed
    /// to `out`, in order.
    pub fn push(&mut self, input: &[u8], out: &mut dyn FnMut(Vec<u8>) -> Result<()>) -> Result<()> {
        let PlainRangeCutter {
            decompressor,
            pending,
            target,
            max_row_bytes,
        } = self;
        decompressor.push(input, &mut |plain| {
            let before = pending.len();
            pending.extend_from_slice(plain);
            if pending.len() >= *target {
                // Only the new bytes are searched: a long row is not scanned again and again.
                if let Some(newline) = plain.iter().rposition(|&b| b == b'\n') {
                    let rest = pending.split_off(before + newline + 1);
                    out(std::mem::replace(pending, rest))?;
                } else if pending.len() > *target + *max_row_bytes {
                    return Err(Error::Input(format!(
                        "a row is over the {} limit: ranges stop here",
                        crate::io::human_bytes(*max_row_bytes as u64)
                    )));
                }
            }
            Ok(())
        })
    }

    /// Ends the input: the last range (`None` if nothing is left), or an error if the input
    /// was cut short.
    pub fn finish(mut self) -> Result<Option<Vec<u8>>> {
        self.decompressor.finish()?;
        Ok((!self.pending.is_empty()).then_some(self.pending))
    }
}

/// The first `want` plain bytes of a compressed input whose first bytes are `head` (all of it
/// if the input ends within `head`), or `None` when `head` is not compressed or does not hold
/// that much: too little to decide anything from.
pub fn decompressed_head(head: &[u8], want: usize) -> Option<Vec<u8>> {
    let mut decompressor = Decompressor::new(compression_of(head))?;
    let mut plain = Vec::with_capacity(want);
    let pushed = decompressor.push(head, &mut |bytes| {
        plain.extend_from_slice(bytes);
        if plain.len() >= want {
            // Enough: an error that is not one stops the decoder.
            return Err(Error::Usage(String::new()));
        }
        Ok(())
    });
    if plain.len() >= want {
        plain.truncate(want);
        return Some(plain);
    }
    (pushed.is_ok() && decompressor.finish().is_ok()).then_some(plain)
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Plain bytes handed out at a time.
const GZIP_OUT: usize = 32 * 1024;
/// A gzip header longer than this (a file name or extra field without end) is not believed.
const GZIP_MAX_HEADER: usize = 1 << 20;

/// Where the gzip decoder is within a member (RFC 1952: header, raw deflate, CRC-32 and size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GzipState {
    /// Gathering a member's header in `pending`.
    Header,
    Deflate,
    /// Gathering the member's 8-byte trailer in `pending`.
    Trailer,
    /// After a member: another member (its magic number) or the end. Waits in `pending` for
    /// the two bytes that tell.
    BetweenMembers,
    /// After the last member, bytes that are not a member: counted, ignored.
    Trailing,
}

/// gzip, push-style: one member after another (what `cat a.gz b.gz` makes, as `gzip -d` reads
/// it), each a header, a raw deflate stream and a trailer whose CRC-32 and size are checked.
/// Bytes after the last member that do not start another are ignored and reported
/// ([`IgnoredTrailing`]), as `gzip -d` does; a member that ends early is a truncated stream.
///
/// The framing is written here rather than taken from flate2's `write::MultiGzDecoder` because
/// that decoder reads whatever follows a member as the next member's header (garbage after the
/// data becomes "invalid gzip header" or a truncation), and its single-member `write::GzDecoder`
/// rejects a header that arrives split across writes at some boundaries. Inflating and the
/// CRC-32 are flate2's (`Decompress`, `Crc`).
pub(crate) struct GzipDecoder {
    state: GzipState,
    inflate: flate2::Decompress,
    crc: flate2::Crc,
    /// Header, trailer or between-member bytes not complete yet.
    pending: Vec<u8>,
    /// Compressed bytes consumed before the current position.
    offset: u64,
    /// Members read to their end.
    members: u64,
    plain: Vec<u8>,
    trailing: Option<IgnoredTrailing>,
}

impl Default for GzipDecoder {
    fn default() -> Self {
        GzipDecoder {
            state: GzipState::Header,
            inflate: flate2::Decompress::new(false),
            crc: flate2::Crc::new(),
            pending: Vec::new(),
            offset: 0,
            members: 0,
            plain: vec![0; GZIP_OUT],
            trailing: None,
        }
    }
}

/// The length of the gzip header at the start of `buf`: `Ok(None)` when `buf` ends inside it.
fn gzip_header_len(buf: &[u8]) -> std::result::Result<Option<usize>, &'static str> {
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    if buf.len() < 10 {
        return Ok(None);
    }
    if buf[..2] != GZIP_MAGIC {
        return Err("bad magic number");
    }
    if buf[2] != 8 {
        return Err("unknown compression method (not deflate)");
    }
    let flags = buf[3];
    if flags & 0xE0 != 0 {
        return Err("reserved header flags are set");
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(len) = buf.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            match buf.get(at..).and_then(|rest| memchr::memchr(0, rest)) {
                Some(nul) => at += nul + 1,
                None => return Ok(None),
            }
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    Ok((buf.len() >= at).then_some(at))
}

impl GzipDecoder {
    /// `offset`: where the unit being read (header, trailer, deflate data) goes wrong.
    fn corrupt(&self, why: impl std::fmt::Display) -> Error {
        Error::Format(format!(
            "the gzip stream is corrupt at compressed byte {} (member {}): {why}",
            self.offset,
            self.members + 1
        ))
    }

    fn push(&mut self, mut input: &[u8], out: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        // `offset` counts the bytes of complete units; `pending` holds the start of the next.
        while !input.is_empty() {
            match self.state {
                GzipState::Header => {
                    // Parsed in place when the header starts in this input (a 16 MiB chunk of
                    // small members, as BGZF makes, is not copied once per member); gathered in
                    // `pending` only when it straddles two inputs.
                    if self.pending.is_empty() {
                        if let Ok(Some(len)) = gzip_header_len(input) {
                            input = &input[len..];
                            self.offset += len as u64;
                            self.state = GzipState::Deflate;
                            continue;
                        }
                    }
                    let before = self.pending.len();
                    self.pending.extend_from_slice(input);
                    match gzip_header_len(&self.pending) {
                        Ok(Some(len)) => {
                            input = &input[len - before..];
                            self.offset += len as u64;
                            self.pending.clear();
                            self.state = GzipState::Deflate;
                        }
                        Ok(None) if self.pending.len() > GZIP_MAX_HEADER => {
                            return Err(self.corrupt("its header does not end"))
                        }
                        Ok(None) => return Ok(()),
                        Err(why) => return Err(self.corrupt(why)),
                    }
                }
                GzipState::Deflate => {
                    let used = self.inflate_some(input, out)?;
                    input = &input[used..];
                }
                GzipState::Trailer => {
                    let used = (8 - self.pending.len()).min(input.len());
                    self.pending.extend_from_slice(&input[..used]);
                    input = &input[used..];
                    if self.pending.len() == 8 {
                        self.end_member()?;
                    }
                }
                GzipState::BetweenMembers => {
                    if self.pending.is_empty() && input.starts_with(&GZIP_MAGIC) {
                        // The next member, read from this input where it starts.
                        self.state = GzipState::Header;
                        continue;
                    }
                    let used = (2 - self.pending.len()).min(input.len());
                    self.pending.extend_from_slice(&input[..used]);
                    input = &input[used..];
                    if self.pending.len() < 2 {
                        return Ok(());
                    }
                    if self.pending[..] == GZIP_MAGIC {
                        // The next member; its header starts with these two bytes.
                        self.state = GzipState::Header;
                    } else {
                        self.trailing = Some(IgnoredTrailing {
                            offset: self.offset,
                            bytes: 2,
                        });
                        self.pending.clear();
                        self.state = GzipState::Trailing;
                    }
                }
                GzipState::Trailing => {
                    if let Some(t) = &mut self.trailing {
                        t.bytes += input.len() as u64;
                    }
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Inflates from `input` until it is used up or the member's deflate stream ends; returns
    /// the bytes used. Plain bytes go to `out` a buffer (32 KiB) at a time, so a small input
    /// never expands into memory at once.
    fn inflate_some(
        &mut self,
        input: &[u8],
        out: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<usize> {
        let mut used = 0;
        loop {
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(
                    &input[used..],
                    &mut self.plain,
                    flate2::FlushDecompress::None,
                )
                .map_err(|e| self.corrupt(e))?;
            let consumed = (self.inflate.total_in() - in_before) as usize;
            let produced = (self.inflate.total_out() - out_before) as usize;
            used += consumed;
            self.offset += consumed as u64;
            if produced > 0 {
                self.crc.update(&self.plain[..produced]);
                out(&self.plain[..produced])?;
            }
            if status == flate2::Status::StreamEnd {
                self.state = GzipState::Trailer;
                return Ok(used);
            }
            if produced == self.plain.len() {
                continue; // more output may be waiting
            }
            if used == input.len() {
                return Ok(used);
            }
            if consumed == 0 && produced == 0 {
                return Err(self.corrupt("the deflate data does not decode"));
            }
        }
    }

    /// The trailer is in `pending`: check it and get ready for another member.
    fn end_member(&mut self) -> Result<()> {
        let word =
            |i: usize| u32::from_le_bytes(self.pending[i..i + 4].try_into().expect("4 bytes"));
        if word(0) != self.crc.sum() || word(4) != self.crc.amount() {
            return Err(
                self.corrupt("its CRC-32 or length does not match the data (the file is damaged)")
            );
        }
        self.offset += 8;
        self.members += 1;
        self.pending.clear();
        self.crc.reset();
        self.inflate.reset(false);
        self.state = GzipState::BetweenMembers;
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        match self.state {
            GzipState::Trailing => Ok(()),
            GzipState::BetweenMembers if self.pending.is_empty() => Ok(()),
            // One byte after a member: the first byte of a magic number is a member cut short,
            // anything else is not gzip data.
            GzipState::BetweenMembers if self.pending[0] != GZIP_MAGIC[0] => {
                self.trailing = Some(IgnoredTrailing {
                    offset: self.offset,
                    bytes: 1,
                });
                Ok(())
            }
            _ => Err(Error::Format(format!(
                "the gzip stream is truncated: member {} has no end (the file was cut short \
                 after {} bytes)",
                self.members + 1,
                self.offset + self.pending.len() as u64
            ))),
        }
    }
}

/// Where the zstd decoder is between frames and blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ZstdState {
    /// Expecting a frame's magic number (or the end of the input).
    BetweenFrames,
    /// Inside a skippable frame: this many bytes still to skip.
    Skipping(u64),
    /// Inside a frame, expecting a block header.
    InFrame,
    /// After the last frame, bytes that are not a frame: counted and ignored (as for gzip).
    Trailing,
}

/// zstd, push-style. ruzstd decodes from a complete block; the bytes of an incomplete one wait in
/// `pending` (at most one block, 128 KiB, plus a header), so the input can be cut anywhere.
pub(crate) struct ZstdDecoder {
    frame: FrameDecoder,
    state: ZstdState,
    /// Compressed bytes not decoded yet; `pending[consumed..]` is what is left of them.
    pending: Vec<u8>,
    consumed: usize,
    /// Compressed bytes before `pending[0]`, to say where a corrupt stream goes wrong.
    offset: u64,
    frames: u64,
    /// The current frame's descriptor byte (bit 2: the frame ends with a checksum).
    descriptor: u8,
    plain: Vec<u8>,
    trailing: Option<IgnoredTrailing>,
}

impl Default for ZstdDecoder {
    fn default() -> Self {
        let mut frame = FrameDecoder::new();
        frame.set_max_window_size(ZSTD_MAX_WINDOW);
        ZstdDecoder {
            frame,
            state: ZstdState::BetweenFrames,
            pending: Vec::new(),
            consumed: 0,
            offset: 0,
            frames: 0,
            descriptor: 0,
            plain: Vec::new(),
            trailing: None,
        }
    }
}

impl ZstdDecoder {
    fn corrupt(&self, why: impl std::fmt::Display) -> Error {
        Error::Format(format!(
            "the zstd stream is corrupt at compressed byte {}: {why}",
            self.offset + self.consumed as u64
        ))
    }

    fn push(&mut self, input: &[u8], out: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        self.pending.extend_from_slice(input);
        let result = self.decode_available(out);
        // Keep only the incomplete tail (one block at most) for the next push.
        self.offset += self.consumed as u64;
        self.pending.drain(..self.consumed);
        self.consumed = 0;
        result
    }

    /// Decodes every complete unit (frame header, block, checksum, skippable frame) in
    /// `pending[consumed..]`.
    fn decode_available(&mut self, out: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        loop {
            let available = &self.pending[self.consumed..];
            match self.state {
                ZstdState::Skipping(left) => {
                    let n = (left as usize).min(available.len());
                    self.consumed += n;
                    self.state = if n as u64 == left {
                        ZstdState::BetweenFrames
                    } else {
                        ZstdState::Skipping(left - n as u64)
                    };
                    if n == 0 && left > 0 {
                        return Ok(());
                    }
                }
                ZstdState::BetweenFrames => {
                    if available.len() < 4 {
                        return Ok(());
                    }
                    if is_skippable_magic(available) {
                        if available.len() < 8 {
                            return Ok(());
                        }
                        let len = u32::from_le_bytes(available[4..8].try_into().expect("4 bytes"));
                        self.consumed += 8;
                        self.state = ZstdState::Skipping(len as u64);
                        continue;
                    }
                    if available[..4] != ZSTD_MAGIC {
                        if self.frames == 0 {
                            return Err(self.corrupt("it does not start with a zstd frame"));
                        }
                        self.ignore_trailing(available.len());
                        continue;
                    }
                    let Some(&descriptor) = available.get(4) else {
                        return Ok(());
                    };
                    let header_len = frame_header_len(descriptor);
                    if available.len() < header_len {
                        return Ok(());
                    }
                    let header = &available[..header_len];
                    if let Err(e) = self.frame.reset(header) {
                        return Err(self.corrupt(e));
                    }
                    self.consumed += header_len;
                    self.frames += 1;
                    self.descriptor = descriptor;
                    self.state = ZstdState::InFrame;
                }
                ZstdState::Trailing => {
                    if let Some(t) = &mut self.trailing {
                        t.bytes += available.len() as u64;
                    }
                    self.consumed += available.len();
                    return Ok(());
                }
                ZstdState::InFrame => {
                    if available.len() < 3 {
                        return Ok(());
                    }
                    let header = u32::from_le_bytes([available[0], available[1], available[2], 0]);
                    let last = header & 1 == 1;
                    let size = (header >> 3) as usize;
                    let body = match (header >> 1) & 3 {
                        0 | 2 => size, // raw, compressed
                        1 => 1,        // run-length: one byte repeated `size` times
                        _ => return Err(self.corrupt("reserved block type")),
                    };
                    // The last block of a checksummed frame is decoded with its checksum.
                    let checksum = if last && self.descriptor & 0b100 != 0 {
                        4
                    } else {
                        0
                    };
                    let unit = 3 + body + checksum;
                    if available.len() < unit {
                        return Ok(());
                    }
                    // Exactly one block: its output (128 KiB at most) is drained before the next.
                    let block = &available[..unit];
                    if let Err(e) = self
                        .frame
                        .decode_blocks(block, BlockDecodingStrategy::UptoBlocks(1))
                    {
                        return Err(self.corrupt(e));
                    }
                    self.drain(out)?;
                    if last {
                        self.check_frame()?;
                        self.state = ZstdState::BetweenFrames;
                    }
                    self.consumed += unit;
                }
            }
        }
    }

    /// After a frame's last block: its checksum, when it has one, matches the bytes handed out.
    fn check_frame(&self) -> Result<()> {
        let stored = self.frame.get_checksum_from_data();
        let computed = self.frame.get_calculated_checksum();
        match (stored, computed) {
            (Some(stored), Some(computed)) if stored != computed => Err(self.corrupt(format!(
                "frame {} fails its checksum (the file is damaged)",
                self.frames
            ))),
            _ => Ok(()),
        }
    }

    /// Hands out what the decoder can release: everything once the frame's last block is
    /// decoded, else all but the window that later blocks may still refer to.
    fn drain(&mut self, out: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        self.plain.clear();
        if let Err(e) = self.frame.collect_to_writer(&mut self.plain) {
            return Err(self.corrupt(e));
        }
        if self.plain.is_empty() {
            return Ok(());
        }
        out(&self.plain)
    }

    /// From `pending[consumed..]`, whose first `n` bytes are there, on: not zstd data.
    fn ignore_trailing(&mut self, n: usize) {
        self.trailing = Some(IgnoredTrailing {
            offset: self.offset + self.consumed as u64,
            bytes: n as u64,
        });
        self.consumed += n;
        self.state = ZstdState::Trailing;
    }

    fn finish(&mut self) -> Result<()> {
        let left = self.pending.len() - self.consumed;
        let rest = &self.pending[self.consumed..];
        // Fewer than 4 bytes after a frame: the start of a magic number is a frame cut short,
        // anything else (a newline from `echo >>`) is not zstd data.
        let starts_a_frame = ZSTD_MAGIC.starts_with(rest)
            || rest.first().is_some_and(|&b| b & 0xF0 == 0x50)
                && [0x2A, 0x4D, 0x18].starts_with(&rest[1..]);
        match self.state {
            ZstdState::Trailing => Ok(()),
            ZstdState::BetweenFrames if left == 0 => Ok(()),
            ZstdState::BetweenFrames if left < 4 && self.frames > 0 && !starts_a_frame => {
                self.ignore_trailing(left);
                Ok(())
            }
            ZstdState::Skipping(_) | ZstdState::BetweenFrames => Err(Error::Format(
                "the zstd stream is truncated: it ends inside a frame header".into(),
            )),
            ZstdState::InFrame => Err(Error::Format(format!(
                "the zstd stream is truncated: frame {} has no end (the file was cut short)",
                self.frames
            ))),
        }
    }
}

/// Bytes of a zstd frame header, magic number included, from its descriptor byte.
fn frame_header_len(descriptor: u8) -> usize {
    let single_segment = descriptor & 0b0010_0000 != 0;
    let dictionary_id = [0, 1, 2, 4][(descriptor & 0b11) as usize];
    let content_size = match descriptor >> 6 {
        0 if single_segment => 1,
        0 => 0,
        1 => 2,
        2 => 4,
        _ => 8,
    };
    4 + 1 + usize::from(!single_segment) + dictionary_id + content_size
}
