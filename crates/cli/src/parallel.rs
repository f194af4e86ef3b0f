//! Near-duplicate signing on several threads, the CLI's counterpart of the page's sign workers.
//!
//! The analyse pass of a near-dedup job over an uncompressed JSONL file is split into byte ranges
//! cut just after a newline. Sign threads each run a [`RangeSigner`] over their ranges (reading
//! the file themselves) and send back every row's band keys; this thread keeps the one job: it
//! supplies range k's keys ([`Job::supply_band_keys`]) and then pushes range k's bytes, in order.
//! The job then only indexes, so its decisions are exactly those of a single-threaded run.
//!
//! A gzip or zstd file is one stream, so it cannot be cut by seeking: one more thread
//! decompresses it (as the job's reader does) and cuts the plain bytes into ranges for the sign
//! threads, while the job reads the compressed file itself; range k's keys are supplied as they
//! come, in order, and the job is held back so that it does not run past them (rows it reaches
//! first it hashes itself: the same keys, so the same decisions, only slower).

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use datasieve::config::PipelineConfig;
use datasieve::io::{compression_of, Compression, PROBE_BYTES};
use datasieve::pipeline::near::{
    parallel_signing_applies, parallel_signing_pays_off, signing_range_cutter,
    signing_range_planner, RangeSigner, SignedRows, COMPRESSED_HEAD_BYTES,
};
use datasieve::pipeline::Job;

use crate::{open, progress_bar, CliResult, CHUNK};

/// How the analyse pass is signed on several threads.
pub enum Plan {
    /// Byte ranges `[start, end)` of an uncompressed file, each read by its sign thread.
    Ranges(Vec<(u64, u64)>),
    /// A compressed file: decompressed once more on a thread of its own, for the signers.
    Stream(Compression),
}

