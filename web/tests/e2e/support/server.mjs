/**
 * Starts the real `weapp-builder` binary for browser tests: a free port, a fresh temp
 * folder for its zero-config SQLite and objects, and the first-run setup token read from
 * its log.
 *
 * The binary embeds `web/dist` when it is compiled. When the embedded console is older
 * than the local build (a developer rebuilt the console but not the binary), the console
 * is served from `web/dist` by a small local proxy that forwards everything else to the
 * binary and copies the binary's security headers (CSP included) onto each console
 * response — unless `E2E_REQUIRE_EMBEDDED=1`, which makes such a mismatch fail.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const REPO_DIR = resolve(WEB_DIR, '..');
/** The binary under test: `E2E_BINARY` when set (a copy that no build is rewriting), else the debug build. */
export const BINARY = process.env.E2E_BINARY ? resolve(process.env.E2E_BINARY) : join(REPO_DIR, 'target', 'debug', 'weapp-builder');
/** The console build: `E2E_DIST` when set (a private build, so parallel work does not race on `web/dist`). */
export const DIST_DIR = process.env.E2E_DIST ? resolve(process.env.E2E_DIST) : join(WEB_DIR, 'dist');

/**
 * @typedef {object} RunningServer
 * @property {string} origin Where the browser opens the console and calls the API (binary or proxy).
 * @property {string} binaryOrigin The binary itself.
 * @property {string} setupToken The first-run setup token from the log.
 * @property {boolean} proxied Whether the console comes from the local proxy (the binary's copy is stale).
 * @property {() => string} log What the binary printed so far.
 * @property {() => Promise<void>} stop Stops it and removes its data folder.
 */

/** The binary is missing or lacks the console's endpoints. */
export class ServerNotReady extends Error {}

/** @returns {Promise<number>} */
export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolvePort(address.port));
    });
  });
}

/**
 * @template T
 * @param {string} what
 * @param {number} timeoutMs
 * @param {() => Promise<T | null>} probe
 * @returns {Promise<T>}
 */
async function waitFor(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  /** @type {unknown} */
  let last = null;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== null) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** @type {Record<string, string>} */
const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
const SECURITY_HEADERS = [
  'content-security-policy',
  'x-content-type-options',
  'referrer-policy',
  'x-frame-options',
];

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {Record<string, string>} headers
 */
function serveConsole(req, res, headers) {
  const url = new URL(req.url ?? '/', 'http://local');
  const rel = normalize(decodeURIComponent(url.pathname.replace(/^\/console\/?/, ''))).replace(/^(\.\.[/\\])+/, '');
  let file = join(DIST_DIR, rel);
  const isAsset = rel.startsWith('assets/');
  if (!existsSync(file) || statSync(file).isDirectory()) {
    if (isAsset) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    file = join(DIST_DIR, 'index.html');
  }
  res.writeHead(200, {
    ...headers,
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
  });
  res.end(readFileSync(file));
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {URL} target
 */
function forward(req, res, target) {
  const upstream = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}

/**
 * @param {string} binaryOrigin
 * @param {Record<string, string>} headers
 * @returns {Promise<{ server: import('node:http').Server; origin: string }>}
 */
async function startProxy(binaryOrigin, headers) {
  const target = new URL(binaryOrigin);
  const server = createServer((req, res) => {
    if ((req.url ?? '').startsWith('/console')) serveConsole(req, res, headers);
    else forward(req, res, target);
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', () => r(undefined)));
  return { server, origin: `http://127.0.0.1:${port}` };
}

/**
 * @typedef {object} StartOptions
 * @property {number} [accessTokenTtlSecs] Access-token lifetime (`WEAPP__AUTH__ACCESS_TOKEN_TTL_SECS`, src/config.rs `[auth]`).
 * @property {Record<string, string>} [env] More environment.
 */

/**
 * @param {StartOptions} [options]
 * @returns {Promise<RunningServer>}
 */
export async function startServer(options = {}) {
  if (!existsSync(BINARY)) throw new ServerNotReady(`${BINARY} does not exist: build the server first`);
  if (!existsSync(join(DIST_DIR, 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first');
  const dataDir = mkdtempSync(join(tmpdir(), 'weapp-e2e-'));
  const port = await freePort();
  /** @type {Record<string, string>} */
  const env = {
    .../** @type {Record<string, string>} */ (process.env),
    WEAPP__STORAGE__DATA_DIR: dataDir,
    ...(options.accessTokenTtlSecs ? { WEAPP__AUTH__ACCESS_TOKEN_TTL_SECS: String(options.accessTokenTtlSecs) } : {}),
    ...options.env,
  };
  let output = '';
  const child = spawn(BINARY, ['serve', '--bind', `127.0.0.1:${port}`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => (output += chunk.toString()));
  child.stderr.on('data', (chunk) => (output += chunk.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));

  const binaryOrigin = `http://127.0.0.1:${port}`;
  /** @type {import('node:http').Server | null} */
  let proxy = null;
  const stop = async () => {
    const running = proxy;
    if (running) await new Promise((r) => running.close(() => r(undefined)));
    if (!exited) {
      child.kill('SIGTERM');
      await waitFor('the server to exit', 10_000, async () => (exited ? true : null)).catch(() => child.kill('SIGKILL'));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const setupToken = await waitFor('the setup address in the service log', 60_000, async () => {
      if (exited) throw new Error(`the server exited:\n${output}`);
      const m = /\/console\/setup\?token=([A-Za-z0-9_-]+)/.exec(output);
      return m?.[1] ?? null;
    });
    await waitFor('the server to answer', 30_000, async () => {
      const r = await fetch(`${binaryOrigin}/health/live`);
      return r.ok ? true : null;
    });
    const setup = await fetch(`${binaryOrigin}/api/v1/setup`);
    const index = await fetch(`${binaryOrigin}/console/`);
    if (setup.status === 404 || index.status === 404) {
      throw new ServerNotReady(
        `the binary lacks the console endpoints (GET /api/v1/setup → ${setup.status}, /console/ → ${index.status})`,
      );
    }
    if (!index.headers.get('content-security-policy')) throw new Error('the binary serves /console/ without a CSP');
    const embedded = await index.text();
    const local = readFileSync(join(DIST_DIR, 'index.html'), 'utf8');
    let origin = binaryOrigin;
    let proxied = false;
    if (embedded.trim() !== local.trim()) {
      if (process.env.E2E_REQUIRE_EMBEDDED === '1') {
        throw new Error('the binary embeds a different web/dist than the local build (E2E_REQUIRE_EMBEDDED=1)');
      }
      /** @type {Record<string, string>} */
      const headers = {};
      for (const name of SECURITY_HEADERS) {
        const v = index.headers.get(name);
        if (v) headers[name] = v;
      }
      const started = await startProxy(binaryOrigin, headers);
      proxy = started.server;
      origin = started.origin;
      proxied = true;
    }
    return { origin, binaryOrigin, setupToken, proxied, log: () => output, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
