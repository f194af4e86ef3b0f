//! `datasieve`: the command-line door to the datasieve core.
//!
//! Exit codes: 0 = done, nothing found; 1 = done, findings (rows removed, parse errors);
//! 2 = usage, input or I/O error, including a run that would compare nothing (a `--field` no row
//! has, a config with no step, an eval set with no n-gram). Only in the `--field` case are the
//! outputs written (the rows must be read to know); they are not a clean result.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use datasieve::config::PipelineConfig;
use datasieve::dedup::exact::ExactConfig;
use datasieve::io::Destination;
use datasieve::pipeline::filter::FiltersConfig;
use datasieve::pipeline::{Job, Outcome, Pass};
use indicatif::{ProgressBar, ProgressStyle};

mod parallel;

const CHUNK: usize = 1 << 20;

#[derive(Parser)]
#[command(
    name = "datasieve",
    version,
    about = "Inspect, deduplicate, filter and validate LLM training data, on your machine.",
    long_about = "Inspect, deduplicate, filter and validate LLM training data, on your machine.\n\n\
Reads JSONL, a JSON array, CSV, TSV or plain text (one document per line: a .txt file, or a\n\
file of an extension datasieve does not know whose first lines are not a table; a note says so),\n\
optionally gzip- or zstd-compressed (detected from content).\n\
Every command that changes data writes an output folder (--out DIR) holding:\n  \
kept.<ext>, removed.<ext>  the input rows, byte-identical, split by decision\n  \
decisions.jsonl            one line per input row: row, line, kept, reasons, warnings, cluster, duplicate_of\n  \
report.json                counts by reason, statistics, timings, the config used\n\n\
Exit codes: 0 nothing found, 1 findings (rows removed or unreadable), 2 usage, input or I/O\n\
error, also when a run would compare nothing: a --field no row has (the outputs are still\n\
written), a config that enables no step, an eval set that gives no n-gram."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Threads that compute near-duplicate signatures (uncompressed JSONL of 8 MB or more);
    /// default: one per core. Results are the same for any number.
    #[arg(long, global = true, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    threads: Option<usize>,
    /// Read the file as this format instead of detecting it: jsonl, json, csv, tsv, or text (one
    /// document per line, each the row {"text": line}). Overrides the config's input.format.
    #[arg(long, global = true, value_name = "FORMAT")]
    input_format: Option<String>,
}

/// `--threads`, or one per core; set once in `main` (read where a job's analyse pass runs).
static SIGN_THREADS: OnceLock<usize> = OnceLock::new();
/// `--input-format`, when given; set once in `main`.
static FORCED_FORMAT: OnceLock<Option<datasieve::io::Format>> = OnceLock::new();

