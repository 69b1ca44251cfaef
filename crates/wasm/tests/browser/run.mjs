// The package's browser build in Debian's headless chromium (driven by playwright-core):
// index.html, served with crates/wasm/pkg by a static server on 127.0.0.1, calls the fake
// Sonoran server at SONORAN_FAKE_URL (another origin, so CORS is exercised).
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

let browser;
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
}

try {
  await new Promise((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done));
  const page_url = `http://127.0.0.1:${server.address().port}/?fake=${encodeURIComponent(FAKE)}`;
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
