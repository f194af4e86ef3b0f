//! The streaming readers on real-looking fixtures (tests/fixtures/io): every format, any chunk
//! boundaries, detection from content, and bad input (broken rows, invalid UTF-8, binary files,
//! empty files, over-long lines).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::*;
use datasieve::io::{
    detect_format, Compression, Format, IgnoredTrailing, ReaderOptions, RowContent, RowReader,
};
use datasieve::Error;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Re-chunking: the same records whatever the chunk boundaries.

fn assert_records_index_input(name: &str, input: &[u8], result: &ReadResult) {
    let plain = decompressed(input);
    for (i, r) in result.records.iter().enumerate() {
        assert_eq!(r.row, i as u64, "{name}: rows are numbered in order");
        let (start, end) = (r.span.0 as usize, r.span.1 as usize);
        assert!(
            start <= end && end <= plain.len(),
            "{name} row {i}: span {:?} out of the input",
            r.span
        );
        // An over-long row's bytes are not held: its raw is empty (a truncated over-long JSON
        // element reports the truncation, not the length).
        let oversize = matches!(&r.content, RowContent::Invalid(m) if m.contains("over the"))
            || (r.raw.is_empty() && matches!(r.content, RowContent::Invalid(_)));
        if !oversize {
            assert_eq!(
                &plain[start..end],
                &r.raw[..],
                "{name} row {i}: input[span] == raw"
            );
            assert_eq!(
                &plain[end..end + r.terminator.len()],
                &r.terminator[..],
                "{name} row {i}: the terminator follows the row"
            );
        }
        let newlines_before = plain[..start].iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(
            r.line,
            newlines_before + 1,
            "{name} row {i}: line number of the row's first byte"
        );
    }
}

#[test]
fn every_fixture_reads_the_same_at_any_chunk_boundaries() {
    for name in text_fixtures() {
        let input = fixture(&name);
        for max_row_bytes in [ReaderOptions::default().max_row_bytes, 60] {
            let options = ReaderOptions {
                max_row_bytes,
                ..named(&name)
            };
            let whole =
                read_whole(&input, options.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_records_index_input(&name, &input, &whole);
            let mut runs: Vec<(String, Box<dyn FnMut() -> usize>)> = vec![
                ("1-byte".into(), Box::new(fixed(1))),
                ("2-byte".into(), Box::new(fixed(2))),
                ("7-byte".into(), Box::new(fixed(7))),
            ];
            for seed in 0..12 {
                runs.push((
                    format!("random seed {seed}"),
                    Box::new(random_sizes(seed, 64)),
                ));
            }
            for (what, mut sizes) in runs {
                let chunked = read_with_chunks(&input, options.clone(), &mut *sizes)
                    .unwrap_or_else(|e| panic!("{name} ({what}): {e}"));
                assert_eq!(
                    chunked, whole,
                    "{name}: {what} chunks, max_row_bytes {max_row_bytes}"
                );
            }
        }
    }
}

#[test]
fn plain_gzip_and_zstd_fixtures_give_the_same_records() {
    for plain in ["lf.jsonl", "array.json", "quoted.csv"] {
        let a = read_fixture(plain);
        assert_eq!(a.detected.unwrap().compression, Compression::None);
        for (ext, compression) in [(".gz", Compression::Gzip), (".zst", Compression::Zstd)] {
            let b = read_fixture(&format!("{plain}{ext}"));
            assert_eq!(a.records, b.records, "{plain} vs {plain}{ext}");
            assert_eq!(b.detected.unwrap().compression, compression);
        }
    }
    // CRLF + BOM inside gzip and zstd: the same values as the LF file.
    let lf = read_fixture("lf.jsonl");
    let values = |r: &ReadResult| {
        r.records
            .iter()
            .map(|r| r.value().clone())
            .collect::<Vec<_>>()
    };
    for name in ["bom_crlf.jsonl.gz", "bom_crlf.jsonl.zst"] {
        let crlf = read_fixture(name);
        assert!(crlf.detected.unwrap().bom, "{name}");
        assert_eq!(values(&lf), values(&crlf), "{name}");
    }
    // Two zstd frames (one without a checksum) around a skippable frame: the LF file's records.
    assert_eq!(read_fixture("zstd_frames.jsonl").records, lf.records);
    // Empty skippable frames (first, between and last) are skipped too, at any chunking.
    let empty_skippable = [0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0];
    let plain_lf = fixture("lf.jsonl.zst");
    let mut input = empty_skippable.to_vec();
    input.extend(&plain_lf);
    input.extend(empty_skippable);
    input.extend(empty_skippable);
    for mut sizes in [fixed(1), fixed(8), fixed(input.len())] {
        let read = read_with_chunks(&input, ReaderOptions::default(), &mut sizes).unwrap();
        assert_eq!(read.records, lf.records);
    }
}

#[test]
fn a_multi_member_gzip_stream_is_read_to_its_end() {
    let mut input = Vec::new();
    for part in [
        &b"{\"text\": \"first member\"}\n"[..],
        b"{\"text\": \"second member\"}\n",
    ] {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, part).unwrap();
        input.extend(gz.finish().unwrap());
    }
    let whole = read_whole(&input, ReaderOptions::default()).unwrap();
    assert_eq!(whole.records.len(), 2);
    assert_eq!(whole.records[1].value()["text"], "second member");
    assert_eq!(whole.records[1].line, 2);
    assert_eq!(
        read_with_chunks(&input, ReaderOptions::default(), &mut fixed(3)).unwrap(),
        whole
    );
}

fn gzip(plain: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, plain).unwrap();
    gz.finish().unwrap()
}

/// Reads `input` at many chunkings; every read must give the same result.
fn read_at_every_chunking(
    input: &[u8],
) -> datasieve::Result<(ReadResult, Option<IgnoredTrailing>)> {
    let read = |sizes: &mut dyn FnMut() -> usize| {
        let mut reader = RowReader::new(ReaderOptions::default());
        let mut records = Vec::new();
        let mut on = |r: datasieve::io::Record<'_>| {
            records.push((r.line, r.content));
            Ok(())
        };
        let mut rest = input;
        while !rest.is_empty() {
            let n = sizes().clamp(1, rest.len());
            reader.push(&rest[..n], &mut on)?;
            rest = &rest[n..];
        }
        reader.finish(&mut on)?;
        Ok::<_, Error>((records, reader.ignored_trailing()))
    };
    let whole = read(&mut fixed(input.len().max(1)));
    for mut sizes in [
        Box::new(fixed(1)) as Box<dyn FnMut() -> usize>,
        Box::new(fixed(2)),
        Box::new(fixed(9)),
        Box::new(random_sizes(3, 40)),
    ] {
        let chunked = read(&mut *sizes);
        assert_eq!(
            format!("{chunked:?}"),
            format!("{whole:?}"),
            "the same at any chunking"
        );
    }
    let trailing = whole.as_ref().ok().and_then(|(_, t)| *t);
    whole?;
    Ok((read_whole(input, ReaderOptions::default())?, trailing))
}