#[derive(Subcommand)]
enum Command {
    /// Show what a file holds: format, schema, rows, parse errors, fields, text lengths.
    Inspect {
        /// The data file (.jsonl, .json, .csv, .tsv, .txt, optionally .gz or .zst).
        file: PathBuf,
        /// Print the report as JSON instead of a summary.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        fields: FieldArgs,
    },
    /// Remove exact and near-duplicate rows (MinHash-LSH, datatrove's scheme), one kept per group.
    Dedup {
        /// The data file (.jsonl, .json, .csv, .tsv, .txt, optionally .gz or .zst).
        file: PathBuf,
        /// Exact duplicates: rows whose compared text is identical to an earlier row's.
        #[arg(long)]
        exact: bool,
        /// Compare normalised text: datatrove's simplify_text (Unicode NFD, lower case, punctuation
        /// removed, digits mapped to 0, accents stripped, white space collapsed).
        #[arg(long)]
        normalize: bool,
        /// Near duplicates: MinHash + LSH, datatrove 0.10.1's scheme bit for bit (5-word shingles,
        /// 112 permutations as 14 bands × 8 rows by default).
        #[arg(long)]
        near: bool,
        /// Target Jaccard. Without it the index is datatrove's 14 bands × 8 rows (a candidate
        /// at Jaccard ≈ 0.72 and up). Given, it picks bands × rows for --perms by datasketch's
        /// optimum (so `--threshold 0.8` is not the same as no --threshold), unless
        /// --bands/--rows. Also the cut for --verify (default 0.8).
        #[arg(long, value_name = "J")]
        threshold: Option<f64>,
        /// Words per shingle.
        #[arg(long, value_name = "N", default_value_t = 5)]
        ngram: usize,
        /// Permutations (signature length).
        #[arg(long, value_name = "N", default_value_t = 112)]
        perms: usize,
        /// LSH bands (with --rows; bands × rows ≤ --perms). Default: 14, datatrove's.
        #[arg(long, value_name = "B", requires = "rows")]
        bands: Option<usize>,
        /// Signature values per band (with --bands). Default: 8, datatrove's.
        #[arg(long, value_name = "R", requires = "bands")]
        rows: Option<usize>,
        /// Check each candidate pair's true Jaccard and keep only edges at or above the threshold.
        #[arg(long)]
        verify: bool,
        /// Which row of a cluster survives: first or longest.
        #[arg(long, value_name = "POLICY", default_value = "first")]
        keep: String,
        #[command(flatten)]
        fields: FieldArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Quality-filter rows: datatrove's Gopher, C4 and FineWeb rules, PII, language, lengths.
    #[command(
        after_help = "Rules: gopher_quality, gopher_repetition, c4, fineweb (datatrove 0.10.1 defaults), \
pii, lang=CODE[,CODE...] (e.g. lang=en,de), basic (with --min-words etc.).\n\
Presets: fineweb-style (gopher_quality, gopher_repetition, c4 without the terminal-punctuation line rule, fineweb), \
sft-sanity (length, pii, lang=en judged from 150 letters).\n\
Thresholds: put them in a pipeline config and use `datasieve run --config`, e.g.\n  \
{\"filter\": {\"gopher_quality\": {\"min_doc_words\": 30}, \"lang\": {\"allowed\": [\"en\"], \"min_confidence\": 0.6}}}"
    )]
    Filter {
        /// The data file (.jsonl, .json, .csv, .tsv, .txt, optionally .gz or .zst).
        file: PathBuf,
        /// Comma-separated rules (see below).
        #[arg(long, value_name = "RULES")]
        rules: Option<String>,
        /// A named preset instead of (or before) --rules: fineweb-style, sft-sanity.
        #[arg(long)]
        preset: Option<String>,
        /// PII handling: drop rows (default), or redact them: rows are kept and the kept output
        /// holds the redacted text (JSON and JSONL only: refused for CSV, TSV and text).
        #[arg(long, value_name = "drop|redact")]
        pii_mode: Option<String>,
        /// Write cleaned text for kept rows (C4 line removal, PII redaction) instead of their bytes.
        /// JSON and JSONL only: refused for CSV, TSV and text input, named or detected.
        #[arg(long)]
        rewrite: bool,
        /// Remove rows with fewer words (split on white space) than this (`too_short`).
        #[arg(long)]
        min_words: Option<usize>,
        /// Remove rows with more words than this (`too_long`).
        #[arg(long)]
        max_words: Option<usize>,
        /// Remove rows with fewer characters than this (`too_short`).
        #[arg(long)]
        min_chars: Option<usize>,
        /// Remove rows with more characters than this (`too_long`).
        #[arg(long)]
        max_chars: Option<usize>,
        /// Remove rows matching this regular expression (repeatable).
        #[arg(long, value_name = "REGEX")]
        regex_exclude: Vec<String>,
        /// Keep only rows matching one of these regular expressions (repeatable).
        #[arg(long, value_name = "REGEX")]
        regex_include: Vec<String>,
        /// A file of words (one per line, # comments) whose presence removes a row.
        #[arg(long, value_name = "FILE")]
        blocklist: Option<PathBuf>,
        #[command(flatten)]
        fields: FieldArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Pre-flight check of preference data (DPO, KTO, ...): every row's format and content.
    #[command(
        after_help = "Families (--format): standard_explicit, standard_implicit, conversational_explicit, \
conversational_implicit, h4_hybrid, sharegpt_ranking, alpaca_ranking, named_field_pairs, openai_dpo, kto, \
ranked_list, ab_label. Errors remove a row (exit 1); warnings keep it (exit 1 with --fail-on warning)."
    )]
    Prefs {
        /// The data file (.jsonl, .json, .csv, .tsv, .txt, optionally .gz or .zst).
        file: PathBuf,
        /// The data family, or `auto` to detect it over all rows.
        #[arg(long, default_value = "auto")]
        format: String,
        /// Ranked lists: which rank is best (lower-is-better, higher-is-better).
        #[arg(long, value_name = "DIRECTION")]
        rank_direction: Option<String>,
        /// A/B data: the side the label names (preferred, rejected).
        #[arg(long, value_name = "SIDE")]
        ab_label_side: Option<String>,
        /// Score scale, e.g. 1:10 (scores outside are reported).
        #[arg(long, value_name = "MIN:MAX")]
        score_scale: Option<String>,
        /// Role-tag mapping, e.g. --role-tag human=user --role-tag gpt=assistant (repeatable).
        #[arg(long, value_name = "TAG=ROLE")]
        role_tag: Vec<String>,
        /// Trainer max length in tokens: flags truncated pairs and pairs identical after truncation.
        #[arg(long, value_name = "N")]
        max_length: Option<u64>,
        /// Trainer max prompt length in tokens.
        #[arg(long, value_name = "M")]
        max_prompt_length: Option<u64>,
        /// A Hugging Face tokenizer.json for exact token counts (else an estimate, stated in the report).
        #[arg(long, value_name = "FILE")]
        tokenizer: Option<PathBuf>,
        /// Also write the kept rows in TRL's form: trl (message lists) or trl-standard (strings).
        #[arg(long, value_name = "FORM")]
        export: Option<String>,
        /// What makes the exit code 1: error (default) or warning.
        #[arg(long, value_name = "LEVEL", default_value = "error")]
        fail_on: String,
        /// Evaluation sets: pairs sharing a 13-gram with one get the `contamination` warning.
        #[arg(long, value_name = "EVAL")]
        against: Vec<PathBuf>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Flag rows sharing word n-grams (after normalisation) with evaluation sets.
    Contamination {
        /// The training data file.
        file: PathBuf,
        /// An evaluation set (any supported format; repeat for several).
        #[arg(long, value_name = "EVAL", required = true)]
        against: Vec<PathBuf>,
        /// Words per n-gram.
        #[arg(long, value_name = "N", default_value_t = 13)]
        ngram: usize,
        /// Shared n-grams with one eval row needed to flag a row.
        #[arg(long, value_name = "K", default_value_t = 1)]
        min_overlap: u32,
        #[command(flatten)]
        fields: FieldArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Run a pipeline described by a config file (the same JSON the page uses).
    Run {
        /// The data file.
        file: PathBuf,
        /// Pipeline config: a JSON file (e.g. www/presets/fineweb-style.json), or the JSON itself,
        /// e.g. '{"dedup": {"exact": {"normalize": false}}}'. It must enable a step (dedup.exact,
        /// dedup.near, filter with a rule, prefs, contamination): '{}' is refused (exit 2).
        #[arg(long, value_name = "FILE|JSON")]
        config: PathBuf,
        /// Evaluation sets for the config's `contamination` check (repeatable).
        #[arg(long, value_name = "EVAL")]
        against: Vec<PathBuf>,
        #[command(flatten)]
        out: OutArgs,
    },
}

#[derive(Args)]
struct FieldArgs {
    /// Field path(s) to compare, e.g. `text`, `instruction`, `messages[*].content`,
    /// `conversations[*].value`, `prompt`, `chosen`; list items picked by a field:
    /// `messages[role=user].content`, `conversations[from!=system].value`. Repeat or separate
    /// with commas. Default: by schema, system prompts left out (text: text; alpaca:
    /// instruction+input+output; sharegpt: conversations[from!=system].value; messages:
    /// messages[role!=system].content; preference: the prompt (prompt, or OpenAI's
    /// input.messages[role!=system].content), else both answers (chosen+rejected);
    /// kto: prompt+completion). Rows without text there are kept unchecked, with a note; when
    /// no row has text at the named --field(s) (a typo?), the run exits 2 naming the fields the
    /// rows have (the outputs are still written).
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
    // Die quietly when stdout is a closed pipe (`datasieve inspect F | head -1`), as command-line
    // tools do, instead of panicking in `println!`.
    #[cfg(unix)]
    // SAFETY: restoring the default action of a signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let threads = cli.threads.unwrap_or_else(parallel::default_threads);
    SIGN_THREADS.set(threads).expect("set once");
    let format = match cli
        .input_format
        .as_deref()
        .map(|f| named("--input-format", f))
        .transpose()
    {
        Ok(format) => format,
        Err(e) => {
            eprintln!("datasieve: {e}");
            return ExitCode::from(2);
        }
    };
    FORCED_FORMAT.set(format).expect("set once");
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
            let config_fields = fields.fields.clone();
            let config = PipelineConfig {
                fields: fields.fields,
                ..Default::default()
            };
            let (outcome, _) = analyse(&file, config)?;
            if json {
                println!("{}", outcome.report.to_json_pretty());
            } else {
                print_inspect(&file, &outcome, &config_fields);
            }
            Ok(exit_for(
                outcome.report.parse_errors.is_empty() && outcome.report.rows_removed == 0,
            ))
        }
        Command::Dedup {
            file,
            exact,
            normalize,
            near,
            threshold,
            ngram,
            perms,
            bands,
            rows,
            verify,
            keep,
            fields,
            out,
        } => {
            if !exact && !near {
                return Err("choose a kind of dedup: --exact, --near, or both".into());
            }
            let keep = named("--keep", &keep)?;
            let defaults = datasieve::pipeline::near::NearConfig::default();
            let near_only = [
                ("--threshold", threshold.is_some()),
                ("--verify", verify),
                ("--keep", keep != defaults.keep),
                ("--ngram", ngram != defaults.ngram),
                ("--perms", perms != defaults.perms),
                ("--bands/--rows", bands.is_some()),
            ];
            if let (false, Some((flag, _))) = (near, near_only.iter().find(|(_, set)| *set)) {
                return Err(format!(
                    "{flag} applies to --near (near duplicates), not to --exact"
                ));
            }
            let mut config = PipelineConfig {
                fields: fields.fields,
                ..Default::default()
            };
            if exact {
                config.dedup.exact = Some(ExactConfig { normalize });
            }
            if near {
                config.dedup.near = Some(datasieve::pipeline::near::NearConfig {
                    threshold,
                    ngram,
                    perms,
                    bands,
                    rows,
                    verify,
                    keep,
                });
            }
            config.input.max_row_bytes = out.max_row_bytes;
            run_job(&file, config, &out.out)
        }
        Command::Filter {
            file,
            rules,
            preset,
            pii_mode,
            rewrite,
            min_words,
            max_words,
            min_chars,
            max_chars,
            regex_exclude,
            regex_include,
            blocklist,
            fields,
            out,
        } => {
            let mut filter = match preset.as_deref() {
                None => FiltersConfig::default(),
                Some("fineweb-style") => FiltersConfig::fineweb_style(),
                Some("sft-sanity") => FiltersConfig::sft_sanity(),
                Some(other) => {
                    return Err(format!(
                        "unknown preset `{other}`: fineweb-style, sft-sanity"
                    ))
                }
            };
            if let Some(rules) = &rules {
                apply_rules(&mut filter, rules)?;
            }
            let basic_given = min_words.is_some()
                || max_words.is_some()
                || min_chars.is_some()
                || max_chars.is_some()
                || !regex_exclude.is_empty()
                || !regex_include.is_empty()
                || blocklist.is_some();
            if basic_given {
                let b = filter.basic.get_or_insert_with(Default::default);
                b.min_words = min_words.or(b.min_words);
                b.max_words = max_words.or(b.max_words);
                b.min_chars = min_chars.or(b.min_chars);
                b.max_chars = max_chars.or(b.max_chars);
                b.regex_exclude.extend(regex_exclude);
                b.regex_include.extend(regex_include);
                if let Some(path) = blocklist {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read blocklist {}: {e}", path.display()))?;
                    b.blocklist
                        .extend(datasieve::filter::basic::parse_blocklist(&text));
                }
            }
            if let Some(mode) = pii_mode {
                let p = filter.pii.get_or_insert_with(Default::default);
                p.mode = match mode.as_str() {
                    "drop" => datasieve::filter::pii::PiiMode::Drop,
                    "redact" => datasieve::filter::pii::PiiMode::Redact,
                    other => return Err(format!("--pii-mode is drop or redact, not `{other}`")),
                };
            }
            filter.rewrite = rewrite;
            if !filter.has_rules() {
                return Err("choose rules: --rules gopher_quality,c4,... or --preset fineweb-style (see --help)".into());
            }
            let mut config = PipelineConfig {
                fields: fields.fields,
                filter: Some(filter),
                ..Default::default()
            };
            config.input.max_row_bytes = out.max_row_bytes;
            run_job(&file, config, &out.out)
        }
        Command::Prefs {
            file,
            format,
            rank_direction,
            ab_label_side,
            score_scale,
            role_tag,
            max_length,
            max_prompt_length,
            tokenizer,
            export,
            fail_on,
            against,
            out,
        } => {
            let mut prefs = datasieve::prefs::PrefsConfig {
                format: named("--format", &format)?,
                max_length,
                max_prompt_length,
                ..Default::default()
            };
            if let Some(d) = rank_direction {
                prefs.rank_direction = named("--rank-direction", &d.replace('-', "_"))?;
            }
            if let Some(side) = ab_label_side {
                prefs.ab_label_side = named("--ab-label-side", &side)?;
            }
            if let Some(scale) = score_scale {
                let (lo, hi) = scale
                    .split_once(':')
                    .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                    .ok_or_else(|| format!("--score-scale is MIN:MAX, e.g. 1:10, not `{scale}`"))?;
                prefs.score_scale = Some(datasieve::prefs::ScoreScale { min: lo, max: hi });
            }
            for tag in role_tag {
                let (t, role) = tag
                    .split_once('=')
                    .ok_or_else(|| format!("--role-tag is TAG=ROLE, not `{tag}`"))?;
                prefs
                    .role_tags
                    .insert(t.to_string(), named("--role-tag", role)?);
            }
            let fail_on_warning = match fail_on.as_str() {
                "error" => false,
                "warning" => true,
                other => return Err(format!("--fail-on is error or warning, not `{other}`")),
            };
            let mut config = PipelineConfig {
                prefs: Some(prefs),
                ..Default::default()
            };
            if !against.is_empty() {
                config.contamination = Some(Default::default());
            }
            config.export = export.map(|e| named("--export", &e)).transpose()?;
            config.input.max_row_bytes = out.max_row_bytes;
            let tokenizer = tokenizer
                .map(|p| std::fs::read(&p).map(|b| (b, p.display().to_string())))
                .transpose()
                .map_err(|e| format!("cannot read the tokenizer: {e}"))?;
            let outcome = run_job_full(&file, config, &out.out, tokenizer, &against)?;
            let findings = outcome.report.rows_removed > 0
                || (fail_on_warning && !outcome.report.warned_by.is_empty());
            Ok(job_exit(&file, &outcome, !findings))
        }
        Command::Contamination {
            file,
            against,
            ngram,
            min_overlap,
            fields,
            out,
        } => {
            let mut config = PipelineConfig {
                fields: fields.fields,
                ..Default::default()
            };
            config.contamination =
                Some(datasieve::config::ContaminationConfig { ngram, min_overlap });
            config.input.max_row_bytes = out.max_row_bytes;
            let outcome = run_job_full(&file, config, &out.out, None, &against)?;
            Ok(job_exit(&file, &outcome, outcome.report.rows_removed == 0))
        }
        Command::Run {
            file,
            config,
            against,
            out,
        } => {
            let text = match inline_config(&config) {
                Some(json) => json.to_string(),
                None => std::fs::read_to_string(&config)
                    .map_err(|e| format!("cannot read config {}: {e}", config.display()))?,
            };
            let mut job_config = PipelineConfig::from_json(&text)
                .map_err(|e| format!("{}: {e}", config_name(&config)))?;
            if !against.is_empty() && job_config.contamination.is_none() {
                job_config.contamination = Some(Default::default());
            }
            // Before the input is read: a config with no step would compare nothing.
            job_config
                .require_a_step()
                .map_err(|e| format!("{}: {e}", config_name(&config)))?;
            if out.max_row_bytes != datasieve::io::DEFAULT_MAX_ROW_BYTES {
                job_config.input.max_row_bytes = out.max_row_bytes;
            }
            let outcome = run_job_full(&file, job_config, &out.out, None, &against)?;
            Ok(job_exit(&file, &outcome, outcome.report.rows_removed == 0))
        }
    }
}

