// The engine's worker: reads the File itself, by ranges, and runs the wasm core on it.
// The main thread only renders what this posts.
//
// Messages in:  {type: 'inspect' | 'run', id, file, config, workers?}
//               (workers: sign workers for near dedup; 1 = none; unset = chosen from the file)
//               {type: 'cancel', id}: job `id` stops at its next chunk, then {type: 'cancelled', id}
//               {type: 'rejudge', id, filter}
// Messages out: {type: 'ready', version} | {type: 'progress', id, phase, done, total, rows}
//               | {type: 'inspected', id, report, preview} | {type: 'done', id, report, ...}
//               | {type: 'error', id, message}
//
// Parallel signing (near dedup on a large JSONL file): the file is cut into N byte ranges at
// newlines; N sign workers (sign-worker.js, started from here) compute the MinHash band keys of
// their range's rows; this worker keeps the one index and union-find: it supplies range k's keys
// to the engine, then pushes range k's bytes, in order. Same decisions as one worker.
// A gzip or zstd file cannot be cut by seeking: one sign worker decompresses it and deals plain
// ranges to the others, whose keys are supplied in order as they come while this worker reads
// the compressed file itself, held back so that the engine does not run past the keys.
// The sign workers are started when this worker starts (one per core, at least two, and one to
// decompress) and kept for every job, so a job neither waits for them nor fetches anything after
// the page has loaded.
//
// Cancelling is cooperative: the file is read asynchronously, chunk by chunk, so a cancel message
// is handled between two chunks and the job stops there (its engine freed); the sign workers drop
// the job's ranges the same way. Nothing is terminated, so nothing is fetched again: a page that
// has loaded keeps working offline. Jobs run one after another (a job started right after a
// cancel waits for the cancelled one to reach its next chunk).
import init, {
  decompressedHead, Engine, isCompressed, parallelSigningApplies, parallelSigningPaysOff,
  rangeProbeBytes, RangePlanner, signingHeadBytes, version,
} from './pkg/datasieve_wasm.js';
import { fileChunks } from './chunks.js';

const PROGRESS_EVERY_MS = 100;  // throttle at the source: the main thread is never flooded
const STREAM_PIECE_BYTES = 1 << 20; // compressed bytes pushed to the engine between key checks
const MAX_SIGN_WORKERS = 8;

// The compiled module is kept to hand to the sign workers (no second download or compile).
const wasmUrl = new URL('./pkg/datasieve_wasm_bg.wasm', import.meta.url);
const wasmModule = WebAssembly.compileStreaming(fetch(wasmUrl))
  .catch(async () => WebAssembly.compile(await (await fetch(wasmUrl)).arrayBuffer()));
let wasmExports = null; // for the size of the engine's linear memory (benchmarks, big files)
const DEFAULT_SIGN_WORKERS = Math.min(MAX_SIGN_WORKERS, Math.max(2, navigator.hardwareConcurrency || 2));
const ready = wasmModule
  .then(async (module) => {
    wasmExports = await init({ module_or_path: module });
    // One more than signs at once: the one that decompresses a gzip or zstd file for the others.
    await growSignPool(module, DEFAULT_SIGN_WORKERS + 1);
    postMessage({ type: 'ready', version: version() });
  });

const cancelled = new Set(); // ids of jobs cancelled by the main thread
const onCancel = new Map();  // job id → what else stops it (its pending sign-worker results)

/** Thrown where a cancelled job notices it; nothing is posted for it. */
class Cancelled extends Error {}

function stopIfCancelled(id) {
  if (cancelled.has(id)) throw new Cancelled(`job ${id} cancelled`);
}

/** `fileChunks` of job `id`: stops with `Cancelled` between pieces once the job is cancelled. */
async function* chunks(id, file, start = 0, end = file.size) {
  for await (const chunk of fileChunks(file, start, end)) {
    stopIfCancelled(id);
    yield chunk;
  }
}

