// Page benchmark of parallel signing: near dedup of one file in the page's engine worker, with
// one worker (workers: 1) and with N sign workers, alternately, in the same browser.
//
//   python3 bench/gen_corpus.py /tmp/corpus50.jsonl --mb 50
//   bash scripts/build-wasm.sh            # release wasm: timings of a --dev build mean little
//   node bench/parallel_sign.mjs /tmp/corpus50.jsonl [N=hardwareConcurrency clamped to 2..8] [rounds=2]
// CONFIG='{"dedup":{}}' (a pipeline config as JSON) replaces the default near-dedup config.
import assert from 'node:assert/strict';
import { startHarness } from '../tests/e2e/harness.mjs';

const [file, workersArg, roundsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/parallel_sign.mjs FILE.jsonl [workers] [rounds]');
const rounds = Number(roundsArg ?? 2);
const config = JSON.parse(process.env.CONFIG ?? '{"dedup": {"near": {}}}');
const harness = await startHarness();
try {
  const { page } = await harness.openPage('/');
  await page.waitForSelector('body[data-ready=true]');
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForSelector('[data-testid=run]:not([disabled])', { timeout: 900000 });
  const results = await page.evaluate(async ({ workersArg, rounds, config }) => {
    const file = document.querySelector('[data-testid=file-input]').files[0];
    const n = workersArg ? Number(workersArg) : Math.min(8, Math.max(2, navigator.hardwareConcurrency || 2));
    const once = (workers) => new Promise((resolve, reject) => {
      const w = new Worker(new URL('./worker.js', location.href), { type: 'module' });
      let started;
      w.onmessage = ({ data }) => {
        if (data.type === 'ready') {
          started = performance.now();
          w.postMessage({ type: 'run', id: 1, file, config, workers });
        }
        if (data.type === 'error') reject(new Error(data.message));
        if (data.type === 'done') {
          const wall = performance.now() - started;
          w.terminate();
          const report = JSON.parse(data.report);
          resolve({ workers, wall_ms: Math.round(wall), timings_ms: report.timings_ms, report });
        }
      };
    });
    const out = [];
    for (let r = 0; r < rounds; r++) {
      out.push(await once(1));
      out.push(await once(n));
    }
    return { hardwareConcurrency: navigator.hardwareConcurrency, runs: out };
  }, { workersArg, rounds, config });
  const strip = ({ timings_ms: _, ...rest }) => rest;
  for (const r of results.runs) assert.deepEqual(strip(r.report), strip(results.runs[0].report), 'same report');
  console.log(JSON.stringify({
    file,
    hardwareConcurrency: results.hardwareConcurrency,
    rows: results.runs[0].report.rows_in,
    runs: results.runs.map(({ workers, wall_ms, timings_ms }) => ({ workers, wall_ms, timings_ms })),
  }, null, 1));
} finally {
  await harness.close();
}