/// `gopher_quality,c4,pii,lang=en,de` → the filter config (a bare two- or three-letter code after
/// `lang=` continues the language list).
fn apply_rules(filter: &mut FiltersConfig, rules: &str) -> CliResult<()> {
    let mut in_lang = false;
    for token in rules.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let (name, value) = match token.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (token, None),
        };
        match (name, value) {
            ("gopher_quality", None) => filter.gopher_quality = Some(Default::default()),
            ("gopher_repetition", None) => filter.gopher_repetition = Some(Default::default()),
            ("c4", None) => filter.c4 = Some(Default::default()),
            ("fineweb", None) => filter.fineweb = Some(Default::default()),
            ("pii", None) => {
                filter.pii.get_or_insert_with(Default::default);
            }
            ("basic", None) => {
                filter.basic.get_or_insert_with(Default::default);
            }
            ("lang", value) => {
                let l = filter.lang.get_or_insert_with(Default::default);
                if let Some(code) = value {
                    l.allowed.push(code.to_string());
                }
                in_lang = true;
                continue;
            }
            (code, None) if in_lang && (2..=3).contains(&code.len()) && code.chars().all(|c| c.is_ascii_lowercase()) => {
                filter.lang.as_mut().expect("lang seen").allowed.push(code.to_string());
                continue;
            }
            _ => {
                return Err(format!(
                    "unknown rule `{token}`: gopher_quality, gopher_repetition, c4, fineweb, pii, lang=CODE, basic"
                ))
            }
        }
        in_lang = false;
    }
    Ok(())
}

