//! Near-duplicate signing on several threads, the CLI's counterpart of the page's sign workers.
//!
//! The analyse pass of a near-dedup job over an uncompressed JSONL file is split into byte ranges
//! cut just after a newline. Sign threads each run a [`RangeSigner`] over their ranges (reading
//! the file themselves) and send back every row's band keys; this thread keeps the one job: it
//! supplies range k's keys ([`Job::supply_band_keys`]) and then pushes range k's bytes, in order.
//! The job then only indexes, so its decisions are exactly those of a single-threaded run.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc;

use datasieve::config::PipelineConfig;
use datasieve::io::SNIFF_BYTES;
use datasieve::pipeline::near::{parallel_signing_applies, RangeSigner, SignedRows};
use datasieve::pipeline::Job;

use crate::{open, progress_bar, CliResult, CHUNK};

/// Below this, starting threads costs more than it saves.
const PARALLEL_MIN_BYTES: u64 = 8 << 20;
/// Several ranges per thread, so the job starts indexing soon and signing and indexing overlap.
const RANGES_PER_THREAD: usize = 4;

/// Sign threads when `--threads` is not given: one per core the process may use.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The byte ranges `[start, end)` to sign in parallel, or `None` when the job is for one thread:
/// fewer than two threads, no near dedup, a small file, or not uncompressed JSONL
/// ([`parallel_signing_applies`], which the page's worker asks too).
pub fn plan(
    file: &Path,
    config: &PipelineConfig,
    threads: usize,
) -> CliResult<Option<Vec<(u64, u64)>>> {
    if threads < 2 || config.dedup.near.is_none() {
        return Ok(None);
    }
    let (mut f, len) = open(file)?;
    if len < PARALLEL_MIN_BYTES {
        return Ok(None);
    }
    let read_err = |e: std::io::Error| format!("cannot read {}: {e}", file.display());
    // The core decides, from the head the job's reader detects the format from.
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut f)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(read_err)?;
    if !parallel_signing_applies(config, &head) {
        return Ok(None);
    }
    let pieces = threads * RANGES_PER_THREAD;
    let mut cuts = vec![0u64];
    let mut probe = vec![0u8; 64 * 1024];
    for k in 1..pieces {
        let mut from = (len * k as u64 / pieces as u64).max(*cuts.last().expect("a cut"));
        // The cut goes just after the next newline: a row never spans two ranges.
        let mut cut = len;
        f.seek(SeekFrom::Start(from)).map_err(read_err)?;
        while from < len {
            let n = f.read(&mut probe).map_err(read_err)?;
            if n == 0 {
                break;
            }
            if let Some(nl) = probe[..n].iter().position(|&b| b == b'\n') {
                cut = from + nl as u64 + 1;
                break;
            }
            from += n as u64;
        }
        if cut > *cuts.last().expect("a cut") && cut < len {
            cuts.push(cut);
        }
    }
    cuts.push(len);
    let ranges: Vec<(u64, u64)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    Ok((ranges.len() >= 2).then_some(ranges))
}

/// Calls `each` with the bytes of `file[start..end)`, in pieces of at most [`CHUNK`] bytes.
fn read_range(
    file: &Path,
    (start, end): (u64, u64),
    mut each: impl FnMut(&[u8]) -> CliResult<()>,
) -> CliResult<()> {
    let (mut f, _) = open(file)?;
    let read_err = |e: std::io::Error| format!("cannot read {}: {e}", file.display());
    f.seek(SeekFrom::Start(start)).map_err(read_err)?;
    let mut range = f.take(end - start);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = range.read(&mut buf).map_err(read_err)?;
        if n == 0 {
            return Ok(());
        }
        each(&buf[..n])?;
    }
}

/// The band keys of the rows in `file[start..end)`.
fn sign_range(file: &Path, config: &PipelineConfig, range: (u64, u64)) -> CliResult<SignedRows> {
    let mut signer = RangeSigner::new(config).map_err(|e| e.to_string())?;
    read_range(file, range, |chunk| {
        signer.push(chunk).map_err(|e| e.to_string())
    })?;
    signer.finish().map_err(|e| e.to_string())
}

/// Runs the job's analyse pass over `ranges` (as from [`plan`]) with `threads` sign threads.
/// Returns the number of threads that signed (0 if signing failed at the first range: then the
/// job hashed every row itself; a failure later leaves the rest to the job the same way, so the
/// job's own reader reports any bad row with its true line number).
pub fn analyse_pass(
    file: &Path,
    job: &mut Job,
    config: &PipelineConfig,
    ranges: &[(u64, u64)],
    threads: usize,
    in_file: impl Fn(datasieve::Error) -> String,
) -> CliResult<usize> {
    let threads = threads.min(ranges.len());
    let total = ranges.last().map_or(0, |r| r.1);
    let bar = progress_bar(total, "analyse");
    let outcome = std::thread::scope(|scope| -> CliResult<usize> {
        let (tx, rx) = mpsc::channel::<(usize, CliResult<SignedRows>)>();
        for t in 0..threads {
            let tx = tx.clone();
            scope.spawn(move || {
                for k in (t..ranges.len()).step_by(threads) {
                    if tx.send((k, sign_range(file, config, ranges[k]))).is_err() {
                        return; // the job stopped waiting
                    }
                }
            });
        }
        drop(tx);
        let mut rx = Some(rx); // dropped when signing is abandoned: the threads then stop early
        let mut arrived: BTreeMap<usize, CliResult<SignedRows>> = BTreeMap::new();
        let mut supplying = true;
        let mut used = threads;
        let mut first_row = 0u64;
        for (k, &range) in ranges.iter().enumerate() {
            if supplying {
                let signed = loop {
                    if let Some(result) = arrived.remove(&k) {
                        break result;
                    }
                    match rx.as_ref().expect("still signing").recv() {
                        Ok((i, result)) => {
                            arrived.insert(i, result);
                        }
                        Err(_) => break Err("the sign threads stopped".into()),
                    }
                };
                match signed {
                    Ok(signed) => {
                        job.supply_band_keys(first_row, signed.rows, &signed.signed, &signed.keys)
                            .map_err(&in_file)?;
                        first_row += u64::from(signed.rows);
                    }
                    Err(_) => {
                        // Later ranges' first rows are unknown without this range's count: the
                        // job hashes the rest itself (slower, same result).
                        supplying = false;
                        rx = None;
                        if k == 0 {
                            used = 0;
                        }
                    }
                }
            }
            read_range(file, range, |chunk| {
                job.push(chunk).map_err(&in_file)?;
                bar.inc(chunk.len() as u64);
                Ok(())
            })?;
        }
        Ok(used)
    });
    bar.finish_and_clear();
    outcome
}
