#!/usr/bin/env node
// A big file in the page: near + exact dedup on a ~1 GB JSONL (generated from ../shared/data, or
// synthetic), reporting wall time, MB/s and the engine's wasm linear memory at the end, so "the
// page handles a 1 GB file without exhausting the wasm heap" is checked, not assumed.
//
//   npm run build && node bench/big_file.mjs [--mb 1000] [--max-chars 300]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness } from '../tests/e2e/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MB = arg('mb', 1000);
// Short rows (300 characters) by default: millions of rows stress per-row memory the most.
const MAX_CHARS = arg('max-chars', 300);
mkdirSync(path.join(HERE, 'out'), { recursive: true });
const corpus = path.join(HERE, 'out', `corpus-${MB}mb-${MAX_CHARS}c.jsonl`);
if (!existsSync(corpus)) {
  execFileSync('python3', [path.join(HERE, 'gen_corpus.py'), corpus, '--mb', String(MB), '--max-chars', String(MAX_CHARS)], { stdio: 'inherit' });
}
const bytes = statSync(corpus).size;

const harness = await startHarness();
try {
  const { page, consoleErrors } = await harness.openPage('/');
  await page.waitForSelector('body[data-ready=true]');
  await page.click('summary');
  await page.fill('[data-testid=config-json]', JSON.stringify({ dedup: { exact: {}, near: {} } }));
  await page.setInputFiles('[data-testid=file-input]', corpus);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'inspected', null, { timeout: 3600000 });
  const t = Date.now();
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden]), #status .errors', { timeout: 3600000 });
  const seconds = (Date.now() - t) / 1000;
  const error = await page.$('#status .errors');
  if (error) throw new Error(`the page failed: ${await error.textContent()}`);
  const memory = Number(await page.getAttribute('[data-testid=summary]', 'data-wasm-memory-bytes'));
  const summary = (await page.textContent('[data-testid=summary]')).replace(/\s+/g, ' ');
  console.log(`${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s (${(bytes / 1e6 / seconds).toFixed(1)} MB/s), wasm memory ${(memory / 2 ** 20).toFixed(0)} MiB; ${summary}`);
  if (consoleErrors.length) console.log('console errors:', consoleErrors);
} finally {
  await harness.close();
}
