// sonoran-cms's browser build in Debian's headless chromium (driven by playwright-core, from
// crates/wasm's dev tools): one server on 127.0.0.1 serves the page, crates/cms-wasm/pkg under
// /pkg/, and the API under /api/ in place of the user's own backend (the page's client holds
// no key: proxy mode). The page imports browser.mjs as a `<script type="module">` would.
//
//   node crates/cms-wasm/tests/browser/run.mjs
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const HERE = dirname(fileURLToPath(import.meta.url));
const PKG = resolve(HERE, '../../pkg');
const TOOLS = resolve(HERE, '../../../wasm');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const { chromium } = createRequire(join(TOOLS, 'package.json'))('playwright-core');
const ACCOUNT = '00000000-0000-0000-0000-000000000007';

const PAGE = `<!doctype html><meta charset="utf-8"><title>sonoran-cms</title>
<script type="module">
import { SonoranCms, SonoranError, metaOf } from '/pkg/browser.mjs';
const results = [];
async function check(name, body) {
  try { await body(); results.push({ name, ok: true }); } catch (e) { results.push({ name, ok: false, error: String(e && e.stack || e) }); }
}
function assert(ok, what) { if (!ok) throw new Error(what); }
const cms = new SonoranCms({ baseUrl: location.origin + '/api' });
await check('v2 getAccountRanks resolves to data, metaOf gives meta', async () => {
  const ranks = await cms.getAccountRanks({ accountId: '${ACCOUNT}' });
  assert(JSON.stringify(ranks) === '["rank-a"]', JSON.stringify(ranks));
  assert(metaOf(ranks).path === '/v2/community/accounts/${ACCOUNT}/ranks', JSON.stringify(metaOf(ranks)));
});
await check('v1 getAccountRanksV1 posts the envelope', async () => {
  const ranks = await cms.getAccountRanksV1([{ apiId: 'STEAM:1' }]);
  assert(JSON.stringify(ranks) === '["rank-v1"]', JSON.stringify(ranks));
});
await check('a problem+json 404 rejects with a SonoranError of kind api', async () => {
  const e = await cms.getCommunity().then(() => null, (e) => e);
  assert(e instanceof SonoranError && e.kind === 'api' && e.status === 404 && e.title === 'Not Found', String(e));
});
await check('a bad argument rejects with invalidRequest', async () => {
  const e = await cms.getAccountRanks({}).then(() => null, (e) => e);
  assert(e instanceof SonoranError && e.kind === 'invalidRequest' && /accountId/.test(e.message), String(e));
});
window.__results = { done: true, results };
</script>`;

const MIME = { '.mjs': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json' };
const seen = [];

async function api(req, res, path, body) {
  seen.push({ method: req.method, path, body, authorization: req.headers.authorization });
  const json = (status, value, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(JSON.stringify(value));
  };
  if (path === `/v2/community/accounts/${ACCOUNT}/ranks`) return json(200, { success: true, data: ['rank-a'], meta: { timestamp: 't', path } });
  if (path === '/general/get_account_ranks' && JSON.parse(body).type === 'GET_ACCOUNT_RANKS') return json(200, ['rank-v1']);
  return json(404, { title: 'Not Found', status: 404, detail: path }, 'application/problem+json');
}

const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const path = new URL(req.url, 'http://x').pathname;
  try {
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(PAGE);
    }
    if (path.startsWith('/api/')) return await api(req, res, path.slice(4), Buffer.concat(chunks).toString());
    const file = resolve(PKG, '.' + decodeURIComponent(path.slice(4)));
    if (!path.startsWith('/pkg/') || !file.startsWith(PKG + sep)) throw new Error('not found');
    const bytes = await readFile(file);
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    res.end(bytes);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }
});

let browser;
let failed = 1;
try {
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const origin = `http://127.0.0.1:${server.address().port}`;
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
  await page.goto(`${origin}/`, { timeout: 20_000 });
  let outcome = [];
  try {
    await page.waitForFunction(() => window.__results?.done, null, { timeout: 30_000 });
    outcome = await page.evaluate(() => window.__results.results);
  } catch (e) {
    console.error(`the page reported no results: ${e.message}\n${log.join('\n')}`);
  }
  for (const r of outcome) console.log(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.name}${r.ok ? '' : `\n      ${r.error}`}`);
  failed = outcome.filter((r) => !r.ok).length + (outcome.length === 0 ? 1 : 0);
  // Proxy mode: the page sent no key anywhere; the backend would add it.
  const leaked = seen.filter((s) => s.authorization !== undefined || /"key"\s*:\s*"[^"]/.test(s.body));
  if (leaked.length) {
    console.log(`FAIL  the page sent credentials: ${JSON.stringify(leaked)}`);
    failed += 1;
  }
  console.log(`browser (chromium ${browser.version()}), sonoran-cms: ${outcome.length - outcome.filter((r) => !r.ok).length} passed, ${failed} failed`);
} finally {
  await browser?.close().catch((e) => console.error(`closing chromium: ${e.message}`));
  await new Promise((done) => server.close(done));
  server.closeAllConnections?.();
}
process.exit(failed ? 1 : 0);
