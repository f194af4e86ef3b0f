//! Jobs over the fixtures: schema detection over all rows, exact dedup decisions, and the
//! output-folder invariant (kept + removed = input, byte for byte) through `Job` + `Splitter`.

mod common;

use common::*;
use datasieve::config::PipelineConfig;
use datasieve::dedup::exact::ExactConfig;
use datasieve::io::{Destination, Format, OutputParts, Part, ReaderOptions, RowReader};
use datasieve::pipeline::{Decision, Job, Outcome};
use serde_json::{json, Value};

fn exact_config(name: &str) -> PipelineConfig {
    let mut config = PipelineConfig {
        input: named(name),
        ..Default::default()
    };
    config.dedup.exact = Some(ExactConfig::default());
    config
}

/// Runs a job over `input` in chunks of the given sizes, as many passes as it asks for.
fn run_job(input: &[u8], config: PipelineConfig, sizes: &mut dyn FnMut() -> usize) -> Outcome {
    let mut job = Job::new(config).expect("valid config");
    feed_every_pass(&mut job, input, sizes);
    job.finish().expect("finish")
}

fn run_fixture(name: &str) -> Outcome {
    let input = fixture(name);
    run_job(&input, exact_config(name), &mut fixed(input.len()))
}

/// The second pass: (kept, removed) bytes. Also checks that the same outputs described as
/// [`OutputParts`] (spans of the input and copied bytes, what the page downloads) rebuild them
/// exactly.
fn split(outcome: &Outcome, input: &[u8], sizes: &mut dyn FnMut() -> usize) -> (Vec<u8>, Vec<u8>) {
    let mut splitter = outcome.splitter();
    let (mut kept, mut removed) = (Vec::new(), Vec::new());
    let mut parts = OutputParts::default();
    let mut write = |dest: Destination, bytes: &[u8]| match dest {
        Destination::Kept => kept.extend_from_slice(bytes),
        Destination::Removed => removed.extend_from_slice(bytes),
        Destination::Export => panic!("no export configured in these tests"),
    };
    let mut rest = input;
    let mut offset = 0u64;
    while !rest.is_empty() {
        let n = sizes().clamp(1, rest.len());
        let chunk = &rest[..n];
        splitter
            .push(chunk, &mut |dest, bytes| {
                write(dest, bytes);
                parts.add(chunk, offset, dest, bytes);
            })
            .expect("split push");
        rest = &rest[n..];
        offset += n as u64;
    }
    let (k, r) = splitter
        .finish(&mut |dest, bytes| {
            write(dest, bytes);
            parts.add(&[], offset, dest, bytes);
        })
        .expect("split finish");
    let kept_rows = outcome.decisions.iter().filter(|d| d.kept).count() as u64;
    assert_eq!(
        (k, r),
        (kept_rows, outcome.decisions.len() as u64 - kept_rows),
        "rows written per output"
    );
    for (dest, expected) in [(Destination::Kept, &kept), (Destination::Removed, &removed)] {
        let (list, copied) = parts.take(dest, true);
        let mut rebuilt = Vec::new();
        for part in list {
            match part {
                Part::Input { start, end } => {
                    rebuilt.extend_from_slice(&input[start as usize..end as usize])
                }
                Part::Copied { start, end } => rebuilt.extend_from_slice(&copied[start..end]),
            }
        }
        assert!(rebuilt == *expected, "{dest:?} rebuilt from its parts");
    }
    (kept, removed)
}

/// `decisions.jsonl` as written, parsed back: the kept flag per row, in row order.
fn kept_flags_from_decisions_jsonl(outcome: &Outcome) -> Vec<bool> {
    let mut jsonl = Vec::new();
    outcome.write_decisions(&mut jsonl).unwrap();
    let text = String::from_utf8(jsonl).unwrap();
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let d: Value = serde_json::from_str(line).unwrap();
            assert_eq!(d["row"], i as u64);
            for key in [
                "line",
                "kept",
                "reasons",
                "warnings",
                "cluster",
                "duplicate_of",
            ] {
                assert!(d.get(key).is_some(), "decision {i} lacks `{key}`: {line}");
            }
            d["kept"].as_bool().unwrap()
        })
        .collect()
}

/// The rows of an output file, each with its terminator (as the reader frames them).
fn output_rows(output: &[u8], format: Format) -> Vec<Vec<u8>> {
    let options = ReaderOptions {
        format: Some(format),
        ..ReaderOptions::default()
    };
    let mut reader = RowReader::framing_only(options);
    let mut rows = Vec::new();
    let mut on = |r: datasieve::io::Record<'_>| {
        let mut bytes = r.raw.to_vec();
        bytes.extend_from_slice(r.terminator);
        rows.push(bytes);
        Ok(())
    };
    reader.push(output, &mut on).unwrap();
    reader.finish(&mut on).unwrap();
    rows
}

/// The input as the outputs must reproduce it: decompressed, without a BOM, without blank lines,
/// ending with a newline. Computed line by line, independently of the framer.
fn input_without_blank_lines(input: &[u8]) -> Vec<u8> {
    let plain = decompressed(input);
    let body = plain.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&plain);
    let mut out = Vec::new();
    for line in body.split_inclusive(|&b| b == b'\n') {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        if content.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            continue;
        }
        out.extend_from_slice(line);
    }
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
}

