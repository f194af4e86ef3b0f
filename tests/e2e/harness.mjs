// Shared helpers for the end-to-end page tests (run by `node --test tests/e2e/`).
//
// One harness = one static server for www/ on 127.0.0.1 (a free port) + one headless Chromium
// (the Debian /usr/bin/chromium driven by playwright-core; never a downloaded browser) with a fresh
// profile directory, plus recorders for console errors and network requests.
//
//   import { startHarness } from './harness.mjs';
//   let harness;
//   before(async () => { harness = await startHarness(); });
//   after(() => harness?.close());
//   test('...', async () => {
//     const { page, consoleErrors } = await harness.openPage('/');
//     harness.network.markLoaded();
//     ... interact ...
//     assert.deepEqual(harness.network.afterLoad(), []);
//     assert.deepEqual(consoleErrors, []);
//   });
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { DEFAULT_ROOT, startServer } from '../../scripts/serve.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Same flags as crates/wasm/webdriver.json: root needs --no-sandbox, and the background
 *  networking switches stop Chromium's own connections, so the page's requests are all there is. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

/** The native CLI built by `npm test` (debug) or `npm start` (release); override with DATASIEVE_CLI. */
export function cliPath() {
  if (process.env.DATASIEVE_CLI) return process.env.DATASIEVE_CLI;
  const candidates = ['debug', 'release'].map((profile) => path.join(REPO_ROOT, 'target', profile, 'datasieve'));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error('no datasieve CLI binary: run `cargo build -p datasieve-cli` (npm test does)');
  return found;
}

/** Absolute path of a file under tests/fixtures/. */
export function fixturePath(...parts) {
  return path.join(REPO_ROOT, 'tests', 'fixtures', ...parts);
}

/**
 * Records every request the browser context makes (pages and their workers), so tests can assert
 * that nothing leaves the page's origin and that nothing at all is fetched after load.
 * `data:` and `blob:` URLs are local to the page and are not recorded.
 */
export class NetworkRecorder {
  constructor(context, origin) {
    this.origin = origin;
    /** @type {{url: string, method: string, resourceType: string, afterLoad: boolean, contentType?: string, status?: number}[]} */
    this.requests = [];
    this.loaded = false;
    this.byRequest = new Map();
    context.on('request', (request) => {
      const url = request.url();
      if (url.startsWith('data:') || url.startsWith('blob:')) return;
      const entry = { url, method: request.method(), resourceType: request.resourceType(), afterLoad: this.loaded };
      this.byRequest.set(request, entry);
      this.requests.push(entry);
    });
    context.on('response', (response) => {
      const entry = this.byRequest.get(response.request());
      if (!entry) return;
      entry.status = response.status();
      entry.contentType = response.headers()['content-type'];
    });
    context.on('requestfailed', (request) => {
      const entry = this.byRequest.get(request);
      if (entry) entry.failure = request.failure()?.errorText ?? 'failed';
    });
  }

  /** From now on, every request counts as "after load". */
  markLoaded() {
    this.loaded = true;
  }

  /** Requests made since `markLoaded()`. */
  afterLoad() {
    return this.requests.filter((entry) => entry.afterLoad);
  }

  /** Requests to any origin other than the static server's, at any time. */
  offOrigin() {
    return this.requests.filter((entry) => new URL(entry.url).origin !== this.origin);
  }

  /** Requests whose URL path ends with `suffix` (e.g. '.wasm'). */
  matching(suffix) {
    return this.requests.filter((entry) => new URL(entry.url).pathname.endsWith(suffix));
  }
}

/**
 * Collects everything a page reports as an error: `console.error` (Playwright forwards its
 * workers' messages to the page too),
 * uncaught exceptions, and failed loads. Returns the live array.
 */
export function watchConsole(page) {
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    errors.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? 'unknown'})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return errors;
}

/**
 * Starts the server and the browser. `root` defaults to www/, which must hold a built www/pkg.
 * Returns `{ url, context, network, openPage(path), close() }`.
 */
export async function startHarness({ root = DEFAULT_ROOT } = {}) {
  if (root === DEFAULT_ROOT && !existsSync(path.join(root, 'pkg', 'datasieve_wasm_bg.wasm'))) {
    throw new Error('www/pkg is not built: run `bash scripts/build-wasm.sh` (npm test does)');
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh`);
  const server = await startServer({ root, port: 0 });
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'datasieve-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
    });
  } catch (error) {
    await server.close();
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const origin = new URL(server.url).origin;
  const network = new NetworkRecorder(context, origin);

  return {
    url: server.url,
    origin,
    context,
    network,
    /**
     * Opens `pagePath` (relative to the server root) in a new tab and waits for `load`.
     * Returns `{ page, response, consoleErrors }`; consoleErrors fills as the page runs.
     */
    async openPage(pagePath = '/') {
      const page = await context.newPage();
      const consoleErrors = watchConsole(page);
      const response = await page.goto(new URL(pagePath, server.url).href, { waitUntil: 'load' });
      return { page, response, consoleErrors };
    },
    async close() {
      await context.close().catch(() => {});
      await server.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A scratch folder for one test file's downloads and CLI outputs. */
const scratch = mkdtempSync(path.join(os.tmpdir(), 'datasieve-e2e-'));

/** A report without what legitimately differs between two runs of the same job: timings. */
export function comparable(report) {
  const { timings_ms: _, ...rest } = report;
  return rest;
}

/**
 * Runs the CLI with `--out DIR` appended and returns DIR. Exit 0 and 1 (findings) are expected,
 * and the codes in `alsoExpected` (e.g. 2 for a run that compared nothing, whose outputs are
 * still written).
 */
export function runCli(args, { alsoExpected = [] } = {}) {
  const out = mkdtempSync(path.join(scratch, 'cli-'));
  try {
    execFileSync(cliPath(), [...args, '--out', out], { stdio: 'pipe' });
  } catch (e) {
    if (e.status !== 1 && !alsoExpected.includes(e.status)) throw new Error(`datasieve ${args.join(' ')} exited ${e.status}: ${e.stderr}`);
  }
  return out;
}

/** Clicks a download link of the page and returns the file's name and bytes. */
export async function saveDownload(page, testid) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${testid}]`)]);
  const file = path.join(scratch, `${Date.now()}-${Math.random().toString(36).slice(2)}-${dl.suggestedFilename()}`);
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), bytes: readFileSync(file) };
}