/// `compressed` followed by garbage (a newline from `echo >>`, a NUL, zero padding, random bytes,
/// and `more`) reads as `compressed` does at every chunking, with the garbage counted from where
/// it starts.
fn assert_trailing_garbage_is_ignored(compressed: &[u8], rows: &ReadResult, more: &[&[u8]]) {
    let common: [&[u8]; 4] = [b"\n", b"\0", &[0u8; 512], &[0xff; 3000]];
    for garbage in common.iter().chain(more) {
        let input = [compressed, garbage].concat();
        let (read, trailing) =
            read_at_every_chunking(&input).unwrap_or_else(|e| panic!("{garbage:?}: {e}"));
        assert_eq!(read.records, rows.records, "{garbage:?}");
        assert_eq!(
            trailing,
            Some(IgnoredTrailing {
                offset: compressed.len() as u64,
                bytes: garbage.len() as u64
            }),
            "{garbage:?}"
        );
    }
}

#[test]
fn bytes_after_the_last_gzip_member_are_ignored_and_reported_not_called_truncation() {
    let a = gzip(b"{\"text\": \"first member\"}\n");
    let b = gzip(b"{\"text\": \"second member\"}\n");
    let members = [a.clone(), b.clone()].concat();
    let (both, trailing) = read_at_every_chunking(&members).unwrap();
    assert_eq!(both.records.len(), 2);
    assert_eq!(trailing, None);
    // Garbage of any length after the last member (a newline added by `echo >>`, zero padding,
    // text, random bytes): the rows are read, the bytes are counted from where they start.
    assert_trailing_garbage_is_ignored(
        &members,
        &both,
        &[b"this is not gzip data", b"\x1f\x00 not a member"],
    );
    let said = IgnoredTrailing {
        offset: 43,
        bytes: 20,
    }
    .describe(Compression::Gzip);
    assert_eq!(
        said,
        "20 bytes after the end of the gzip data at byte offset 43 are not gzip data; ignored \
         (the rows before them were read)."
    );
    // Cut short anywhere inside a member (its header, deflate data or trailer, the first member
    // or the second), the stream is truncated, and the message says so and where.
    for cut in [
        2,
        5,
        12,
        a.len() / 2,
        a.len() - 3,
        a.len() + 1,
        a.len() + 7,
        members.len() - 1,
    ] {
        let err = read_at_every_chunking(&members[..cut]).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, Error::Format(_))
                && message.contains("the gzip stream is truncated: member ")
                && message.contains(&format!("cut short after {cut} bytes")),
            "cut at {cut}: {message}"
        );
    }
    // A damaged member is corrupt, not truncated: a flipped bit in the CRC-32.
    let mut damaged = members.clone();
    damaged[a.len() - 8] ^= 1;
    let message = read_at_every_chunking(&damaged).unwrap_err().to_string();
    assert!(
        message.contains("the gzip stream is corrupt")
            && message.contains("(member 1)")
            && message.contains("CRC-32"),
        "{message}"
    );
    // A second member whose header is not a valid gzip header (after a good magic number).
    let mut bad_header = members.clone();
    bad_header[a.len() + 2] = 7; // compression method 7
    let message = read_at_every_chunking(&bad_header).unwrap_err().to_string();
    assert!(
        message.contains(&format!(
            "corrupt at compressed byte {} (member 2)",
            a.len()
        )) && message.contains("compression method"),
        "{message}"
    );
}

#[test]
fn gzip_headers_with_a_name_comment_extra_field_and_header_crc_are_read() {
    let plain = b"{\"text\": \"named\"}\n";
    let mut gz = flate2::GzBuilder::new()
        .filename("rows.jsonl")
        .comment("made by a test")
        .extra(vec![1, 2, 3, 4])
        .write(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, plain).unwrap();
    let mut input = gz.finish().unwrap();
    // FHCRC: flag bit 1 and two header-CRC bytes after the comment (not checked).
    let header_end = 10 + 2 + 4 + b"rows.jsonl\0".len() + b"made by a test\0".len();
    input[3] |= 0x02;
    input.splice(header_end..header_end, [0xAB, 0xCD]);
    let (read, trailing) = read_at_every_chunking(&input).unwrap();
    assert_eq!(read.records.len(), 1);
    assert_eq!(read.records[0].value()["text"], "named");
    assert_eq!(trailing, None);
}

// ---------------------------------------------------------------------------------------------
// Detection from content.

#[test]
fn format_and_compression_come_from_content_not_the_name() {
    let cases = [
        ("lf.jsonl", Format::Jsonl, Compression::None),
        ("array.json", Format::Json, Compression::None),
        ("array_one_line.json", Format::Json, Compression::None),
        ("quoted.csv", Format::Csv, Compression::None),
        ("data.tsv", Format::Tsv, Compression::None),
        ("lf.jsonl.gz", Format::Jsonl, Compression::Gzip),
        ("array.json.gz", Format::Json, Compression::Gzip),
        ("quoted.csv.gz", Format::Csv, Compression::Gzip),
        // Misleading names.
        ("array_named.jsonl", Format::Json, Compression::None),
        ("tsv_named.csv", Format::Tsv, Compression::None),
        ("jsonl_named.csv", Format::Jsonl, Compression::None),
        ("gzip_named.jsonl", Format::Jsonl, Compression::Gzip),
        ("lf.jsonl.zst", Format::Jsonl, Compression::Zstd),
        ("array.json.zst", Format::Json, Compression::Zstd),
        ("quoted.csv.zst", Format::Csv, Compression::Zstd),
        ("zstd_frames.jsonl", Format::Jsonl, Compression::Zstd),
    ];
    for (name, format, compression) in cases {
        let input = fixture(name);
        for options in [named(name), ReaderOptions::default(), named("data.txt")] {
            let d = read_whole(&input, options)
                .unwrap()
                .detected
                .unwrap_or_else(|| panic!("{name}: nothing detected"));
            assert_eq!((d.format, d.compression), (format, compression), "{name}");
        }
    }
    // Names only break ties: CSV content named .tsv is still CSV.
    let csv = fixture("quoted.csv");
    assert_eq!(
        read_whole(&csv, named("x.tsv"))
            .unwrap()
            .detected
            .unwrap()
            .format,
        Format::Csv
    );
}