/// Checks the output-folder invariant for one run.
fn assert_outputs_partition_the_input(
    name: &str,
    fixture_name: &str,
    input: &[u8],
    outcome: &Outcome,
    kept: &[u8],
    removed: &[u8],
) {
    let flags = kept_flags_from_decisions_jsonl(outcome);
    let format = outcome.detected.format;
    match format {
        Format::Json => {
            // Unreadable elements are written as they are, so removed.json is then not JSON (the
            // report's notice says so); the elements' bytes are still checked below.
            let unreadable = outcome.report.removed_by.contains_key("parse_error");
            for (what, out) in [("kept", kept), ("removed", removed)] {
                if what == "removed" && unreadable {
                    continue;
                }
                let v: Value = serde_json::from_slice(out).unwrap_or_else(|e| {
                    panic!(
                        "{name}: {what} output is not JSON ({e}): {}",
                        String::from_utf8_lossy(out)
                    )
                });
                assert!(v.is_array(), "{name}: {what} output is a JSON array");
            }
            let input_elements: Vec<Vec<u8>> = read_fixture(fixture_name)
                .records
                .into_iter()
                .map(|r| r.raw)
                .collect();
            let (mut k, mut r) = (
                output_rows(kept, format).into_iter(),
                output_rows(removed, format).into_iter(),
            );
            let merged: Vec<Vec<u8>> = flags
                .iter()
                .map(|&keep| if keep { k.next() } else { r.next() }.expect("a row per decision"))
                .collect();
            assert!(
                k.next().is_none() && r.next().is_none(),
                "{name}: no extra rows"
            );
            assert_eq!(
                merged, input_elements,
                "{name}: the elements' bytes are the input's"
            );
        }
        Format::Jsonl | Format::Csv | Format::Tsv | Format::Text => {
            let mut expected = input_without_blank_lines(input);
            let mut header_len = 0;
            if matches!(format, Format::Csv | Format::Tsv) {
                // The outputs are read back with their header, which the reader takes as such.
                let header = outcome.header.clone().expect("a CSV header");
                assert!(
                    expected.starts_with(&header),
                    "{name}: the header is the first line"
                );
                expected.drain(..header.len());
                header_len = header.len();
                for (what, out) in [("kept", kept), ("removed", removed)] {
                    assert!(
                        out.starts_with(&header),
                        "{name}: {what} starts with the header"
                    );
                }
            }
            let (mut k, mut r) = (
                output_rows(kept, format).into_iter(),
                output_rows(removed, format).into_iter(),
            );
            let mut merged = Vec::new();
            for &keep in &flags {
                let row = if keep { k.next() } else { r.next() };
                let mut row = row.unwrap_or_else(|| panic!("{name}: an output row per decision"));
                if !row.ends_with(b"\n") {
                    row.push(b'\n');
                }
                merged.extend(row);
            }
            assert!(
                k.next().is_none() && r.next().is_none(),
                "{name}: no extra rows"
            );
            assert_eq!(
                String::from_utf8_lossy(&merged),
                String::from_utf8_lossy(&expected),
                "{name}: kept + removed merged in row order = the input"
            );
            assert_eq!(merged, expected, "{name}: byte for byte");
            let rows_in_outputs = kept.len() + removed.len() - 2 * header_len;
            assert_eq!(
                rows_in_outputs,
                expected.len(),
                "{name}: nothing but rows in the outputs"
            );
        }
    }
}

#[test]
fn kept_and_removed_reproduce_every_fixture_byte_for_byte() {
    for name in text_fixtures() {
        let input = fixture(&name);
        // The default limit, and one that makes many rows over-long (copied piece by piece).
        for max_row_bytes in [ReaderOptions::default().max_row_bytes, 60] {
            let mut config = exact_config(&name);
            config.input.max_row_bytes = max_row_bytes;
            let what = format!("{name} (max_row_bytes {max_row_bytes})");
            let outcome = run_job(&input, config.clone(), &mut fixed(input.len()));
            let (kept, removed) = split(&outcome, &input, &mut fixed(input.len()));
            assert_outputs_partition_the_input(&what, &name, &input, &outcome, &kept, &removed);
            // The same at odd chunk boundaries, in both passes.
            for seed in 0..3 {
                let chunked = run_job(&input, config.clone(), &mut random_sizes(seed, 32));
                assert_eq!(
                    chunked.decisions, outcome.decisions,
                    "{what}: decisions at random chunks"
                );
                assert_eq!(
                    chunked.report.comparable(),
                    outcome.report.comparable(),
                    "{what}: report at random chunks"
                );
                let again = split(&outcome, &input, &mut random_sizes(seed + 100, 32));
                assert_eq!(
                    again,
                    (kept.clone(), removed.clone()),
                    "{what}: outputs at random chunks"
                );
            }
            if max_row_bytes == 60
                && ["lf.jsonl", "array.json", "alpaca.jsonl"].contains(&name.as_str())
            {
                assert!(
                    outcome.report.removed_by["parse_error"] > 0,
                    "{what}: some rows are over the limit"
                );
            }
        }
    }
}

/// Appends the parts of `dest` taken now to `taken` (parts and copied bytes gathered over several
/// takes, copied offsets shifted to the gathered bytes).
fn take_parts_into(
    parts: &mut OutputParts,
    dest: Destination,
    done: bool,
    taken: &mut (Vec<Part>, Vec<u8>),
) {
    let (list, copied) = parts.take(dest, done);
    let base = taken.1.len();
    taken.0.extend(list.into_iter().map(|p| match p {
        Part::Copied { start, end } => Part::Copied {
            start: start + base,
            end: end + base,
        },
        p => p,
    }));
    taken.1.extend(copied);
}

