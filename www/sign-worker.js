// A sign worker: near-duplicate band keys (MinHash + LSH) of byte ranges of the file, for the
// engine's worker (worker.js), which starts a pool of these when it starts and keeps them for
// every job. It reads its ranges itself, by slices of the File; nothing is shared but the
// compiled wasm module.
//
// A gzip or zstd file cannot be cut by seeking: for it, one worker of the pool decompresses the
// file (a `cut` job) and hands plain ranges straight to the others through message ports, a few
// per port in flight at most (each range signed gives its port a credit back), while the engine
// reads the compressed file itself.
//
// Messages in:  {type: 'init', module}                      (once, first)
//               {type: 'sign', job, file, start, end, config, index}   (one per range; signed in turn)
//               {type: 'feed', job, config, port}   (plain ranges {index, bytes} will come on `port`;
//                                                     each one signed is answered {credit} there)
//               {type: 'cut', job, file, config, ports}   (decompress `file`, deal its
//                                                     ranges to `ports` in turn)
//               {type: 'cancel', job}   (drops the job's ranges: the one being read stops at its
//                                        next chunk, queued ones are skipped)
// Messages out: {type: 'ready'}                             (the module is instantiated)
//               {type: 'progress', job, index, done}         (bytes of the range read; throttled)
//               {type: 'signed', job, index, rows, keys, finishedAt}
//                   (keys: BigUint64Array, transferred; finishedAt: timeOrigin-based ms)
//               {type: 'cut', job, ranges}                   (the cutter's count, once done)
//               {type: 'error', job, index, message, fatal}  (index -1: the cutter; fatal: the
//                                        engine trapped, this worker is unusable)
import { initSync, RangeCutter, Signer } from './pkg/datasieve_wasm.js';
import { fileChunks } from './chunks.js';

const PROGRESS_EVERY_MS = 100;  // the engine worker is busy too: do not flood it

const queue = [];             // ranges to sign, in the order they came
const cancelled = new Set();  // jobs whose ranges are dropped
let draining = false;
// The job whose range is being signed (or file cut), or null when idle, and the ranges signed so
// far (readable from the tests and DevTools).
self.signingJob = null;
self.rangesSigned = 0;

onmessage = ({ data }) => {
  if (data.type === 'init') {
    initSync({ module: data.module });
    postMessage({ type: 'ready' });
  } else if (data.type === 'cancel') {
    cancelled.add(data.job);
    credited.get(data.job)?.(); // a cutter waiting for credit hears it
  } else if (data.type === 'feed') {
    const { job, config, port } = data;
    port.onmessage = ({ data: range }) => {
      queue.push({ type: 'sign', job, config, index: range.index, bytes: range.bytes, port });
      if (!draining) drain();
    };
  } else {
    queue.push(data);
    if (!draining) drain();
  }
};

/** Signs the queued ranges one at a time; reads are awaited, so a cancel is heard in between. */
async function drain() {
  draining = true;
  while (queue.length) {
    const range = queue.shift();
    if (cancelled.has(range.job)) continue;
    self.signingJob = range.job;
    await (range.type === 'cut' ? cut(range) : sign(range));
    self.signingJob = null;
  }
  draining = false;
}

async function sign({ job, file, start, end, config, index, bytes, port }) {
  const signer = new Signer(JSON.stringify(config));
  try {
    let last = 0;
    let done = 0;
    // A plain range handed over whole (cut from a compressed file), or a range of the File.
    const pieces = bytes ? [bytes] : fileChunks(file, start, end);
    for await (const chunk of pieces) {
      if (cancelled.has(job)) return;
      signer.push(chunk);
      done += chunk.length;
      const now = performance.now();
      if (now - last >= PROGRESS_EVERY_MS) {
        last = now;
        postMessage({ type: 'progress', job, index, done });
      }
    }
    const keys = signer.finish();
    const rows = signer.rows();
    const finishedAt = performance.timeOrigin + performance.now(); // comparable across workers
    postMessage({ type: 'signed', job, index, rows, keys, finishedAt }, [keys.buffer]);
    self.rangesSigned++;
  } catch (e) {
    postMessage({ type: 'error', job, index, ...failure(e) });
  } finally {
    signer.free();
    port?.postMessage({ credit: true });
  }
}

/** What an error message says; a trap (a bug, or memory exhausted) leaves the module unusable. */
function failure(e) {
  if (e instanceof WebAssembly.RuntimeError) {
    return { fatal: true, message: `the signing engine stopped on an internal error (${e.message})` };
  }
  return { fatal: false, message: String(e && e.message ? e.message : e) };
}

const IN_FLIGHT_PER_PORT = 2; // plain ranges handed to a signer and not yet signed, at most
const CUT_PIECE_BYTES = 1 << 20; // compressed bytes decompressed between two dealings
const credited = new Map();   // job → wakes its cutter when a credit (or a cancel) comes

/**
 * Decompresses `file` and deals its plain ranges to `ports` in turn (range k to port k mod n),
 * holding back while a port has `IN_FLIGHT_PER_PORT` ranges unsigned: memory stays bounded
 * however far the signers fall behind. Ends with {type: 'cut', ranges}; a damaged file ends
 * with an error (the engine reports the damage itself, from its own reading).
 */
async function cut({ job, file, config, ports }) {
  let cutter = null;
  const inFlight = ports.map(() => 0);
  let wake = null;
  credited.set(job, () => { const w = wake; wake = null; w?.(); });
  ports.forEach((port, i) => {
    port.onmessage = () => { inFlight[i]--; credited.get(job)?.(); };
  });
  let index = 0;
  const deal = async () => {
    for (let range = cutter.next_range(); range; range = cutter.next_range()) {
      const to = index % ports.length;
      while (inFlight[to] >= IN_FLIGHT_PER_PORT && !cancelled.has(job)) {
        await new Promise((resolve) => { wake = resolve; });
      }
      if (cancelled.has(job)) return;
      inFlight[to]++;
      ports[to].postMessage({ index, bytes: range }, [range.buffer]);
      index++;
    }
  };
  try {
    const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
    cutter = new RangeCutter(JSON.stringify(config), head);
    for await (const chunk of fileChunks(file)) {
      if (cancelled.has(job)) return;
      // In pieces, so ranges go out while the rest of a large chunk is still compressed.
      for (let at = 0; at < chunk.length; at += CUT_PIECE_BYTES) {
        cutter.push(chunk.subarray(at, at + CUT_PIECE_BYTES));
        await deal();
        if (cancelled.has(job)) return;
      }
    }
    cutter.finish();
    await deal();
    if (!cancelled.has(job)) postMessage({ type: 'cut', job, ranges: index });
  } catch (e) {
    postMessage({ type: 'error', job, index: -1, ...failure(e) });
  } finally {
    credited.delete(job);
    for (const port of ports) port.close();
    cutter?.free();
  }
}