#[test]
fn a_txt_file_is_one_document_per_line_unless_it_is_a_table() {
    let lines = read_fixture("lines.txt");
    assert_eq!(lines.detected.unwrap().format, Format::Text);
    let rows: Vec<(u64, RowContent)> = lines
        .records
        .iter()
        .map(|r| (r.line, r.content.clone()))
        .collect();
    let text = |t: &str| RowContent::Value(json!({ "text": t }));
    assert_eq!(
        rows,
        [
            (1, text("The first document, with a comma, and\ta tab.")),
            (2, text("A second document repeats.")),
            (4, text("A second document repeats.")),
            (
                5,
                RowContent::Invalid("not valid UTF-8 at byte 7 of the line".into())
            ),
            (6, text("[not json] just text")),
            (7, text("the last line has no newline")),
        ]
    );
    // Prose with commas is not a table; a table named .txt is still one; JSON content is JSON.
    let prose =
        b"Once upon a time, there was a file.\nIt had commas, here and there, and more.\nNone.\n";
    assert_eq!(
        detect_format(prose, Some("wiki.txt")).unwrap(),
        Format::Text
    );
    assert_eq!(
        detect_format(prose, Some("wiki.txt.zst")).unwrap(),
        Format::Text
    );
    assert_eq!(
        detect_format(prose, None).unwrap(),
        Format::Csv,
        "no name: no guess"
    );
    // One comma on every line frames as a two-column table, but its "header" is a sentence
    // (NeMo Curator's PII fixture address.txt).
    let sentences = b"My new address is 777 Brockton Avenue, Abington MA 2351\n\
        Send it to 30 Memorial Drive, Avon MA 2322\n\
        We moved to 250 Hartford Avenue, Bellingham MA 2019\n\
        The office is at 700 Oak Street, Brockton MA 2301\n";
    assert_eq!(
        detect_format(sentences, Some("address.txt")).unwrap(),
        Format::Text
    );
    // A header of column names with the same lines under it is a table.
    let mut with_header = b"address, town\n".to_vec();
    with_header.extend_from_slice(&sentences[..]);
    assert_eq!(
        detect_format(&with_header, Some("address.txt")).unwrap(),
        Format::Csv
    );
    for (table, format) in [("quoted.csv", Format::Csv), ("data.tsv", Format::Tsv)] {
        assert_eq!(
            detect_format(&fixture(table), Some("table.txt")).unwrap(),
            format,
            "{table}"
        );
    }
    assert_eq!(
        detect_format(&fixture("lf.jsonl"), Some("rows.txt")).unwrap(),
        Format::Jsonl
    );
    // Text lines that start like JSON but are not.
    for doc in [
        &b"[Music] plays, then a voice.\nSecond line.\n"[..],
        b"{curly} text\nmore\n",
    ] {
        assert_eq!(detect_format(doc, Some("subs.txt")).unwrap(), Format::Text);
    }
}

#[test]
fn a_file_of_an_unknown_extension_is_a_table_only_if_it_looks_like_one_else_text_lines() {
    // Source code and prose: the first line is not a header of column names over records as
    // wide, so one document per line (it used to be a one-column CSV with a parse error at
    // every quote).
    let python = b"import sys\nprint(\"hello, world\")\nx = \"a\"\n";
    let js = b"const s = \"a, b\";\nconsole.log(s);\nfunction f(x, y) { return x + y; }\n";
    let markdown = b"# Notes\n\nSome prose, with a comma. And \"quotes\".\n";
    for (doc, name) in [
        (&python[..], "foo.py"),
        (js, "script.js"),
        (js, "SCRIPT.JS.gz"),
        (markdown, "notes.md"),
        (python, "Makefile"),
        (b"[Music] plays, then a voice.\nSecond line.\n", "subs.srt"),
        (b"{curly} text\nmore\n", "x.tex"),
    ] {
        assert_eq!(
            detect_format(doc, Some(name)).unwrap(),
            Format::Text,
            "{name}"
        );
        assert!(
            datasieve::io::unrecognised_extension(name).is_some(),
            "{name}: a notice is due"
        );
    }
    // The same bytes under a table's name keep their reading; no name, no guess.
    assert_eq!(detect_format(python, Some("foo.csv")).unwrap(), Format::Csv);
    assert_eq!(detect_format(python, Some("foo.tsv")).unwrap(), Format::Tsv);
    assert_eq!(detect_format(python, None).unwrap(), Format::Csv);
    assert_eq!(detect_format(python, Some("")).unwrap(), Format::Csv);
    // Tables and JSON of an unknown extension are read as such.
    for (fixture_name, format) in [
        ("quoted.csv", Format::Csv),
        ("data.tsv", Format::Tsv),
        ("lf.jsonl", Format::Jsonl),
        ("array.json", Format::Json),
    ] {
        assert_eq!(
            detect_format(&fixture(fixture_name), Some("export.dat")).unwrap(),
            format,
            "{fixture_name}"
        );
    }
    // Not UTF-8 and no table: still the clear error, not text lines of broken bytes.
    let latin1 = b"caf\xe9 au lait\nna\xefve\n";
    assert!(detect_format(latin1, Some("menu.lst"))
        .unwrap_err()
        .to_string()
        .contains("neither UTF-8 text"));
    // Known extensions (compressed too, any case) need no notice.
    for name in [
        "a.jsonl",
        "a.ndjson",
        "a.json",
        "a.CSV",
        "a.tsv.gz",
        "a.txt.zst",
    ] {
        assert_eq!(datasieve::io::unrecognised_extension(name), None, "{name}");
    }
    assert!(datasieve::io::unrecognised_extension("NOTES")
        .unwrap()
        .contains("`NOTES`: the file name has no extension datasieve recognises"));
    // Read through the reader, at any chunking: one row per line.
    let read = read_whole(python, named("foo.py")).unwrap();
    assert_eq!(read.detected.unwrap().format, Format::Text);
    assert_eq!(
        read.records[1].value(),
        &json!({"text": "print(\"hello, world\")"})
    );
    assert_eq!(
        read_with_chunks(python, named("foo.py"), &mut fixed(3)).unwrap(),
        read
    );
}

#[test]
fn a_one_line_array_is_a_json_array_and_array_rows_are_jsonl() {
    assert_eq!(
        detect_format(b"[{\"a\": 1}, {\"a\": 2}]\n", None).unwrap(),
        Format::Json
    );
    assert_eq!(
        detect_format(b"[{\"a\": 1}, {\"a\": 2}]", None).unwrap(),
        Format::Json
    );
    assert_eq!(
        detect_format(b"[1, 2]\n[3, 4]\n", Some("rows.json")).unwrap(),
        Format::Jsonl
    );
    assert_eq!(
        detect_format(b"[1, 2]\n", Some("rows.jsonl")).unwrap(),
        Format::Jsonl
    );
    assert_eq!(
        detect_format(b"[\n  {\"a\": 1}\n]\n", Some("rows.jsonl")).unwrap(),
        Format::Json
    );
    assert_eq!(
        detect_format(b"text\nhello\n", Some("x.tsv")).unwrap(),
        Format::Tsv
    );
    assert_eq!(detect_format(b"text\nhello\n", None).unwrap(), Format::Csv);
}