#[test]
fn long_runs_of_rows_are_spans_of_the_input_not_copies() {
    // What the page's downloads rely on to avoid copying. 300 KB of distinct rows, 300 KB of
    // exact copies of them (removed), 300 KB of new distinct rows: kept and removed are long
    // spans (cut where a row straddles two chunks); a gzip copy of it is all copied.
    let block = |tag: &str| -> Vec<u8> {
        (0..3000)
            .flat_map(|i| {
                format!("{{\"text\": \"{tag} row {i} {}\"}}\n", "x".repeat(70)).into_bytes()
            })
            .collect()
    };
    let first = block("a");
    let input = [first.clone(), first.clone(), block("b")].concat();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &input).unwrap();
    let gzipped = gz.finish().unwrap();
    for (name, bytes) in [("runs.jsonl", &input), ("runs.jsonl.gz", &gzipped)] {
        let outcome = run_job(bytes, exact_config(name), &mut fixed(1 << 20));
        assert_eq!(outcome.report.removed_by["exact_duplicate"], 3000);
        // The page reads 4 MB chunks; a row straddling two chunks is copied, so spans end there.
        for chunk_size in [256 << 10, 1 << 20] {
            let mut splitter = outcome.splitter();
            let mut parts = OutputParts::default();
            let mut offset = 0u64;
            let mut taken: [(Vec<Part>, Vec<u8>); 2] = Default::default();
            for chunk in bytes.chunks(chunk_size) {
                splitter
                    .push(chunk, &mut |dest, piece| {
                        parts.add(chunk, offset, dest, piece)
                    })
                    .unwrap();
                offset += chunk.len() as u64;
                // Taken as the page takes them, after every chunk.
                for (slot, dest) in [Destination::Kept, Destination::Removed]
                    .into_iter()
                    .enumerate()
                {
                    take_parts_into(&mut parts, dest, false, &mut taken[slot]);
                }
            }
            splitter
                .finish(&mut |dest, piece| parts.add(&[], offset, dest, piece))
                .unwrap();
            for (slot, dest) in [Destination::Kept, Destination::Removed]
                .into_iter()
                .enumerate()
            {
                take_parts_into(&mut parts, dest, true, &mut taken[slot]);
                let (list, copied) = &taken[slot];
                let mut rebuilt = Vec::new();
                let mut spans = 0;
                for part in list {
                    match *part {
                        Part::Input { start, end } => {
                            spans += 1;
                            assert!(end - start >= OutputParts::MIN_SPAN);
                            rebuilt.extend_from_slice(&input[start as usize..end as usize]);
                        }
                        Part::Copied { start, end } => {
                            rebuilt.extend_from_slice(&copied[start..end])
                        }
                    }
                }
                let expected = match dest {
                    Destination::Kept => [first.as_slice(), &block("b")].concat(),
                    _ => first.clone(),
                };
                let what = format!("{name} {dest:?} in chunks of {chunk_size}");
                assert!(rebuilt == expected, "{what}: rebuilt");
                if name.ends_with(".gz") {
                    assert_eq!(spans, 0, "{what}");
                } else {
                    // Only rows straddling chunk boundaries (and the ends of short spans) copied.
                    assert!(spans >= 1, "{what}");
                    assert!(
                        copied.len() * 5 < expected.len(),
                        "{what}: {} copied",
                        copied.len()
                    );
                }
            }
        }
    }
}

#[test]
fn over_long_rows_are_copied_to_removed_byte_for_byte() {
    let long = format!("{{\"text\": \"{}\"}}", "L".repeat(5000));
    let cases = [
        format!("{{\"text\": \"a\"}}\n{long}\n{{\"text\": \"b\"}}\n"),
        format!("{{\"text\": \"a\"}}\r\n{long}\r\n{{\"text\": \"b\"}}\r\n"),
        format!("{{\"text\": \"a\"}}\n{long}"),
        format!("{{\"text\": \"a\"}}\n{long}\r"), // a last line ending in a lone CR keeps it
        format!("{{\"text\": \"a\"}}\n{long}\r\r\n"),
    ];
    for input in cases {
        let mut config = exact_config("x.jsonl");
        config.input.max_row_bytes = 1000;
        let outcome = run_job(input.as_bytes(), config, &mut fixed(4096));
        assert_eq!(outcome.decisions[1].reasons, ["parse_error"]);
        let whole = split(&outcome, input.as_bytes(), &mut fixed(input.len()));
        let long_line = input.split_inclusive('\n').nth(1).unwrap();
        let mut expected = long_line.as_bytes().to_vec();
        if !expected.ends_with(b"\n") {
            expected.push(b'\n');
        }
        assert_eq!(
            String::from_utf8_lossy(&whole.1),
            String::from_utf8_lossy(&expected),
            "{:?}",
            &input[input.len() - 4..]
        );
        for sizes in [1, 2, 3, 999, 1000, 1001, 1002, 4096] {
            assert_eq!(
                split(&outcome, input.as_bytes(), &mut fixed(sizes)),
                whole,
                "chunks of {sizes}"
            );
        }
    }
    // The page's sample of removed rows shows the start of an over-long row too.
    let input = format!("{{\"text\": \"a\"}}\n{long}\n");
    let mut config = exact_config("x.jsonl");
    config.input.max_row_bytes = 1000;
    let outcome = run_job(input.as_bytes(), config, &mut fixed(4096));
    let mut splitter = outcome.splitter();
    let mut sink = |_: Destination, _: &[u8]| {};
    for piece in input.as_bytes().chunks(700) {
        splitter.push(piece, &mut sink).unwrap();
    }
    splitter.finish(&mut sink).unwrap();
    let samples = splitter.removed_samples();
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].0, 1);
    assert!(
        long.starts_with(&samples[0].1) && !samples[0].1.is_empty(),
        "{:?}",
        &samples[0].1[..20]
    );

    // A JSON array: the removed output is still a JSON array holding the element's bytes.
    let array = format!("[{{\"text\": \"a\"}}, {long}, {{\"text\": \"b\"}}]");
    let mut config = exact_config("x.json");
    config.input.max_row_bytes = 1000;
    let outcome = run_job(array.as_bytes(), config, &mut fixed(100));
    for sizes in [1, 999, 5000, array.len()] {
        let (kept, removed) = split(&outcome, array.as_bytes(), &mut fixed(sizes));
        assert_eq!(
            serde_json::from_slice::<Value>(&kept).unwrap(),
            json!([{"text": "a"}, {"text": "b"}])
        );
        assert_eq!(
            removed,
            format!("[\n{long}\n]\n").as_bytes(),
            "chunks of {sizes}"
        );
    }
}

