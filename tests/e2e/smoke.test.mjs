// Smoke test of the harness itself and of what every page test relies on: the page loads from the
// static server, the wasm module initialises in the page, nothing is logged as an error, and no
// request leaves 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from '../../scripts/serve.mjs';
import { startHarness } from './harness.mjs';

let harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

test('the static server sends wasm as application/wasm and never asks to cache', async () => {
  const response = await fetch(new URL('pkg/datasieve_wasm_bg.wasm', harness.url));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/wasm');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const bytes = new Uint8Array(await response.arrayBuffer());
  assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'wasm magic number');

  const missing = await fetch(new URL('no-such-file.txt', harness.url));
  assert.equal(missing.status, 404);
});

test('the static server binds 127.0.0.1 only', async () => {
  const server = await startServer({ port: 0 });
  try {
    assert.equal(server.server.address().address, '127.0.0.1');
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  } finally {
    await server.close();
  }
});

test('the page loads, the wasm module initialises, and nothing errors or leaves the origin', async () => {
  const { page, response, consoleErrors } = await harness.openPage('/');
  assert.equal(response.status(), 200);
  harness.network.markLoaded();

  // Initialise the wasm-bindgen module from the page itself. If the page already did, this
  // resolves to the same instance; either way it proves the module compiles and links here.
  const exportsMemory = await page.evaluate(async () => {
    const module = await import('/pkg/datasieve_wasm.js');
    const exports = await module.default();
    return exports.memory instanceof WebAssembly.Memory;
  });
  assert.equal(exportsMemory, true, 'wasm exports a linear memory');

  const wasmLoads = harness.network.matching('.wasm');
  assert.ok(wasmLoads.length >= 1, 'the page fetched the wasm module');
  for (const load of wasmLoads) assert.equal(load.contentType, 'application/wasm');

  assert.deepEqual(harness.network.offOrigin(), [], 'no request leaves the page origin');
  assert.deepEqual(consoleErrors, [], 'no console errors');
  await page.close();
});
