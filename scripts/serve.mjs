// Static server for the datasieve page: serves www/ on 127.0.0.1 with sirv.
//
//   node scripts/serve.mjs [--port N] [--root DIR]
//
// Port: --port, else $PORT, else 8080; when that port is taken it falls back to a free one, and
// always prints the URL it really listens on. The e2e tests import `startServer` and ask for
// port 0 (any free port).
//
// Why these settings:
// - sirv's `dev` mode reads files on every request and sends `Cache-Control: no-store`, so a page
//   reloaded after a rebuild of www/pkg never runs a stale wasm module against new JS glue.
// - `.wasm` is served as `application/wasm` (sirv's MIME table), which
//   `WebAssembly.instantiateStreaming` requires.
// - sirv would serve `x.gz` with `Content-Encoding: gzip`, so a browser would silently inflate a
//   gzip sample file; datasieve wants the compressed bytes as they are, so those go out as
//   `application/gzip` with no content encoding.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sirv from 'sirv';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_ROOT = path.join(REPO_ROOT, 'www');
export const HOST = '127.0.0.1';

const RAW_COMPRESSED = { '.gz': 'application/gzip', '.br': 'application/octet-stream' };

/**
 * Starts serving `root` on 127.0.0.1:`port` (0 = any free port).
 * Resolves to `{ url, port, server, close }` once listening; `url` ends with a slash.
 */
export async function startServer({ root = DEFAULT_ROOT, port = 0 } = {}) {
  const serveStatic = sirv(root, {
    dev: true,
    dotfiles: false,
    setHeaders(res, pathname) {
      const raw = RAW_COMPRESSED[path.extname(pathname)];
      if (raw) {
        res.setHeader('Content-Type', raw);
        res.setHeader('Content-Encoding', 'identity');
      }
      res.setHeader('X-Content-Type-Options', 'nosniff');
    },
  });
  const server = http.createServer((req, res) => {
    serveStatic(req, res, () => {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.end('not found\n');
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  return {
    url: `http://${HOST}:${actualPort}/`,
    port: actualPort,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--port') options.port = Number(argv[++i]);
    else if (arg === '--root') options.root = path.resolve(argv[++i]);
    else throw new Error(`unknown argument: ${arg} (usage: serve.mjs [--port N] [--root DIR])`);
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const root = options.root ?? DEFAULT_ROOT;
  const wanted = options.port ?? Number(process.env.PORT || 8080);
  let running;
  try {
    running = await startServer({ root, port: wanted });
  } catch (error) {
    if (error.code !== 'EADDRINUSE') throw error;
    console.error(`port ${wanted} is in use; picking a free one`);
    running = await startServer({ root, port: 0 });
  }
  console.log(`datasieve is served from ${path.relative(process.cwd(), root) || '.'} at ${running.url}`);
  console.log('press Ctrl+C to stop');
  const stop = () => running.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