function throttle(id, phase, total) {
  let last = 0;
  return (done, rows, force = false) => {
    const now = performance.now();
    if (force || now - last >= PROGRESS_EVERY_MS) {
      last = now;
      postMessage({ type: 'progress', id, phase, done, total, rows });
    }
  };
}

async function analyse(id, file, config, phase, tokenizer = null, evals = [], workers = undefined) {
  const engine = new Engine(JSON.stringify(config));
  let signed = null;
  let outcome;
  const started = performance.now();
  try {
    for (const e of evals) engine.add_eval_set(e.name, new Uint8Array(new FileReaderSync().readAsArrayBuffer(e)));
    if (tokenizer) engine.set_tokenizer(new Uint8Array(new FileReaderSync().readAsArrayBuffer(tokenizer)), tokenizer.name);
    const plan = phase === 'inspect' ? null : parallelPlan(file, config, workers);
    let more = true;
    while (more) {
      // Most jobs read the file once; some stages need it again (engine.end_pass() says so).
      const pass = engine.pass();
      const progress = throttle(id, phase === 'inspect' ? phase : pass, file.size);
      if (plan && pass === 'analyse' && !signed) {
        signed = plan.stream
          ? await analyseStreamSigned(id, engine, file, config, plan, progress)
          : await analyseSigned(id, engine, file, config, plan, progress);
      } else {
        let done = 0;
        for await (const chunk of chunks(id, file)) {
          engine.push(chunk);
          done += chunk.length;
          progress(done, engine.rows());
        }
        progress(done, engine.rows(), true);
      }
      more = engine.end_pass();
    }
    outcome = engine.finish();
  } finally {
    engine.free(); // a cancelled or failed job leaves nothing behind in the wasm heap
  }
  outcome.set_timing('analyse', performance.now() - started);
  if (signed) {
    outcome.set_timing('sign', signed.ms);
    outcome.set_timing('sign_workers', signed.workers);
  }
  return outcome;
}

/**
 * The plan for parallel signing, or null when the job is for one worker: not near dedup of
 * JSONL (the engine's `parallelSigningApplies`, which the CLI asks too), a small file (unless
 * `workers` asks for more than one), or one range only.
 * `{workers, ranges}`: byte ranges `[start, end)`, each ending just after a newline; several per
 * worker, so the engine starts on the first range soon and signing and indexing overlap.
 * `{workers, stream: true}`: a gzip or zstd file, cut while it is decompressed (by one more
 * worker of the pool, which signs nothing itself).
 */
function parallelPlan(file, config, workers) {
  if (!config.dedup?.near) return null;
  const reader = new FileReaderSync();
  // The head the engine's reader detects the format from (a compressed head is decompressed).
  const head = new Uint8Array(reader.readAsArrayBuffer(file.slice(0, signingHeadBytes())));
  // The CLI's rules, from the core: the file's size, and near dedup of JSONL.
  const n = workers ?? (parallelSigningPaysOff(file.size, head) ? DEFAULT_SIGN_WORKERS : 1);
  if (n < 2) return null;
  if (!parallelSigningApplies(JSON.stringify(config), head)) return null;
  if (isCompressed(head)) return { workers: n, stream: true };
  // The core plans the cuts (the CLI's planner too): a few per worker, each just after a
  // newline, so a row never spans two ranges.
  const planner = new RangePlanner(file.size, n);
  const ranges = [];
  try {
    const probeBytes = rangeProbeBytes();
    for (let at = planner.wanted(); at !== undefined; at = planner.wanted()) {
      planner.feed(new Uint8Array(reader.readAsArrayBuffer(file.slice(at, at + probeBytes))));
    }
    const flat = planner.ranges();
    for (let k = 0; k < flat.length; k += 2) ranges.push([flat[k], flat[k + 1]]);
  } finally {
    planner.free();
  }
  return ranges.length >= 2 ? { workers: Math.min(n, ranges.length), ranges } : null;
}

let signPool = []; // idle sign workers with the wasm module instantiated, reused by every job

