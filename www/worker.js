// The engine's worker: reads the File itself, by ranges, and runs the wasm core on it.
// The main thread only renders what this posts. Cancelling = the main thread terminates us.
//
// Messages in:  {type: 'inspect' | 'run', id, file, config}
// Messages out: {type: 'ready', version} | {type: 'progress', id, phase, done, total, rows}
//               | {type: 'inspected', id, report, preview} | {type: 'done', id, report, ...}
//               | {type: 'error', id, message}
import init, { Engine, version } from './pkg/datasieve_wasm.js';

const CHUNK = 4 << 20;          // bytes read per step
const PROGRESS_EVERY_MS = 100;  // throttle at the source: the main thread is never flooded

const ready = init().then(() => postMessage({ type: 'ready', version: version() }));

function* chunks(file) {
  const reader = new FileReaderSync();
  for (let at = 0; at < file.size; at += CHUNK) {
    yield new Uint8Array(reader.readAsArrayBuffer(file.slice(at, at + CHUNK)));
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

function analyse(id, file, config, phase, tokenizer = null, evals = []) {
  const engine = new Engine(JSON.stringify(config));
  for (const e of evals) engine.add_eval_set(e.name, new Uint8Array(new FileReaderSync().readAsArrayBuffer(e)));
  if (tokenizer) engine.set_tokenizer(new Uint8Array(new FileReaderSync().readAsArrayBuffer(tokenizer)), tokenizer.name);
  const started = performance.now();
  let more = true;
  while (more) {
    // Most jobs read the file once; some stages need it again (engine.end_pass() says so).
    const progress = throttle(id, phase === 'inspect' ? phase : engine.pass(), file.size);
    let done = 0;
    for (const chunk of chunks(file)) {
      engine.push(chunk);
      done += chunk.length;
      progress(done, engine.rows());
    }
    progress(done, engine.rows(), true);
    more = engine.end_pass();
  }
  const outcome = engine.finish();
  outcome.set_timing('analyse', performance.now() - started);
  return outcome;
}

/** The first rows as text, for the preview (lines of the first 64 kB). */
function preview(file) {
  const head = new Uint8Array(new FileReaderSync().readAsArrayBuffer(file.slice(0, 65536)));
  const isGzip = head[0] === 0x1f && head[1] === 0x8b;
  if (isGzip) return [];
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head).replace(/^\uFEFF/, '');
  return text.split('\n').filter((l) => l.trim()).slice(0, 5).map((l) => l.slice(0, 600));
}

function inspect({ id, file, config }) {
  const outcome = analyse(id, file, config, 'inspect');
  postMessage({ type: 'inspected', id, report: outcome.report_json(), preview: preview(file) });
  outcome.free();
}

let lastOutcome = null; // kept for re-judging thresholds without reading the file again

function rejudge({ id, filter }) {
  if (!lastOutcome) return;
  postMessage({ type: 'rejudged', id, counts: JSON.parse(lastOutcome.rejudge(JSON.stringify(filter))) });
}

function run({ id, file, config, tokenizer, evals }) {
  const started = performance.now();
  const outcome = analyse(id, file, config, 'analyse', tokenizer, evals);
  const split = outcome.splitter();
  const progress = throttle(id, 'write', file.size);
  const kept = [];
  const removed = [];
  const exported = [];
  let done = 0;
  const splitStarted = performance.now();
  for (const chunk of chunks(file)) {
    split.push(chunk);
    kept.push(split.take_kept());
    removed.push(split.take_removed());
    exported.push(split.take_export());
    done += chunk.length;
    progress(done, outcome.rows());
  }
  split.finish();
  kept.push(split.take_kept());
  removed.push(split.take_removed());
  exported.push(split.take_export());
  progress(done, outcome.rows(), true);
  const samples = JSON.parse(split.removed_samples_json()).map(([row, text]) => ({
    row, text, decision: JSON.parse(outcome.decision_json(row)),
    view: config.prefs ? JSON.parse(outcome.prefs_view(text)) : null,
  }));
  const exportName = outcome.export_name();
  // The cluster viewer: members' compared text and exact Jaccard with the cluster's survivor.
  const byRow = new Map(samples.map((s) => [s.row, s.text]));
  const clusters = JSON.parse(outcome.cluster_rows_json()).map(([cluster, rows]) => {
    const present = rows.filter((r) => byRow.has(r));
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

onmessage = async ({ data }) => {
  await ready;
  try {
    if (data.type === 'inspect') inspect(data);
    else if (data.type === 'run') run(data);
    else if (data.type === 'rejudge') rejudge(data);
  } catch (e) {
    postMessage({ type: 'error', id: data.id, message: String(e && e.message ? e.message : e) });
  }
};
