// Parallel signing in the page: near dedup of a large JSONL file signs its byte ranges in several
// sign workers (www/sign-worker.js) and gives the same report and decisions as the CLI; cancel
// stops the sign workers too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { comparable, fixturePath, REPO_ROOT, runCli, saveDownload, startHarness } from './harness.mjs';

function cli(args) {
  const out = runCli(args);
  return {
    report: JSON.parse(readFileSync(path.join(out, 'report.json'))),
    decisions: readFileSync(path.join(out, 'decisions.jsonl'), 'utf8'),
  };
}

const download = async (page, testid) => (await saveDownload(page, testid)).bytes.toString('utf8');

let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'datasieve-e2e-parallel-'));

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * About `mb` MB of JSONL documents of 60–200 words; about one row in eight is an edited copy of
 * an earlier row (a near duplicate), one in fifty an exact copy; with CRLF lines, blank lines, an
 * unreadable line, rows without text and rows too short to sign, and a BOM at the start.
 */
function generate(file, mb) {
  const random = rng(7);
  const vocabulary = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}${'aeiou'[i % 5]}`);
  const lines = [];
  const docs = [];
  let bytes = 3;
  for (let i = 0; bytes < mb * 1e6; i++) {
    let text;
    const roll = random();
    if (docs.length > 10 && roll < 0.12) {
      const words = docs[Math.floor(random() * docs.length)].split(' ');
      for (let e = 0; e < 3; e++) words[Math.floor(random() * words.length)] = vocabulary[Math.floor(random() * 5000)];
      text = words.join(' ');
    } else if (docs.length > 10 && roll < 0.14) {
      text = docs[Math.floor(random() * docs.length)];
    } else {
      const n = 60 + Math.floor(random() * 140);
      text = Array.from({ length: n }, () => vocabulary[Math.floor(random() * 5000)]).join(' ');
      docs.push(text);
    }
    let line = JSON.stringify({ id: i, text }) + (i % 7 === 0 ? '\r\n' : '\n');
    if (i % 997 === 5) line += '\n';
    if (i % 1999 === 11) line += '{"text": "an unreadable line\n';
    if (i % 1499 === 3) line += '{"id": "no text"}\n';
    if (i % 1301 === 9) line += '{"text": "too short"}\n';
    lines.push(line);
    bytes += line.length;
  }
  writeFileSync(file, '\uFEFF' + lines.join(''));
}

const BIG = path.join(tmp, 'near-10mb.jsonl');
generate(BIG, 10);

async function openReady() {
  const opened = await harness.openPage('/');
  await opened.page.waitForSelector('body[data-ready=true]');
  return opened;
}

test('near dedup of a 10 MB JSONL signs in several workers: same report and decisions as the CLI', async () => {
  const { page, consoleErrors } = await openReady();
  // The sign workers were started with the engine, while the page loaded: the job fetches nothing.
  harness.network.markLoaded();
  await page.check('[data-testid=near]');
  await page.setInputFiles('[data-testid=file-input]', BIG);
  await page.waitForSelector('[data-testid=run]:not([disabled])', { timeout: 300000 });
  // Every status the page shows, recorded in the page as it changes (polling from here can miss a
  // phase that lasts less than one round trip on a loaded machine).
  await page.evaluate(() => {
    window.seenPhases = [];
    const status = document.getElementById('status');
    new MutationObserver(() => window.seenPhases.push(status.textContent.split(':')[0]))
      .observe(status, { childList: true, characterData: true, subtree: true });
  });
  // A first run cancelled while the sign workers are at it (if this machine is not done first):
  // they drop its ranges, and the run after it gets every range of its own.
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => window.seenPhases.some((p) => p === 'signing in parallel' || p === 'done'));
  await page.evaluate(() => document.querySelector('[data-testid=cancel]').click());
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  await page.evaluate(() => { window.seenPhases = []; });
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => window.seenPhases.includes('done'), null, { timeout: 600000 });
  const phases = new Set(await page.evaluate(() => window.seenPhases));
  const report = JSON.parse(await download(page, 'download-report'));
  const decisions = await download(page, 'download-decisions');
  const expected = cli(['dedup', BIG, '--exact', '--near']);
  assert.ok(report.timings_ms.sign_workers >= 2, `sign workers: ${report.timings_ms.sign_workers}`);
  assert.ok(report.timings_ms.sign > 0);
  assert.deepEqual(comparable(report), comparable(expected.report));
  assert.equal(decisions, expected.decisions);
  assert.ok(report.removed_by.near_duplicate > 1000, 'the edited copies are found');
  assert.ok(report.removed_by.parse_error >= 1);
  assert.ok(phases.has('signing in parallel'), `progress phases: ${[...phases]}`);
  assert.deepEqual(harness.network.afterLoad().filter((r) => !r.url.startsWith('blob:')), [],
    'parallel signing makes no network request');
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

/** Runs `config` on the chosen file in fresh engine workers, forced to `workers` sign workers each. */
async function forcedRuns(page, config, workerCounts) {
  return page.evaluate(async ({ config, workerCounts }) => {
    const file = document.querySelector('[data-testid=file-input]').files[0];
    const once = (workers) => new Promise((resolve, reject) => {
      const w = new Worker(new URL('./worker.js', location.href), { type: 'module' });
      w.onmessage = ({ data }) => {
        if (data.type === 'ready') w.postMessage({ type: 'run', id: 1, file, config: { ...config, input: { file_name: file.name } }, workers });
        if (data.type === 'error') reject(new Error(data.message));
        if (data.type === 'done') {
          data.decisions.text().then((decisions) => {
            w.terminate();
            resolve({ report: JSON.parse(data.report), decisions });
          });
        }
      };
    });
    const runs = [];
    for (const n of workerCounts) runs.push(await once(n));
    return runs;
  }, { config, workerCounts });
}

test('forced parallel signing of a small file (ranges smaller than format sniffing) matches one worker', async () => {
  const demo = path.join(REPO_ROOT, 'www/demo/demo.jsonl');
  const { page, consoleErrors } = await openReady();
  await page.setInputFiles('[data-testid=file-input]', demo);
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  // Drive a fresh engine worker directly: once forced to 3 sign workers, once to none.
  const config = { dedup: { exact: {}, near: { threshold: 0.7 } } };
  const [parallel, single] = await forcedRuns(page, config, [3, 1]);
  assert.equal(parallel.report.timings_ms.sign_workers, 3);
  assert.equal(single.report.timings_ms.sign_workers, undefined);
  assert.deepEqual(comparable(parallel.report), comparable(single.report));
  assert.equal(parallel.decisions, single.decisions);
  assert.ok(parallel.report.stats.dedup.near.clusters >= 1);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('a text file whose lines start with `{` is not signed as JSONL in parallel: same clusters as the CLI', async () => {
  // Documents, one per line, that open with a `{tag}`: the engine reads text lines (the CLI
  // too); sign workers read JSONL, so signing them in parallel would give no row a signature.
  const texts = readFileSync(path.join(REPO_ROOT, 'www/demo/demo.jsonl'), 'utf8')
    .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l).text.replace(/\s+/g, ' '));
  const notes = path.join(tmp, 'notes.txt');
  writeFileSync(notes, texts.map((t, i) => `{draft ${i}} ${t}\n`).join(''));
  const config = { dedup: { near: { threshold: 0.7 } } };
  const expected = cli(['run', notes, '--config', JSON.stringify(config)]);
  assert.ok(expected.report.stats.dedup.near.clusters >= 1, 'the CLI finds clusters');
  assert.equal(expected.report.input.format, 'text');
  const { page, consoleErrors } = await openReady();
  await page.setInputFiles('[data-testid=file-input]', notes);
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  const [asked] = await forcedRuns(page, config, [3]);
  assert.equal(asked.report.timings_ms.sign_workers, undefined, 'signed in the engine worker');
  assert.deepEqual(comparable(asked.report), comparable(expected.report));
  assert.equal(asked.decisions, expected.decisions);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('cancel during parallel signing stops the engine job and its sign workers, and fetches nothing', async () => {
  // Large enough that signing is still under way when the cancel lands.
  const huge = path.join(tmp, 'near-40mb.jsonl');
  generate(huge, 40);
  const { page, consoleErrors } = await openReady();
  await page.check('[data-testid=near]');
  await page.setInputFiles('[data-testid=file-input]', huge);
  await page.waitForSelector('[data-testid=run]:not([disabled])', { timeout: 300000 });
  // The engine worker started its sign workers while the page loaded (Playwright lists nested
  // workers too). Each says which job it is signing for (`signingJob`, null when idle).
  const signers = page.workers().filter((w) => w.url().endsWith('/sign-worker.js'));
  assert.ok(signers.length >= 2, `sign workers started: ${signers.length}`);
  const closed = signers.map(() => false);
  signers.forEach((w, i) => w.once('close', () => { closed[i] = true; }));
  const requestsBefore = harness.network.requests.length;
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('signing'), null, { timeout: 120000 });
  const status = await page.textContent('#status');
  const [signed, total] = [...status.matchAll(/([\d.]+) MB/g)].map((m) => Number(m[1]));
  assert.ok(signed < total / 2, `cancelled early in signing (${status})`);
  const busy = await Promise.all(signers.map((w) => w.evaluate(() => self.signingJob)));
  assert.ok(busy.some((job) => job !== null), `the sign workers are signing when the cancel lands: ${busy}`);
  await page.click('[data-testid=cancel]');
  const cancelledAt = Date.now();
  // 'cancelled' shows once the engine has stopped the job (at its next 16 MB chunk). With the
  // --dev wasm build signing this file takes some 20 s, so stopping within 5 s is the cancel, not
  // the work running out.
  await page.waitForFunction(() => document.getElementById('status').textContent === 'cancelled', null, { timeout: 5000 });
  // The sign workers drop the job's ranges too: idle, still alive, ready for the next job.
  for (;;) {
    const jobs = await Promise.all(signers.map((w) => w.evaluate(() => self.signingJob)));
    if (jobs.every((job) => job === null)) break;
    assert.ok(Date.now() - cancelledAt < 5000, `a sign worker is still signing the cancelled job: ${jobs}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(closed, signers.map(() => false), 'no worker was terminated');
  // The page stays usable: a small job runs to the end, and nothing was fetched for any of it.
  await page.setInputFiles('[data-testid=file-input]', path.join(REPO_ROOT, 'www/demo/demo.jsonl'));
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])', { timeout: 60000 });
  assert.deepEqual(harness.network.requests.slice(requestsBefore).map((r) => r.url), []);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('near dedup of a gzip JSONL: one worker decompresses, the others sign; same report and decisions as the CLI', async () => {
  // A gzip file cannot be cut by seeking: a sign worker decompresses it and deals plain ranges to
  // the others while the engine reads the compressed file. Several members, as concatenated
  // shards are: rows straddle members.
  const plain = readFileSync(BIG);
  const gz = path.join(tmp, 'near-10mb.jsonl.gz');
  const third = Math.floor(plain.length / 3);
  writeFileSync(gz, Buffer.concat([plain.subarray(0, third), plain.subarray(third, 2 * third), plain.subarray(2 * third)]
    .map((part) => gzipSync(part))));
  assert.ok(statSync(gz).size > 2e6, 'over the size from which a compressed file is signed in parallel');
  const { page, consoleErrors } = await openReady();
  const requestsBefore = harness.network.requests.length;
  await page.check('[data-testid=near]');
  await page.setInputFiles('[data-testid=file-input]', gz);
  await page.waitForSelector('[data-testid=run]:not([disabled])', { timeout: 300000 });
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])', { timeout: 600000 });
  const report = JSON.parse(await download(page, 'download-report'));
  const decisions = await download(page, 'download-decisions');
  const expected = cli(['dedup', gz, '--exact', '--near']);
  assert.equal(report.input.compression, 'gzip');
  assert.ok(report.timings_ms.sign_workers >= 1, `sign workers: ${report.timings_ms.sign_workers}`);
  assert.ok(report.timings_ms.sign > 0);
  assert.deepEqual(comparable(report), comparable(expected.report));
  assert.equal(decisions, expected.decisions);
  assert.ok(report.removed_by.near_duplicate > 1000, 'the edited copies are found');
  assert.deepEqual(harness.network.requests.slice(requestsBefore).map((r) => r.url), [],
    'the decompressing worker was started with the page');

  // A damaged file (cut short in its second half): the decompressing worker stops there, and the
  // job fails with the engine's own message, as with one worker.
  const cutShort = path.join(tmp, 'near-cut-short.jsonl.gz');
  const whole = readFileSync(gz);
  writeFileSync(cutShort, whole.subarray(0, Math.floor(whole.length * 0.8)));
  await page.setInputFiles('[data-testid=file-input]', cutShort);
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  const config = { dedup: { exact: {}, near: {} } };
  const truncated = /the gzip stream is truncated: member 3 has no end \(the file was cut short after \d+ bytes\)/;
  await assert.rejects(forcedRuns(page, config, [2]), truncated);
  await assert.rejects(forcedRuns(page, config, [1]), truncated);

  // zstd (several frames) takes the same road: forced to two workers, the one worker's result.
  await page.setInputFiles('[data-testid=file-input]', fixturePath('io', 'zstd_frames.jsonl'));
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  const [zstdParallel, zstdSingle] = await forcedRuns(page, config, [2, 1]);
  assert.equal(zstdParallel.report.input.compression, 'zstd');
  assert.ok(zstdParallel.report.timings_ms.sign_workers >= 1, 'signed by a worker fed by the decompressing one');
  assert.deepEqual(comparable(zstdParallel.report), comparable(zstdSingle.report));
  assert.equal(zstdParallel.decisions, zstdSingle.decisions);
  // A zstd file that opens with a skippable frame is zstd too (the page asks the core, which the
  // reader detects from, not magic bytes of its own).
  const skippable = path.join(tmp, 'skippable-first.jsonl.zst');
  const payload = Buffer.from('not data');
  const frame = Buffer.alloc(8);
  frame.writeUInt32LE(0x184d2a5a, 0);
  frame.writeUInt32LE(payload.length, 4);
  writeFileSync(skippable, Buffer.concat([frame, payload, readFileSync(fixturePath('io', 'zstd_frames.jsonl'))]));
  await page.setInputFiles('[data-testid=file-input]', skippable);
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  const [skipParallel, skipSingle] = await forcedRuns(page, config, [2, 1]);
  assert.equal(skipParallel.report.input.compression, 'zstd');
  assert.ok(skipParallel.report.timings_ms.sign_workers >= 1);
  assert.deepEqual(comparable(skipParallel.report), comparable(skipSingle.report));
  assert.equal(skipParallel.decisions, skipSingle.decisions);
  assert.equal(skipParallel.decisions, zstdSingle.decisions);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('cancel while a gzip file is decompressed and signed in workers stops all of them, and fetches nothing', async () => {
  const huge = path.join(tmp, 'near-40mb.jsonl');
  const gz = path.join(tmp, 'near-40mb.jsonl.gz');
  if (!existsSync(huge)) generate(huge, 40); // (the plain cancel test makes it too)
  writeFileSync(gz, gzipSync(readFileSync(huge)));
  const { page, consoleErrors } = await openReady();
  await page.check('[data-testid=near]');
  await page.setInputFiles('[data-testid=file-input]', gz);
  await page.waitForSelector('[data-testid=run]:not([disabled])', { timeout: 300000 });
  const signers = page.workers().filter((w) => w.url().endsWith('/sign-worker.js'));
  assert.ok(signers.length >= 3, `sign workers started, with the one that decompresses: ${signers.length}`);
  const requestsBefore = harness.network.requests.length;
  await page.click('[data-testid=run]');
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('signing'), null, { timeout: 120000 });
  await page.click('[data-testid=cancel]');
  const cancelledAt = Date.now();
  // 'cancelled', not 'done': the job was stopped before its end.
  await page.waitForFunction(() => document.getElementById('status').textContent === 'cancelled', null, { timeout: 5000 });
  // Every worker leaves the job: the one that decompresses (it awaits its reads, so it is seen
  // at the job) and the signers (they sign a range in one go: their count of ranges tells).
  const state = () => Promise.all(signers.map((w) => w.evaluate(() => [self.signingJob, self.rangesSigned])));
  for (;;) {
    const jobs = (await state()).map(([job]) => job);
    if (jobs.every((job) => job === null)) break;
    assert.ok(Date.now() - cancelledAt < 5000, `a worker is still at the cancelled job: ${jobs}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Stopped, not idle for a moment: no range is signed any more.
  const signed = async () => (await state()).reduce((sum, [, n]) => sum + n, 0);
  const stopped = await signed();
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await signed(), stopped, 'no range signed after the cancel');
  // The same workers run the file to the end next time, signing more ranges than the
  // cancelled run did.
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])', { timeout: 600000 });
  const report = JSON.parse(await download(page, 'download-report'));
  assert.ok(report.timings_ms.sign_workers >= 1, `sign workers: ${report.timings_ms.sign_workers}`);
  assert.ok(report.removed_by.near_duplicate > 1000);
  const whole = (await signed()) - stopped;
  assert.ok(stopped < whole, `the cancelled run signed ${stopped} ranges, a whole run ${whole}`);
  assert.deepEqual(harness.network.requests.slice(requestsBefore).map((r) => r.url), []);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});