/**
 * Starts sign workers until the pool holds `n`; resolves when each new one has instantiated the
 * module. A worker that fails to start is left out (signing then runs on fewer workers, or in
 * this worker: slower, same result).
 */
async function growSignPool(module, n) {
  const started = [];
  while (signPool.length + started.length < n) {
    const w = new Worker(new URL('./sign-worker.js', import.meta.url), { type: 'module' });
    started.push(new Promise((resolve) => {
      w.onmessage = ({ data }) => resolve(data.type === 'ready' ? w : null);
      w.onerror = () => resolve(null);
      w.postMessage({ type: 'init', module });
    }));
  }
  for (const w of await Promise.all(started)) if (w) signPool.push(w);
}

/** After a failed parallel pass: the workers' state is unknown, so they go; the next job starts new ones. */
function dropSignPool() {
  for (const w of signPool) w.terminate();
  signPool = [];
}

/**
 * The analyse pass with band keys from sign workers: range k's keys are supplied (offset by the
 * rows of the ranges before it) just before range k's bytes are pushed; keys arrive in any order.
 * Worker i signs ranges i, i + workers, ... in turn.
 */
async function analyseSigned(id, engine, file, config, { workers: wanted, ranges }, progress) {
  const module = await wasmModule;
  await growSignPool(module, wanted); // only when a job asks for more than the default
  const workers = Math.min(wanted, signPool.length);
  const started = performance.now();
  const signedBytes = ranges.map(() => 0);
  const signProgress = throttle(id, 'sign', file.size);
  const report = () => signProgress(signedBytes.reduce((a, b) => a + b, 0), engine.rows());
  const settle = ranges.map(() => ({}));
  const results = settle.map((s) => new Promise((resolve, reject) => Object.assign(s, { resolve, reject })));
  // The sign workers drop a cancelled job's ranges without answering: its waits end here.
  onCancel.set(id, () => settle.forEach((s) => s.reject(new Cancelled(`job ${id} cancelled`))));
  for (let i = 0; i < workers; i++) {
    const w = signPool[i];
    const mine = ranges.map((_, k) => k).filter((k) => k % workers === i);
    w.onmessage = ({ data }) => {
      if (data.job !== id) return; // a range of a cancelled job, finished or dropped late
      const [start, end] = ranges[data.index];
      if (data.type === 'progress') {
        signedBytes[data.index] = data.done;
        report();
      } else if (data.type === 'signed') {
        signedBytes[data.index] = end - start;
        report();
        settle[data.index].resolve(data);
      } else if (data.type === 'error') {
        settle[data.index].reject(new Error(`sign worker ${i}, range ${data.index}: ${data.message}`));
      }
    };
    w.onerror = (e) => {
      for (const k of mine) settle[k].reject(new Error(`sign worker ${i}: ${e.message || 'failed to start'}`));
    };
    for (const index of mine) {
      const [start, end] = ranges[index];
      w.postMessage({ type: 'sign', job: id, file, start, end, config, index });
    }
  }
  for (const r of results) r.catch(() => {}); // a failure is handled where the range is awaited
  let signedAt = 0;
  try {
    let firstRow = 0;
    let supplying = workers > 0; // none started: the engine signs every row itself
    let done = 0;
    for (let k = 0; k < ranges.length; k++) {
      if (supplying) {
        try {
          const { rows, keys, finishedAt } = await results[k];
          engine.supply_band_keys(firstRow, rows, keys);
          firstRow += rows;
          signedAt = Math.max(signedAt, finishedAt);
        } catch (e) {
          if (e instanceof Cancelled) throw e;
          // The engine hashes rows nobody supplied keys for: slower, same result. Later ranges'
          // row offsets are unknown without this range's count, so they are hashed here too.
          console.warn(`parallel signing stopped, the engine signs the rest: ${e.message}`);
          supplying = false;
          dropSignPool();
        }
      }
      const [start, end] = ranges[k];
      for await (const chunk of chunks(id, file, start, end)) {
        engine.push(chunk);
        done += chunk.length;
        progress(done, engine.rows());
      }
    }
    progress(done, engine.rows(), true);
  } catch (e) {
    // Cancelled: the sign workers drop the job's ranges themselves (they heard the cancel).
    // Failed (e.g. the engine mid-pass): their state is unknown, so they go.
    if (!(e instanceof Cancelled)) dropSignPool();
    throw e;
  } finally {
    onCancel.delete(id);
    // Late messages of this job (a range finished before its worker heard the cancel) would
    // reach a freed engine: nobody listens any more.
    for (const w of signPool.slice(0, workers)) w.onmessage = w.onerror = null;
  }
  // Wall time from the start of signing to the last range signed (clocks of other workers are
  // compared through timeOrigin).
  const signMs = signedAt ? signedAt - (performance.timeOrigin + started) : 0;
  return { ms: signMs, workers };
}

