// node bench/minhash/wasm-check/chromium.mjs path/to/minhash_wasm_check.wasm CORPUS.jsonl [ROUNDS=3] [SHINGLES=1000]
// corpus.mjs and permute.mjs, but in the Debian Chromium the page runs in (V8 of that Chromium,
// not Node's), inside a Web Worker as the page's sign workers are. Prints one JSON line per round:
// the corpus signing time and the permutation loop's nanoseconds per pair (SHINGLES per
// document). Compare with `native-timing --corpus CORPUS.jsonl` and `native-timing --permute`
// (pin both with taskset).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../../tests/e2e/harness.mjs';

const [wasmPath, corpusPath, roundsArg, shinglesArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 3);
// Shingles per document in the permutation loop's timing (the same pairs in all: 20 M × 112).
const docShingles = Number(shinglesArg ?? 1000);
const files = {
  '/check.wasm': readFileSync(wasmPath),
  '/corpus.jsonl': readFileSync(corpusPath),
  '/worker.js': `
    onmessage = async ({ data: rounds }) => {
      const { instance } = await WebAssembly.instantiateStreaming(fetch('/check.wasm'), {});
      const corpus = new Uint8Array(await (await fetch('/corpus.jsonl')).arrayBuffer());
      const ptr = instance.exports.alloc(corpus.length);
      new Uint8Array(instance.exports.memory.buffer, ptr, corpus.length).set(corpus);
      for (let round = 0; round < rounds; round++) {
        let start = performance.now();
        const checksum = BigInt.asUintN(64, instance.exports.sign_corpus(ptr, corpus.length));
        const seconds = (performance.now() - start) / 1000;
        start = performance.now();
        const docs = Math.round(20000 * 1000 / ${docShingles});
        instance.exports.permute(${docShingles}, docs);
        const nsPerPair = ((performance.now() - start) * 1e6) / (${docShingles} * docs * 112);
        postMessage({ chromium: true, seconds, mb_per_s: corpus.length / 1e6 / seconds,
          checksum: checksum.toString(), permute_ns_per_pair: nsPerPair });
      }
      postMessage('done');
    };`,
  '/': '<!doctype html><title>wasm-check</title>',
};
const types = { wasm: 'application/wasm', js: 'text/javascript', jsonl: 'application/octet-stream' };
// A local server, not page.route: a 100 MB body is more than the DevTools protocol carries.
const server = createServer((request, response) => {
  const body = files[new URL(request.url, 'http://x').pathname];
  if (!body) return response.writeHead(404).end();
  response.writeHead(200, { 'content-type': types[request.url.split('.').pop()] ?? 'text/html' });
  response.end(body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  page.on('console', (message) => console.error(message.text()));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.exposeFunction('report', (line) => console.log(JSON.stringify(line)));
  await page.evaluate((rounds) => new Promise((resolve, reject) => {
    const worker = new Worker('/worker.js');
    worker.onerror = (event) => reject(new Error(event.message));
    worker.onmessage = ({ data }) => (data === 'done' ? resolve() : window.report(data));
    worker.postMessage(rounds);
  }), rounds);
} finally {
  await browser.close();
  server.close();
}
