#!/usr/bin/env node
// Baseline throughput of inspect and exact dedup, native and in the page (Chromium), plus a
// Python peer doing the same exact-dedup job, all on the same ~100 MB JSONL in the same run.
//
//   npm run build && node bench/run.mjs [--mb 100] [--runs 3]
//
// Writes bench/out/results.json and prints a table. Wall-clock medians; the machine should be
// otherwise idle. Needs python3 (the corpus generator and the peer use only its standard library).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness } from '../tests/e2e/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const OUT = path.join(HERE, 'out');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MB = arg('mb', 100);
const RUNS = arg('runs', 3);
mkdirSync(OUT, { recursive: true });

const corpus = path.join(OUT, `corpus-${MB}mb.jsonl`);
if (!existsSync(corpus)) execFileSync('python3', [path.join(HERE, 'gen_corpus.py'), corpus, '--mb', String(MB)], { stdio: 'inherit' });
const bytes = statSync(corpus).size;
const cli = path.join(ROOT, 'target/release/datasieve');
if (!existsSync(cli)) execFileSync('cargo', ['build', '--release', '-p', 'datasieve-cli'], { cwd: ROOT, stdio: 'inherit' });

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeCommand(cmd, args) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return median(times);
}

const results = { corpus: { path: corpus, bytes }, runs: RUNS, seconds: {} };
const s = results.seconds;
const dedupOut = path.join(OUT, 'dedup-native');
s.native_inspect = timeCommand(cli, ['inspect', corpus, '--json']);
s.native_exact = timeCommand(cli, ['dedup', corpus, '--exact', '--out', dedupOut]);
s.python_exact = timeCommand('python3', [path.join(HERE, 'peer_exact.py'), corpus, path.join(OUT, 'dedup-python')]);

const harness = await startHarness();
try {
  const inspectTimes = [];
  const runTimes = [];
  for (let i = 0; i < RUNS; i++) {
    const { page } = await harness.openPage('/');
    await page.waitForSelector('body[data-ready=true]');
    let t = Date.now();
    await page.setInputFiles('[data-testid=file-input]', corpus);
    await page.waitForFunction(() => document.getElementById('status').textContent === 'inspected', null, { timeout: 600000 });
    inspectTimes.push((Date.now() - t) / 1000);
    t = Date.now();
    await page.click('[data-testid=run]');
    await page.waitForSelector('#results:not([hidden])', { timeout: 600000 });
    runTimes.push((Date.now() - t) / 1000);
    await page.close();
  }
  s.page_inspect = median(inspectTimes);
  s.page_exact = median(runTimes);
} finally {
  await harness.close();
}

const mbps = (sec) => bytes / 1e6 / sec;
results.mb_per_s = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(mbps(v).toFixed(1))]));
results.ratios = {
  native_exact_vs_python: Number((s.python_exact / s.native_exact).toFixed(2)),
  page_exact_vs_native: Number((s.native_exact / s.page_exact).toFixed(2)),
  page_inspect_vs_native: Number((s.native_inspect / s.page_inspect).toFixed(2)),
};
writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2) + '\n');
console.log(`corpus ${(bytes / 1e6).toFixed(1)} MB, median of ${RUNS}`);
for (const [k, v] of Object.entries(s)) console.log(`${k.padEnd(16)} ${v.toFixed(2).padStart(7)} s  ${mbps(v).toFixed(1).padStart(7)} MB/s`);
for (const [k, v] of Object.entries(results.ratios)) console.log(`${k.padEnd(28)} ${v}x`);