#[test]
fn the_format_can_be_forced() {
    let input = fixture("jsonl_named.csv");
    let options = ReaderOptions {
        format: Some(Format::Jsonl),
        ..named("jsonl_named.csv")
    };
    let r = read_whole(&input, options).unwrap();
    assert_eq!(r.records.len(), 3);
    assert!(r
        .records
        .iter()
        .all(|r| matches!(r.content, RowContent::Value(_))));
}

// ---------------------------------------------------------------------------------------------
// Line handling: BOM, CRLF, blank lines, a last line without newline.

#[test]
fn a_bom_is_detected_and_not_part_of_the_first_row() {
    let r = read_fixture("bom.jsonl");
    assert!(r.detected.unwrap().bom);
    assert_eq!(r.records.len(), 4);
    let first = &r.records[0];
    assert_eq!(first.span.0, 3, "the row starts after the 3-byte BOM");
    assert!(first.raw.starts_with(b"{\"id\": 1"));
    assert_eq!(first.value()["id"], 1);
    assert_eq!(first.line, 1);
    assert!(!read_fixture("lf.jsonl").detected.unwrap().bom);
}

#[test]
fn crlf_rows_equal_lf_rows_and_keep_their_terminator() {
    let lf = read_fixture("lf.jsonl");
    let crlf = read_fixture("crlf.jsonl");
    assert_eq!(lf.records.len(), 7);
    assert_eq!(crlf.records.len(), 7);
    for (a, b) in lf.records.iter().zip(&crlf.records) {
        assert_eq!(a.value(), b.value());
        assert_eq!(
            a.raw, b.raw,
            "the \\r is part of the terminator, not the row"
        );
        assert_eq!(a.line, b.line);
        assert_eq!(a.terminator, b"\n");
        assert_eq!(b.terminator, b"\r\n");
    }
    assert_eq!(
        lf.records[3].value()["text"],
        "Ünïcödé is fine: 東京, Zürich, naïve café — and an emoji 🙂."
    );
    assert_eq!(
        lf.records[4].value()["text"],
        "A line with \"quotes\", a tab\there, and a backslash \\ too."
    );
}

#[test]
fn blank_lines_are_skipped_but_counted() {
    let r = read_fixture("blank_lines.jsonl");
    let lines: Vec<u64> = r.records.iter().map(|r| r.line).collect();
    // Line 1 empty, 3 empty, 4 spaces, 6 a tab and CR, 8 empty.
    assert_eq!(lines, [2, 5, 7]);
    let ids: Vec<&Value> = r.records.iter().map(|r| &r.value()["id"]).collect();
    assert_eq!(ids, [&json!(1), &json!(2), &json!(3)]);
}

#[test]
fn the_last_line_without_a_newline_is_a_row() {
    let r = read_fixture("no_final_newline.jsonl");
    assert_eq!(r.records.len(), 3);
    assert_eq!(r.records[2].terminator, b"");
    assert_eq!(r.records[2].value()["id"], 3);
    assert_eq!(r.records[1].terminator, b"\n");
}

// ---------------------------------------------------------------------------------------------
// CSV, TSV and JSON arrays.

#[test]
fn csv_quoted_fields_keep_commas_newlines_and_quotes() {
    let r = read_fixture("quoted.csv");
    assert_eq!(r.header.as_deref(), Some(&b"id,text,source\r\n"[..]));
    let lines: Vec<u64> = r.records.iter().map(|r| r.line).collect();
    assert_eq!(
        lines,
        [2, 3, 4, 6, 7, 10, 11, 12],
        "a quoted newline continues the record"
    );
    let rows = &r.records;
    assert_eq!(
        rows[0].value(),
        &json!({"id": "1", "text": "plain text without quotes", "source": "web"})
    );
    assert_eq!(rows[1].value()["text"], "a field, with commas, inside");
    assert_eq!(
        rows[2].value()["text"],
        "a field with\r\na newline inside, and \"escaped\" quotes"
    );
    assert_eq!(rows[2].value()["source"], "book");
    assert_eq!(rows[4].value()["text"], "multi\nline\nwith LF only");
    assert_eq!(rows[5].value()["text"], "");
    assert_eq!(rows[6].invalid(), "has 4 fields, the header has 3");
    assert_eq!(rows[7].value()["id"], "8");
    assert_eq!(rows[7].terminator, b"", "the last record has no newline");
    assert!(rows[..7].iter().all(|r| r.terminator == b"\r\n"));
}

#[test]
fn tsv_splits_on_tabs_only() {
    let r = read_fixture("data.tsv");
    assert_eq!(r.header.as_deref(), Some(&b"id\ttext\tlang\n"[..]));
    assert_eq!(r.records.len(), 6);
    assert_eq!(
        r.records[4].value()["text"],
        "A 12\" vinyl record: a quote inside a field is a literal character"
    );
    assert_eq!(r.records[5].line, 7);
    assert_eq!(
        r.records[1].value()["text"],
        "Der schnelle braune Fuchs springt über den faulen Hund."
    );
    assert_eq!(
        r.records[3].value(),
        &json!({"id": "4", "text": "commas, do not, split TSV", "lang": "en"})
    );
}

#[test]
fn a_quote_opens_a_quoted_field_only_at_the_start_of_a_field() {
    let input = b"id,text\n1,a 5\" screen\n2,\"quoted, \"\"with\"\" escapes\n and a newline\"\n3,\"closed\"then text\n4,x\"\"y\n5,last\n";
    let whole = read_whole(input, ReaderOptions::default()).unwrap();
    let texts: Vec<&Value> = whole.records.iter().map(|r| &r.value()["text"]).collect();
    assert_eq!(
        texts,
        [
            &json!("a 5\" screen"),
            &json!("quoted, \"with\" escapes\n and a newline"),
            &json!("closedthen text"),
            &json!("x\"\"y"),
            &json!("last")
        ]
    );
    let lines: Vec<u64> = whole.records.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 5, 6, 7]);
    for sizes in 1..=9 {
        assert_eq!(
            read_with_chunks(input, ReaderOptions::default(), &mut fixed(sizes)).unwrap(),
            whole,
            "{sizes}"
        );
    }
}

#[test]
fn csv_rows_wider_than_64_columns_keep_every_field() {
    let names: Vec<String> = (0..150).map(|i| format!("c{i}")).collect();
    let values: Vec<String> = (0..150).map(|i| format!("\"v,{i}\"")).collect();
    let input = format!("{}\n{}\n", names.join(","), values.join(","));
    let r = read_whole(input.as_bytes(), ReaderOptions::default()).unwrap();
    assert_eq!(r.records.len(), 1);
    let row = r.records[0].value().as_object().unwrap();
    assert_eq!(row.len(), 150);
    assert_eq!(row["c0"], "v,0");
    assert_eq!(row["c64"], "v,64");
    assert_eq!(row["c149"], "v,149");
}