/**
 * The analyse pass of a gzip or zstd file with band keys from sign workers: the first worker of
 * the pool decompresses the file and deals plain ranges to the others (through message ports,
 * not through this worker); range k's keys are supplied, in order, as they come, while this
 * worker pushes the compressed file to the engine in pieces, waiting whenever the engine is
 * within two ranges of rows without keys. Rows it reaches first it hashes itself (the same keys:
 * same decisions, only slower), as it does every row after a failure of the workers.
 */
async function analyseStreamSigned(id, engine, file, config, { workers: wanted }, progress) {
  const module = await wasmModule;
  await growSignPool(module, wanted + 1); // only when a job asks for more than the default
  const pool = signPool.slice(0, Math.min(wanted + 1, signPool.length));
  const started = performance.now();
  const [cutter, ...signers] = pool;
  const arrived = new Map(); // range index → {rows, keys}
  let ranges = Infinity;     // known once the cutter is done
  let failed = null;
  let broken = false; // a worker crashed or trapped: its state is unknown
  let signedAt = 0;
  let wake = null;
  const poke = () => { const w = wake; wake = null; w?.(); };
  onCancel.set(id, poke);
  const listen = (w, name) => {
    w.onmessage = ({ data }) => {
      if (data.job !== id) return; // a late message of an earlier job
      if (data.type === 'signed') {
        arrived.set(data.index, data);
        signedAt = Math.max(signedAt, data.finishedAt);
      } else if (data.type === 'cut') {
        ranges = data.ranges;
      } else if (data.type === 'error') {
        failed ??= new Error(`${name}: ${data.message}`);
        broken ||= Boolean(data.fatal);
      }
      poke();
    };
    w.onerror = (e) => {
      failed ??= new Error(`${name}: ${e.message || 'failed'}`);
      broken = true;
      poke();
    };
  };
  let supplying = signers.length > 0;
  if (supplying) {
    listen(cutter, 'the decompressing worker');
    signers.forEach((w, i) => listen(w, `sign worker ${i + 1}`));
    const ports = signers.map((w) => {
      const channel = new MessageChannel();
      w.postMessage({ type: 'feed', job: id, config, port: channel.port2 }, [channel.port2]);
      return channel.port1;
    });
    cutter.postMessage({ type: 'cut', job: id, file, config, ports }, ports);
  }
  let next = 0;     // the next range whose keys go to the engine
  let firstRow = 0; // its first row
  let lastRows = 0;
  const supplyAhead = async () => {
    while (supplying) {
      const signed = arrived.get(next);
      if (signed) {
        arrived.delete(next);
        engine.supply_band_keys(firstRow, signed.rows, signed.keys);
        firstRow += signed.rows;
        lastRows = signed.rows;
        next++;
      } else if (failed || next >= ranges) {
        if (failed) {
          // (e.g. a damaged file, which the engine reports itself when it reaches the damage)
          console.warn(`parallel signing stopped, the engine signs the rest: ${failed.message}`);
          for (const w of pool) w.postMessage({ type: 'cancel', job: id });
        }
        supplying = false;
      } else if (firstRow >= engine.rows() + 2 * Math.max(lastRows, 1)) {
        return; // far enough ahead of the engine
      } else {
        await new Promise((resolve) => { wake = resolve; });
        stopIfCancelled(id);
      }
    }
  };
  // Reading and signing go together here: while keys come, the page says "signing in parallel".
  const signProgress = throttle(id, 'sign', file.size);
  try {
    let done = 0;
    for await (const chunk of chunks(id, file)) {
      for (let at = 0; at < chunk.length; at += STREAM_PIECE_BYTES) {
        await supplyAhead();
        const piece = chunk.subarray(at, at + STREAM_PIECE_BYTES);
        engine.push(piece);
        done += piece.length;
        (supplying ? signProgress : progress)(done, engine.rows());
      }
    }
    progress(done, engine.rows(), true);
  } finally {
    onCancel.delete(id);
    // The workers drop what is left of this job (nothing, unless the engine finished first).
    for (const w of pool) {
      w.postMessage({ type: 'cancel', job: id });
      w.onmessage = w.onerror = null;
    }
    // A worker that crashed goes (a new pool starts for the next job).
    if (broken) dropSignPool();
  }
  const signMs = signedAt ? signedAt - (performance.timeOrigin + started) : 0;
  return { ms: signMs, workers: next > 0 ? signers.length : 0 };
}