#[test]
fn an_output_with_no_rows_still_has_its_header_or_brackets() {
    let outcome = run_fixture("data.tsv");
    let input = fixture("data.tsv");
    let (kept, removed) = split(&outcome, &input, &mut fixed(5));
    assert!(kept.starts_with(b"id\ttext\tlang\n"));
    assert_eq!(
        removed,
        b"id\ttext\tlang\n3\tThe quick brown fox jumps over the lazy dog.\ten\n"
    );
    // A TSV where nothing is removed: the removed output is the header alone.
    let unique = b"id\ttext\n1\tone\n2\ttwo";
    let outcome = run_job(unique, exact_config("x.tsv"), &mut fixed(3));
    let (kept, removed) = split(&outcome, unique, &mut fixed(3));
    assert_eq!(kept, b"id\ttext\n1\tone\n2\ttwo\n");
    assert_eq!(removed, b"id\ttext\n");

    let array = b"[{\"text\": \"a\"}, {\"text\": \"b\"}]";
    let outcome = run_job(array, exact_config("x.json"), &mut fixed(100));
    let (kept, removed) = split(&outcome, array, &mut fixed(100));
    assert_eq!(
        serde_json::from_slice::<Value>(&kept).unwrap(),
        json!([{"text": "a"}, {"text": "b"}])
    );
    assert_eq!(removed, b"[\n]\n");
    assert_eq!(
        serde_json::from_slice::<Value>(&removed).unwrap(),
        json!([])
    );
}

fn dup_pairs(decisions: &[Decision]) -> Vec<(u64, u64)> {
    decisions
        .iter()
        .filter_map(|d| d.duplicate_of.map(|first| (d.row, first)))
        .collect()
}

#[test]
fn exact_dedup_decisions_on_each_fixture() {
    let cases: [(&str, &[(u64, u64)]); 12] = [
        ("lf.jsonl", &[(2, 0), (5, 1)]),
        ("crlf.jsonl", &[(2, 0), (5, 1)]),
        ("lf.jsonl.gz", &[(2, 0), (5, 1)]),
        ("array.json", &[(2, 0)]),
        ("quoted.csv", &[(3, 0), (7, 1)]),
        ("data.tsv", &[(2, 0)]),
        ("alpaca.jsonl", &[(2, 0)]),
        ("sharegpt.jsonl", &[(2, 0)]),
        ("messages.jsonl", &[(3, 1)]),
        // Preference rows are compared on the prompt by default.
        ("preference.jsonl", &[(2, 0)]),
        ("kto.jsonl", &[(3, 0)]),
        ("broken_line.jsonl", &[]),
    ];
    for (name, expected) in cases {
        let outcome = run_fixture(name);
        assert_eq!(dup_pairs(&outcome.decisions), expected, "{name}");
        for d in &outcome.decisions {
            if d.duplicate_of.is_some() {
                assert_eq!(
                    (d.kept, d.reasons.as_slice()),
                    (false, &["exact_duplicate"][..]),
                    "{name} row {}",
                    d.row
                );
            }
        }
        let dups = expected.len() as u64;
        assert_eq!(
            outcome
                .report
                .removed_by
                .get("exact_duplicate")
                .copied()
                .unwrap_or(0),
            dups,
            "{name}"
        );
        assert_eq!(outcome.report.rows_in, outcome.decisions.len() as u64);
        assert_eq!(
            outcome.report.rows_kept + outcome.report.rows_removed,
            outcome.report.rows_in
        );
        assert_eq!(
            outcome.report.stats["dedup"]["exact"]["duplicate_rows"], dups,
            "{name}"
        );
    }
    let lf = run_fixture("lf.jsonl");
    let first = &lf.decisions[2];
    assert_eq!(first.line, 3);
    assert_eq!(
        serde_json::to_value(first).unwrap(),
        json!({"row": 2, "line": 3, "kept": false, "reasons": ["exact_duplicate"], "warnings": [], "cluster": null, "duplicate_of": 0})
    );
    assert_eq!(
        serde_json::to_value(&lf.decisions[0]).unwrap(),
        json!({"row": 0, "line": 1, "kept": true, "reasons": [], "warnings": [], "cluster": null, "duplicate_of": null})
    );
}

#[test]
fn dedup_on_a_chosen_field_and_normalised() {
    let input = b"{\"a\": \"Hello,  World\", \"b\": 1}\n{\"a\": \"hello world\", \"b\": 1}\n{\"a\": \"Hello,  World\", \"b\": 2}\n";
    let mut config = exact_config("x.jsonl");
    config.fields = vec!["a".into()];
    let raw = run_job(input, config.clone(), &mut fixed(7));
    assert_eq!(dup_pairs(&raw.decisions), [(2, 0)]);
    config.dedup.exact = Some(ExactConfig { normalize: true });
    let normalised = run_job(input, config.clone(), &mut fixed(7));
    assert_eq!(dup_pairs(&normalised.decisions), [(1, 0), (2, 0)]);
    config.fields = vec!["b".into()];
    config.dedup.exact = Some(ExactConfig::default());
    let on_b = run_job(input, config, &mut fixed(7));
    assert_eq!(dup_pairs(&on_b.decisions), [(1, 0)]);
}