/// Reads a setting spelled as in the config JSON (`auto`, `sharegpt_ranking`, `trl-standard`).
fn named<T: serde::de::DeserializeOwned>(flag: &str, value: &str) -> CliResult<T> {
    serde_json::from_value(serde_json::Value::String(value.to_string()))
        .map_err(|_| format!("{flag}: `{value}` is not a known value (see --help)"))
}

/// `--config` given as the JSON itself rather than a file name.
fn inline_config(p: &Path) -> Option<&str> {
    p.to_str().filter(|c| c.trim_start().starts_with('{'))
}

fn config_name(p: &Path) -> String {
    match inline_config(p) {
        Some(_) => "--config".to_string(),
        None => p.display().to_string(),
    }
}

/// A job's exit code, once its outputs are written: 2 when it compared nothing because no row
/// has text at the compared fields (the named `--field`s, or the schema has no default text
/// field; said on stderr, naming the file, the fields and the fields the rows have), else
/// [`exit_for`].
fn job_exit(file: &Path, outcome: &Outcome, clean: bool) -> ExitCode {
    match outcome.compared_nothing() {
        Some(message) => {
            eprintln!("datasieve: {}: {message}", file.display());
            ExitCode::from(2)
        }
        None => exit_for(clean),
    }
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
        ProgressStyle::with_template(
            "{msg:>9} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
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
        let n = f
            .read(&mut buf)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        if n == 0 {
            break;
        }
        each(&buf[..n])?;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    Ok(())
}

fn analyse(file: &Path, config: PipelineConfig) -> CliResult<(Outcome, f64)> {
    analyse_full(file, config, None, &[])
}

fn analyse_full(
    file: &Path,
    mut config: PipelineConfig,
    tokenizer: Option<(Vec<u8>, String)>,
    evals: &[(String, Vec<u8>)],
) -> CliResult<(Outcome, f64)> {
    if !evals.is_empty() && config.contamination.is_none() {
        config.contamination = Some(Default::default());
    }
    config.input.file_name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    if let Some(format) = FORCED_FORMAT.get().copied().flatten() {
        config.input.format = Some(format);
    }
    let started = Instant::now();
    let threads = SIGN_THREADS.get().copied().unwrap_or(1);
    let plan = parallel::plan(file, &config, threads)?;
    let signer_config = plan.as_ref().map(|_| config.clone());
    let mut job = Job::new(config).map_err(|e| e.to_string())?;
    if let Some((json, name)) = tokenizer {
        job.set_tokenizer_json(&json, &name)
            .map_err(|e| e.to_string())?;
    }
    for (name, bytes) in evals {
        job.add_eval_set(name, bytes).map_err(|e| e.to_string())?;
    }
    let in_file = |e: datasieve::Error| format!("{}: {e}", file.display());
    let mut parallel = plan.zip(signer_config);
    let mut sign_threads = 0;
    loop {
        match (job.pass(), parallel.take()) {
            (Pass::Analyse, Some((parallel::Plan::Ranges(ranges), config))) => {
                sign_threads =
                    parallel::analyse_pass(file, &mut job, &config, &ranges, threads, in_file)?;
            }
            (Pass::Analyse, Some((parallel::Plan::Stream(compression), config))) => {
                sign_threads = parallel::analyse_stream_pass(
                    file,
                    &mut job,
                    &config,
                    compression,
                    threads,
                    in_file,
                )?;
            }
            _ => stream(file, job.pass().name(), |chunk| {
                job.push(chunk).map_err(in_file)
            })?,
        }
        if !job.end_pass().map_err(in_file)? {
            break;
        }
    }
    let mut outcome = job.finish().map_err(in_file)?;
    if sign_threads > 0 {
        // The same key as the page's sign workers.
        outcome
            .report
            .timings_ms
            .insert("sign_workers".into(), sign_threads as f64);
    }
    Ok((outcome, started.elapsed().as_secs_f64() * 1000.0))
}

fn run_job(file: &Path, config: PipelineConfig, out_dir: &Path) -> CliResult<ExitCode> {
    let outcome = run_job_full(file, config, out_dir, None, &[])?;
    Ok(job_exit(file, &outcome, outcome.report.rows_removed == 0))
}

fn run_job_full(
    file: &Path,
    config: PipelineConfig,
    out_dir: &Path,
    tokenizer: Option<(Vec<u8>, String)>,
    against: &[PathBuf],
) -> CliResult<Outcome> {
    let started = Instant::now();
    let mut evals = Vec::new();
    for path in against {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("cannot read eval set {}: {e}", path.display()))?;
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        evals.push((name, bytes));
    }
    let (mut outcome, analyse_ms) = analyse_full(file, config, tokenizer, &evals)?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let split_started = Instant::now();
    let (kept_name, removed_name) = outcome.output_names();
    let mut outputs = vec![kept_name.clone(), removed_name.clone()];
    outputs.extend(outcome.export_name().map(str::to_string));
    outputs.extend(["decisions.jsonl".to_string(), "report.json".to_string()]);
    refuse_to_overwrite_inputs(
        out_dir,
        &outputs,
        std::iter::once(file).chain(against.iter().map(PathBuf::as_path)),
    )?;
    let mut kept = create(&out_dir.join(kept_name))?;
    let mut removed = create(&out_dir.join(removed_name))?;
    let mut export = outcome
        .export_name()
        .map(|n| create(&out_dir.join(n)))
        .transpose()?;
    let mut write_error: Option<std::io::Error> = None;
    let mut splitter = outcome.splitter();
    {
        let mut route = |dest: Destination, bytes: &[u8]| {
            let w = match dest {
                Destination::Kept => &mut kept,
                Destination::Removed => &mut removed,
                Destination::Export => match export.as_mut() {
                    Some(w) => w,
                    None => return,
                },
            };
            if let Err(e) = w.write_all(bytes) {
                write_error.get_or_insert(e);
            }
        };
        stream(file, "writing", |chunk| {
            splitter.push(chunk, &mut route).map_err(|e| e.to_string())
        })?;
        splitter.finish(&mut route).map_err(|e| e.to_string())?;
    }
    if let Some(e) = write_error {
        return Err(format!("cannot write to {}: {e}", out_dir.display()));
    }
    flush(kept, out_dir)?;
    flush(removed, out_dir)?;
    if let Some(w) = export {
        flush(w, out_dir)?;
    }
    let mut decisions = create(&out_dir.join("decisions.jsonl"))?;
    outcome
        .write_decisions(&mut decisions)
        .map_err(|e| format!("cannot write decisions.jsonl: {e}"))?;
    flush(decisions, out_dir)?;
    let t = &mut outcome.report.timings_ms;
    t.insert("analyse".into(), analyse_ms);
    t.insert(
        "write_outputs".into(),
        split_started.elapsed().as_secs_f64() * 1000.0,
    );
    t.insert("total".into(), started.elapsed().as_secs_f64() * 1000.0);
    std::fs::write(
        out_dir.join("report.json"),
        outcome.report.to_json_pretty() + "\n",
    )
    .map_err(|e| format!("cannot write report.json: {e}"))?;
    print_summary(&outcome, out_dir);
    note_stale_outputs(out_dir, &outputs);
    Ok(outcome)
}

