// Near-duplicate dedup and contamination in the page: the same report as the CLI, the cluster
// viewer with Jaccard and differing words marked, an eval set picked beside the training file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cliPath, comparable, REPO_ROOT, runCli, saveDownload, startHarness } from './harness.mjs';

const cli = (args) => JSON.parse(readFileSync(path.join(runCli(args), 'report.json')));
const report = async (page) => JSON.parse((await saveDownload(page, 'download-report')).bytes);

let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'datasieve-e2e-dedup-'));
const DEMO = path.join(REPO_ROOT, 'www/demo/demo.jsonl');

test('near duplicates: same clusters as `datasieve dedup --exact --near`, viewer shows Jaccard and differences', async () => {
  const { page, consoleErrors } = await harness.openPage('/');
  await page.waitForSelector('body[data-ready=true]');
  await page.check('[data-testid=near]');
  await page.setInputFiles('[data-testid=file-input]', DEMO);
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])');
  const r = await report(page);
  assert.deepEqual(comparable(r), comparable(cli(['dedup', DEMO, '--exact', '--near'])));
  assert.ok(r.removed_by.near_duplicate >= 1);
  assert.ok(r.stats.dedup.near.clusters >= 1);

  await page.waitForSelector('[data-testid=clusters]:not([hidden])');
  const members = page.locator('#cluster-view .member');
  assert.ok(await members.count() >= 2);
  const meta = await members.nth(1).locator('.meta').textContent();
  const jaccard = Number(meta.match(/Jaccard (\d\.\d{3}) with row \d+/)[1]);
  assert.ok(jaccard > 0.7 && jaccard < 1, `a near duplicate's exact Jaccard is shown (${jaccard})`);
  // The viewer shows the compared text, not the raw JSON row.
  assert.doesNotMatch(await members.nth(0).locator('.text').textContent(), /^\{"text"/);
  assert.ok(await page.locator('#cluster-view ins').count() >= 1, 'differing words are marked');
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('a near-dedup run that removes nothing says so, with the scheme it ran with', async () => {
  const distinct = path.join(tmp, 'distinct.jsonl');
  // Letters only: simplify_text maps every digit to 0.
  const word = (n) => Array.from({ length: 4 }, (_, k) => String.fromCharCode(97 + (Math.floor(n / 26 ** k) % 26))).join('');
  const words = (seed) => Array.from({ length: 40 }, (_, i) => word((seed * 7919 + i * 104729) % 456976)).join(' ');
  writeFileSync(distinct, Array.from({ length: 20 }, (_, i) => JSON.stringify({ text: words(i + 1) })).join('\n') + '\n');
  const { page, consoleErrors } = await harness.openPage('/');
  await page.waitForSelector('body[data-ready=true]');
  await page.check('[data-testid=near]');
  await page.setInputFiles('[data-testid=file-input]', distinct);
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])');
  assert.equal((await report(page)).rows_removed, 0);
  assert.equal(await page.textContent('[data-testid=nothing-removed]'), 'No row was removed: every row passed the steps that ran.');
  await page.waitForSelector('[data-testid=clusters]:not([hidden])');
  assert.equal(await page.textContent('#cluster-facts'),
    'No near-duplicate clusters (14 bands × 8 rows, 112 permutations, 5-word shingles): no two compared texts share a band.');
  assert.ok(await page.locator('#cluster-pick').isHidden());
  // The next run, with clusters, shows the picker and the table of reasons again.
  await page.setInputFiles('[data-testid=file-input]', DEMO);
  await page.waitForSelector('#inspect:not([hidden])');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])');
  await page.waitForSelector('#cluster-pick:not([hidden])');
  assert.ok(await page.locator('#cluster-view .member').count() >= 2);
  assert.equal(await page.locator('[data-testid=nothing-removed]').count(), 0);
  assert.ok(await page.locator('[data-testid=summary] tr[data-code=near_duplicate]').count() === 1);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('contamination: an eval set picked beside the training file flags shared 13-grams', async () => {
  const rows = readFileSync(DEMO, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // An "eval set" holding a passage of one long training document.
  const long = rows.find((r) => r.text.split(/\s+/).length > 200).text;
  const evalPath = path.join(tmp, 'eval.jsonl');
  writeFileSync(evalPath, `${JSON.stringify({ question: long.split(/\s+/).slice(40, 80).join(' '), answer: 'B' })}\n`);
  const { page } = await harness.openPage('/');
  await page.waitForSelector('body[data-ready=true]');
  await page.uncheck('[data-testid=exact]');
  await page.setInputFiles('[data-testid=eval-files]', evalPath);
  await page.setInputFiles('[data-testid=file-input]', DEMO);
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])');
  const r = await report(page);
  assert.ok(r.removed_by.contamination >= 1, 'the document and its copies are flagged');
  assert.deepEqual(r.stats.contamination.eval_sets, [{ name: 'eval.jsonl', rows: 1 }]);
  const configPath = path.join(tmp, 'config.json');
  writeFileSync(configPath, JSON.stringify(r.config));
  const c = (() => {
    const out = mkdtempSync(path.join(tmp, 'cli-'));
    try {
      execFileSync(cliPath(), ['run', DEMO, '--config', configPath, '--against', evalPath, '--out', out], { stdio: 'pipe' });
    } catch (e) {
      assert.equal(e.status, 1, String(e.stderr));
    }
    return JSON.parse(readFileSync(path.join(out, 'report.json')));
  })();
  assert.deepEqual(comparable(r), comparable(c));
  await page.selectOption('[data-testid=reason-filter]', 'contamination');
  assert.match(await page.textContent('#removed-rows'), /contamination/);
  await page.close();
});