#[test]
fn a_job_that_compares_nothing_says_so_and_names_fields_that_may_hold_text() {
    // MT-Bench's question file: no schema datasieve knows, the text is in a list of turns.
    let input = b"{\"question_id\": 81, \"category\": \"writing\", \"turns\": [\"Compose a blog post.\", \"Rewrite it.\"]}\n\
{\"question_id\": 82, \"category\": \"writing\", \"turns\": [\"Compose a blog post.\", \"Rewrite it.\"], \"reference\": [\"A post.\"]}\n\
not json\n";
    let unknown = run_job(input, exact_config("q.jsonl"), &mut fixed(9));
    assert_eq!(unknown.report.rows_kept, 2);
    assert_eq!(
        unknown.report.notices,
        [
            "The file's schema is `unknown`, which has no default text field, so nothing was \
          compared: all 2 readable rows were kept without being checked. Name the field(s) to \
          compare (CLI `--field`, page \"field(s)\"). Fields that may hold text: `category`, \
          `turns[*]`, `reference[*]`."
        ]
    );
    let on_outcome = |fields: &[&str]| {
        let mut config = exact_config("q.jsonl");
        config.fields = fields.iter().map(|f| f.to_string()).collect();
        run_job(input, config, &mut fixed(5))
    };
    let on = |fields: &[&str]| on_outcome(fields).report;
    // Nothing was compared, whether or not fields were named: flagged for callers that gate on
    // the outcome (the CLI exits 2).
    assert_eq!(
        unknown.compared_nothing(),
        Some(unknown.report.notices[0].as_str()),
    );
    // A named field no row has (a typo): nothing compared, said with the fields the rows have,
    // and flagged the same way.
    for fields in [&["prompt"][..], &["prompt", "txet"]] {
        let missing = on_outcome(fields);
        let quoted: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
        let expected = format!(
            "No row has text at the compared field(s) {}, so nothing was compared: all 2 \
             readable rows were kept without being checked. Name the field(s) to compare (CLI \
             `--field`, page \"field(s)\"). The rows' fields, most frequent first: `category` \
             (string, 2 rows), `question_id` (number, 2 rows), `turns` (array, 2 rows), \
             `reference` (array, 1 row).",
            quoted.join(", ")
        );
        assert_eq!(missing.report.notices, std::slice::from_ref(&expected));
        assert_eq!(missing.compared_nothing(), Some(expected.as_str()));
    }
    assert_eq!(on_outcome(&["turns[*]", "txet"]).compared_nothing(), None);
    let partly = on(&["reference[*]"]);
    assert_eq!(
        partly.notices,
        [
            "1 of 2 readable rows have no text at the compared field(s) `reference[*]`; they \
          were kept without being checked."
        ]
    );
    let turns = on(&["turns[*]"]);
    assert!(turns.notices.is_empty(), "{:?}", turns.notices);
    assert_eq!(turns.removed_by["exact_duplicate"], 1);
    // Text everywhere, or nothing compared at all (inspect only): no notice, and none in JSON.
    let text = run_fixture("lf.jsonl");
    assert!(text.report.notices.is_empty());
    assert!(!text.report.to_json_pretty().contains("notices"));
    let inspect_only = run_job(
        input,
        PipelineConfig {
            input: named("q.jsonl"),
            ..Default::default()
        },
        &mut fixed(64),
    );
    // An inspection compares nothing by design: a named field no row has is only noted.
    let mut inspect_field = PipelineConfig {
        input: named("q.jsonl"),
        ..Default::default()
    };
    inspect_field.fields = vec!["prompt".into()];
    let inspected = run_job(input, inspect_field, &mut fixed(64));
    assert!(
        inspected.report.notices[0].contains("would compare nothing"),
        "{:?}",
        inspected.report.notices
    );
    assert_eq!(inspected.compared_nothing(), None);
    assert_eq!(inspect_only.compared_nothing(), None);
    // A preference check reads its own fields: nothing is said about compared text.
    let prefs_only = run_job(
        input,
        PipelineConfig::from_json(r#"{"input": {"file_name": "q.jsonl"}, "prefs": {}}"#).unwrap(),
        &mut fixed(64),
    );
    assert!(
        prefs_only.report.notices.is_empty(),
        "{:?}",
        prefs_only.report.notices
    );
    // An inspection hears what a dedup or filter would do.
    assert_eq!(
        inspect_only.report.notices,
        [
            "The file's schema is `unknown`, which has no default text field, so dedup, filters \
          and contamination checks would compare nothing. Name the field(s) to compare (CLI \
          `--field`, page \"field(s)\"). Fields that may hold text: `category`, `turns[*]`, \
          `reference[*]`."
        ]
    );
    // A JSON array with an element that is not JSON: removed.json (its bytes as they are) is not
    // valid JSON, and the report says so.
    let array = b"[{\"text\": \"a\"},\n {\"text\": broken},\n {\"text\": \"a\"}]\n";
    let outcome = run_job(array, exact_config("a.json"), &mut fixed(5));
    assert_eq!(
        outcome.report.notices,
        [
            "removed.json holds the 1 unreadable element(s) exactly as they are in the input (the \
          first on line 2), so it is not valid JSON; kept.json is."
        ]
    );
    let (kept, removed) = split(&outcome, array, &mut fixed(5));
    assert!(serde_json::from_slice::<Value>(&kept).is_ok());
    assert!(serde_json::from_slice::<Value>(&removed).is_err());
    // An inspection of that file writes nothing, so the notice says what a job would write.
    let inspected = run_job(
        array,
        PipelineConfig {
            input: named("a.json"),
            ..Default::default()
        },
        &mut fixed(5),
    );
    assert_eq!(
        inspected.report.notices,
        [
            "1 element(s) are not valid JSON (the first on line 2); a job's removed.json would \
          hold them exactly as they are, so it would not be valid JSON (kept.json would be)."
        ]
    );
    // Dedup and a preference check in one job, on rows with no text at the dedup field: the
    // preference check did look at every row, so the notice does not say they went unchecked.
    let both = run_job(
        input,
        PipelineConfig::from_json(
            r#"{"input": {"file_name": "q.jsonl"}, "dedup": {"exact": {}}, "prefs": {}}"#,
        )
        .unwrap(),
        &mut fixed(64),
    );
    assert_eq!(both.report.notices.len(), 1, "{:?}", both.report.notices);
    assert_eq!(both.compared_nothing(), None, "the preference checks ran");
    assert!(
        both.report.notices[0].contains(
            "so nothing was compared: the 2 readable rows were not checked for duplicates, \
             quality or contamination (the preference checks read their own fields)"
        ),
        "{:?}",
        both.report.notices
    );
}

#[test]
fn the_report_says_how_a_guessed_or_padded_file_was_read() {
    // A file of an unknown extension read as text lines: the job's report (the page shows it,
    // the CLI prints it) says so and how to choose another format; a named format is no guess.
    let script = b"import sys\nprint(\"hello, world\")\nprint(\"hello, world\")\n";
    let outcome = run_job(script, exact_config("tool.py"), &mut fixed(7));
    assert_eq!(outcome.detected.format, Format::Text);
    assert_eq!(dup_pairs(&outcome.decisions), [(2, 1)]);
    assert_eq!(
        outcome.report.notices.len(),
        1,
        "{:?}",
        outcome.report.notices
    );
    let notice = &outcome.report.notices[0];
    assert!(
        notice.starts_with("`tool.py`: the extension `.py` is not one datasieve recognises")
            && notice.contains("read as plain text, one document per line")
            && notice.contains("CLI `--input-format jsonl|json|csv|tsv`, config `input.format`"),
        "{notice}"
    );
    let mut forced = exact_config("tool.py");
    forced.input.format = Some(Format::Text);
    assert!(run_job(script, forced, &mut fixed(7))
        .report
        .notices
        .is_empty());
    // Bytes after the gzip data: the rows before are processed, and the report says what was
    // ignored, where. The second pass (the outputs) reads the same rows.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"{\"text\": \"a\"}\n{\"text\": \"a\"}\n").unwrap();
    let member = gz.finish().unwrap();
    let input = [member.clone(), b"\0\0\0garbage".to_vec()].concat();
    for mut sizes in [fixed(input.len()), fixed(4)] {
        let outcome = run_job(&input, exact_config("rows.jsonl.gz"), &mut sizes);
        assert_eq!(dup_pairs(&outcome.decisions), [(1, 0)]);
        assert_eq!(
            outcome.report.notices,
            [format!(
                "`rows.jsonl.gz`: 10 bytes after the end of the gzip data at byte offset {} are \
                 not gzip data; ignored (the rows before them were read).",
                member.len()
            )]
        );
        let (kept, removed) = split(&outcome, &input, &mut fixed(5));
        assert_eq!(
            (kept.as_slice(), removed.as_slice()),
            (&b"{\"text\": \"a\"}\n"[..], &b"{\"text\": \"a\"}\n"[..])
        );
    }
}

#[test]
fn a_text_file_is_deduplicated_line_by_line_and_rewriting_it_is_refused() {
    let input = fixture("lines.txt");
    let outcome = run_job(&input, exact_config("lines.txt"), &mut fixed(11));
    assert_eq!(outcome.detected.format, Format::Text);
    assert_eq!(dup_pairs(&outcome.decisions), [(2, 1)]);
    assert_eq!(
        outcome.output_names(),
        ("kept.txt".into(), "removed.txt".into())
    );
    let (kept, removed) = split(&outcome, &input, &mut fixed(11));
    assert_eq!(
        String::from_utf8_lossy(&removed),
        "A second document repeats.\nbroken \u{FFFD}\u{FFFD} bytes\n"
    );
    assert!(kept.starts_with(b"The first document, with a comma, and\ta tab.\n"));
    // Rewriting a detected text file is refused as `input.format: "text"` is (one message), not
    // run with the rows copied as they are.
    let detected = PipelineConfig::from_json(
        r#"{"input": {"file_name": "lines.txt"}, "filter": {"c4": {}, "rewrite": true}}"#,
    )
    .unwrap();
    let mut job = Job::new(detected).unwrap();
    let e = job
        .push(&input)
        .and_then(|()| job.end_pass().map(drop))
        .expect_err("refused once detected");
    let named = PipelineConfig::from_json(
        r#"{"input": {"format": "text"}, "filter": {"c4": {}, "rewrite": true}}"#,
    )
    .expect_err("refused up front");
    assert_eq!(e.to_string(), named.to_string());
    assert_eq!(
        e.to_string(),
        "invalid configuration: filter.rewrite (CLI `--rewrite`) rewrites the text of kept rows, \
         which works on JSON and JSONL rows only, and this input is plain text (one document per \
         line), whose rows can only be copied as they are: turn rewriting off, or convert the \
         file to JSONL"
    );
}

#[test]
fn a_system_prompt_shared_by_every_chat_does_not_make_them_near_duplicates() {
    // Eight different questions under one long system prompt (as in OpenAI-style fine-tuning
    // sets): with the system turn compared, their shingle sets are mostly the prompt's.
    let system: String = (0..120)
        .map(|i: u8| {
            format!(
                "rule{}{} ",
                (b'a' + i / 26) as char,
                (b'a' + i % 26) as char
            )
        })
        .collect();
    let mut input = String::new();
    // (Digits are all `0` once simplified: the questions differ in words.)
    let topics = [
        "rivers",
        "volcanoes",
        "bridges",
        "comets",
        "tides",
        "forests",
        "deserts",
        "glaciers",
    ];
    for topic in topics {
        let row = json!({"messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": format!("how do {topic} form and what shapes {topic} over time")},
            {"role": "assistant", "content": format!("{topic} take shape slowly as forces act on {topic}")}
        ]});
        input.push_str(&format!("{row}\n"));
    }
    let near = |fields: &[&str]| {
        let mut config = PipelineConfig::from_json(r#"{"dedup": {"near": {}}}"#).unwrap();
        config.fields = fields.iter().map(|f| f.to_string()).collect();
        run_job(input.as_bytes(), config, &mut fixed(100)).report
    };
    let by_default = near(&[]);
    assert_eq!(
        by_default.stats["schema"]["default_fields"],
        json!(["messages[role!=system].content"])
    );
    assert_eq!(by_default.rows_removed, 0);
    // What including the system prompt does: every row falls into one cluster.
    let with_system = near(&["messages[*].content"]);
    assert_eq!(with_system.removed_by["near_duplicate"], 7);
}

