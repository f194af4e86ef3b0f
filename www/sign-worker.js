// A sign worker: near-duplicate band keys (MinHash + LSH) of byte ranges of the file, for the
// engine's worker (worker.js), which starts a pool of these when it starts and keeps them for
// every job. It reads its ranges itself, by slices of the File; nothing is shared but the
// compiled wasm module.
//
// Messages in:  {type: 'init', module}                      (once, first)
//               {type: 'sign', file, start, end, config, index}   (one per range; signed in turn)
// Messages out: {type: 'ready'}                             (the module is instantiated)
//               {type: 'progress', index, done}              (bytes of the range read; throttled)
//               {type: 'signed', index, rows, keys, finishedAt}
//                   (keys: BigUint64Array, transferred; finishedAt: timeOrigin-based ms)
//               {type: 'error', index, message}
import { initSync, Signer } from './pkg/datasieve_wasm.js';

const CHUNK = 16 << 20;         // bytes read per step (fewer, larger reads: each has a fixed cost)
const PROGRESS_EVERY_MS = 100;  // the engine worker is busy too: do not flood it

onmessage = ({ data }) => {
  if (data.type === 'init') {
    initSync({ module: data.module });
    postMessage({ type: 'ready' });
    return;
  }
  const { file, start, end, config, index } = data;
  try {
    const signer = new Signer(JSON.stringify(config));
    const reader = new FileReaderSync();
    let last = 0;
    for (let at = start; at < end; at += CHUNK) {
      const stop = Math.min(at + CHUNK, end);
      signer.push(new Uint8Array(reader.readAsArrayBuffer(file.slice(at, stop))));
      const now = performance.now();
      if (now - last >= PROGRESS_EVERY_MS) {
        last = now;
        postMessage({ type: 'progress', index, done: stop - start });
      }
    }
    const keys = signer.finish();
    const rows = signer.rows();
    signer.free();
    const finishedAt = performance.timeOrigin + performance.now(); // comparable across workers
    postMessage({ type: 'signed', index, rows, keys, finishedAt }, [keys.buffer]);
  } catch (e) {
    postMessage({ type: 'error', index, message: String(e && e.message ? e.message : e) });
  }
};
