//! The `datasieve` binary, driven as a user would: help, exit codes, messages on stderr,
//! `inspect --json`, and the output folder of `dedup` / `run` on every reader fixture.

use std::path::{Path, PathBuf};

use datasieve::io::{Format, ReaderOptions, RowReader};
use serde_json::{json, Value};

mod common;
use common::{code, datasieve, path_str, stderr, stdout};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/io")
}

fn fixture(name: &str) -> PathBuf {
    let path = fixture_dir().join(name);
    assert!(path.exists(), "fixture {} missing", path.display());
    path
}

fn text_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("fixture folder")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".py") && !n.ends_with(".md") && !n.ends_with(".png"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");
    names
}

// ---------------------------------------------------------------------------------------------
// Help.

#[test]
fn help_on_every_command_exits_0_and_names_its_flags() {
    let cases: [(&[&str], &[&str]); 5] = [
        (
            &["--help"],
            &[
                "inspect",
                "dedup",
                "run",
                "Exit codes",
                "kept",
                "decisions.jsonl",
                "report.json",
            ],
        ),
        (&["inspect", "--help"], &["--json", "--field", "<FILE>"]),
        (
            &["dedup", "--help"],
            &[
                "--exact",
                "--field",
                "--normalize",
                "--out",
                "--max-row-bytes",
                "<FILE>",
            ],
        ),
        (
            &["run", "--help"],
            &["--config", "--out", "--max-row-bytes", "<FILE>"],
        ),
        (&["help", "dedup"], &["--exact", "--out"]),
    ];
    for (args, mentions) in cases {
        let o = datasieve(args);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        let text = stdout(&o);
        for m in mentions {
            assert!(
                text.contains(m),
                "{args:?} help does not mention {m}:\n{text}"
            );
        }
    }
    let o = datasieve(&["--version"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains(env!("CARGO_PKG_VERSION")));
}

// ---------------------------------------------------------------------------------------------
// Exit codes and messages.

#[test]
fn exit_0_when_nothing_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let unique = dir.path().join("unique.jsonl");
    std::fs::write(&unique, "{\"text\": \"one\"}\n{\"text\": \"two\"}\n").unwrap();
    let o = datasieve(&["inspect", path_str(&unique)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = dir.path().join("out");
    let o = datasieve(&[
        "dedup",
        path_str(&unique),
        "--exact",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).is_empty(),
        "no progress bar or noise off a terminal: {}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("rows in 2  kept 2  removed 0"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read(out.join("kept.jsonl")).unwrap(),
        std::fs::read(&unique).unwrap()
    );
    assert_eq!(std::fs::read(out.join("removed.jsonl")).unwrap(), b"");
    // An empty file: zero rows, nothing found.
    let o = datasieve(&[
        "dedup",
        path_str(&fixture("empty.jsonl")),
        "--exact",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["rows_in"], 0);
    // Nothing to compare (no text field) is an error, not passed off as a clean file: the
    // outputs are written (every row kept), and the message says which fields may hold text.
    let questions = dir.path().join("questions.jsonl");
    std::fs::write(
        &questions,
        "{\"turns\": [\"a\", \"b\"]}\n{\"turns\": [\"a\", \"b\"]}\n",
    )
    .unwrap();
    let o = datasieve(&[
        "dedup",
        path_str(&questions),
        "--exact",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "datasieve: {}: The file's schema is `unknown`, which has no default text field, so \
             nothing was compared: all 2 readable rows were kept without being checked. Name the \
             field(s) to compare (CLI `--field`, page \"field(s)\"). Fields that may hold text: \
             `turns[*]`.\n",
            questions.display()
        ),
        "an error, not also a note"
    );
    assert!(out.join("kept.jsonl").exists());
    let o = datasieve(&[
        "dedup",
        path_str(&questions),
        "--exact",
        "--field",
        "turns[*]",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(
        code(&o),
        1,
        "the suggested field finds the duplicate: {}",
        stderr(&o)
    );
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let o = datasieve(&["inspect", path_str(&questions)]);
    assert!(
        stderr(&o).contains("would compare nothing"),
        "inspect tells before a run: {}",
        stderr(&o)
    );
}

#[test]
fn exit_1_for_duplicates_or_parse_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = datasieve(&[
        "dedup",
        path_str(&fixture("lf.jsonl")),
        "--exact",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("exact_duplicate"), "{}", stdout(&o));

    let o = datasieve(&["inspect", path_str(&fixture("broken_line.jsonl"))]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("parse errors: 2"), "{text}");
    assert!(text.contains("line 2: not valid JSON"), "{text}");
    assert!(text.contains("line 4: not valid JSON"), "{text}");

    let o = datasieve(&["inspect", path_str(&fixture("invalid_utf8.jsonl"))]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("line 2: not valid UTF-8"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn exit_2_with_a_message_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let missing = dir.path().join("no-such-file.jsonl");

    let o = datasieve(&["inspect", path_str(&missing)]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no-such-file.jsonl"), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot open"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());

    let png = fixture("image.png");
    for args in [
        vec!["inspect", path_str(&png)],
        vec!["dedup", path_str(&png), "--exact", "--out", path_str(&out)],
    ] {
        let o = datasieve(&args);
        assert_eq!(code(&o), 2, "{args:?}");
        let e = stderr(&o);
        assert!(e.contains("image.png"), "{e}");
        assert!(e.contains("binary file"), "{e}");
    }

    let bad_config = dir.path().join("pipeline.json");
    std::fs::write(&bad_config, r#"{"dedup": {"exakt": {}}}"#).unwrap();
    let o = datasieve(&[
        "run",
        path_str(&fixture("lf.jsonl")),
        "--config",
        path_str(&bad_config),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(e.contains("pipeline.json") && e.contains("exakt"), "{e}");

    let o = datasieve(&[
        "run",
        path_str(&fixture("lf.jsonl")),
        "--config",
        path_str(&missing),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no-such-file.jsonl"), "{}", stderr(&o));

    let o = datasieve(&[
        "dedup",
        path_str(&fixture("lf.jsonl")),
        "--exact",
        "--field",
        "a[",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("a["), "{}", stderr(&o));

    // Usage errors from the argument parser.
    let o = datasieve(&["dedup", path_str(&fixture("lf.jsonl")), "--exact"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--out"), "{}", stderr(&o));
    let o = datasieve(&["inspect", path_str(&fixture("lf.jsonl")), "--no-such-flag"]);
    assert_eq!(code(&o), 2);
    let o = datasieve(&[
        "dedup",
        path_str(&fixture("lf.jsonl")),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2, "dedup needs a kind");
    assert!(stderr(&o).contains("--exact"), "{}", stderr(&o));
}

#[test]
fn an_output_that_is_the_input_is_refused_before_anything_is_written() {
    // Chaining steps into one folder: `dedup out/kept.jsonl --out out/` would empty its input.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = datasieve(&[
        "dedup",
        path_str(&fixture("lf.jsonl")),
        "--exact",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let kept = out.join("kept.jsonl");
    let before = std::fs::read(&kept).unwrap();
    assert!(!before.is_empty());
    let o = datasieve(&["dedup", path_str(&kept), "--near", "--out", path_str(&out)]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("is an input of this job"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(&kept).unwrap(),
        before,
        "the input is untouched"
    );
    // Also through another spelling of the folder.
    let dotted = dir.path().join("out/../out/");
    let o = datasieve(&[
        "dedup",
        path_str(&kept),
        "--exact",
        "--out",
        path_str(&dotted),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(std::fs::read(&kept).unwrap(), before);
}

#[test]
fn flags_that_do_nothing_are_refused_and_configs_may_be_inline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let lf = fixture("lf.jsonl");
    for flag in [
        &["--keep", "longest"][..],
        &["--threshold", "0.7"],
        &["--verify"],
    ] {
        let mut args = vec!["dedup", path_str(&lf), "--exact", "--out", path_str(&out)];
        args.extend_from_slice(flag);
        let o = datasieve(&args);
        assert_eq!(code(&o), 2, "{flag:?}");
        assert!(stderr(&o).contains("applies to --near"), "{}", stderr(&o));
    }
    let o = datasieve(&[
        "dedup",
        path_str(&lf),
        "--near",
        "--keep",
        "biggest",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2);
    let o = datasieve(&[
        "dedup",
        path_str(&lf),
        "--near",
        "--ngram",
        "0",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("n-gram size must be at least 1"),
        "{}",
        stderr(&o)
    );
    // The config as JSON on the command line, as `run --help` shows it.
    let o = datasieve(&[
        "run",
        path_str(&lf),
        "--config",
        r#"{"dedup": {"exact": {}}}"#,
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(!stdout(&o).contains("//"), "{}", stdout(&o));
    let o = datasieve(&[
        "run",
        path_str(&lf),
        "--config",
        "{\"dedup\": }",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--config: invalid configuration"),
        "{}",
        stderr(&o)
    );
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_datasieve"))
        .args(["inspect", path_str(&fixture("lf.jsonl"))])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader (`| head -0`) is gone before anything is printed
    let o = child.wait_with_output().unwrap();
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// inspect.

#[test]
fn inspect_json_is_a_report() {
    let o = datasieve(&["inspect", path_str(&fixture("quoted.csv.gz")), "--json"]);
    assert_eq!(code(&o), 1, "one row has too many fields");
    let report: Value = serde_json::from_slice(&o.stdout).expect("inspect --json prints JSON");
    assert_eq!(report["rows_in"], 8);
    assert_eq!(report["input"]["format"], "csv");
    assert_eq!(report["input"]["compression"], "gzip");
    assert_eq!(report["input"]["schema"], "text");
    assert_eq!(report["removed_by"], json!({"parse_error": 1}));
    assert_eq!(report["parse_errors"][0]["line"], 11);
    let fields = &report["stats"]["inspect"]["fields"];
    assert_eq!(fields["text"]["present"], 7);
    assert_eq!(report["stats"]["schema"]["schema"], "text");
    for key in ["min", "p50", "p90", "max"] {
        assert!(
            report["stats"]["inspect"]["chars"][key].is_u64(),
            "chars.{key}"
        );
        assert!(
            report["stats"]["inspect"]["words"][key].is_u64(),
            "words.{key}"
        );
    }

    let o = datasieve(&["inspect", path_str(&fixture("messages.jsonl")), "--json"]);
    assert_eq!(code(&o), 0);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["input"]["schema"], "messages");
    assert_eq!(
        report["stats"]["schema"]["rows_by_schema"],
        json!({"messages": 3, "unknown": 1})
    );
}

#[test]
fn inspect_summary_for_people() {
    let o = datasieve(&["inspect", path_str(&fixture("array.json.gz"))]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("array.json.gz: json (gzip)"), "{text}");
    assert!(text.contains("schema: text"), "{text}");
    assert!(text.contains("rows: 5  parse errors: 0"), "{text}");
    assert!(text.contains("text length (chars): min"), "{text}");
    assert!(
        text.contains("compared text: text (the schema's default)"),
        "{text}"
    );
    let o = datasieve(&[
        "inspect",
        path_str(&fixture("array.json.gz")),
        "--field",
        "title",
    ]);
    assert!(
        stdout(&o).contains("compared text: title (--field)"),
        "{}",
        stdout(&o)
    );
}

// ---------------------------------------------------------------------------------------------
// The output folder.

/// Rows of a file as the reader frames them, each with its terminator (`\n` added when missing);
/// for CSV/TSV the header is returned apart.
fn rows_of(bytes: &[u8], format: Option<Format>) -> (Option<Vec<u8>>, Vec<Vec<u8>>) {
    let mut reader = RowReader::framing_only(ReaderOptions {
        format,
        ..ReaderOptions::default()
    });
    let mut rows = Vec::new();
    let mut on = |r: datasieve::io::Record<'_>| {
        let mut row = r.raw.to_vec();
        if format != Some(Format::Json) {
            row.extend_from_slice(if r.terminator.is_empty() {
                b"\n"
            } else {
                r.terminator
            });
        }
        rows.push(row);
        Ok(())
    };
    reader.push(bytes, &mut on).unwrap();
    reader.finish(&mut on).unwrap();
    (reader.header_raw().map(<[u8]>::to_vec), rows)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Checks the output folder of one run against its input: every row once, byte-identical.
fn assert_output_folder(name: &str, input: &Path, out: &Path) -> Vec<Value> {
    let report = read_json(&out.join("report.json"));
    let format = match report["input"]["format"].as_str().unwrap() {
        "jsonl" => Format::Jsonl,
        "json" => Format::Json,
        "csv" => Format::Csv,
        "tsv" => Format::Tsv,
        "text" => Format::Text,
        other => panic!("{name}: format {other}"),
    };
    let ext = format.output_extension();
    let decisions: Vec<Value> = std::fs::read_to_string(out.join("decisions.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        decisions.len() as u64,
        report["rows_in"].as_u64().unwrap(),
        "{name}: a decision per row"
    );
    let kept_count = decisions.iter().filter(|d| d["kept"] == true).count() as u64;
    assert_eq!(report["rows_kept"], kept_count, "{name}");
    assert_eq!(
        report["rows_kept"].as_u64().unwrap() + report["rows_removed"].as_u64().unwrap(),
        decisions.len() as u64
    );
    for key in [
        "removed_by",
        "warned_by",
        "stats",
        "timings_ms",
        "config",
        "version",
    ] {
        assert!(report.get(key).is_some(), "{name}: report.json lacks {key}");
    }

    let (input_header, input_rows) = rows_of(&std::fs::read(input).unwrap(), Some(format));
    let kept = std::fs::read(out.join(format!("kept.{ext}"))).unwrap();
    let removed = std::fs::read(out.join(format!("removed.{ext}"))).unwrap();
    if format == Format::Json {
        assert!(
            read_json(&out.join("kept.json")).is_array(),
            "{name}: kept.json is an array"
        );
        // Unreadable elements are written as they are (the report's notice says so).
        if report["removed_by"].get("parse_error").is_none() {
            assert!(
                read_json(&out.join("removed.json")).is_array(),
                "{name}: removed.json is an array"
            );
        }
    }
    let (kept_header, kept_rows) = rows_of(&kept, Some(format));
    let (removed_header, removed_rows) = rows_of(&removed, Some(format));
    if matches!(format, Format::Csv | Format::Tsv) {
        let header = input_header.clone().expect("input header");
        assert!(
            kept.starts_with(&header) && removed.starts_with(&header),
            "{name}: both outputs start with the header"
        );
        assert_eq!(
            (kept_header.as_ref(), removed_header.as_ref()),
            (Some(&header), Some(&header))
        );
    }
    let (mut k, mut r) = (kept_rows.into_iter(), removed_rows.into_iter());
    let merged: Vec<Vec<u8>> = decisions
        .iter()
        .map(|d| {
            if d["kept"] == true {
                k.next()
            } else {
                r.next()
            }
            .expect("an output row per decision")
        })
        .collect();
    assert!(
        k.next().is_none() && r.next().is_none(),
        "{name}: no extra rows in the outputs"
    );
    assert_eq!(
        merged, input_rows,
        "{name}: kept + removed merged by decisions.jsonl = the input rows"
    );
    decisions
}

#[test]
fn dedup_out_folder_holds_every_row_once_for_every_fixture() {
    let dir = tempfile::tempdir().unwrap();
    for name in text_fixtures() {
        let input = fixture(&name);
        let out = dir.path().join(&name);
        let o = datasieve(&[
            "dedup",
            path_str(&input),
            "--exact",
            "--out",
            path_str(&out),
        ]);
        assert!(matches!(code(&o), 0 | 1), "{name}: {}", stderr(&o));
        let decisions = assert_output_folder(&name, &input, &out);
        let findings = decisions.iter().any(|d| d["kept"] == false);
        assert_eq!(
            code(&o),
            i32::from(findings),
            "{name}: exit code follows the findings"
        );
    }
}

#[test]
fn a_plain_jsonl_round_trips_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = fixture("crlf.jsonl");
    let o = datasieve(&[
        "dedup",
        path_str(&input),
        "--exact",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1);
    let kept = std::fs::read(out.join("kept.jsonl")).unwrap();
    let removed = std::fs::read(out.join("removed.jsonl")).unwrap();
    let lines: Vec<&[u8]> = std::fs::read(&input)
        .unwrap()
        .leak()
        .split_inclusive(|&b| b == b'\n')
        .collect();
    assert_eq!(
        kept,
        [lines[0], lines[1], lines[3], lines[4], lines[6]].concat()
    );
    assert_eq!(removed, [lines[2], lines[5]].concat());
    let decisions = std::fs::read_to_string(out.join("decisions.jsonl")).unwrap();
    let third: Value = serde_json::from_str(decisions.lines().nth(2).unwrap()).unwrap();
    assert_eq!(
        third,
        json!({"row": 2, "line": 3, "kept": false, "reasons": ["exact_duplicate"], "warnings": [], "cluster": null, "duplicate_of": 0})
    );
}

#[test]
fn run_with_a_config_matches_dedup_exact() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pipeline.json");
    for (name, config_json, flags) in [
        (
            "lf.jsonl",
            r#"{"dedup": {"exact": {"normalize": false}}}"#,
            vec![],
        ),
        ("alpaca.jsonl", r#"{"dedup": {"exact": {}}}"#, vec![]),
        (
            "quoted.csv",
            r#"{"fields": ["source"], "dedup": {"exact": {"normalize": true}}}"#,
            vec!["--field", "source", "--normalize"],
        ),
    ] {
        std::fs::write(&config, config_json).unwrap();
        let input = fixture(name);
        let (a, b) = (
            dir.path().join(format!("{name}-dedup")),
            dir.path().join(format!("{name}-run")),
        );
        let mut args = vec!["dedup", path_str(&input), "--exact", "--out", path_str(&a)];
        args.extend(&flags);
        let o1 = datasieve(&args);
        let o2 = datasieve(&[
            "run",
            path_str(&input),
            "--config",
            path_str(&config),
            "--out",
            path_str(&b),
        ]);
        assert_eq!(
            code(&o1),
            code(&o2),
            "{name}: {} / {}",
            stderr(&o1),
            stderr(&o2)
        );
        assert_eq!(code(&o1), 1, "{name} has duplicates");
        let decisions_a = std::fs::read(a.join("decisions.jsonl")).unwrap();
        assert_eq!(
            decisions_a,
            std::fs::read(b.join("decisions.jsonl")).unwrap(),
            "{name}: same decisions"
        );
        let ext = if name.ends_with(".csv") {
            "csv"
        } else {
            "jsonl"
        };
        for file in [format!("kept.{ext}"), format!("removed.{ext}")] {
            assert_eq!(
                std::fs::read(a.join(&file)).unwrap(),
                std::fs::read(b.join(&file)).unwrap(),
                "{name}: {file}"
            );
        }
        let (ra, rb) = (
            read_json(&a.join("report.json")),
            read_json(&b.join("report.json")),
        );
        for key in [
            "rows_in",
            "rows_kept",
            "rows_removed",
            "removed_by",
            "stats",
            "input",
        ] {
            assert_eq!(ra[key], rb[key], "{name}: report.{key}");
        }
        assert_output_folder(name, &input, &b);
    }
    // `quoted.csv` on `source` normalised: web, forum, book, web, wiki, empty, (bad row), forum.
    let decisions =
        std::fs::read_to_string(dir.path().join("quoted.csv-run/decisions.jsonl")).unwrap();
    let dups: Vec<(u64, u64)> = decisions
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|d| Some((d["row"].as_u64()?, d["duplicate_of"].as_u64()?)))
        .collect();
    assert_eq!(dups, [(3, 0), (7, 1)]);
}

#[test]
fn max_row_bytes_reports_the_long_line_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("long.jsonl");
    let long = format!("{{\"text\": \"{}\"}}", "w".repeat(2000));
    std::fs::write(
        &input,
        format!("{{\"text\": \"a\"}}\n{long}\n{{\"text\": \"b\"}}\n"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = datasieve(&[
        "dedup",
        path_str(&input),
        "--exact",
        "--max-row-bytes",
        "500",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("line 2 is 2.0 kB, over the 500 bytes limit"),
        "{}",
        stdout(&o)
    );
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["rows_in"], 3);
    assert_eq!(report["removed_by"], json!({"parse_error": 1}));
    assert_eq!(
        std::fs::read(out.join("kept.jsonl")).unwrap(),
        b"{\"text\": \"a\"}\n{\"text\": \"b\"}\n"
    );
    assert_eq!(
        std::fs::read(out.join("removed.jsonl")).unwrap(),
        format!("{long}\n").into_bytes(),
        "copied, not dropped"
    );
    assert_output_folder("long.jsonl", &input, &out);
}

/// About `mb` MB of JSONL: documents of 60–200 words from a 5 000-word vocabulary, one in eight an
/// edited copy of an earlier one, with a BOM, CRLF lines, blank lines, unreadable lines, rows
/// without text and rows too short to sign (the cases where row numbering could drift between
/// ranges).
fn near_duplicate_corpus(mb: usize) -> Vec<u8> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let word = |i: usize| format!("w{i}{}", ["a", "e", "i", "o", "u"][i % 5]);
    let mut docs: Vec<Vec<usize>> = Vec::new();
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut i = 0;
    while out.len() < mb << 20 {
        let words = if docs.len() > 10 && next(8) == 0 {
            let mut copy = docs[next(docs.len())].clone();
            for _ in 0..3 {
                let at = next(copy.len());
                copy[at] = next(5000);
            }
            copy
        } else {
            let n = 60 + next(140);
            let fresh: Vec<usize> = (0..n).map(|_| next(5000)).collect();
            docs.push(fresh.clone());
            fresh
        };
        let text: Vec<String> = words.into_iter().map(word).collect();
        let row = serde_json::json!({"id": i, "text": text.join(" ")});
        out.extend_from_slice(row.to_string().as_bytes());
        out.extend_from_slice(if i % 7 == 0 { b"\r\n" } else { b"\n" });
        match i % 1000 {
            5 => out.extend_from_slice(b"\n"),
            11 => out.extend_from_slice(b"{\"text\": \"an unreadable line\n"),
            13 => out.extend_from_slice(b"{\"id\": \"no text\"}\n"),
            17 => out.extend_from_slice(b"{\"text\": \"too short\"}\n"),
            _ => {}
        }
        i += 1;
    }
    out
}

#[test]
fn near_dedup_on_several_threads_writes_exactly_what_one_thread_writes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("near.jsonl");
    std::fs::write(&input, near_duplicate_corpus(9)).unwrap();
    let gz = dir.path().join("near.jsonl.gz");
    {
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        std::io::Write::write_all(&mut enc, &std::fs::read(&input).unwrap()).unwrap();
        enc.finish().unwrap();
    }
    let zst = dir.path().join("near.jsonl.zst");
    std::fs::write(
        &zst,
        ruzstd::encoding::compress_to_vec(
            &std::fs::read(&input).unwrap()[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        ),
    )
    .unwrap();
    let run = |file: &Path, threads: &str| -> (PathBuf, Value) {
        let out = dir.path().join(format!(
            "{}-{threads}",
            file.file_name().unwrap().to_str().unwrap()
        ));
        let o = datasieve(&[
            "dedup",
            path_str(file),
            "--near",
            "--threads",
            threads,
            "--out",
            path_str(&out),
        ]);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        let report = read_json(&out.join("report.json"));
        (out, report)
    };
    let (one, mut one_report) = run(&input, "1");
    let (three, mut three_report) = run(&input, "3");
    let (gzipped, gz_report) = run(&gz, "3");
    let (zstd, zstd_report) = run(&zst, "3");
    assert_eq!(three_report["timings_ms"]["sign_workers"], 3.0);
    assert!(one_report["timings_ms"].get("sign_workers").is_none());
    // A compressed file is one stream: one more thread decompresses it for the sign threads.
    for (file, report) in [(&gz, &gz_report), (&zst, &zstd_report)] {
        let size = std::fs::metadata(file).unwrap().len();
        assert!(
            size >= 2 << 20,
            "{}: {size} bytes, too small to sign in parallel",
            file.display()
        );
        assert_eq!(
            report["timings_ms"]["sign_workers"],
            3.0,
            "{}",
            file.display()
        );
    }
    assert_eq!(zstd_report["input"]["compression"], "zstd");
    assert!(one_report["removed_by"]["near_duplicate"].as_u64().unwrap() > 1000);
    assert!(one_report["removed_by"]["parse_error"].as_u64().unwrap() >= 9);
    for name in ["kept.jsonl", "removed.jsonl", "decisions.jsonl"] {
        let expected = std::fs::read(one.join(name)).unwrap();
        assert!(
            std::fs::read(three.join(name)).unwrap() == expected,
            "{name}"
        );
    }
    for compressed in [&gzipped, &zstd] {
        // Outputs are written decompressed: the same bytes as from the plain file.
        for name in ["kept.jsonl", "removed.jsonl", "decisions.jsonl"] {
            assert!(
                std::fs::read(compressed.join(name)).unwrap()
                    == std::fs::read(one.join(name)).unwrap(),
                "{}: {name}",
                compressed.display()
            );
        }
    }
    for report in [&mut one_report, &mut three_report] {
        report.as_object_mut().unwrap().remove("timings_ms");
    }
    assert_eq!(one_report, three_report);
    // JSON lines under a first line that is not JSON, in a file of an unknown extension: text
    // lines (each line is a document), so the JSONL signers must not take it.
    let log = dir.path().join("near.log");
    let mut bytes = b"{not json} a first line of text\n".to_vec();
    bytes.extend_from_slice(&std::fs::read(&input).unwrap()[3..]);
    std::fs::write(&log, bytes).unwrap();
    let (log_one, log_one_report) = run(&log, "1");
    let (log_three, log_three_report) = run(&log, "3");
    assert_eq!(log_one_report["input"]["format"], "text");
    assert!(log_three_report["timings_ms"].get("sign_workers").is_none());
    for name in ["kept.txt", "removed.txt", "decisions.jsonl"] {
        assert!(
            std::fs::read(log_three.join(name)).unwrap()
                == std::fs::read(log_one.join(name)).unwrap(),
            "near.log: {name}"
        );
    }
}

#[test]
fn format_forces_how_the_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // Prose with commas in a file whose name says nothing: detected as a CSV table.
    let docs = dir.path().join("docs.dat");
    std::fs::write(
        &docs,
        "one doc, with a comma\nanother, doc\none doc, with a comma\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = datasieve(&[
        "dedup",
        path_str(&docs),
        "--exact",
        "--input-format",
        "text",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("removed.txt")).unwrap(),
        "one doc, with a comma\n"
    );
    assert_eq!(
        read_json(&out.join("report.json"))["input"]["format"],
        "text"
    );
    let o = datasieve(&["inspect", path_str(&docs), "--input-format", "txt"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--input-format: `txt` is not a known value"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_file_of_an_unknown_extension_that_is_not_a_table_is_read_as_text_lines_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // Source code: quotes and commas, but no header of column names. It used to be a one-column
    // CSV with a parse error at every quote.
    let script = dir.path().join("script.py");
    let code_lines = "import sys\nprint(\"hello, world\")\nx = \"a\"\nprint(\"hello, world\")\n";
    std::fs::write(&script, code_lines).unwrap();
    let o = datasieve(&["inspect", path_str(&script)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("script.py: text (uncompressed)")
            && stdout(&o).contains("parse errors: 0"),
        "{}",
        stdout(&o)
    );
    let note = "note: `script.py`: the extension `.py` is not one datasieve recognises (.jsonl, \
                .ndjson, .json, .csv, .tsv, .txt), and its first lines are not a table with a \
                header of column names, so it was read as plain text, one document per line \
                (each line the row {\"text\": line}). To read it as another format, name it: CLI \
                `--input-format jsonl|json|csv|tsv`, config `input.format`.\n";
    assert_eq!(stderr(&o), note);
    // A job says the same, and reads one document per line.
    let o = datasieve(&[
        "dedup",
        path_str(&script),
        "--exact",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stderr(&o), note);
    assert_eq!(
        std::fs::read_to_string(out.join("removed.txt")).unwrap(),
        "print(\"hello, world\")\n"
    );
    assert_eq!(
        read_json(&out.join("report.json"))["notices"],
        json!([note["note: ".len()..note.len() - 1]])
    );
    // --input-format chooses another reading, and then nothing is guessed.
    let o = datasieve(&["inspect", path_str(&script), "--input-format", "csv"]);
    assert!(stdout(&o).contains("script.py: csv"), "{}", stdout(&o));
    assert!(
        !stderr(&o).contains("not one datasieve recognises"),
        "{}",
        stderr(&o)
    );
    // A file without an extension, and a compressed one, are judged the same way.
    let plain = dir.path().join("NOTES");
    std::fs::write(&plain, "Some notes, written down.\nMore notes.\n").unwrap();
    let o = datasieve(&["inspect", path_str(&plain)]);
    assert!(stdout(&o).contains("NOTES: text"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("`NOTES`: the file name has no extension datasieve recognises"),
        "{}",
        stderr(&o)
    );
    let gz = dir.path().join("script.js.gz");
    {
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        std::io::Write::write_all(&mut enc, b"const s = \"a, b\";\nconsole.log(s);\n").unwrap();
        enc.finish().unwrap();
    }
    let o = datasieve(&["inspect", path_str(&gz)]);
    assert!(
        stdout(&o).contains("script.js.gz: text (gzip)"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("the extension `.js` is not one"),
        "{}",
        stderr(&o)
    );
    // Tables and JSON of an unknown extension are still read as such, with no note; a .csv
    // keeps its reading (a one-column table with a header) whatever its first line.
    for (name, content, format) in [
        ("export.dat", "id,text\n1,hello\n2,world\n", "csv"),
        ("export.out", "id\ttext\n1\thello\n2\tworld\n", "tsv"),
        (
            "rows.log",
            "{\"text\": \"a\"}\n{\"text\": \"b\"}\n",
            "jsonl",
        ),
        ("one.csv", "import sys\nprint(\"hello\")\n", "csv"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let o = datasieve(&["inspect", path_str(&path)]);
        assert!(
            stdout(&o).contains(&format!("{name}: {format}")),
            "{name}: {}",
            stdout(&o)
        );
        assert!(!stderr(&o).contains("recognises"), "{name}: {}", stderr(&o));
    }
}

/// gzip of `plain` (one member).
fn gzip(plain: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, plain).unwrap();
    enc.finish().unwrap()
}

#[test]
fn bytes_after_the_gzip_data_are_ignored_with_a_note_and_a_cut_file_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let first = gzip(b"{\"text\": \"a\"}\n{\"text\": \"b\"}\n");
    let second = gzip(b"{\"text\": \"a\"}\n");
    // `cat a.gz b.gz`: one stream.
    let members = [first.clone(), second.clone()].concat();
    // Then garbage: 20 bytes that are not a gzip member.
    let garbage = [members.clone(), b"this is not gzip!!!\n".to_vec()].concat();
    let path = dir.path().join("rows.jsonl.gz");
    std::fs::write(&path, &garbage).unwrap();
    let o = datasieve(&["dedup", path_str(&path), "--exact", "--out", path_str(&out)]);
    assert_eq!(
        code(&o),
        1,
        "the rows before are deduplicated: {}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("rows in 3  kept 2  removed 1"),
        "{}",
        stdout(&o)
    );
    let note = format!(
        "`rows.jsonl.gz`: 20 bytes after the end of the gzip data at byte offset {} are not \
         gzip data; ignored (the rows before them were read).",
        members.len()
    );
    assert_eq!(stderr(&o), format!("note: {note}\n"));
    assert_eq!(
        read_json(&out.join("report.json"))["notices"],
        json!([note])
    );
    assert_eq!(
        std::fs::read_to_string(out.join("kept.jsonl")).unwrap(),
        "{\"text\": \"a\"}\n{\"text\": \"b\"}\n"
    );
    let o = datasieve(&["inspect", path_str(&path)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains(&note), "{}", stderr(&o));
    // Concatenated members alone: no note.
    std::fs::write(&path, &members).unwrap();
    let o = datasieve(&["inspect", path_str(&path)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    assert!(stdout(&o).contains("rows: 3"), "{}", stdout(&o));
    // A file cut short, in the first member or the second, is truncated: exit 2.
    for cut in [
        first.len() / 2,
        first.len() + second.len() - 3,
        first.len() + 5,
    ] {
        std::fs::write(&path, &members[..cut]).unwrap();
        let o = datasieve(&["inspect", path_str(&path)]);
        assert_eq!(code(&o), 2, "cut at {cut}");
        let e = stderr(&o);
        assert!(
            e.contains("rows.jsonl.gz")
                && e.contains("the gzip stream is truncated: member")
                && e.contains(&format!("(the file was cut short after {cut} bytes)")),
            "cut at {cut}: {e}"
        );
    }
}

#[test]
fn a_field_no_row_has_is_exit_2_naming_it_and_the_fields_rows_have() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = dir.path().join("rows.jsonl");
    std::fs::write(
        &input,
        "{\"id\": 1, \"text\": \"one\", \"meta\": {\"src\": \"web\"}}\n{\"id\": 2, \"text\": \"one\"}\n",
    )
    .unwrap();
    let expected = format!(
        "datasieve: {}: No row has text at the compared field(s) `txet`, so nothing was \
         compared: all 2 readable rows were kept without being checked. Name the field(s) to \
         compare (CLI `--field`, page \"field(s)\"). The rows' fields, most frequent first: `id` \
         (number, 2 rows), `text` (string, 2 rows), `meta` (object, 1 row).\n",
        input.display()
    );
    for args in [
        vec!["dedup", "--exact"],
        vec!["dedup", "--near"],
        vec!["filter", "--min-words", "1"],
        vec!["contamination", "--against", "EVAL"],
    ] {
        let eval = core_stages_fixture("eval_a.jsonl");
        let mut args: Vec<&str> = args
            .into_iter()
            .map(|a| if a == "EVAL" { path_str(&eval) } else { a })
            .collect();
        args.insert(1, path_str(&input));
        args.extend(["--field", "txet", "--out", path_str(&out)]);
        let o = datasieve(&args);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), expected, "{args:?}: an error, not also a note");
        // The outputs are written (the rows had to be read to know), every row kept.
        assert!(
            stdout(&o).contains("rows in 2  kept 2  removed 0"),
            "{}",
            stdout(&o)
        );
        assert_eq!(
            std::fs::read(out.join("kept.jsonl")).unwrap(),
            std::fs::read(&input).unwrap()
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
    // The same from a config's `fields`.
    let o = datasieve(&[
        "run",
        path_str(&input),
        "--config",
        r#"{"fields": ["txet"], "dedup": {"exact": {}}}"#,
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(stderr(&o), expected);
    // One of two named fields with text is enough: the duplicate is found, the exit code says so.
    let o = datasieve(&[
        "dedup",
        path_str(&input),
        "--exact",
        "--field",
        "txet,text",
        "--out",
        path_str(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // Inspect compares nothing by design: the same words as a note, its exit code unchanged.
    let o = datasieve(&["inspect", path_str(&input), "--field", "txet"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("note: No row has text at the compared field(s) `txet`")
            && stderr(&o).contains("`text` (string, 2 rows)"),
        "{}",
        stderr(&o)
    );
}

fn core_stages_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/stages")
        .join(name)
}

#[test]
fn outputs_of_another_format_left_in_out_are_named_not_deleted() {
    // A CSV run, then a JSONL run into the same folder: kept.csv and removed.csv are the first
    // run's and stay, but the second run says they are not its own.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let csv = dir.path().join("a.csv");
    std::fs::write(&csv, "text\nhello world\nhello world\n").unwrap();
    let jsonl = dir.path().join("a.jsonl");
    std::fs::write(&jsonl, "{\"text\": \"hello world\"}\n").unwrap();
    let run =
        |input: &Path| datasieve(&["dedup", path_str(input), "--exact", "--out", path_str(&out)]);
    let o = run(&csv);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "a fresh folder: {}", stderr(&o));
    let o = run(&jsonl);
    assert_eq!(
        code(&o),
        0,
        "notes do not change the exit code: {}",
        stderr(&o)
    );
    assert_eq!(
        stderr(&o),
        format!(
            "note: kept.csv, removed.csv in {} were not written by this run (an earlier run's output)\n",
            out.display()
        )
    );
    assert_eq!(
        std::fs::read(out.join("removed.csv")).unwrap(),
        b"text\nhello world\n"
    );
    // The same format again overwrites its own outputs: nothing to say about them.
    let o = run(&jsonl);
    assert!(!stderr(&o).contains("kept.jsonl"), "{}", stderr(&o));
}
