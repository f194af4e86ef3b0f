// The DPO pre-flight check in the page: the preset, findings grouped by code (the same report as
// `datasieve prefs`), a row's divergence highlighted, statistics, and the TRL export download.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cliPath, comparable, fixturePath, saveDownload as save, startHarness } from './harness.mjs';

let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const tmp = mkdtempSync(path.join(os.tmpdir(), 'datasieve-e2e-prefs-'));

async function runPreflight(page, file) {
  await page.selectOption('[data-testid=preset]', 'dpo-preflight');
  await page.setInputFiles('[data-testid=file-input]', file);
  await page.waitForSelector('[data-testid=run]:not([disabled])');
  await page.click('[data-testid=run]');
  await page.waitForSelector('#results:not([hidden])');
}

test('DPO pre-flight: same findings as `datasieve prefs`, divergence highlighted, TRL export', async () => {
  const input = fixturePath('prefs', 'checks_implicit.jsonl');
  const { page, consoleErrors } = await harness.openPage('/');
  await page.waitForSelector('body[data-ready=true]');
  await runPreflight(page, input);

  const report = JSON.parse((await save(page, 'download-report')).bytes);
  assert.equal(report.removed_by.prompt_mismatch, 2);
  const out = path.join(tmp, 'cli');
  try {
    execFileSync(cliPath(), ['prefs', input, '--export', 'trl', '--out', out], { stdio: 'pipe' });
    assert.fail('errors in the file give exit code 1');
  } catch (e) {
    assert.equal(e.status, 1, String(e.stderr));
  }
  assert.deepEqual(comparable(report), comparable(JSON.parse(readFileSync(path.join(out, 'report.json')))));

  // Findings grouped by code with counts.
  const summary = await page.textContent('[data-testid=summary]');
  assert.match(summary, /prompt_mismatch\s*2/);
  // The row viewer marks where the two implicit prompts diverge.
  await page.selectOption('[data-testid=reason-filter]', 'prompt_mismatch');
  const marks = page.locator('#removed-rows mark');
  assert.ok(await marks.count() >= 2, 'both sides show the divergence');
  // Both prompts are shown, each marked from where they part ("Tell me about the history of …").
  const greece = page.locator('#removed-rows li', { hasText: 'Greece' });
  assert.equal(await greece.locator('[data-side=prompt] mark').textContent(), 'Rome in detail.');
  assert.equal(await greece.locator('[data-side=rejected_prompt] mark').textContent(), 'Greece.');
  assert.equal(await greece.locator('[data-side=chosen] mark, [data-side=rejected] mark').count(), 0, 'the completions are not where they part');
  // Statistics.
  assert.equal(await page.isVisible('[data-testid=prefs-stats]'), true);
  assert.match(await page.textContent('#prefs-facts'), /conversational_implicit|standard_implicit/);

  const exported = await save(page, 'download-export');
  assert.equal(exported.name, 'export.trl.jsonl');
  assert.deepEqual(exported.bytes, readFileSync(path.join(out, 'export.trl.jsonl')));
  for (const line of exported.bytes.toString().trim().split('\n')) {
    const row = JSON.parse(line);
    assert.ok(Array.isArray(row.prompt) && Array.isArray(row.chosen) && Array.isArray(row.rejected));
  }
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('a tokenizer.json picked from disk gives exact token counts', async () => {
  const { page } = await harness.openPage('/');
  await page.waitForSelector('body[data-ready=true]');
  await page.setInputFiles('[data-testid=tokenizer]', fixturePath('prefs', 'tiny-bpe-tokenizer.json'));
  await runPreflight(page, fixturePath('prefs', 'checks_lengths.jsonl'));
  const report = JSON.parse((await save(page, 'download-report')).bytes);
  assert.equal(report.stats.prefs.token_counting.kind, 'tokenizer');
  assert.match(await page.textContent('#prefs-facts'), /tiny-bpe-tokenizer\.json/);
  await page.close();
});