#[test]
fn parse_errors_become_decisions_with_line_numbers() {
    let outcome = run_fixture("broken_line.jsonl");
    let removed: Vec<(u64, u64)> = outcome
        .decisions
        .iter()
        .filter(|d| !d.kept)
        .map(|d| (d.row, d.line))
        .collect();
    assert_eq!(removed, [(1, 2), (3, 4)]);
    for d in outcome.decisions.iter().filter(|d| !d.kept) {
        assert_eq!(d.reasons, ["parse_error"]);
        let message = d.message.as_deref().unwrap();
        assert!(
            message.starts_with(&format!("line {}: not valid JSON", d.line)),
            "{message}"
        );
    }
    assert_eq!(outcome.report.removed_by["parse_error"], 2);
    let listed: Vec<u64> = outcome.report.parse_errors.iter().map(|p| p.line).collect();
    assert_eq!(listed, [2, 4]);

    let utf8 = run_fixture("invalid_utf8.jsonl");
    assert_eq!(utf8.decisions[1].reasons, ["parse_error"]);
    assert!(utf8.decisions[1]
        .message
        .as_deref()
        .unwrap()
        .contains("not valid UTF-8"));

    let csv = run_fixture("quoted.csv");
    let bad: Vec<u64> = csv
        .decisions
        .iter()
        .filter(|d| d.reasons.contains(&"parse_error"))
        .map(|d| d.line)
        .collect();
    assert_eq!(bad, [11], "the row with too many fields");
}

