//! Push-style decompression: compressed bytes in, in chunks cut anywhere; plain bytes out, in
//! pieces of bounded size whatever the compression ratio (a small chunk of a decompression bomb
//! never expands into memory at once).
//!
//! gzip (one or several members) goes through flate2; zstd (one or several frames, skippable
//! frames, content checksums) through ruzstd's frame decoder, fed one whole block at a time.

use std::io::Write as _;

use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

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
    Gzip(Box<flate2::write::MultiGzDecoder<Vec<u8>>>),
    Zstd(Box<ZstdDecoder>),
}

impl Decoder {
    pub(crate) fn new(compression: Compression) -> Option<Decoder> {
        match compression {
            Compression::None => None,
            Compression::Gzip => Some(Decoder::Gzip(Box::new(flate2::write::MultiGzDecoder::new(
                Vec::new(),
            )))),
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
            Decoder::Gzip(decoder) => {
                // One `write` call decompresses into flate2's 32 KiB buffer at most, so draining
                // after each call bounds memory.
                let mut rest = input;
                while !rest.is_empty() {
                    match decoder.write(rest) {
                        Ok(0) => {
                            return Err(Error::Format(
                                "the gzip stream is corrupt: data after its end".into(),
                            ))
                        }
                        Ok(n) => {
                            rest = &rest[n..];
                            let plain = std::mem::take(decoder.get_mut());
                            let result = out(&plain);
                            // Hand the buffer back so its capacity is reused.
                            let mut plain = plain;
                            plain.clear();
                            *decoder.get_mut() = plain;
                            result?;
                        }
                        Err(e) => {
                            return Err(Error::Format(format!("the gzip stream is corrupt: {e}")))
                        }
                    }
                }
                Ok(())
            }
            Decoder::Zstd(decoder) => decoder.push(input, out),
        }
    }

    /// Ends the stream: hands out what is left and reports a truncated stream.
    pub(crate) fn finish(&mut self, out: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        match self {
            Decoder::Gzip(decoder) => {
                decoder.try_finish().map_err(|e| {
                    Error::Format(format!("the gzip stream is truncated or corrupt: {e}"))
                })?;
                let plain = std::mem::take(decoder.get_mut());
                out(&plain)
            }
            Decoder::Zstd(decoder) => decoder.finish(),
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
                        return Err(self.corrupt(if self.frames == 0 {
                            "it does not start with a zstd frame"
                        } else {
                            "data after the last frame is not a zstd frame"
                        }));
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

    fn finish(&mut self) -> Result<()> {
        let left = self.pending.len() - self.consumed;
        match self.state {
            ZstdState::BetweenFrames if left == 0 => Ok(()),
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