/// Sign threads when `--threads` is not given: one per core the process may use.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The byte ranges `[start, end)` to sign in parallel, or `None` when the job is for one thread:
/// fewer than two threads, no near dedup, a small file, or not uncompressed JSONL
/// ([`parallel_signing_applies`], which the page's worker asks too).
pub fn plan(file: &Path, config: &PipelineConfig, threads: usize) -> CliResult<Option<Plan>> {
    if threads < 2 || config.dedup.near.is_none() {
        return Ok(None);
    }
    let (mut f, len) = open(file)?;
    let read_err = |e: std::io::Error| format!("cannot read {}: {e}", file.display());
    // The core decides, from the head the job's reader detects the format from (a compressed
    // head is decompressed there).
    let mut head = Vec::with_capacity(COMPRESSED_HEAD_BYTES);
    (&mut f)
        .take(COMPRESSED_HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(read_err)?;
    let compression = compression_of(&head);
    if !parallel_signing_pays_off(len, compression) || !parallel_signing_applies(config, &head) {
        return Ok(None);
    }
    if compression != Compression::None {
        return Ok(Some(Plan::Stream(compression)));
    }
    let mut planner = signing_range_planner(len, threads);
    let mut probe = vec![0u8; PROBE_BYTES];
    while let Some(at) = planner.wanted() {
        f.seek(SeekFrom::Start(at)).map_err(read_err)?;
        let n = f.read(&mut probe).map_err(read_err)?;
        planner.feed(&probe[..n]);
    }
    let ranges = planner.ranges();
    Ok((ranges.len() >= 2).then_some(Plan::Ranges(ranges)))
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

/// Runs the job's analyse pass over a compressed `file` (a [`Plan::Stream`]) with `threads` sign
/// threads and one decompressing thread. Returns the number of sign threads (0 if no range was
/// signed: the job hashed every row itself).
pub fn analyse_stream_pass(
    file: &Path,
    job: &mut Job,
    config: &PipelineConfig,
    compression: Compression,
    threads: usize,
    in_file: impl Fn(datasieve::Error) -> String,
) -> CliResult<usize> {
    let (_, len) = open(file)?;
    let bar = progress_bar(len, "analyse");
    // Set once the job no longer needs keys: the helper threads stop at their next step.
    let stop = AtomicBool::new(false);
    let outcome = std::thread::scope(|scope| -> CliResult<usize> {
        let stop = &stop;
        // Plain ranges, a few per sign thread in flight at most (bounded memory). The sign
        // threads own the receiving end: when they have all stopped, the cutter's next send
        // fails and it stops too.
        let (range_tx, range_rx) = mpsc::sync_channel::<(usize, Vec<u8>)>(threads * 2);
        let (done_tx, done_rx) = mpsc::channel::<(usize, CliResult<SignedRows>)>();
        let max_row_bytes = config.input.max_row_bytes;
        scope.spawn(move || cut_plain_ranges(file, compression, max_row_bytes, stop, range_tx));
        let range_rx = Arc::new(Mutex::new(range_rx));
        for _ in 0..threads {
            let (range_rx, done_tx) = (Arc::clone(&range_rx), done_tx.clone());
            scope.spawn(move || loop {
                let next = range_rx
                    .lock()
                    .map_err(|_| ())
                    .and_then(|rx| rx.recv().map_err(|_| ()));
                let Ok((k, plain)) = next else { return };
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let signed = RangeSigner::new(config)
                    .and_then(|mut signer| {
                        signer.push(&plain)?;
                        signer.finish()
                    })
                    .map_err(|e| e.to_string());
                if done_tx.send((k, signed)).is_err() {
                    return;
                }
            });
        }
        drop((range_rx, done_tx));
        let mut keys = InOrder::default();
        let read = read_range(file, (0, len), |chunk| {
            keys.supply_ahead_of(job, &done_rx, &in_file)?;
            job.push(chunk).map_err(&in_file)?;
            bar.inc(chunk.len() as u64);
            Ok(())
        });
        stop.store(true, Ordering::Relaxed);
        drop(done_rx);
        read?;
        Ok(if keys.supplied_rows > 0 { threads } else { 0 })
    });
    bar.finish_and_clear();
    outcome
}

/// Signed ranges handed to the job in range order, as they arrive.
#[derive(Default)]
struct InOrder {
    arrived: BTreeMap<usize, CliResult<SignedRows>>,
    next: usize,
    supplied_rows: u64,
    last_rows: u64,
    /// False once every range is in, a range failed (later ranges' first rows are unknown
    /// without its count) or the threads stopped.
    finished: bool,
}

impl InOrder {
    /// Supplies the keys that have arrived; waits for more while the job is within two ranges
    /// of rows without keys.
    fn supply_ahead_of(
        &mut self,
        job: &mut Job,
        done: &mpsc::Receiver<(usize, CliResult<SignedRows>)>,
        in_file: &impl Fn(datasieve::Error) -> String,
    ) -> CliResult<()> {
        while !self.finished {
            match self.arrived.remove(&self.next) {
                Some(Ok(signed)) => {
                    job.supply_band_keys(
                        self.supplied_rows,
                        signed.rows,
                        &signed.signed,
                        &signed.keys,
                    )
                    .map_err(in_file)?;
                    self.supplied_rows += u64::from(signed.rows);
                    self.last_rows = u64::from(signed.rows);
                    self.next += 1;
                    continue;
                }
                Some(Err(_)) => {
                    self.finished = true;
                    continue;
                }
                None => {}
            }
            let behind = self.supplied_rows < job.progress().rows + 2 * self.last_rows.max(1);
            let received = if behind {
                done.recv().ok()
            } else {
                match done.try_recv() {
                    Ok(result) => Some(result),
                    Err(mpsc::TryRecvError::Empty) => return Ok(()),
                    Err(mpsc::TryRecvError::Disconnected) => None,
                }
            };
            match received {
                Some((k, result)) => {
                    self.arrived.insert(k, result);
                }
                None => self.finished = true,
            }
        }
        Ok(())
    }
}

/// The decompressing thread: reads `file`, decompresses it and sends the plain bytes to the sign
/// threads in ranges (the core's [`signing_range_cutter`], as the page's cutting worker). Stops
/// quietly on a read or decompression error (the job's own reader meets it too and reports it),
/// when `stop` is set, or when the sign threads are gone.
fn cut_plain_ranges(
    file: &Path,
    compression: Compression,
    max_row_bytes: usize,
    stop: &AtomicBool,
    ranges: mpsc::SyncSender<(usize, Vec<u8>)>,
) {
    let mut cutter = signing_range_cutter(compression, max_row_bytes).expect("a compression");
    let mut k = 0usize;
    let mut send = |range: Vec<u8>| -> datasieve::Result<()> {
        if stop.load(Ordering::Relaxed) || ranges.send((k, range)).is_err() {
            return Err(datasieve::Error::Usage("signing stopped".into()));
        }
        k += 1;
        Ok(())
    };
    let read = read_range(file, (0, u64::MAX), |chunk| {
        cutter.push(chunk, &mut send).map_err(|e| e.to_string())
    });
    if read.is_ok() {
        if let Ok(Some(last)) = cutter.finish() {
            let _ = send(last);
        }
    }
}