/// Outputs of another format (or an export) left in `out_dir` by an earlier run, e.g. `kept.csv`
/// beside this run's `kept.jsonl`: named on stderr, so that nobody takes them for this run's.
/// Not deleted: they may be all that is left of that run.
fn note_stale_outputs(out_dir: &Path, written: &[String]) {
    let extensions = ["jsonl", "json", "csv", "tsv", "txt"];
    let candidates = extensions
        .iter()
        .flat_map(|ext| [format!("kept.{ext}"), format!("removed.{ext}")])
        .chain(
            [
                datasieve::pipeline::prefs::ExportForm::Trl,
                datasieve::pipeline::prefs::ExportForm::TrlStandard,
            ]
            .iter()
            .map(|f| f.file_name().to_string()),
        );
    let stale: Vec<String> = candidates
        .filter(|name| !written.contains(name) && out_dir.join(name).is_file())
        .collect();
    if !stale.is_empty() {
        eprintln!(
            "note: {} in {} {} not written by this run (an earlier run's output)",
            stale.join(", "),
            out_dir.display(),
            if stale.len() == 1 { "was" } else { "were" }
        );
    }
}

/// An output that is one of the job's inputs would be emptied before it is read (e.g. chaining
/// `dedup out/kept.jsonl --out out/`): refuse, naming the file, before anything is written.
fn refuse_to_overwrite_inputs<'a>(
    out_dir: &Path,
    outputs: &[String],
    inputs: impl Iterator<Item = &'a Path>,
) -> CliResult<()> {
    let inputs: Vec<PathBuf> = inputs.filter_map(|p| p.canonicalize().ok()).collect();
    for name in outputs {
        let path = out_dir.join(name);
        if let Ok(canonical) = path.canonicalize() {
            if inputs.contains(&canonical) {
                return Err(format!(
                    "{} is an input of this job and would be overwritten by its {name}: choose \
                     another --out folder",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

fn create(path: &Path) -> CliResult<BufWriter<File>> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

fn flush(w: BufWriter<File>, dir: &Path) -> CliResult<()> {
    w.into_inner()
        .map(drop)
        .map_err(|e| format!("cannot write to {}: {e}", dir.display()))
}

fn print_summary(outcome: &Outcome, out_dir: &Path) {
    let r = &outcome.report;
    println!(
        "rows in {}  kept {}  removed {}",
        r.rows_in, r.rows_kept, r.rows_removed
    );
    for (code, n) in &r.removed_by {
        println!("  {code:<24} {n}");
    }
    if !r.warned_by.is_empty() {
        println!("warnings (rows kept)");
        for (code, n) in &r.warned_by {
            println!("  {code:<24} {n}");
        }
    }
    for p in r.parse_errors.iter().take(5) {
        println!("  {}", p.message);
    }
    // Comparing nothing is an error ([`job_exit`]), not a note.
    let error = outcome.compared_nothing();
    for notice in r.notices.iter().filter(|n| Some(n.as_str()) != error) {
        eprintln!("note: {notice}");
    }
    let (k, rm) = outcome.output_names();
    let export = outcome
        .export_name()
        .map(|n| format!(", {n}"))
        .unwrap_or_default();
    let dir = out_dir.display().to_string();
    // `--out out/` should not print `out//`.
    let dir = match dir.trim_end_matches(std::path::MAIN_SEPARATOR) {
        "" => dir.as_str(),
        trimmed => trimmed,
    };
    println!("wrote {dir}/{{{k}, {rm}{export}, decisions.jsonl, report.json}}");
}

/// `fields`: the `--field` paths, which replace the schema's default compared text.
fn print_inspect(file: &Path, outcome: &Outcome, fields: &[String]) {
    let r = &outcome.report;
    println!(
        "{}: {} ({}), {} bytes",
        file.display(),
        r.input.format,
        if r.input.compression == "none" {
            "uncompressed"
        } else {
            r.input.compression
        },
        r.input.bytes
    );
    if let Some(s) = r.stats.get("schema") {
        let counts: Vec<String> = s["rows_by_schema"]
            .as_object()
            .map(|o| o.iter().map(|(k, v)| format!("{k} {v}")).collect())
            .unwrap_or_default();
        println!("schema: {} ({})", r.input.schema, counts.join(", "));
        if !fields.is_empty() {
            println!("compared text: {} (--field)", fields.join(" + "));
        } else if let Some(f) = s["default_fields"].as_array() {
            let f: Vec<&str> = f.iter().filter_map(|v| v.as_str()).collect();
            if !f.is_empty() {
                println!("compared text: {} (the schema's default)", f.join(" + "));
            }
        }
    }
    println!(
        "rows: {}  parse errors: {}",
        r.rows_in,
        r.removed_by.get("parse_error").copied().unwrap_or(0)
    );
    for p in r.parse_errors.iter().take(5) {
        println!("  {}", p.message);
    }
    for notice in &r.notices {
        eprintln!("note: {notice}");
    }
    let Some(inspect) = r.stats.get("inspect") else {
        return;
    };
    if let Some(fields) = inspect["fields"].as_object() {
        println!("fields:");
        for (name, f) in fields {
            let types: Vec<String> = f["types"]
                .as_object()
                .map(|o| o.iter().map(|(k, v)| format!("{k} {v}")).collect())
                .unwrap_or_default();
            println!(
                "  {name:<24} present {:<8} null {:<6} {}",
                f["present"],
                f["nulls"],
                types.join(", ")
            );
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
