//! Parallel signing: band keys computed by `RangeSigner`s over byte ranges of a JSONL input and
//! supplied to the job give exactly the decisions and report of the job hashing every row itself.

use datasieve::config::PipelineConfig;
use datasieve::io::{
    compression_of, decompressed_head, Compression, PlainRangeCutter, SNIFF_BYTES,
};
use datasieve::pipeline::near::{parallel_signing_applies, RangeSigner, SignedRows};
use datasieve::pipeline::{Job, Outcome};
use serde_json::Value;

/// A JSONL input with the awkward parts: a BOM, CRLF lines, blank lines, a broken line, a row
/// without text, a row shorter than a shingle, exact and near duplicates (the dedup fixture's
/// 126 rows, which hold clusters of edited copies).
fn awkward_input() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dedup/datatrove_clusters.jsonl"
    );
    let source = std::fs::read(path).expect("the dedup fixture");
    let rows: Vec<Value> = source
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("fixture row"))
        .collect();
    let mut out = b"\xEF\xBB\xBF".to_vec();
    for (i, row) in rows.iter().enumerate() {
        let line =
            serde_json::to_string(&serde_json::json!({ "text": row["text"], "id": i })).unwrap();
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(if i % 3 == 0 { b"\r\n" } else { b"\n" });
        match i % 17 {
            4 => out.extend_from_slice(b"\n\r\n"), // blank lines
            8 => out.extend_from_slice(b"{\"text\": \"broken\n"), // unreadable row
            11 => out.extend_from_slice(b"{\"id\": \"no text here\"}\n"), // nothing compared
            13 => out.extend_from_slice(b"{\"text\": \"four short words\"}\n"), // < 5 words
            _ => {}
        }
        if i % 20 == 7 {
            out.extend_from_slice(line.as_bytes()); // an exact copy
            out.push(b'\n');
        }
    }
    // The last row has no final newline.
    out.extend_from_slice(b"{\"text\": \"the very last row of the file has no newline after it\"}");
    out
}

/// Byte offsets cutting `input` into `parts` ranges, each cut just after a `\n`.
fn cuts(input: &[u8], parts: usize) -> Vec<usize> {
    let mut at = vec![0];
    for k in 1..parts {
        let guess = input.len() * k / parts;
        let nl = input[guess..]
            .iter()
            .position(|&b| b == b'\n')
            .expect("a newline after the guess");
        at.push(guess + nl + 1);
    }
    at.push(input.len());
    at
}

fn plain_job(input: &[u8], config: &PipelineConfig) -> Outcome {
    let mut job = Job::new(config.clone()).unwrap();
    loop {
        for chunk in input.chunks(997) {
            job.push(chunk).unwrap();
        }
        if !job.end_pass().unwrap() {
            break;
        }
    }
    job.finish().unwrap()
}

/// Signs each range on its own (in chunks, as a worker reads it).
fn sign_ranges(input: &[u8], config: &PipelineConfig, cuts: &[usize]) -> Vec<SignedRows> {
    cuts.windows(2)
        .map(|w| {
            let mut signer = RangeSigner::new(config).unwrap();
            for chunk in input[w[0]..w[1]].chunks(1013) {
                signer.push(chunk).unwrap();
            }
            signer.finish().unwrap()
        })
        .collect()
}

/// The coordinator: supplies each range's keys (offset by the rows before it) before pushing the
/// range's bytes, in the order given by `supply_order` for the first pass.
fn parallel_job(
    input: &[u8],
    config: &PipelineConfig,
    cuts: &[usize],
    signed: &[SignedRows],
) -> Outcome {
    let mut job = Job::new(config.clone()).unwrap();
    let mut first_rows = vec![0u64];
    for s in signed {
        first_rows.push(first_rows.last().unwrap() + u64::from(s.rows));
    }
    // Keys may arrive in any order: supply the last range's first.
    for k in (0..signed.len()).rev() {
        let packed = signed[k].packed();
        let (bitmap, keys) = SignedRows::split_packed(signed[k].rows, &packed).unwrap();
        job.supply_band_keys(first_rows[k], signed[k].rows, bitmap, keys)
            .unwrap();
    }
    for w in cuts.windows(2) {
        for chunk in input[w[0]..w[1]].chunks(997) {
            job.push(chunk).unwrap();
        }
    }
    while job.end_pass().unwrap() {
        for chunk in input.chunks(997) {
            job.push(chunk).unwrap();
        }
    }
    assert_eq!(
        job.progress().rows,
        *first_rows.last().unwrap(),
        "the signers framed the job's rows"
    );
    job.finish().unwrap()
}