/** The first rows as text, for the preview (lines of the first 64 kB, decompressed if need be). */
function preview(file) {
  const PREVIEW_BYTES = 65536;
  const head = new Uint8Array(new FileReaderSync().readAsArrayBuffer(file.slice(0, signingHeadBytes())));
  const plain = isCompressed(head) ? decompressedHead(head, PREVIEW_BYTES) : head.subarray(0, PREVIEW_BYTES);
  if (!plain) return []; // damaged at its start: the engine's report says so
  const text = new TextDecoder('utf-8', { fatal: false }).decode(plain).replace(/^\uFEFF/, '');
  return text.split('\n').filter((l) => l.trim()).slice(0, 5).map((l) => l.slice(0, 600));
}

async function inspect({ id, file, config }) {
  const outcome = await analyse(id, file, config, 'inspect');
  postMessage({ type: 'inspected', id, report: outcome.report_json(), preview: preview(file) });
  outcome.free();
}

let lastOutcome = null; // kept for re-judging thresholds without reading the file again

function rejudge({ id, filter }) {
  if (!lastOutcome) return;
  postMessage({ type: 'rejudged', id, counts: JSON.parse(lastOutcome.rejudge(JSON.stringify(filter))) });
}

async function run({ id, file, config, tokenizer, evals, workers }) {
  const started = performance.now();
  const outcome = await analyse(id, file, config, 'analyse', tokenizer, evals, workers);
  const split = outcome.splitter();
  const progress = throttle(id, 'write', file.size);
  // Blob parts of the kept, removed and export outputs: long runs of rows are slices of the
  // user's File (nothing copied); the rest are bytes the engine wrote.
  const outputs = [[], [], []];
  const take = (finished) => {
    for (let output = 0; output < 3; output++) {
      const parts = split.take_parts(output, finished);
      if (!parts.length) continue;
      const copied = split.take_copied(output);
      for (let i = 0; i < parts.length; i += 2) {
        const [a, b] = [parts[i], parts[i + 1]];
        outputs[output].push(a >= 0 ? file.slice(a, b) : copied.subarray(-1 - a, b));
      }
    }
  };
  let done = 0;
  const splitStarted = performance.now();
  try {
    for await (const chunk of chunks(id, file)) {
      split.push(chunk);
      take(false);
      done += chunk.length;
      progress(done, outcome.rows());
    }
  } catch (e) {
    split.free();
    outcome.free();
    throw e;
  }
  split.finish();
  take(true);
  const [kept, removed, exported] = outputs;
  progress(done, outcome.rows(), true);
  const samples = JSON.parse(split.removed_samples_json()).map(([row, text]) => ({
    row, text, decision: JSON.parse(outcome.decision_json(row)),
    view: config.prefs ? JSON.parse(outcome.prefs_view(text)) : null,
  }));
  const exportName = outcome.export_name();
  // The cluster viewer: members' compared text and exact Jaccard with the cluster's survivor.
  const byRow = new Map(samples.map((s) => [s.row, s.text]));
  // Every row listed is sampled (pinned past the cap on samples); the survivor is listed first.
  const clusters = JSON.parse(outcome.cluster_rows_json()).map(([cluster, rows]) => {
    const present = rows.filter((r) => byRow.has(r));
    if (present[0] !== rows[0]) return { cluster, members: [] }; // never shown without its survivor
    const keptRaw = byRow.get(present[0]);
    return {
      cluster,
      members: present.map((r) => ({
        row: r,
        text: outcome.compared_text(byRow.get(r)) ?? byRow.get(r),
        jaccard: outcome.near_jaccard(keptRaw, byRow.get(r)),
      })),
    };
  }).filter((c) => c.members.length > 1);
  outcome.set_timing('write_outputs', performance.now() - splitStarted);
  outcome.set_timing('total', performance.now() - started);
  const type = 'application/octet-stream';
  postMessage({
    type: 'done',
    id,
    wasmMemoryBytes: wasmExports ? wasmExports.memory.buffer.byteLength : 0,
    report: outcome.report_json(),
    kept: new Blob(kept, { type }),
    removed: new Blob(removed, { type }),
    decisions: new Blob([outcome.decisions_jsonl()], { type: 'application/x-ndjson' }),
    keptName: outcome.kept_name(),
    removedName: outcome.removed_name(),
    export: exportName ? new Blob(exported, { type: 'application/x-ndjson' }) : null,
    clusters,
    exportName,
    samples,
  });
  split.free();
  if (lastOutcome) lastOutcome.free();
  lastOutcome = config.filter ? outcome : (outcome.free(), null);
  // (near-duplicate similarities are computed above, while the outcome is alive)
}