#[test]
fn json_array_elements_are_streamed_with_their_bytes_and_lines() {
    let input = fixture("array.json");
    let whole: Vec<Value> = serde_json::from_slice::<Value>(&input)
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    let r = read_fixture("array.json");
    let values: Vec<Value> = r.records.iter().map(|r| r.value().clone()).collect();
    assert_eq!(values, whole);
    assert!(r
        .records
        .iter()
        .all(|r| r.raw.starts_with(b"{") && r.raw.ends_with(b"}")));
    assert_eq!(r.records[0].line, 2);
    assert_eq!(values[3]["meta"]["tags"], json!(["a", "]", "[", "\\\""]));
    // The one-line array holds the same elements.
    let one_line: Vec<Value> = read_fixture("array_one_line.json")
        .records
        .iter()
        .map(|r| r.value().clone())
        .collect();
    assert_eq!(one_line, whole);
    assert!(read_fixture("array_one_line.json")
        .records
        .iter()
        .all(|r| r.line == 1));
}

#[test]
fn json_arrays_of_scalars_and_broken_arrays() {
    let r = read_whole(b"[\"a\", 12, true, null, \"x]\"]", ReaderOptions::default()).unwrap();
    let values: Vec<Value> = r.records.iter().map(|r| r.value().clone()).collect();
    assert_eq!(
        values,
        [json!("a"), json!(12), json!(true), json!(null), json!("x]")]
    );

    let truncated = read_whole(b"[\n{\"a\": 1},\n{\"a\": 2", ReaderOptions::default()).unwrap();
    assert_eq!(truncated.records.len(), 2);
    assert_eq!(truncated.records[0].value(), &json!({"a": 1}));
    assert!(
        truncated.records[1].invalid().contains("truncated"),
        "{:?}",
        truncated.records[1]
    );
    assert_eq!(truncated.records[1].line, 3);

    let unclosed = read_whole(b"[{\"a\": 1},\n", ReaderOptions::default()).unwrap();
    assert_eq!(unclosed.records.len(), 2);
    assert!(unclosed.records[1].invalid().contains("no closing `]`"));

    let bad_element = read_whole(
        b"[{\"a\": 1}, {\"a\": }, {\"a\": 3}]",
        ReaderOptions::default(),
    )
    .unwrap();
    assert_eq!(bad_element.records.len(), 3);
    assert!(bad_element.records[1].invalid().contains("not valid JSON"));
    assert_eq!(bad_element.records[2].value(), &json!({"a": 3}));

    // The last object lacks its `}`: the `]` after it still closes the array (no row past the
    // end of the file); a mismatch inside an element does not end it early.
    let missing_brace = b"[\n {\"text\": \"one\"},\n {\"text\": \"two\"\n]\n";
    let r = read_whole(missing_brace, ReaderOptions::default()).unwrap();
    assert_eq!(r.records.len(), 2, "{:?}", r.records);
    assert_eq!(r.records[0].value(), &json!({"text": "one"}));
    assert_eq!(r.records[1].line, 3);
    assert!(r.records[1].invalid().contains("EOF"), "{:?}", r.records[1]);
    let inner = read_whole(b"[{\"a\": [1, 2}], {\"b\": 1}]", ReaderOptions::default()).unwrap();
    assert_eq!(inner.records.len(), 2, "{:?}", inner.records);
    assert_eq!(inner.records[1].value(), &json!({"b": 1}));
}

// ---------------------------------------------------------------------------------------------
// Bad input.

#[test]
fn a_broken_json_line_is_reported_with_its_line_and_the_rest_is_read() {
    let r = read_fixture("broken_line.jsonl");
    assert_eq!(r.records.len(), 5);
    assert_eq!(r.records[0].value()["id"], 1);
    assert_eq!(r.records[1].line, 2);
    assert!(
        r.records[1]
            .invalid()
            .starts_with("not valid JSON at column"),
        "{}",
        r.records[1].invalid()
    );
    assert!(
        r.records[1].invalid().contains("EOF"),
        "{}",
        r.records[1].invalid()
    );
    assert_eq!(r.records[2].value()["id"], 4);
    assert_eq!(r.records[3].line, 4);
    assert!(
        r.records[3].invalid().contains("key must be a string"),
        "{}",
        r.records[3].invalid()
    );
    assert_eq!(r.records[4].value()["id"], 7);
    assert_eq!(
        r.records[1].raw,
        b"{\"id\": 2, \"text\": \"an unterminated string}"
    );
}

#[test]
fn invalid_utf8_is_reported_not_panicked_on() {
    let r = read_fixture("invalid_utf8.jsonl");
    assert_eq!(r.records.len(), 3);
    assert_eq!(r.records[1].line, 2);
    let message = r.records[1].invalid();
    assert!(message.contains("not valid UTF-8"), "{message}");
    assert!(
        message.contains("byte 22"),
        "the first bad byte is named: {message}"
    );
    assert_eq!(r.records[2].value()["id"], 2);

    let csv = read_whole(b"id,text\n1,caf\xe9\n2,ok\n", ReaderOptions::default()).unwrap();
    assert!(
        csv.records[0]
            .invalid()
            .contains("`text` is not valid UTF-8"),
        "{:?}",
        csv.records[0]
    );
    assert_eq!(csv.records[1].value()["text"], "ok");
}

#[test]
fn a_binary_file_is_a_format_error_with_a_clear_message() {
    let input = fixture("image.png");
    for sizes in [input.len(), 1, 5] {
        let err = read_with_chunks(&input, named("image.png"), &mut fixed(sizes)).unwrap_err();
        let Error::Format(message) = &err else {
            panic!("expected a format error, got {err:?}")
        };
        assert!(message.contains("binary file"), "{message}");
        assert!(message.contains("NUL byte at offset 8"), "{message}");
        assert!(err.to_string().starts_with("unreadable input:"), "{err}");
    }
    // Even when named like data.
    assert!(matches!(
        read_whole(&input, named("data.jsonl")),
        Err(Error::Format(_))
    ));
    // UTF-16 gets a hint.
    let utf16: Vec<u8> = "\u{feff}{\"a\":1}\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let err = read_whole(&utf16, ReaderOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("unreadable input: this is UTF-16 text"),
        "{err}"
    );
    assert!(!err.to_string().contains("binary"), "{err}");
    // Formats people drop by mistake are named, with what to do.
    for (head, named) in [
        (
            &b"PAR1\x15\x04\x15\x80\x01"[..],
            "a Parquet file: export it as JSONL first",
        ),
        (b"BZh91AY&SY\x12", "bzip2-compressed"),
        (b"\xFD7zXZ\x00\x00\x04", "xz-compressed"),
        (b"PK\x03\x04\x14\x00", "a zip archive"),
        (b"WARC/1.0\r\nWARC-Type: warcinfo\r\n", "a WARC web archive"),
    ] {
        let mut input = head.to_vec();
        input.extend_from_slice(&[0; 64]);
        let err = read_whole(&input, ReaderOptions::default()).unwrap_err();
        assert!(err.to_string().contains(named), "{err}");
    }
}

