// How far the built-in token-count estimate (src/prefs/tokens.rs, used when no tokenizer.json is
// given) is from real BPE tokenizers, per kind of text, on the real data in ../shared/data.
//
//   cargo build --release --example token_estimate      # the core's estimate, from the repository root
//   cd bench/tokens && npm install && node estimate_error.mjs [../../../shared/data]
//
// Tokenizers: OpenAI's cl100k_base (GPT-4, GPT-3.5) and o200k_base (GPT-4o), whose ranks ship in
// the js-tiktoken package (no download at run time). Dev-only, never a runtime dependency.
//
// For each text: relative error = (estimate − tokens) / tokens. Printed per kind and tokenizer:
// texts, tokens, the median and the 10th/90th percentiles of the relative error, the median of
// its absolute value, and the share of texts within ±25 %. `--json` prints the same as JSON.
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const dataDir = args.find((a) => !a.startsWith('--')) ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
if (!existsSync(dataDir)) {
  console.error(`skipped: no shared data at ${dataDir} (a clone without ../shared has none)`);
  process.exit(0);
}

const read = (rel) => readFileSync(path.join(dataDir, rel), 'utf8');
const jsonl = (text) => text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const values = (conversations) => conversations.map((m) => m.value);

// Each kind: [name, texts]. Message-level texts where the data is chat, as the prefs checks count them.
const kinds = [
  ['English speeches (SOTU, 1790–2023)', jsonl(gunzipSync(readFileSync(path.join(dataDir, 'sotu-addresses/sotu.jsonl.gz'))).toString('utf8')).map((r) => r.text)],
  ['English web pages (DCLM labels)', jsonl(read('dclm-human-quality-labels/majority_data.jsonl')).map((r) => r.text)],
  ['English chat transcripts (hh-rlhf chosen)', jsonl(read('hh-rlhf-harmless-base-sample/sample.jsonl')).map((r) => r.chosen)],
  ['English instructions and answers (alpaca_en)', JSON.parse(read('llamafactory-demos/alpaca_en_demo.json')).flatMap((r) => [r.instruction + (r.input ? `\n${r.input}` : ''), r.output])],
  ['English tool-call chats (glaive_toolcall_en)', JSON.parse(read('llamafactory-demos/glaive_toolcall_en_demo.json')).flatMap((r) => values(r.conversations))],
  ['GPT-4 answers with code and maths (MT-Bench)', jsonl(read('fastchat-data/mt_bench__reference_answer__gpt-4.jsonl')).flatMap((r) => r.choices[0].turns)],
  ['Chinese instructions and answers (alpaca_zh)', JSON.parse(read('llamafactory-demos/alpaca_zh_demo.json')).flatMap((r) => [r.instruction + (r.input ? `\n${r.input}` : ''), r.output])],
  ['Chinese preference pairs (dpo_zh)', JSON.parse(read('llamafactory-demos/dpo_zh_demo.json')).flatMap((r) => [...values(r.conversations), r.chosen.value, r.rejected.value])],
].map(([name, texts]) => [name, texts.filter((t) => typeof t === 'string' && t.trim())]);

const tokenizers = [['cl100k_base', new Tiktoken(cl100k)], ['o200k_base', new Tiktoken(o200k)]];
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const pct = (x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(0)} %`;

// The estimate from the core itself (examples/token_estimate.rs), not a restatement of it.
const estimator = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../target/release/examples/token_estimate');
if (!existsSync(estimator)) {
  console.error(`build the estimator first: cargo build --release --example token_estimate (no ${estimator})`);
  process.exit(1);
}
const estimates = (texts) => JSON.parse(execFileSync(estimator, { input: JSON.stringify(texts), maxBuffer: 1 << 28 }));

const results = [];
for (const [kind, texts] of kinds) {
  const guesses = estimates(texts);
  for (const [tokenizer, enc] of tokenizers) {
    let tokens = 0;
    let estimated = 0;
    const errors = texts.map((text, i) => {
      const actual = enc.encode(text, 'all').length;
      const guess = guesses[i];
      tokens += actual;
      estimated += guess;
      return (guess - actual) / actual;
    }).sort((a, b) => a - b);
    const absolute = errors.map(Math.abs).sort((a, b) => a - b);
    results.push({
      kind, tokenizer, texts: texts.length, tokens, estimated,
      total_error: (estimated - tokens) / tokens,
      median_error: quantile(errors, 0.5), p10_error: quantile(errors, 0.1), p90_error: quantile(errors, 0.9),
      median_abs_error: quantile(absolute, 0.5),
      within_25_percent: absolute.filter((e) => e <= 0.25).length / absolute.length,
    });
  }
}

if (asJson) {
  console.log(JSON.stringify(results, null, 1));
} else {
  console.log('| kind | tokenizer | texts | tokens | total | median | p10 .. p90 | median abs | within ±25 % |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.kind} | ${r.tokenizer} | ${r.texts} | ${r.tokens} | ${pct(r.total_error)} | ${pct(r.median_error)} | `
      + `${pct(r.p10_error)} .. ${pct(r.p90_error)} | ${(100 * r.median_abs_error).toFixed(0)} % | ${(100 * r.within_25_percent).toFixed(0)} % |`);
  }
}