fn decisions(outcome: &Outcome) -> String {
    let mut out = Vec::new();
    outcome.write_decisions(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn config(json: &str) -> PipelineConfig {
    PipelineConfig::from_json(json).unwrap()
}

const CONFIGS: &[&str] = &[
    r#"{"dedup": {"exact": {}, "near": {}}}"#,
    r#"{"dedup": {"exact": {}, "near": {"verify": true, "threshold": 0.7, "keep": "longest"}}}"#,
    r#"{"dedup": {"near": {"ngram": 3, "perms": 64, "threshold": 0.5}}, "filter": {"basic": {"min_words": 90}}}"#,
];

#[test]
fn supplied_keys_give_the_plain_jobs_decisions_and_report() {
    let input = awkward_input();
    for json in CONFIGS {
        let config = config(json);
        let plain = plain_job(&input, &config);
        let near = &plain.report.stats["dedup"]["near"];
        assert!(
            near["clusters"].as_u64().unwrap() >= 5,
            "{json}: the fixture has near-duplicate clusters"
        );
        assert!(
            plain.report.removed_by.contains_key("parse_error"),
            "the broken lines are rows"
        );
        for parts in [1, 3] {
            let cuts = cuts(&input, parts);
            let signed = sign_ranges(&input, &config, &cuts);
            // Rows without a signature: the no-text rows, the unreadable ones, the short ones.
            let unsigned: u32 = signed
                .iter()
                .map(|s| s.rows - s.signed.iter().map(|w| w.count_ones()).sum::<u32>())
                .sum();
            // (With 3-word shingles the four-word rows have one.)
            assert!(
                unsigned >= 2 * 7,
                "{json}: unsigned rows are marked ({unsigned})"
            );
            let parallel = parallel_job(&input, &config, &cuts, &signed);
            assert_eq!(
                decisions(&parallel),
                decisions(&plain),
                "{json}, {parts} ranges: decisions"
            );
            assert_eq!(
                parallel.report.to_json_pretty(),
                plain.report.to_json_pretty(),
                "{json}, {parts} ranges: report"
            );
        }
    }
}

#[test]
fn supplied_keys_are_used_not_recomputed() {
    let input = awkward_input();
    let config = config(CONFIGS[0]);
    let cuts = cuts(&input, 3);
    let mut signed = sign_ranges(&input, &config, &cuts);
    let plain = plain_job(&input, &config);
    // Every signed row of the middle range gets the same keys: they all collide.
    let middle = &mut signed[1];
    for i in 0..middle.rows as usize {
        if middle.keys_of(i).is_some() {
            middle.keys[i * middle.bands..(i + 1) * middle.bands].fill(42);
        }
    }
    let forged = parallel_job(&input, &config, &cuts, &signed);
    let plain_near = plain
        .report
        .removed_by
        .get("near_duplicate")
        .copied()
        .unwrap_or(0);
    let forged_near = forged
        .report
        .removed_by
        .get("near_duplicate")
        .copied()
        .unwrap_or(0);
    assert!(
        forged_near > plain_near + 10,
        "forged keys cluster the middle range: {forged_near} vs {plain_near}"
    );
}

#[test]
fn ranges_cover_the_rows_and_wrong_sizes_are_refused() {
    let input = awkward_input();
    let config = config(CONFIGS[0]);
    let whole = sign_ranges(&input, &config, &cuts(&input, 1)).remove(0);
    let parts = sign_ranges(&input, &config, &cuts(&input, 3));
    assert_eq!(parts.iter().map(|s| s.rows).sum::<u32>(), whole.rows);
    // The ranges' rows, laid end to end, are the whole input's rows with the same keys.
    let mut row = 0;
    for part in &parts {
        for i in 0..part.rows as usize {
            assert_eq!(part.keys_of(i), whole.keys_of(row), "row {row}");
            row += 1;
        }
    }
    let mut job = Job::new(config.clone()).unwrap();
    assert!(
        job.supply_band_keys(0, 10, &[0], &[0; 13]).is_err(),
        "14 bands per row"
    );
    assert!(
        job.supply_band_keys(0, 65, &[0], &[0; 65 * 14]).is_err(),
        "65 rows need 2 bitmap words"
    );
    let mut exact_only =
        Job::new(PipelineConfig::from_json(r#"{"dedup": {"exact": {}}}"#).unwrap()).unwrap();
    assert!(
        exact_only.supply_band_keys(0, 1, &[1], &[0; 14]).is_err(),
        "no near stage"
    );
    assert!(
        RangeSigner::new(&PipelineConfig::default()).is_err(),
        "a signer needs dedup.near"
    );
}

#[test]
fn parallel_signing_applies_to_jsonl_only() {
    use datasieve::pipeline::near::parallel_signing_applies;
    let with = |json: &str, name: &str| {
        let mut c = PipelineConfig::from_json(json).unwrap();
        c.input.file_name = Some(name.to_string());
        c
    };
    let near = |name: &str| with(r#"{"dedup": {"near": {}}}"#, name);
    let jsonl = awkward_input();
    assert!(parallel_signing_applies(&near("a.jsonl"), &jsonl));
    // A name datasieve does not know, or none: still JSONL by content.
    assert!(parallel_signing_applies(&near("a.data"), &jsonl));
    assert!(parallel_signing_applies(&near(""), &jsonl));
    // Only a head is needed: the reader decides from its first 64 KiB too.
    assert!(parallel_signing_applies(&near("a.jsonl"), &jsonl[..100]));
    // Lines starting with `{` in a text file are documents, not JSON: its reader reads text
    // lines, which a range signer (JSONL) would give no keys.
    let text =
        b"{draft} the quick brown fox jumps over the lazy dog\n{final} the quick brown fox\n";
    assert!(!parallel_signing_applies(&near("notes.txt"), text));
    assert!(!parallel_signing_applies(&near("notes.md"), text));
    // ... unless the config says JSONL (then the job reads it as JSONL too).
    assert!(parallel_signing_applies(
        &with(
            r#"{"dedup": {"near": {}}, "input": {"format": "jsonl"}}"#,
            "notes.txt"
        ),
        text
    ));
    // Other formats, compressed heads too short to decide from, no near dedup: one signer.
    assert!(!parallel_signing_applies(
        &with(
            r#"{"dedup": {"near": {}}, "input": {"format": "csv"}}"#,
            "a.jsonl"
        ),
        &jsonl
    ));
    assert!(!parallel_signing_applies(
        &near("a.json"),
        b"[{\"text\": \"x\"}]"
    ));
    assert!(!parallel_signing_applies(
        &near("a.csv"),
        b"text\nhello world\n"
    ));
    assert!(!parallel_signing_applies(
        &near("a.jsonl.gz"),
        &[0x1f, 0x8b, 8, 0]
    ));
    assert!(!parallel_signing_applies(
        &near("a.jsonl.zst"),
        &[0x28, 0xb5, 0x2f, 0xfd]
    ));
    assert!(!parallel_signing_applies(
        &with(r#"{"dedup": {"exact": {}}}"#, "a.jsonl"),
        &jsonl
    ));
}

fn gzip_members(plain: &[u8], members: usize) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    // Members cut at arbitrary bytes, not at newlines: a row may straddle two members.
    for piece in plain.chunks(plain.len().div_ceil(members)) {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(piece).unwrap();
        out.extend(gz.finish().unwrap());
    }
    out
}

/// The plain ranges a [`PlainRangeCutter`] cuts from `compressed` read in `chunk`-byte pieces.
fn cut(compressed: &[u8], chunk: usize, target: usize, max_row_bytes: usize) -> Vec<Vec<u8>> {
    let compression = datasieve::io::compression_of(compressed);
    let mut cutter = PlainRangeCutter::new(compression, target, max_row_bytes).unwrap();
    let mut ranges = Vec::new();
    for piece in compressed.chunks(chunk) {
        cutter
            .push(piece, &mut |range| {
                ranges.push(range);
                Ok(())
            })
            .unwrap();
    }
    ranges.extend(cutter.finish().unwrap());
    ranges
}

#[test]
fn ranges_cut_from_a_compressed_stream_are_the_plain_bytes_cut_after_newlines() {
    let input = awkward_input();
    let gz = gzip_members(&input, 3);
    for target in [1, 700, 5_000, 1 << 20] {
        for chunk in [1, 61, 4096, gz.len()] {
            let ranges = cut(&gz, chunk, target, 1 << 20);
            assert_eq!(ranges.concat(), input, "target {target}, chunk {chunk}");
            let (last, rest) = ranges.split_last().unwrap();
            for range in rest {
                assert_eq!(
                    range.last(),
                    Some(&b'\n'),
                    "target {target}: cut after a newline"
                );
            }
            assert!(!last.is_empty());
        }
    }
    // Several ranges at a small target (cut at most once per piece the decoder hands out), one
    // at a large one.
    assert!(cut(&gz, 4096, 700, 1 << 20).len() >= 3);
    assert_eq!(cut(&gz, 4096, 1 << 20, 1 << 20).len(), 1);
}

#[test]
fn ranges_cut_from_a_gzip_stream_signed_apart_give_the_plain_jobs_decisions() {
    let input = awkward_input();
    let gz = gzip_members(&input, 4);
    for json in CONFIGS {
        let config = config(json);
        let plain = plain_job(&input, &config);
        let ranges = cut(&gz, 1000, 2_000, 1 << 20);
        assert!(ranges.len() >= 5, "{} ranges", ranges.len());
        let mut job = Job::new(config.clone()).unwrap();
        let mut first_row = 0u64;
        for range in &ranges {
            let mut signer = RangeSigner::new(&config).unwrap();
            signer.push(range).unwrap();
            let signed = signer.finish().unwrap();
            job.supply_band_keys(first_row, signed.rows, &signed.signed, &signed.keys)
                .unwrap();
            first_row += u64::from(signed.rows);
        }
        loop {
            for chunk in gz.chunks(997) {
                job.push(chunk).unwrap();
            }
            if !job.end_pass().unwrap() {
                break;
            }
        }
        assert_eq!(
            job.progress().rows,
            first_row,
            "{json}: the ranges frame the job's rows"
        );
        let outcome = job.finish().unwrap();
        assert_eq!(decisions(&outcome), decisions(&plain), "{json}: decisions");
    }
}

#[test]
fn a_row_over_the_limit_stops_the_cutter_with_an_error() {
    let mut input = b"{\"text\": \"short row\"}\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 500_000));
    input.extend_from_slice(b"\n{\"text\": \"after\"}\n");
    let gz = gzip_members(&input, 1);
    let mut cutter = PlainRangeCutter::new(Compression::Gzip, 100, 10_000).unwrap();
    let mut ranges = 0;
    let err = gz
        .chunks(512)
        .try_for_each(|piece| {
            cutter.push(piece, &mut |_| {
                ranges += 1;
                Ok(())
            })
        })
        .unwrap_err();
    assert!(err.to_string().contains("over the 10.0 kB limit"), "{err}");
}

#[test]
fn compressed_heads_are_decided_on_their_plain_bytes() {
    let near = config(r#"{"dedup": {"near": {}}}"#);
    let jsonl = awkward_input();
    let gz = gzip_members(&jsonl, 2);
    // The whole (short) file: its plain bytes decide.
    let short = &jsonl[..jsonl.len().min(SNIFF_BYTES)];
    assert!(decompressed_head(&gz, SNIFF_BYTES).unwrap() == short);
    assert!(parallel_signing_applies(&near, &gz));
    let tiny = gzip_members(b"{\"text\": \"one row\"}\n", 1);
    assert!(decompressed_head(&tiny, SNIFF_BYTES).unwrap() == b"{\"text\": \"one row\"}\n");
    // A prefix that gives fewer plain bytes than needed and is not the whole file: no decision.
    assert_eq!(decompressed_head(&gz[..100], SNIFF_BYTES), None);
    assert!(!parallel_signing_applies(&near, &gz[..100]));
    // A prefix that gives enough: the first plain bytes.
    assert!(decompressed_head(&gz, 1000).unwrap() == jsonl[..1000]);
    // Plain bytes that are not JSONL, and plain input: not decompressed.
    let csv = gzip_members(b"text,id\nhello there,1\n", 1);
    assert!(!parallel_signing_applies(&near, &csv));
    assert_eq!(decompressed_head(&jsonl, 10), None);
    // zstd too (the readers' fixture of several frames).
    let zst = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/io/zstd_frames.jsonl"
    ))
    .unwrap();
    assert_eq!(compression_of(&zst), Compression::Zstd);
    assert!(parallel_signing_applies(&near, &zst));
    assert!(cut(&zst, 7, 10, 1 << 20).concat() == decompressed_head(&zst, SNIFF_BYTES).unwrap());
}

#[test]
fn signing_in_parallel_pays_off_from_8_mib_plain_and_2_mib_compressed() {
    use datasieve::pipeline::near::parallel_signing_pays_off;
    const MIB: u64 = 1 << 20;
    assert!(!parallel_signing_pays_off(8 * MIB - 1, Compression::None));
    assert!(parallel_signing_pays_off(8 * MIB, Compression::None));
    for compression in [Compression::Gzip, Compression::Zstd] {
        assert!(!parallel_signing_pays_off(2 * MIB - 1, compression));
        assert!(parallel_signing_pays_off(2 * MIB, compression));
    }
}

#[test]
fn the_signing_range_planner_gives_a_few_ranges_per_signer() {
    use datasieve::pipeline::near::signing_range_planner;
    let input: Vec<u8> = (0..1000)
        .flat_map(|i| format!("{{\"text\":\"row {i}\"}}\n").into_bytes())
        .collect();
    for signers in [1, 2, 3] {
        let mut planner = signing_range_planner(input.len() as u64, signers);
        while let Some(at) = planner.wanted() {
            planner.feed(&input[at as usize..]);
        }
        let ranges = planner.ranges();
        assert_eq!(ranges.len(), 4 * signers, "{signers} signers: {ranges:?}");
        assert_eq!(ranges.last().unwrap().1, input.len() as u64);
    }
}