#[test]
fn text_outside_the_array_is_one_malformed_row_per_line() {
    let input = b")]}'\n[{\"a\": 1}, {\"a\": 2}]\ntrailing junk  \r\nmore\n";
    let whole = read_whole(
        input,
        ReaderOptions {
            format: Some(Format::Json),
            ..ReaderOptions::default()
        },
    )
    .unwrap();
    let rows: Vec<(u64, &[u8], bool)> = whole
        .records
        .iter()
        .map(|r| {
            (
                r.line,
                &r.raw[..],
                matches!(r.content, RowContent::Invalid(_)),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (1, &b")]}'"[..], true),
            (2, b"{\"a\": 1}", false),
            (2, b"{\"a\": 2}", false),
            (3, b"trailing junk  ", true),
            (4, b"more", true),
        ]
    );
    assert_eq!(
        whole.records[0].invalid(),
        "text outside the top-level JSON array"
    );
    assert_records_index_input("stray", input, &whole);
    let options = ReaderOptions {
        format: Some(Format::Json),
        ..ReaderOptions::default()
    };
    for sizes in 1..=12 {
        assert_eq!(
            read_with_chunks(input, options.clone(), &mut fixed(sizes)).unwrap(),
            whole,
            "{sizes}"
        );
    }
    // Text right before the opening bracket ends at it; at the very end, at the end of input.
    let r = read_whole(b"junk[1]tail", options).unwrap();
    let raws: Vec<&[u8]> = r.records.iter().map(|r| &r.raw[..]).collect();
    assert_eq!(raws, [&b"junk"[..], b"1", b"tail"]);
}

#[test]
fn an_error_inside_a_multi_line_element_names_the_input_line() {
    let input = b"[\n  {\n    \"a\": 1,\n    \"b\": oops\n  },\n  {\"a\": 2}\n]\n";
    let r = read_whole(input, ReaderOptions::default()).unwrap();
    assert_eq!(r.records[0].line, 2);
    let message = r.records[0].invalid();
    assert!(
        message.starts_with("not valid JSON at line 4, column "),
        "{message}"
    );
    assert!(message.contains("expected value"), "{message}");
    assert_eq!(r.records[1].value(), &json!({"a": 2}));
}

#[test]
fn a_pretty_printed_json_object_is_a_format_error() {
    let input = b"{\n  \"data\": [\n    {\"text\": \"a\"}\n  ]\n}\n";
    let err = read_whole(input, named("dataset.json")).unwrap_err();
    assert!(
        matches!(&err, Error::Format(m) if m.contains("pretty-printed")),
        "{err:?}"
    );
    // A JSONL row is never a lone `{`, but it can be `{}`.
    assert_eq!(
        read_whole(b"{}\n{\"a\": 1}\n", ReaderOptions::default())
            .unwrap()
            .records
            .len(),
        2
    );
}

#[test]
fn a_corrupt_or_truncated_gzip_stream_is_a_format_error() {
    let gz = fixture("lf.jsonl.gz");
    let truncated = &gz[..gz.len() / 2];
    let err = read_whole(truncated, ReaderOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Format(m) if m.contains("gzip")),
        "{err:?}"
    );
}

#[test]
fn an_empty_file_has_no_rows() {
    for input in [&b""[..], b"\n\n", b"   \r\n", b"\xEF\xBB\xBF"] {
        let r = read_whole(input, ReaderOptions::default()).unwrap();
        assert!(r.records.is_empty(), "{input:?}");
        assert!(r.detected.is_some());
    }
    let r = read_fixture("empty.jsonl");
    assert!(r.records.is_empty());
    // A reader that is only finished.
    let mut reader = RowReader::new(ReaderOptions::default());
    let mut n = 0;
    reader
        .finish(&mut |_| {
            n += 1;
            Ok(())
        })
        .unwrap();
    assert_eq!(n, 0);
    // And one header-only CSV.
    assert!(read_whole(b"id,text\n", ReaderOptions::default())
        .unwrap()
        .records
        .is_empty());
}

#[test]
fn an_over_long_line_is_reported_by_line_and_limit_and_reading_goes_on() {
    let long = format!("{{\"text\": \"{}\"}}", "x".repeat(5000));
    let input = format!(
        "{{\"text\": \"a\"}}\n{long}\n{{\"text\": \"b\"}}\r\n{long}\r\n{{\"text\": \"c\"}}"
    );
    let options = ReaderOptions {
        max_row_bytes: 1000,
        ..ReaderOptions::default()
    };
    let whole = read_whole(input.as_bytes(), options.clone()).unwrap();
    assert_eq!(whole.records.len(), 5);
    assert_eq!(
        whole.records[1].invalid(),
        "line 2 is 5.0 kB, over the 1.0 kB limit (input.max_row_bytes)"
    );
    assert_eq!(
        whole.records[3].invalid(),
        "line 4 is 5.0 kB, over the 1.0 kB limit (input.max_row_bytes)"
    );
    assert_eq!(
        whole.records[1].raw, b"",
        "an over-long row is not kept in memory"
    );
    assert_eq!(
        whole.records[1].span.1 - whole.records[1].span.0,
        long.len() as u64
    );
    assert_eq!(
        whole.records[3].span.1 - whole.records[3].span.0,
        long.len() as u64,
        "CR not counted"
    );
    for (i, text) in [(0, "a"), (2, "b"), (4, "c")] {
        assert_eq!(whole.records[i].value()["text"], text);
    }
    for sizes in [1, 3, 999, 1000, 1001, 4096] {
        let chunked =
            read_with_chunks(input.as_bytes(), options.clone(), &mut fixed(sizes)).unwrap();
        assert_eq!(chunked, whole, "chunks of {sizes}");
    }
    // In a JSON array too.
    let array = format!("[{{\"text\": \"a\"}},\n{long},\n{{\"text\": \"b\"}}]");
    let r = read_whole(array.as_bytes(), options.clone()).unwrap();
    assert_eq!(r.records.len(), 3);
    assert!(
        r.records[1]
            .invalid()
            .starts_with("line 2 is 5.0 kB, over the"),
        "{}",
        r.records[1].invalid()
    );
    assert_eq!(r.records[2].value()["text"], "b");
    assert_eq!(
        read_with_chunks(array.as_bytes(), options, &mut fixed(7)).unwrap(),
        r
    );
}