#[test]
fn over_long_rows_are_parse_errors_and_later_rows_are_deduplicated() {
    let long = format!("{{\"text\": \"{}\"}}", "q".repeat(3000));
    let input = format!("{{\"text\": \"a\"}}\n{long}\n{{\"text\": \"a\"}}\n");
    let mut config = exact_config("x.jsonl");
    config.input.max_row_bytes = 1000;
    let outcome = run_job(input.as_bytes(), config, &mut fixed(100));
    let d = &outcome.decisions[1];
    assert_eq!(
        (d.kept, d.reasons.as_slice(), d.line),
        (false, &["parse_error"][..], 2)
    );
    assert!(
        d.message
            .as_deref()
            .unwrap()
            .contains("line 2 is 3.0 kB, over the 1.0 kB limit"),
        "{:?}",
        d.message
    );
    assert_eq!(dup_pairs(&outcome.decisions), [(2, 0)]);
}

#[test]
fn schema_detection_over_all_rows_for_each_family() {
    let cases = [
        ("lf.jsonl", "text", vec!["text"]),
        ("array.json", "text", vec!["text"]),
        ("quoted.csv", "text", vec!["text"]),
        (
            "alpaca.jsonl",
            "alpaca",
            vec!["instruction", "input", "output"],
        ),
        (
            "sharegpt.jsonl",
            "sharegpt",
            vec!["conversations[from!=system].value"],
        ),
        (
            "messages.jsonl",
            "messages",
            vec!["messages[role!=system].content"],
        ),
        ("preference.jsonl", "preference", vec!["prompt"]),
        ("kto.jsonl", "kto", vec!["prompt", "completion"]),
        ("empty.jsonl", "unknown", vec![]),
    ];
    for (name, schema, fields) in cases {
        let outcome = run_fixture(name);
        assert_eq!(outcome.report.input.schema, schema, "{name}");
        let s = &outcome.report.stats["schema"];
        assert_eq!(s["schema"], schema, "{name}");
        assert_eq!(s["default_fields"], json!(fields), "{name}");
    }
    // messages.jsonl starts with a row that is not a chat: all rows are counted.
    let m = run_fixture("messages.jsonl");
    assert_eq!(
        m.report.stats["schema"]["rows_by_schema"],
        json!({"messages": 3, "unknown": 1})
    );
    // Mixed: a minority of rows does not decide.
    let mixed = b"{\"prompt\": \"p\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"text\": \"t1\"}\n{\"text\": \"t2\"}\n";
    let outcome = run_job(mixed, exact_config("x.jsonl"), &mut fixed(10));
    assert_eq!(outcome.report.input.schema, "text");
    assert_eq!(
        outcome.report.stats["schema"]["rows_by_schema"],
        json!({"text": 2, "preference": 1})
    );
}

