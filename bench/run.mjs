#!/usr/bin/env node
// Throughput of every job kind natively and in the page (Chromium), on the same corpora in the
// same run, plus a Python peer for exact dedup. Ratios, not absolute numbers, are what to compare
// across machines.
//
//   npm run bench                     # builds, then: node bench/run.mjs [--mb 100] [--runs 3]
//   node bench/run.mjs --only near    # one scenario
//
// Corpora: bench/out/corpus-<mb>mb.jsonl (web text from ../shared/data, with exact and near
// duplicates; synthetic without ../shared) and bench/out/prefs-<mb>mb.jsonl (LLaMA-Factory's DPO
// demo pairs repeated; skipped without ../shared). Writes bench/out/results.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness } from '../tests/e2e/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const OUT = path.join(HERE, 'out');
const SHARED = path.resolve(ROOT, '..', 'shared', 'data');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const MB = Number(arg('mb', 100));
const RUNS = Number(arg('runs', 3));
const ONLY = arg('only', null);
mkdirSync(OUT, { recursive: true });

const corpus = path.join(OUT, `corpus-${MB}mb.jsonl`);
if (!existsSync(corpus)) execFileSync('python3', [path.join(HERE, 'gen_corpus.py'), corpus, '--mb', String(MB)], { stdio: 'inherit' });

/** Preference pairs: the DPO demo's rows as JSONL, repeated up to MB/2 megabytes. */
function prefsCorpus() {
  const source = path.join(SHARED, 'llamafactory-demos', 'dpo_en_demo.json');
  if (!existsSync(source)) return null;
  const out = path.join(OUT, `prefs-${MB / 2}mb.jsonl`);
  if (existsSync(out)) return out;
  const lines = JSON.parse(readFileSync(source, 'utf8')).map((r) => JSON.stringify(r));
  const parts = [];
  let size = 0;
  for (let i = 0; size < (MB / 2) * 1e6; i++) {
    const line = `${lines[i % lines.length]}\n`;
    parts.push(line);
    size += Buffer.byteLength(line);
  }
  writeFileSync(out, parts.join(''));
  return out;
}

const cli = path.join(ROOT, 'target/release/datasieve');
if (!existsSync(cli)) execFileSync('cargo', ['build', '--release', '-p', 'datasieve-cli'], { cwd: ROOT, stdio: 'inherit' });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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

const out = (name) => path.join(OUT, `run-${name}`);
const prefs = prefsCorpus();
/** name, input, CLI arguments, page config (null = inspect only), peer command. */
const scenarios = [
  { name: 'inspect', input: corpus, cli: ['inspect', corpus, '--json'], config: null },
  { name: 'exact', input: corpus, cli: ['dedup', corpus, '--exact', '--out', out('exact')], config: { dedup: { exact: { normalize: false } } },
    peer: ['python3', [path.join(HERE, 'peer_exact.py'), corpus, out('exact-python')]] },
  { name: 'near', input: corpus, cli: ['dedup', corpus, '--near', '--out', out('near')], config: { dedup: { near: {} } } },
  { name: 'filter', input: corpus, cli: ['run', corpus, '--config', path.join(ROOT, 'www/presets/fineweb-style.json'), '--out', out('filter')],
    config: JSON.parse(readFileSync(path.join(ROOT, 'www/presets/fineweb-style.json'))) },
  ...(prefs ? [{ name: 'prefs', input: prefs, cli: ['prefs', prefs, '--out', out('prefs')], config: { dedup: {}, prefs: {} } }] : []),
].filter((s) => !ONLY || s.name === ONLY);

const results = { corpus: { path: corpus, bytes: statSync(corpus).size }, runs: RUNS, scenarios: {} };
for (const s of scenarios) {
  const bytes = statSync(s.input).size;
  const r = { bytes, native_s: timeCommand(cli, s.cli) };
  if (s.peer) r.peer_s = timeCommand(...s.peer);
  results.scenarios[s.name] = r;
  console.error(`[bench] ${s.name}: native ${r.native_s.toFixed(2)} s`);
}

const harness = await startHarness();
try {
  for (const s of scenarios) {
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const { page } = await harness.openPage('/');
      await page.waitForSelector('body[data-ready=true]');
      if (s.config) {
        await page.click('summary');
        await page.fill('[data-testid=config-json]', JSON.stringify(s.config));
      }
      let t = Date.now();
      await page.setInputFiles('[data-testid=file-input]', s.input);
      await page.waitForFunction(() => document.getElementById('status').textContent === 'inspected', null, { timeout: 900000 });
      if (s.config) {
        t = Date.now();
        await page.click('[data-testid=run]');
        await page.waitForSelector('#results:not([hidden])', { timeout: 900000 });
      }
      times.push((Date.now() - t) / 1000);
      await page.close();
    }
    results.scenarios[s.name].page_s = median(times);
    console.error(`[bench] ${s.name}: page ${median(times).toFixed(2)} s`);
  }
} finally {
  await harness.close();
}

const mbps = (bytes, sec) => Number((bytes / 1e6 / sec).toFixed(1));
console.log(`median of ${RUNS} runs; MB/s of the input file; page = the whole job in Chromium incl. writing outputs`);
console.log('scenario   native MB/s  page MB/s  page/native  peer MB/s  native/peer');
for (const [name, r] of Object.entries(results.scenarios)) {
  r.native_mb_s = mbps(r.bytes, r.native_s);
  r.page_mb_s = mbps(r.bytes, r.page_s);
  r.page_vs_native = Number((r.native_s / r.page_s).toFixed(2));
  if (r.peer_s) {
    r.peer_mb_s = mbps(r.bytes, r.peer_s);
    r.native_vs_peer = Number((r.peer_s / r.native_s).toFixed(2));
  }
  console.log(`${name.padEnd(10)} ${String(r.native_mb_s).padStart(11)} ${String(r.page_mb_s).padStart(10)} ${String(r.page_vs_native).padStart(12)} ${String(r.peer_mb_s ?? '').padStart(10)} ${String(r.native_vs_peer ?? '').padStart(12)}`);
}
writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 2) + '\n');