#[test]
fn a_row_of_exactly_the_limit_is_read_at_any_chunk_boundary() {
    let row = format!("{{\"text\": \"{}\"}}", "y".repeat(88));
    assert_eq!(row.len(), 100);
    let input = format!("{row}\r\n{row}\n{row}");
    let options = ReaderOptions {
        max_row_bytes: 100,
        ..ReaderOptions::default()
    };
    let whole = read_whole(input.as_bytes(), options.clone()).unwrap();
    assert_eq!(whole.records.len(), 3);
    assert!(whole
        .records
        .iter()
        .all(|r| matches!(r.content, RowContent::Value(_))));
    for sizes in 1..=110 {
        assert_eq!(
            read_with_chunks(input.as_bytes(), options.clone(), &mut fixed(sizes)).unwrap(),
            whole,
            "{sizes}"
        );
    }
    // One byte more is over.
    let options = ReaderOptions {
        max_row_bytes: 99,
        ..ReaderOptions::default()
    };
    let over = read_whole(input.as_bytes(), options.clone()).unwrap();
    assert!(over
        .records
        .iter()
        .all(|r| r.invalid().contains("over the 99 bytes limit")));
    for sizes in [1, 50, 101, 102] {
        assert_eq!(
            read_with_chunks(input.as_bytes(), options.clone(), &mut fixed(sizes)).unwrap(),
            over
        );
    }
}

#[test]
fn an_over_long_run_of_white_space_is_an_over_long_row_at_any_chunk_boundary() {
    // Its bytes are copied out as they stream past, before it could be known to be blank, so it
    // is a row (a parse error) however it is cut; a short blank line is still skipped.
    let input = format!("{{\"a\": 1}}\n{}\n  \n{{\"a\": 2}}\n", " ".repeat(500));
    let options = ReaderOptions {
        max_row_bytes: 100,
        ..ReaderOptions::default()
    };
    let whole = read_whole(input.as_bytes(), options.clone()).unwrap();
    assert_eq!(whole.records.len(), 3);
    assert_eq!(
        whole.records[1].invalid(),
        "line 2 is 500 bytes, over the 100 bytes limit (input.max_row_bytes)"
    );
    assert_eq!(whole.records[2].line, 4);
    for sizes in [1, 7, 64, 101] {
        assert_eq!(
            read_with_chunks(input.as_bytes(), options.clone(), &mut fixed(sizes)).unwrap(),
            whole
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Memory: an over-long line is counted, not buffered.

/// Counts the bytes the current thread has allocated and not freed, and the peak since the last
/// reset, so a test can bound its own memory while other tests run on other threads.
struct ThreadCountingAllocator;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    // `try_with`: the thread-locals may be gone while a thread shuts down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for ThreadCountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        track(layout.size() as isize);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        track(-(layout.size() as isize));
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        track(new_size as isize - layout.size() as isize);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: ThreadCountingAllocator = ThreadCountingAllocator;

/// Peak bytes allocated (above what was live at the start) while `f` runs on this thread.
fn peak_allocation_during(f: impl FnOnce()) -> isize {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    f();
    PEAK.with(Cell::get) - base
}

#[test]
fn an_over_long_line_is_never_buffered() {
    const LIMIT: usize = 4096;
    const LINE: usize = 32 * 1024 * 1024;
    let cases = [
        (
            &b"{\"text\": \""[..],
            &b"\"}\n{\"text\": \"after\"}\n"[..],
            json!({"text": "after"}),
        ),
        (b"[\"", b"\", \"after\"]", json!("after")),
    ];
    for (opening, closing, expected_last) in cases {
        let chunk = vec![b'z'; 8192];
        let mut last = Value::Null;
        let mut invalid = String::new();
        let peak = peak_allocation_during(|| {
            let mut reader = RowReader::new(ReaderOptions {
                max_row_bytes: LIMIT,
                ..ReaderOptions::default()
            });
            let mut on_record = |r: datasieve::io::Record<'_>| {
                match r.content {
                    RowContent::Invalid(m) => invalid = m,
                    RowContent::Value(v) => last = v,
                    RowContent::Unparsed => {}
                }
                Ok(())
            };
            reader.push(opening, &mut on_record).unwrap();
            for _ in 0..LINE / chunk.len() {
                reader.push(&chunk, &mut on_record).unwrap();
            }
            reader.push(closing, &mut on_record).unwrap();
            reader.finish(&mut on_record).unwrap();
        });
        assert!(
            invalid.contains("line 1 is 33.6 MB, over the 4.1 kB limit"),
            "{invalid}"
        );
        assert_eq!(last, expected_last, "the row after the long line is read");
        // The format sniffer holds 64 KiB; the framer must add no more than the limit to that.
        assert!(
            peak < 256 * 1024,
            "peak allocation {peak} bytes while reading a {LINE}-byte line"
        );
    }
}

/// The (line, content) of every row of `input` pushed as one chunk with a 4096-byte row limit,
/// and the peak allocation while reading it.
fn read_in_one_push_measuring_peak(input: &[u8]) -> (Vec<(u64, RowContent)>, isize) {
    let mut rows = Vec::new();
    let peak = peak_allocation_during(|| {
        let mut reader = RowReader::new(ReaderOptions {
            max_row_bytes: 4096,
            ..ReaderOptions::default()
        });
        let mut on = |r: datasieve::io::Record<'_>| {
            rows.push((r.line, r.content));
            Ok(())
        };
        reader.push(input, &mut on).unwrap();
        reader.finish(&mut on).unwrap();
    });
    (rows, peak)
}

#[test]
fn a_gzip_bomb_is_decompressed_in_bounded_pieces() {
    // 48 gzip members of 1 MiB of `b` each (about 1 kB compressed apiece): one 48 MiB line in a
    // 50 kB input, pushed as one chunk.
    let member = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &vec![b'b'; 1 << 20]).unwrap();
        gz.finish().unwrap()
    };
    let mut input = b"".to_vec();
    let head = {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"{\"text\": \"before\"}\n").unwrap();
        gz.finish().unwrap()
    };
    input.extend(&head);
    for _ in 0..48 {
        input.extend(&member);
    }
    assert!(input.len() < 100_000, "{}", input.len());
    let (rows, peak) = read_in_one_push_measuring_peak(&input);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], (1, RowContent::Value(json!({"text": "before"}))));
    assert_eq!(
        rows[1],
        (
            2,
            RowContent::Invalid(
                "line 2 is 48 MiB, over the 4.1 kB limit (input.max_row_bytes)".into()
            )
        )
    );
    assert!(
        peak < 1024 * 1024,
        "peak allocation {peak} bytes while inflating 48 MiB"
    );
}

