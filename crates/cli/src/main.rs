//! `datasieve`: the command-line door to the datasieve core.
//!
//! Exit codes: 0 = done, nothing found; 1 = done, findings (rows removed, parse errors);
//! 2 = usage or I/O error (nothing trustworthy was written).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use datasieve::config::PipelineConfig;
use datasieve::dedup::exact::ExactConfig;
use datasieve::io::Destination;
use datasieve::pipeline::{Job, Outcome};
use indicatif::{ProgressBar, ProgressStyle};

const CHUNK: usize = 1 << 20;

#[derive(Parser)]
#[command(
    name = "datasieve",
    version,
    about = "Inspect, deduplicate, filter and validate LLM training data, on your machine.",
    long_about = "Inspect, deduplicate, filter and validate LLM training data, on your machine.\n\n\
Reads JSONL, a JSON array, CSV or TSV, optionally gzip-compressed (detected from content).\n\
Every command that changes data writes an output folder (--out DIR) holding:\n  \
kept.<ext>, removed.<ext>  the input rows, byte-identical, split by decision\n  \
decisions.jsonl            one line per input row: row, line, kept, reasons, warnings, cluster, duplicate_of\n  \
report.json                counts by reason, statistics, timings, the config used\n\n\
Exit codes: 0 nothing found, 1 findings (rows removed or unreadable), 2 usage or I/O error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show what a file holds: format, schema, rows, parse errors, fields, text lengths.
    Inspect {
        /// The data file (.jsonl, .json, .csv, .tsv, optionally .gz).
        file: PathBuf,
        /// Print the report as JSON instead of a summary.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        fields: FieldArgs,
    },
    /// Remove duplicate rows, keeping the first occurrence.
    Dedup {
        /// The data file (.jsonl, .json, .csv, .tsv, optionally .gz).
        file: PathBuf,
        /// Exact duplicates: rows whose compared text is identical to an earlier row's.
        #[arg(long)]
        exact: bool,
        /// Compare normalised text: datatrove's simplify_text (Unicode NFC, lower case, punctuation
        /// removed, digits mapped to 0, accents stripped, white space collapsed).
        #[arg(long)]
        normalize: bool,
        #[command(flatten)]
        fields: FieldArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Run a pipeline described by a config file (the same JSON the page uses).
    Run {
        /// The data file.
        file: PathBuf,
        /// Pipeline config JSON, e.g. {"dedup": {"exact": {"normalize": false}}}.
        #[arg(long)]
        config: PathBuf,
        #[command(flatten)]
        out: OutArgs,
    },
}

#[derive(Args)]
struct FieldArgs {
    /// Field path(s) to compare, e.g. `text`, `instruction`, `messages[*].content`,
    /// `conversations[*].value`, `prompt`, `chosen`. Repeat or separate with commas.
    /// Default: by schema (text: text; alpaca: instruction+input+output; sharegpt:
    /// conversations[*].value; messages: messages[*].content; preference: prompt;
    /// kto: prompt+completion).
    #[arg(long = "field", value_name = "PATH", value_delimiter = ',')]
    fields: Vec<String>,
}

#[derive(Args)]
struct OutArgs {
    /// Output folder (created if missing; files in it are overwritten).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Rows longer than this many bytes are reported, not read into memory.
    #[arg(long, value_name = "BYTES", default_value_t = datasieve::io::DEFAULT_MAX_ROW_BYTES)]
    max_row_bytes: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("datasieve: {message}");
            ExitCode::from(2)
        }
    }
}

type CliResult<T> = Result<T, String>;

fn run(cli: Cli) -> CliResult<ExitCode> {
    match cli.command {
        Command::Inspect { file, json, fields } => {
            let config = PipelineConfig { fields: fields.fields, ..Default::default() };
            let (outcome, _) = analyse(&file, config)?;
            if json {
                println!("{}", outcome.report.to_json_pretty());
            } else {
                print_inspect(&file, &outcome);
            }
            Ok(exit_for(outcome.report.parse_errors.is_empty() && outcome.report.rows_removed == 0))
        }
        Command::Dedup { file, exact, normalize, fields, out } => {
            if !exact {
                return Err("choose a kind of dedup: --exact".into());
            }
            let mut config = PipelineConfig { fields: fields.fields, ..Default::default() };
            config.dedup.exact = Some(ExactConfig { normalize });
            config.input.max_row_bytes = out.max_row_bytes;
            run_job(&file, config, &out.out)
        }
        Command::Run { file, config, out } => {
            let text = std::fs::read_to_string(&config)
                .map_err(|e| format!("cannot read config {}: {e}", config.display()))?;
            let mut config = PipelineConfig::from_json(&text).map_err(|e| format!("{}: {e}", config_name(&config)))?;
            if out.max_row_bytes != datasieve::io::DEFAULT_MAX_ROW_BYTES {
                config.input.max_row_bytes = out.max_row_bytes;
            }
            run_job(&file, config, &out.out)
        }
    }
}

fn config_name(p: &Path) -> String {
    p.display().to_string()
}

