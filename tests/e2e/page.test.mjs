// The page end to end, in Chromium: a user's file, the demo, downloads compared with the CLI's
// outputs, cancel, bad input, user text shown as text, and no network use after load.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { comparable, fixturePath, REPO_ROOT, runCli as cli, saveDownload as download, startHarness } from './harness.mjs';

let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'datasieve-e2e-'));

async function openReady() {
  const { page, consoleErrors } = await harness.openPage('/');
  await page.waitForSelector('body[data-ready=true]');
  return { page, consoleErrors };
}

async function runOn(page, file) {
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForSelector('#inspect:not([hidden])');
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])');
}

test('a user file: same report, kept and removed as the CLI, and no request after load', async () => {
  const input = fixturePath('parity', 'mixed.jsonl');
  const { page, consoleErrors } = await openReady();
  harness.network.markLoaded();
  await runOn(page, input);

  const report = JSON.parse((await download(page, 'download-report')).bytes);
  const out = cli(['dedup', input, '--exact']);
  const cliReport = JSON.parse(readFileSync(path.join(out, 'report.json')));
  assert.deepEqual(comparable(report), comparable(cliReport));
  assert.equal(report.rows_in, 18);
  assert.equal(report.removed_by.exact_duplicate, 3);

  const kept = await download(page, 'download-kept');
  const removed = await download(page, 'download-removed');
  assert.equal(kept.name, 'kept.jsonl');
  assert.deepEqual(kept.bytes, readFileSync(path.join(out, 'kept.jsonl')));
  assert.deepEqual(removed.bytes, readFileSync(path.join(out, 'removed.jsonl')));
  const decisions = await download(page, 'download-decisions');
  assert.deepEqual(decisions.bytes, readFileSync(path.join(out, 'decisions.jsonl')));

  const summary = await page.textContent('[data-testid=summary]');
  assert.match(summary, /exact_duplicate/);
  assert.match(summary, /parse_error/);
  assert.deepEqual(harness.network.afterLoad().filter((r) => !r.url.startsWith('blob:')), [],
    'reading, analysing and writing a user file makes no network request');
  assert.deepEqual(harness.network.offOrigin(), []);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('kept and removed downloads equal the CLI outputs for every input format', async () => {
  // The page builds its downloads from slices of the user's File (long runs of rows) and bytes
  // the engine wrote (framing, rows across read chunks, decompressed rows): every format, and a
  // 3 MB file whose kept and removed outputs are long runs that cross the page's 4 MB reads.
  const big = path.join(tmp, 'runs.jsonl');
  const rows = (tag) => Array.from({ length: 12000 }, (_, i) => JSON.stringify({ text: `${tag} row ${i} ${'y'.repeat(60)}` })).join('\r\n') + '\r\n';
  writeFileSync(big, '\uFEFF' + rows('a') + rows('a').slice(0, 500000) + '\n' + rows('b'));
  const files = [big, ...['crlf.jsonl', 'bom_crlf.jsonl.gz', 'bom_crlf.jsonl.zst', 'array.json', 'array.json.gz', 'array.json.zst', 'zstd_frames.jsonl', 'lines.txt', 'quoted.csv', 'data.tsv', 'no_final_newline.jsonl']
    .map((name) => fixturePath('io', name))];
  for (const input of files) {
    const { page, consoleErrors } = await openReady();
    await runOn(page, input);
    const out = cli(['dedup', input, '--exact']);
    for (const testid of ['download-kept', 'download-removed']) {
      const got = await download(page, testid);
      assert.deepEqual(got.bytes, readFileSync(path.join(out, got.name)), `${path.basename(input)}: ${got.name}`);
    }
    assert.deepEqual(consoleErrors, []);
    await page.close();
  }
});

test('the preview of a gzip or zstd file shows its decompressed first rows, as for the plain file', async () => {
  const { page, consoleErrors } = await openReady();
  const previewOf = async (name) => {
    // (choosing a file hides the previous file's inspection at once)
    await page.setInputFiles('[data-testid=file-input]', fixturePath('io', name));
    await page.waitForSelector('#inspect:not([hidden])');
    return page.$$eval('#preview li', (items) => items.map((li) => li.textContent));
  };
  for (const plain of ['lf.jsonl', 'array.json', 'quoted.csv']) {
    const expected = await previewOf(plain);
    assert.ok(expected.length >= 2, `${plain}: ${expected}`);
    for (const compressed of [`${plain}.gz`, `${plain}.zst`]) {
      assert.deepEqual(await previewOf(compressed), expected, compressed);
    }
  }
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('a file with no text at the compared fields says so, and the named field is used', async () => {
  const input = path.join(tmp, 'questions.jsonl');
  writeFileSync(input, '{"id": 1, "turns": ["Plan a trip.", "Shorter."]}\n{"id": 2, "turns": ["Plan a trip.", "Shorter."]}\n');
  const { page, consoleErrors } = await openReady();
  await page.setInputFiles('[data-testid=file-input]', input);
  await page.waitForSelector('[data-testid=inspect-notice]');
  assert.match(await page.textContent('[data-testid=inspect-notice]'), /dedup, filters and contamination checks would compare nothing/);
  assert.match(await page.textContent('#inspect-facts'), /compared textnone: name the field\(s\) to compare/);
  await runOn(page, input);
  const notice = await page.textContent('[data-testid=notice]');
  assert.match(notice, /schema is `unknown`, which has no default text field, so nothing was compared: all 2 readable rows were kept/);
  assert.match(notice, /Fields that may hold text: `turns\[\*\]`/);
  const report = JSON.parse((await download(page, 'download-report')).bytes);
  // The CLI exits 2 on it (a CI gate must not pass a file it could not check) and writes the same report.
  assert.deepEqual(report.notices, JSON.parse(readFileSync(path.join(cli(['dedup', input, '--exact'], { alsoExpected: [2] }), 'report.json'))).notices);
  await page.fill('#fields-input', 'turns[*]');
  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-testid=summary] tr[data-code=exact_duplicate]');
  assert.equal(await page.locator('[data-testid=notice]').count(), 0);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('a download after the input changed on disk says why instead of failing silently', async () => {
  const input = path.join(tmp, 'changing.jsonl');
  writeFileSync(input, '{"text": "one"}\n{"text": "one"}\n{"text": "two"}\n');
  const { page, consoleErrors } = await openReady();
  await runOn(page, input);
  const before = await download(page, 'download-kept'); // readable: the download goes through
  assert.equal(before.bytes.toString(), '{"text": "one"}\n{"text": "two"}\n');
  writeFileSync(input, '{"text": "changed"}\n');
  utimesSync(input, new Date(), new Date(Date.now() + 60_000));
  await page.click('[data-testid=download-removed]');
  await page.waitForSelector('[data-testid=download-problem]:not(:empty)');
  assert.match(await page.textContent('[data-testid=download-problem]'),
    /changing\.jsonl changed on disk \(or can no longer be read\) since the run, and removed\.jsonl is made of its bytes: choose the file again and run again/);
  // Run on the stale File: the engine says what to do instead of a browser error.
  await page.click('[data-testid=run]');
  await page.waitForSelector('#status .errors');
  assert.match(await page.textContent('#status'), /changing\.jsonl can no longer be read \(was it changed or moved on disk after you chose it\?\): choose it again/);
  // Chosen again, the changed file runs (a click on the picker clears it, so choosing the same
  // file again is a change; Playwright sets files without the click).
  await page.setInputFiles('[data-testid=file-input]', []);
  await runOn(page, input);
  assert.match(await page.textContent('[data-testid=summary]'), /^1\s*rows in/);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('the config box runs only what it shows: Run waits while it is not a config', async () => {
  const { page, consoleErrors } = await openReady();
  await page.setInputFiles('[data-testid=file-input]', fixturePath('parity', 'mixed.jsonl'));
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  await page.click('summary');
  for (const [text, message] of [['{"dedup": ', /not valid JSON yet/], ['null', /the config is a JSON object/], ['[]', /the config is a JSON object/]]) {
    await page.fill('[data-testid=config-json]', text);
    assert.match(await page.textContent('#config-error'), message, text);
    assert.equal(await page.isDisabled('[data-testid=run]'), true, text);
  }
  await page.fill('[data-testid=config-json]', JSON.stringify({ dedup: { exact: {} } }));
  assert.equal(await page.textContent('#config-error'), '');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])');
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('a setting that needs a box ticks it, instead of being ignored', async () => {
  const { page, consoleErrors } = await openReady();
  const config = async () => JSON.parse(await page.inputValue('[data-testid=config-json]'));
  assert.equal(await page.isChecked('#near'), false);
  await page.check('#near-verify');
  assert.equal(await page.isChecked('#near'), true, 'ticking "verify" ticks near dedup');
  // Un-ticking it says nothing about wanting near dedup.
  await page.uncheck('#near');
  await page.uncheck('#near-verify');
  assert.equal(await page.isChecked('#near'), false);
  await page.fill('#near-threshold', '0.7');
  assert.equal(await page.isChecked('#near'), true);
  assert.equal((await config()).dedup.near.threshold, 0.7);

  assert.equal(await page.isChecked('[data-testid=prefs]'), false);
  await page.fill('#max-length', '1024');
  assert.equal(await page.isChecked('[data-testid=prefs]'), true);
  assert.equal((await config()).prefs.max_length, 1024);
  await page.uncheck('[data-testid=prefs]');
  assert.equal((await config()).prefs, undefined);
  await page.setInputFiles('[data-testid=tokenizer]', fixturePath('prefs', 'tiny-bpe-tokenizer.json'));
  assert.equal(await page.isChecked('[data-testid=prefs]'), true, 'choosing a tokenizer ticks the box');

  await page.fill('#min-words', '10');
  assert.equal(await page.isChecked('[data-rule=basic]'), true);
  assert.equal((await config()).filter.basic.min_words, 10);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('accessibility: axe finds no violation before and after runs; focus lands on the result', async () => {
  // axe-core (npm dev dependency) evaluated into the page by the test driver, not by the page.
  const axe = readFileSync(path.join(REPO_ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  const violations = async (page) => {
    await page.evaluate(axe);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  };
  const { page, consoleErrors } = await openReady();
  assert.deepEqual(await violations(page), [], 'the page as loaded');
  // Quality filters, exact and near dedup: the summary, thresholds with charts, clusters, rows.
  await page.selectOption('[data-testid=preset]', 'fineweb-style');
  await page.click('[data-testid=demo]');
  await page.waitForSelector('[data-testid=clusters]:not([hidden])');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'results-h', 'the keyboard focus is on the result');
  assert.deepEqual(await violations(page), [], 'after a filter and dedup run');
  // Preference pairs: facts, charts and pair views with marked differences.
  await page.selectOption('[data-testid=preset]', 'dpo-preflight');
  await runOn(page, fixturePath('prefs', 'checks_implicit.jsonl'));
  await page.waitForSelector('[data-testid=prefs-stats]:not([hidden])');
  assert.deepEqual(await violations(page), [], 'after a preference-pair run');
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('user text is rendered as text, never as HTML', async () => {
  const { page } = await openReady();
  await runOn(page, fixturePath('parity', 'mixed.jsonl'));
  // The fixture's last two rows hold `<img src=x onerror=alert(1)>`; one is removed as a
  // duplicate, so it is listed with its text.
  const removedText = await page.textContent('#removed-rows');
  assert.match(removedText, /<img src=x onerror=alert\(1\)>/);
  assert.equal(await page.locator('#removed-rows img, #preview img, #summary img').count(), 0);
  assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0);
  await page.close();
});

test('the demo button runs on the bundled sample and matches the CLI', async () => {
  const { page, consoleErrors } = await openReady();
  await page.click('[data-testid=demo]');
  await page.waitForSelector('#results:not([hidden])');
  const report = JSON.parse((await download(page, 'download-report')).bytes);
  const cliReport = JSON.parse(readFileSync(path.join(cli(['dedup', path.join(REPO_ROOT, 'www/demo/demo.jsonl'), '--exact', '--near']), 'report.json')));
  assert.deepEqual(comparable(report), comparable(cliReport));
  assert.ok(report.rows_in > 20);
  assert.ok(report.removed_by.exact_duplicate >= 1);
  assert.ok(report.removed_by.near_duplicate >= 1);
  await page.waitForSelector('[data-testid=clusters]:not([hidden])');
  if (process.env.UPDATE_SCREENSHOT) {
    await page.screenshot({ path: path.join(REPO_ROOT, 'docs/screenshot.png'), fullPage: true });
  }
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('cancel stops a long run at once and the page stays usable', async () => {
  // ~40 MB of rows: long enough to cancel mid-way on any machine.
  const big = path.join(tmp, 'big.jsonl');
  const line = JSON.stringify({ text: 'lorem ipsum dolor sit amet '.repeat(40) }) + '\n';
  const rows = [];
  for (let i = 0; i < 36000; i++) rows.push(line.replace('lorem', `lorem${i % 5000}`));
  writeFileSync(big, rows.join(''));
  const { page, consoleErrors } = await openReady();
  await page.setInputFiles('[data-testid=file-input]', big);
  await page.waitForSelector('[data-testid=run]:not([disabled])', { timeout: 120000 });
  // The quality filters make the run take seconds (exact dedup alone can finish 40 MB before
  // the cancel click lands on a fast machine).
  await page.selectOption('[data-testid=preset]', 'fineweb-style');
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => document.querySelector('[data-testid=progress]').value > 0);
  // The main thread answers while the engine works.
  const started = Date.now();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  assert.ok(Date.now() - started < 1000, 'main thread stays responsive during a run');
  const requestsBefore = harness.network.requests.length;
  await page.click('[data-testid=cancel]');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'cancelled');
  assert.equal(await page.isDisabled('[data-testid=cancel]'), true);
  assert.equal(await page.isHidden('#results'), true);
  // A new run after a cancel works (same preset: the filters' reasons show), and comes after the
  // cancelled job without its outputs or progress showing.
  await runOn(page, fixturePath('parity', 'mixed.jsonl'));
  const summary = await page.textContent('[data-testid=summary]');
  assert.match(summary, /^18\s*rows in/);
  assert.match(summary, /gopher_short_doc/);
  // Cancelling fetched nothing: the engine was not restarted (a page that lost its server after
  // loading must keep working).
  assert.deepEqual(harness.network.requests.slice(requestsBefore).map((r) => r.url), []);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('out of wasm memory: a readable error, a new engine, and the next run works', async () => {
  // 3 MB of distinct rows: more than the engine's heap has free once its memory is full.
  const input = path.join(tmp, 'rows-3mb.jsonl');
  writeFileSync(input, Array.from({ length: 30000 }, (_, i) => JSON.stringify({ text: `row ${i} ${'word '.repeat(12)}${i * 7919}` })).join('\n') + '\n');
  const { page, consoleErrors } = await openReady();
  // What a file with tens of millions of rows does: the engine's WebAssembly memory reaches the
  // 4 GiB wasm32 can address. Here the test takes the rest of it first, from inside the worker.
  const engine = page.workers().find((w) => w.url().endsWith('/worker.js'));
  const full = await engine.evaluate(async () => {
    const glue = await import(new URL('./pkg/datasieve_wasm.js', self.location.href).href);
    const { memory } = await glue.default(); // already instantiated: the engine's own exports
    for (let pages = 16384; pages >= 1; pages = Math.floor(pages / 2)) {
      try { for (;;) memory.grow(pages); } catch { /* no room for this many pages */ }
    }
    return memory.buffer.byteLength;
  });
  assert.ok(full > 4294967296 - 65536 * 64, `memory full: ${full}`);
  await page.setInputFiles('[data-testid=file-input]', input);
  await page.waitForSelector('#status .errors');
  assert.match(await page.textContent('#status'),
    /Error: the engine ran out of memory: it holds 4\.0 GiB, and a page's WebAssembly can address 4 GiB at most\. This file has too many rows for the page; the CLI \(datasieve\) has no such limit\. The engine was restarted\./);
  assert.notEqual(page.workers().find((w) => w.url().endsWith('/worker.js')), engine, 'a new engine worker');
  // The new engine runs the same file.
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])');
  assert.match(await page.textContent('[data-testid=summary]'), /30,000\s*rows in/);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('a binary file gets a clear error, not a crash', async () => {
  const bin = path.join(tmp, 'image.png');
  writeFileSync(bin, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));
  const { page } = await openReady();
  // What the page showed about the file before goes: it is not about this one.
  await runOn(page, fixturePath('parity', 'mixed.jsonl'));
  assert.equal(await page.isHidden('#inspect'), false);
  await page.setInputFiles('[data-testid=file-input]', bin);
  await page.waitForSelector('#status .errors');
  assert.match(await page.textContent('#status'), /binary file/);
  assert.equal(await page.isHidden('#inspect'), true);
  assert.equal(await page.isHidden('#results'), true);
  assert.equal(await page.isDisabled('[data-testid=file-input]'), false);
  await page.close();
});