/// A zstd frame of `blocks` run-length blocks of 128 KiB of `byte` each (4 bytes apiece
/// compressed), written by hand: zstd's block format is simple enough, and no encoder makes
/// a bomb this small.
fn zstd_run_length_frame(byte: u8, blocks: usize) -> Vec<u8> {
    const BLOCK: u32 = 128 * 1024;
    // Magic; descriptor 0 (no content size, no checksum, not single-segment, no dictionary);
    // window descriptor 0x38: 2^(10 + 7) = 128 KiB.
    let mut frame = vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x38];
    for i in 0..blocks {
        let last = u32::from(i + 1 == blocks);
        let header = (BLOCK << 3) | (1 << 1) | last; // type 1: run-length
        frame.extend_from_slice(&header.to_le_bytes()[..3]);
        frame.push(byte);
    }
    frame
}

#[test]
fn a_zstd_bomb_is_decompressed_in_bounded_pieces() {
    // One 48 MiB line in 1.5 kB of zstd (run-length blocks), pushed as one chunk, after a row in
    // its own frame.
    let mut input = Vec::new();
    input.extend(zstd_run_length_frame(b'\n', 1)); // blank lines: no rows
    input.extend(zstd_run_length_frame(b'b', 48 * 8));
    assert!(input.len() < 2_000, "{}", input.len());
    let (rows, peak) = read_in_one_push_measuring_peak(&input);
    assert_eq!(
        rows,
        [(
            128 * 1024 + 1,
            RowContent::Invalid(format!(
                "line {} is 48 MiB, over the 4.1 kB limit (input.max_row_bytes)",
                128 * 1024 + 1
            ))
        )]
    );
    assert!(
        peak < 2 * 1024 * 1024,
        "peak allocation {peak} bytes while decompressing 48 MiB"
    );
}

#[test]
fn a_many_block_zstd_stream_reads_the_same_at_any_chunk_boundaries() {
    // 3 MB of rows: many compressed blocks, each split across pushes somewhere.
    let mut plain = Vec::new();
    for i in 0..40_000 {
        plain.extend_from_slice(
            format!(
                "{{\"text\": \"row {i} says {} things\"}}\n",
                i * 7919 % 1000
            )
            .as_bytes(),
        );
    }
    let compressed =
        ruzstd::encoding::compress_to_vec(&plain[..], ruzstd::encoding::CompressionLevel::Fastest);
    assert!(compressed.len() < plain.len() / 4);
    let expected = read_whole(&plain, ReaderOptions::default()).unwrap();
    assert_eq!(expected.records.len(), 40_000);
    let whole = read_whole(&compressed, ReaderOptions::default()).unwrap();
    assert_eq!(whole.records, expected.records);
    for seed in 0..4 {
        let chunked = read_with_chunks(
            &compressed,
            ReaderOptions::default(),
            &mut random_sizes(seed, 9000),
        )
        .unwrap();
        assert_eq!(chunked.records, expected.records, "seed {seed}");
    }
}

#[test]
fn bytes_after_the_last_zstd_frame_are_ignored_and_reported_like_gzip() {
    let good = fixture("lf.jsonl.zst");
    let (rows, trailing) = read_at_every_chunking(&good).unwrap();
    assert_eq!(trailing, None);
    assert_trailing_garbage_is_ignored(&good, &rows, &[b"\r\n", b"trailing bytes"]);
    assert_eq!(
        IgnoredTrailing {
            offset: 9,
            bytes: 1
        }
        .describe(Compression::Zstd),
        "1 byte after the end of the zstd data at byte offset 9 is not zstd data; ignored (the \
         rows before them were read)."
    );
}

#[test]
fn a_damaged_zstd_file_says_how() {
    let good = fixture("lf.jsonl.zst");
    let read = |bytes: &[u8]| {
        let err = read_with_chunks(bytes, ReaderOptions::default(), &mut random_sizes(7, 9))
            .expect_err("a damaged stream is an error");
        assert!(matches!(err, Error::Format(_)), "{err:?}");
        err.to_string()
    };
    let truncated = read(&good[..good.len() - 10]);
    assert!(
        truncated.contains("the zstd stream is truncated: frame 1 has no end"),
        "{truncated}"
    );
    // Cut inside the magic number of a second frame: truncated, not trailing garbage.
    let cut_magic = [good.clone(), vec![0x28, 0xB5]].concat();
    let cut_magic = read(&cut_magic);
    assert!(
        cut_magic.contains("the zstd stream is truncated: it ends inside a frame header"),
        "{cut_magic}"
    );
    // A flipped bit in the last block's literals: the decoder either rejects the block or the
    // frame's checksum catches it; either way the message says the stream is corrupt.
    let mut flipped = good.clone();
    let at = good.len() - 12;
    flipped[at] ^= 0x10;
    let flipped = read(&flipped);
    assert!(flipped.contains("the zstd stream is corrupt"), "{flipped}");
    // A zstd stream needing a dictionary is refused by name (descriptor bit 0: a 1-byte id).
    let mut with_dict = vec![0x28, 0xB5, 0x2F, 0xFD, 0x01, 0x38, 0x07];
    with_dict.extend_from_slice(&[1, 0, 0]); // an empty last raw block
    let dict = read(&with_dict);
    assert!(dict.contains("dictionary"), "{dict}");
}

// ---------------------------------------------------------------------------------------------
// Property check: random structural soup, any format, any chunking.

#[test]
fn random_inputs_read_the_same_at_any_chunk_boundaries() {
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};
    const ALPHABET: &[u8] = b"{}[]\",:\\\n\r \tab1\xc3\xa9";
    let mut rng = SmallRng::seed_from_u64(7);
    for case in 0..300 {
        let len = rng.gen_range(0..120);
        let input: Vec<u8> = (0..len)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())])
            .collect();
        for format in [Format::Jsonl, Format::Json, Format::Csv, Format::Tsv] {
            for max_row_bytes in [6, 1000] {
                let options = ReaderOptions {
                    format: Some(format),
                    max_row_bytes,
                    ..ReaderOptions::default()
                };
                let what = format!(
                    "case {case} {format:?} max {max_row_bytes}: {:?}",
                    String::from_utf8_lossy(&input)
                );
                // An error (a CSV header that is not UTF-8) must be the same error at any chunking.
                let whole = read_whole(&input, options.clone()).map_err(|e| e.to_string());
                if let Ok(whole) = &whole {
                    assert_records_index_input(&what, &input, whole);
                }
                for sizes in [1, 2, 5] {
                    let chunked = read_with_chunks(&input, options.clone(), &mut fixed(sizes))
                        .map_err(|e| e.to_string());
                    assert_eq!(chunked, whole, "{what}: chunks of {sizes}");
                }
                let chunked = read_with_chunks(&input, options, &mut random_sizes(case, 16))
                    .map_err(|e| e.to_string());
                assert_eq!(chunked, whole, "{what}: random chunks");
            }
        }
    }
}
