//! Helpers shared by the reader and pipeline tests: fixtures, owned records, chunked feeding.
#![allow(dead_code)] // each test crate uses a different subset

use std::io::Read;
use std::path::PathBuf;

use datasieve::io::{Detected, ReaderOptions, RowContent, RowReader};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/io")
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Every text fixture (everything but the generator script, the README and the binary file).
pub fn text_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("fixture folder")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| !n.ends_with(".py") && !n.ends_with(".md") && !n.ends_with(".png"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "fixtures missing: {names:?}");
    names
}

/// The bytes the reader sees after decompression (gzip or zstd detected by magic bytes, as the
/// reader does; multi-member and multi-frame streams included).
pub fn decompressed(bytes: &[u8]) -> Vec<u8> {
    if bytes.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        // ruzstd's whole-buffer decoder (into spare capacity), not the push-style one under test.
        let mut out = Vec::with_capacity(1 << 20);
        ruzstd::decoding::FrameDecoder::new()
            .decode_all_to_vec(bytes, &mut out)
            .expect("valid zstd fixture");
        out
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .expect("valid gzip fixture");
        out
    } else {
        bytes.to_vec()
    }
}

/// A [`datasieve::io::Record`] with its bytes copied out, so runs can be compared.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedRecord {
    pub row: u64,
    pub line: u64,
    pub span: (u64, u64),
    pub raw: Vec<u8>,
    pub terminator: Vec<u8>,
    pub content: RowContent,
}

impl OwnedRecord {
    pub fn value(&self) -> &serde_json::Value {
        match &self.content {
            RowContent::Value(v) => v,
            other => panic!(
                "row {} (line {}) is not a value: {other:?}",
                self.row, self.line
            ),
        }
    }

    pub fn invalid(&self) -> &str {
        match &self.content {
            RowContent::Invalid(m) => m,
            other => panic!(
                "row {} (line {}) is not invalid: {other:?}",
                self.row, self.line
            ),
        }
    }
}

/// What one read of an input produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadResult {
    pub records: Vec<OwnedRecord>,
    pub detected: Option<Detected>,
    pub header: Option<Vec<u8>>,
}

/// Feeds `input` cut into chunks of the given sizes (cycled; the last chunk takes the rest).
pub fn read_with_chunks(
    input: &[u8],
    options: ReaderOptions,
    sizes: &mut dyn FnMut() -> usize,
) -> datasieve::Result<ReadResult> {
    let mut reader = RowReader::new(options);
    let mut records = Vec::new();
    let mut on_record = |r: datasieve::io::Record<'_>| {
        records.push(OwnedRecord {
            row: r.row,
            line: r.line,
            span: r.span,
            raw: r.raw.to_vec(),
            terminator: r.terminator.to_vec(),
            content: r.content,
        });
        Ok(())
    };
    let mut rest = input;
    while !rest.is_empty() {
        let n = sizes().clamp(1, rest.len());
        reader.push(&rest[..n], &mut on_record)?;
        rest = &rest[n..];
    }
    reader.finish(&mut on_record)?;
    Ok(ReadResult {
        records,
        detected: reader.detected(),
        header: reader.header_raw().map(<[u8]>::to_vec),
    })
}

pub fn read_whole(input: &[u8], options: ReaderOptions) -> datasieve::Result<ReadResult> {
    let len = input.len().max(1);
    read_with_chunks(input, options, &mut || len)
}

pub fn read_fixture(name: &str) -> ReadResult {
    read_whole(&fixture(name), named(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Reader options carrying the file name, as the CLI passes it.
pub fn named(name: &str) -> ReaderOptions {
    ReaderOptions {
        file_name: Some(name.to_string()),
        ..ReaderOptions::default()
    }
}

/// Chunk-size generators: fixed sizes and seeded random ones (deterministic across runs).
pub fn fixed(n: usize) -> impl FnMut() -> usize {
    move || n
}

pub fn random_sizes(seed: u64, max: usize) -> impl FnMut() -> usize {
    let mut rng = SmallRng::seed_from_u64(seed);
    move || rng.gen_range(1..=max)
}

/// Feeds `input` to `job` in chunks of the given sizes, once per pass the job asks for; returns
/// the passes in order. The caller finishes the job.
#[allow(dead_code)] // not every test binary runs jobs
pub fn feed_every_pass(
    job: &mut datasieve::pipeline::Job,
    input: &[u8],
    sizes: &mut dyn FnMut() -> usize,
) -> Vec<datasieve::pipeline::Pass> {
    let mut passes = Vec::new();
    loop {
        passes.push(job.pass());
        let mut rest = input;
        while !rest.is_empty() {
            let n = sizes().clamp(1, rest.len());
            job.push(&rest[..n]).expect("push");
            rest = &rest[n..];
        }
        if !job.end_pass().expect("end_pass") {
            break;
        }
        assert!(passes.len() < 5, "a job never needs more than four passes");
    }
    passes
}
