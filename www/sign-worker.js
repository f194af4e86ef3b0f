// A sign worker: near-duplicate band keys (MinHash + LSH) of byte ranges of the file, for the
// engine's worker (worker.js), which starts a pool of these when it starts and keeps them for
// every job. It reads its ranges itself, by slices of the File; nothing is shared but the
// compiled wasm module.
//
// Messages in:  {type: 'init', module}                      (once, first)
//               {type: 'sign', job, file, start, end, config, index}   (one per range; signed in turn)
//               {type: 'cancel', job}   (drops the job's ranges: the one being read stops at its
//                                        next chunk, queued ones are skipped)
// Messages out: {type: 'ready'}                             (the module is instantiated)
//               {type: 'progress', job, index, done}         (bytes of the range read; throttled)
//               {type: 'signed', job, index, rows, keys, finishedAt}
//                   (keys: BigUint64Array, transferred; finishedAt: timeOrigin-based ms)
//               {type: 'error', job, index, message}
import { initSync, Signer } from './pkg/datasieve_wasm.js';
import { fileChunks } from './chunks.js';

const PROGRESS_EVERY_MS = 100;  // the engine worker is busy too: do not flood it

const queue = [];             // ranges to sign, in the order they came
const cancelled = new Set();  // jobs whose ranges are dropped
let draining = false;
// The job whose range is being signed, or null when idle (readable from the tests and DevTools).
self.signingJob = null;

onmessage = ({ data }) => {
  if (data.type === 'init') {
    initSync({ module: data.module });
    postMessage({ type: 'ready' });
  } else if (data.type === 'cancel') {
    cancelled.add(data.job);
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
    await sign(range);
    self.signingJob = null;
  }
  draining = false;
}

async function sign({ job, file, start, end, config, index }) {
  const signer = new Signer(JSON.stringify(config));
  try {
    let last = 0;
    let done = 0;
    for await (const chunk of fileChunks(file, start, end)) {
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
  } catch (e) {
    postMessage({ type: 'error', job, index, message: String(e && e.message ? e.message : e) });
  } finally {
    signer.free();
  }
}