fn exit_for(clean: bool) -> ExitCode {
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn open(file: &Path) -> CliResult<(File, u64)> {
    let f = File::open(file).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((f, len))
}

fn progress_bar(len: u64, what: &str) -> ProgressBar {
    // indicatif draws only when stderr is a terminal.
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// Reads `file` in chunks through `each`, with a progress bar.
fn stream(file: &Path, what: &str, mut each: impl FnMut(&[u8]) -> CliResult<()>) -> CliResult<()> {
    let (mut f, len) = open(file)?;
    let bar = progress_bar(len, what);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = f.read(&mut buf).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        if n == 0 {
            break;
        }
        each(&buf[..n])?;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    Ok(())
}

fn analyse(file: &Path, mut config: PipelineConfig) -> CliResult<(Outcome, f64)> {
    config.input.file_name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let started = Instant::now();
    let mut job = Job::new(config).map_err(|e| e.to_string())?;
    let in_file = |e: datasieve::Error| format!("{}: {e}", file.display());
    loop {
        let what = job.pass().name();
        stream(file, what, |chunk| job.push(chunk).map_err(in_file))?;
        if !job.end_pass().map_err(in_file)? {
            break;
        }
    }
    let outcome = job.finish().map_err(in_file)?;
    Ok((outcome, started.elapsed().as_secs_f64() * 1000.0))
}

fn run_job(file: &Path, config: PipelineConfig, out_dir: &Path) -> CliResult<ExitCode> {
    let started = Instant::now();
    let (mut outcome, analyse_ms) = analyse(file, config)?;
    std::fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let split_started = Instant::now();
    let (kept_name, removed_name) = outcome.output_names();
    let mut kept = create(&out_dir.join(kept_name))?;
    let mut removed = create(&out_dir.join(removed_name))?;
    let mut write_error: Option<std::io::Error> = None;
    let mut splitter = outcome.splitter();
    {
        let mut route = |dest: Destination, bytes: &[u8]| {
            let w = match dest {
                Destination::Kept => &mut kept,
                Destination::Removed => &mut removed,
            };
            if let Err(e) = w.write_all(bytes) {
                write_error.get_or_insert(e);
            }
        };
        stream(file, "writing", |chunk| splitter.push(chunk, &mut route).map_err(|e| e.to_string()))?;
        splitter.finish(&mut route).map_err(|e| e.to_string())?;
    }
    if let Some(e) = write_error {
        return Err(format!("cannot write to {}: {e}", out_dir.display()));
    }
    flush(kept, out_dir)?;
    flush(removed, out_dir)?;
    let mut decisions = create(&out_dir.join("decisions.jsonl"))?;
    outcome.write_decisions(&mut decisions).map_err(|e| format!("cannot write decisions.jsonl: {e}"))?;
    flush(decisions, out_dir)?;
    let t = &mut outcome.report.timings_ms;
    t.insert("analyse".into(), analyse_ms);
    t.insert("write_outputs".into(), split_started.elapsed().as_secs_f64() * 1000.0);
    t.insert("total".into(), started.elapsed().as_secs_f64() * 1000.0);
    std::fs::write(out_dir.join("report.json"), outcome.report.to_json_pretty() + "\n")
        .map_err(|e| format!("cannot write report.json: {e}"))?;
    print_summary(&outcome, out_dir);
    Ok(exit_for(outcome.report.rows_removed == 0))
}

fn create(path: &Path) -> CliResult<BufWriter<File>> {
    File::create(path).map(BufWriter::new).map_err(|e| format!("cannot create {}: {e}", path.display()))
}

fn flush(w: BufWriter<File>, dir: &Path) -> CliResult<()> {
    w.into_inner().map(drop).map_err(|e| format!("cannot write to {}: {e}", dir.display()))
}

fn print_summary(outcome: &Outcome, out_dir: &Path) {
    let r = &outcome.report;
    println!("rows in {}  kept {}  removed {}", r.rows_in, r.rows_kept, r.rows_removed);
    for (code, n) in &r.removed_by {
        println!("  {code:<24} {n}");
    }
    for p in r.parse_errors.iter().take(5) {
        println!("  {}", p.message);
    }
    let (k, rm) = outcome.output_names();
    println!("wrote {dir}/{{{k}, {rm}, decisions.jsonl, report.json}}", dir = out_dir.display());
}

fn print_inspect(file: &Path, outcome: &Outcome) {
    let r = &outcome.report;
    println!(
        "{}: {} ({}), {} bytes",
        file.display(),
        r.input.format,
        if r.input.compression == "none" { "uncompressed" } else { r.input.compression },
        r.input.bytes
    );
    if let Some(s) = r.stats.get("schema") {
        let counts: Vec<String> = s["rows_by_schema"]
            .as_object()
            .map(|o| o.iter().map(|(k, v)| format!("{k} {v}")).collect())
            .unwrap_or_default();
        println!("schema: {} ({})", r.input.schema, counts.join(", "));
        if let Some(f) = s["default_fields"].as_array() {
            let f: Vec<&str> = f.iter().filter_map(|v| v.as_str()).collect();
            if !f.is_empty() {
                println!("compared text: {}", f.join(" + "));
            }
        }
    }
    println!("rows: {}  parse errors: {}", r.rows_in, r.removed_by.get("parse_error").copied().unwrap_or(0));
    for p in r.parse_errors.iter().take(5) {
        println!("  {}", p.message);
    }
    let Some(inspect) = r.stats.get("inspect") else { return };
    if let Some(fields) = inspect["fields"].as_object() {
        println!("fields:");
        for (name, f) in fields {
            let types: Vec<String> = f["types"]
                .as_object()
                .map(|o| o.iter().map(|(k, v)| format!("{k} {v}")).collect())
                .unwrap_or_default();
            println!("  {name:<24} present {:<8} null {:<6} {}", f["present"], f["nulls"], types.join(", "));
        }
    }
    for unit in ["chars", "words"] {
        let d = &inspect[unit];
        if d.is_object() {
            println!(
                "text length ({unit}): min {}  p50 {}  p90 {}  max {}",
                d["min"], d["p50"], d["p90"], d["max"]
            );
        }
    }
}
