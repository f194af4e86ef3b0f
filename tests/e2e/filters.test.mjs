// Quality filters in the page: a preset, the same report as the CLI with the same config, the
// thresholds recounted at once from stored scores, the offending value shown per removed row.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cliPath, comparable, fixturePath, startHarness } from './harness.mjs';

let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'datasieve-e2e-filters-'));
const WEB_TEXT = fixturePath('filter', 'datatrove_verdicts.jsonl');

test('FineWeb-style preset: same report as `datasieve run --config`, thresholds recounted live', async () => {
  const { page, consoleErrors } = await harness.openPage('/');
  await page.waitForSelector('body[data-ready=true]');
  await page.selectOption('[data-testid=preset]', 'fineweb-style');
  await page.setInputFiles('[data-testid=file-input]', WEB_TEXT);
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  harness.network.markLoaded();
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])');

  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-report]')]);
  const reportPath = path.join(tmp, 'page-report.json');
  await dl.saveAs(reportPath);
  const report = JSON.parse(readFileSync(reportPath));
  assert.ok(report.config.filter.gopher_quality, 'the preset ran');
  assert.equal(report.config.filter.c4.filter_no_terminal_punct, false);

  // The CLI with the config the page ran gives the same report.
  const configPath = path.join(tmp, 'config.json');
  writeFileSync(configPath, JSON.stringify(report.config));
  const out = path.join(tmp, 'cli');
  try {
    execFileSync(cliPath(), ['run', WEB_TEXT, '--config', configPath, '--out', out], { stdio: 'pipe' });
  } catch (e) {
    assert.equal(e.status, 1, String(e.stderr));
  }
  assert.deepEqual(comparable(report), comparable(JSON.parse(readFileSync(path.join(out, 'report.json')))));
  assert.ok(report.rows_removed > 0 && report.rows_kept > 0);

  // Thresholds: moving min_doc_words to 0 keeps every too-short document.
  await page.waitForSelector('[data-testid=tuning]:not([hidden])');
  const shortDocs = report.removed_by.gopher_short_doc;
  assert.ok(shortDocs > 0, 'the fixture has short documents');
  const input = page.locator('input[data-key="gopher_quality.min_doc_words"]');
  assert.equal(await input.inputValue(), '50');
  await input.fill('0');
  await page.waitForFunction(() => document.querySelector('[data-testid=rejudged]').textContent.includes('With these thresholds'));
  const text = await page.textContent('[data-testid=rejudged]');
  const kept = Number(text.match(/kept ([\d,]+)/)[1].replace(/,/g, ''));
  assert.ok(kept > report.rows_kept, `moving the threshold keeps more rows (${kept} > ${report.rows_kept})`);
  assert.ok(!/gopher_short_doc/.test(text), 'no row is short under min 0');
  assert.deepEqual(harness.network.afterLoad(), [], 'rejudging reads nothing');

  // An emptied box is not a threshold of 0 (which here would remove every document with a line
  // break as a list).
  await page.locator('input[data-key="fineweb.new_line_ratio"]').fill('');
  // Gopher's symbol ratio bounds both `#` and `...`: its two rows hold one key and stay in step.
  // (Also a recount after the emptied box: the engine answers in order.)
  const symbolRows = page.locator('input[data-key="gopher_quality.max_symbol_word_ratio"]');
  assert.equal(await symbolRows.count(), 2);
  await symbolRows.nth(0).fill('0.5');
  await page.waitForFunction((before) => document.querySelector('[data-testid=rejudged]').textContent !== before, text);
  const keptAfter = Number((await page.textContent('[data-testid=rejudged]')).match(/kept ([\d,]+)/)[1].replace(/,/g, ''));
  assert.ok(keptAfter >= kept, `a looser symbol bound and an empty box keep at least as many rows (${keptAfter} >= ${kept})`);
  assert.equal(await symbolRows.nth(1).inputValue(), '0.5', 'the other row shows the new bound');

  // Every removed row is listed, inside a box that scrolls: the page does not grow with them.
  const box = await page.evaluate(() => {
    const list = document.querySelector('#removed-rows');
    return { height: list.getBoundingClientRect().height, content: list.scrollHeight, viewport: innerHeight };
  });
  assert.ok(box.content > box.height, `the list's content (${box.content}px) is taller than its box`);
  assert.ok(box.height <= box.viewport * 0.75 + 20, `the removed-rows list is ${box.height}px high`);

  // Removed rows show the offending value.
  await page.selectOption('[data-testid=reason-filter]', 'gopher_short_doc');
  const listed = await page.textContent('#removed-rows');
  assert.match(listed, /gopher_quality\.words = \d+ \(min 50\)/);
  const listedCount = await page.locator('#removed-rows > li').count();
  assert.equal(await page.textContent('[data-testid=removed-count]'), `${listedCount} row${listedCount === 1 ? '' : 's'} listed`);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('the pipeline config is editable and drives the run', async () => {
  const { page } = await harness.openPage('/');
  await page.waitForSelector('body[data-ready=true]');
  await page.click('summary');
  await page.fill('[data-testid=config-json]', JSON.stringify({ fields: [], dedup: {}, filter: { basic: { min_words: 400 } } }));
  assert.equal(await page.isChecked('[data-testid=exact]'), false);
  assert.equal(await page.isChecked('[data-rule=basic]'), true);
  await page.setInputFiles('[data-testid=file-input]', WEB_TEXT);
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])');
  const summary = await page.textContent('[data-testid=summary]');
  assert.match(summary, /too_short/);
  assert.doesNotMatch(summary, /exact_duplicate/);
  // A contamination check with no eval set picked would compare nothing: an error, not a pass.
  await page.fill('[data-testid=config-json]', JSON.stringify({ contamination: {} }));
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#status .errors');
  assert.match(await page.textContent('#status'), /contamination is enabled but no evaluation set was given.*pick eval set/s);
  assert.equal(await page.isHidden('#results'), true);
  await page.close();
});
