// The package's browser build in Debian's headless chromium (driven by playwright-core):
// index.html, served with crates/wasm/pkg by a static server on 127.0.0.1, calls the fake
// Sonoran server at SONORAN_FAKE_URL (another origin, so CORS is exercised), and through
// a credential-adding proxy (also on 127.0.0.1, a third origin): the page's proxy-mode client
// holds no API key; the proxy adds it, the way a community's own backend would.
//
//   SONORAN_FAKE_URL=http://127.0.0.1:PORT node crates/wasm/tests/browser/run.mjs
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const HERE = dirname(fileURLToPath(import.meta.url));
const WASM_DIR = resolve(HERE, '../..');
const PKG = join(WASM_DIR, 'pkg');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const DEADLINE_MS = 60_000;
const FAKE = process.env.SONORAN_FAKE_URL;
if (!FAKE) {
  console.error('SONORAN_FAKE_URL is not set (the fake Sonoran server to call)');
  process.exit(2);
}
const { chromium } = createRequire(join(WASM_DIR, 'package.json'))('playwright-core');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/** `/` is the test page; `/pkg/...` is crates/wasm/pkg; nothing else. */
function fileFor(urlPath) {
  if (urlPath === '/' || urlPath === '/index.html') return join(HERE, 'index.html');
  if (!urlPath.startsWith('/pkg/')) return null;
  const file = resolve(PKG, '.' + decodeURIComponent(urlPath.slice(4)));
  return file.startsWith(PKG + sep) ? file : null;
}

const server = createServer(async (req, res) => {
  const file = fileFor(new URL(req.url, 'http://x').pathname);
  try {
    if (!file || req.method !== 'GET') throw new Error('not found');
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }
});

/**
 * The proxy in front of the fake: adds `Authorization: Bearer <key>` to /v2/ requests and
 * `id`/`key` to the JSON envelope of v1 POSTs, answers CORS for the page's origin only, and
 * keeps what it received (GET /__proxy/seen) so the page can check it held no key.
 */
function startProxy(pageOrigin, communityId, apiKey) {
  const received = [];
  const cors = {
    'access-control-allow-origin': pageOrigin,
    'access-control-allow-headers': 'content-type, accept',
    'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
    'access-control-max-age': '0',
    vary: 'origin',
  };
  const proxy = createServer(async (req, res) => {
    const allowed = req.headers.origin === pageOrigin ? cors : {};
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, allowed);
        res.end();
        return;
      }
      const url = new URL(req.url, 'http://x');
      if (url.pathname === '/__proxy/seen') {
        res.writeHead(200, { ...allowed, 'content-type': 'application/json' });
        res.end(JSON.stringify(received));
        return;
      }
      const chunks = [];
      for await (const c of req) chunks.push(c);
      let body = chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
      received.push({ method: req.method, path: url.pathname, headers: req.headers, body: body ?? null });
      const headers = { 'x-sonoran-proxy': '1' };
      for (const name of ['content-type', 'accept', 'user-agent']) {
        if (req.headers[name] !== undefined) headers[name] = req.headers[name];
      }
      if (url.pathname.startsWith('/v2/')) {
        headers.authorization = `Bearer ${apiKey}`;
      } else if (req.method === 'POST' && body !== undefined) {
        body = JSON.stringify({ id: communityId, key: apiKey, ...JSON.parse(body) });
      }
      const answer = await fetch(`${FAKE}${url.pathname}${url.search}`, { method: req.method, headers, body });
      const out = { ...allowed };
      for (const name of ['content-type', 'retry-after']) {
        const v = answer.headers.get(name);
        if (v !== null) out[name] = v;
      }
      const text = await answer.text();
      res.writeHead(answer.status, out);
      res.end(text);
    } catch (e) {
      res.writeHead(502, { ...allowed, 'content-type': 'text/plain' });
      res.end(`proxy: ${e.message}`);
    }
  });
  return proxy;
}

let browser;
let proxy;
let failed = 1;
const timer = setTimeout(() => {
  console.error(`browser tests: no result after ${DEADLINE_MS / 1000} s`);
  cleanup().finally(() => process.exit(1));
}, DEADLINE_MS);

async function cleanup() {
  clearTimeout(timer);
  await browser?.close().catch((e) => console.error(`closing chromium: ${e.message}`));
  browser = undefined;
  await new Promise((done) => server.close(done));
  server.closeAllConnections?.();
  if (proxy) {
    const closing = new Promise((done) => proxy.close(done));
    proxy.closeAllConnections?.();
    await closing;
    proxy = undefined;
  }
}

try {
  await new Promise((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done));
  const pageOrigin = `http://127.0.0.1:${server.address().port}`;
  const info = await fetch(`${FAKE}/__fake/info`);
  if (!info.ok) throw new Error(`GET ${FAKE}/__fake/info: ${info.status}`);
  const { communityId, apiKey } = await info.json();
  proxy = startProxy(pageOrigin, communityId, apiKey);
  await new Promise((done, fail) => proxy.once('error', fail).listen(0, '127.0.0.1', done));
  const PROXY = `http://127.0.0.1:${proxy.address().port}`;
  const page_url = `${pageOrigin}/?fake=${encodeURIComponent(FAKE)}&proxy=${encodeURIComponent(PROXY)}`;
  const reset = await fetch(`${FAKE}/__fake/reset`, { method: 'POST' });
  if (!reset.ok) throw new Error(`POST ${FAKE}/__fake/reset: ${reset.status}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
  const page = await browser.newPage();
  const log = [];
  page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => log.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  await page.goto(page_url, { timeout: 20_000 });
  let outcome;
  try {
    await page.waitForFunction(() => window.__results?.done, null, { timeout: 30_000 });
    outcome = await page.evaluate(() => window.__results.results);
  } catch (e) {
    console.error(`the page reported no results: ${e.message}\n${log.join('\n')}`);
    outcome = [];
  }
  for (const r of outcome) {
    console.log(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.name}${r.ok ? '' : `\n      ${r.error}`}`);
  }
  failed = outcome.filter((r) => !r.ok).length + (outcome.length === 0 ? 1 : 0);
  if (failed && log.length) console.log(log.join('\n'));
  console.log(`browser (chromium ${browser.version()}): ${outcome.length - outcome.filter((r) => !r.ok).length} passed, ${failed} failed`);
} catch (e) {
  console.error(`browser tests: ${e.stack ?? e}`);
  failed = 1;
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