#[test]
fn the_report_describes_the_input() {
    let outcome = run_fixture("bom_crlf.jsonl.gz");
    let input = &outcome.report.input;
    assert_eq!(
        (input.format, input.compression, input.bom),
        ("jsonl", "gzip", true)
    );
    assert_eq!(input.bytes, fixture("bom_crlf.jsonl.gz").len() as u64);
    assert_eq!(outcome.report.rows_in, 7);
    assert_eq!(
        outcome.output_names(),
        ("kept.jsonl".to_string(), "removed.jsonl".to_string())
    );
    assert_eq!(run_fixture("quoted.csv.gz").output_names().0, "kept.csv");
    let v = serde_json::to_value(&outcome.report).unwrap();
    for key in [
        "rows_in",
        "rows_kept",
        "rows_removed",
        "removed_by",
        "warned_by",
        "stats",
        "timings_ms",
        "config",
        "version",
    ] {
        assert!(v.get(key).is_some(), "report.json lacks `{key}`");
    }
}

#[test]
fn random_jsonl_inputs_keep_the_output_invariant() {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    let mut rng = SmallRng::seed_from_u64(11);
    for case in 0..150 {
        let mut input = Vec::new();
        if rng.gen_bool(0.2) {
            input.extend_from_slice(b"\xEF\xBB\xBF");
        }
        for _ in 0..rng.gen_range(0..12) {
            let line: Vec<u8> = match rng.gen_range(0..6) {
                0 => b"".to_vec(),
                1 => b" \t ".to_vec(),
                2 => b"{\"text\": not json".to_vec(),
                3 => {
                    format!("{{\"text\": \"{}\"}}", "x".repeat(rng.gen_range(20..80))).into_bytes()
                }
                4 => b"{\"text\": \"caf\xe9\"}".to_vec(),
                _ => format!("{{\"text\": \"t{}\"}}", rng.gen_range(0..4)).into_bytes(),
            };
            input.extend(line);
            input.extend_from_slice(if rng.gen_bool(0.3) { b"\r\n" } else { b"\n" });
        }
        if rng.gen_bool(0.3) && input.ends_with(b"\n") {
            input.pop();
            if input.ends_with(b"\r") && rng.gen_bool(0.5) {
                input.pop();
            }
        }
        let mut config = exact_config("random.jsonl");
        config.input.max_row_bytes = 40;
        let what = format!("case {case}: {:?}", String::from_utf8_lossy(&input));
        let outcome = run_job(&input, config, &mut random_sizes(case, 9));
        let (kept, removed) = split(&outcome, &input, &mut random_sizes(case + 1000, 9));
        // The expected output is computed without the framer: lines minus blank ones.
        assert_outputs_partition_the_input(&what, "", &input, &outcome, &kept, &removed);
    }
}

#[test]
fn the_readme_config_example_is_a_valid_config() {
    // The JSON block that starts with `"input"` under the README's pipeline config section.
    let readme = include_str!("../README.md");
    let start = readme
        .find("```json\n{\n  \"input\"")
        .expect("README has the config example")
        + "```json\n".len();
    let end = start + readme[start..].find("\n```").expect("the block ends");
    let config = PipelineConfig::from_json(&readme[start..end])
        .unwrap_or_else(|e| panic!("README config example: {e}"));
    assert_eq!(config.fields, ["messages[role=user].content"]);
    Job::new(config).expect("a job starts from it");
}

#[test]
fn every_row_of_the_shown_clusters_is_sampled_however_many_rows_were_removed_before() {
    // 600 exact copies fill the page's cap on samples; then near-duplicate clusters whose
    // survivor (the longest row) comes last. The cluster viewer needs every row it lists,
    // survivor first.
    // Words of letters only (digits all become 0 when simplified).
    let word = |mut n: usize| {
        let mut w = String::from("w");
        loop {
            w.push(char::from(b'a' + (n % 26) as u8));
            n /= 26;
            if n == 0 {
                return w;
            }
        }
    };
    let mut lines = vec![r#"{"text": "the same line again and again"}"#.to_string(); 601];
    for cluster in 0..3 {
        for copy in 0..4 {
            let mut words: Vec<String> = (0..40).map(|i| word(1000 * cluster + i)).collect();
            // Longer each time: keep = longest keeps the last copy.
            words.extend((0..copy).map(|k| word(900 + k)));
            lines.push(serde_json::json!({ "text": words.join(" ") }).to_string());
        }
    }
    let input = lines.join("\n") + "\n";
    let config = PipelineConfig::from_json(
        r#"{"input": {"file_name": "x.jsonl"}, "dedup": {"exact": {}, "near": {"keep": "longest"}}}"#,
    )
    .unwrap();
    let outcome = run_job(input.as_bytes(), config, &mut fixed(4096));
    assert_eq!(outcome.cluster_rows.len(), 3, "{:?}", outcome.cluster_rows);
    let mut splitter = outcome.splitter();
    let mut sink = |_: Destination, _: &[u8]| {};
    splitter.push(input.as_bytes(), &mut sink).unwrap();
    splitter.finish(&mut sink).unwrap();
    let sampled: Vec<u64> = splitter.removed_samples().iter().map(|s| s.0).collect();
    assert!(sampled.len() >= 500, "the cap is full: {}", sampled.len());
    for (cluster, rows) in &outcome.cluster_rows {
        let survivor = rows[0];
        assert!(
            outcome.decisions[survivor as usize].kept,
            "cluster {cluster}: {rows:?}"
        );
        for row in rows {
            assert!(
                sampled.contains(row),
                "cluster {cluster}: row {row} not sampled"
            );
        }
    }
}