/** What a person is told when the wasm module traps. */
function trapMessage(e) {
  const bytes = wasmExports ? wasmExports.memory.buffer.byteLength : 0;
  // wasm32 addresses 4 GiB; Rust aborts (a trap) when the allocator cannot grow past it.
  if (bytes > 3.5 * 2 ** 30) {
    return `the engine ran out of memory: it holds ${(bytes / 2 ** 30).toFixed(1)} GiB, and a page's WebAssembly can address 4 GiB at most. This file has too many rows for the page; the CLI (datasieve) has no such limit. The engine was restarted.`;
  }
  return `the engine stopped on an internal error (${e.message}); it was restarted. Please report it, with the file's format and size.`;
}

let jobs = Promise.resolve(); // the job running now, or done: jobs run one after another

onmessage = ({ data }) => {
  if (data.type === 'cancel') {
    // Handled at once, between two chunks of the running job (which awaits its reads).
    cancelled.add(data.id);
    for (const w of signPool) w.postMessage({ type: 'cancel', job: data.id });
    onCancel.get(data.id)?.();
    return;
  }
  jobs = jobs.then(async () => {
    await ready;
    try {
      stopIfCancelled(data.id); // cancelled while it waited for the job before it
      if (data.type === 'inspect') await inspect(data);
      else if (data.type === 'run') await run(data);
      else if (data.type === 'rejudge') rejudge(data);
    } catch (e) {
      if (e instanceof Cancelled) {
        postMessage({ type: 'cancelled', id: data.id }); // it has stopped, its memory freed
        return;
      }
      if (e instanceof WebAssembly.RuntimeError) {
        // A trap (out of memory, or a bug): the module's state is unknown, so this worker is
        // done; the page starts a new one (`fatal`).
        postMessage({ type: 'error', id: data.id, fatal: true, message: trapMessage(e) });
        return;
      }
      postMessage({ type: 'error', id: data.id, message: String(e && e.message ? e.message : e) });
    } finally {
      cancelled.delete(data.id);
    }
  });
};
