// The npm package as its users get it: `npm pack` of crates/wasm/pkg, installed from that
// tarball into scratch projects in a temporary directory, then used the way they use it:
// require and import in Node against the fake Sonoran server, strict TypeScript consumers
// under each module resolution mode, `using`, arethetypeswrong, and a default Vite 5 build.
// The dev tools (tsc, attw, vite) come from crates/wasm/node_modules (`npm ci` there).
//
//   SONORAN_FAKE_URL=http://127.0.0.1:PORT node crates/wasm/tests/package/run.mjs
//
// SONORAN_PKG_DIR=<dir> tests another copy of the built package (default crates/wasm/pkg).
//
// One line per check, then `N passed, M failed`; exit code 1 when anything failed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const WASM_DIR = resolve(HERE, '../..');
const PKG = resolve(process.env.SONORAN_PKG_DIR || join(WASM_DIR, 'pkg'));
const BIN = join(WASM_DIR, 'node_modules/.bin');
const FAKE = process.env.SONORAN_FAKE_URL;
/** Every child process is killed (with its process group) after this long, unless told. */
const CHILD_TIMEOUT_MS = 120_000;
/** The whole run, as a last resort. */
const DEADLINE_MS = 15 * 60_000;
/** The files the package must ship (package.json's `files`, plus package.json itself). */
const SHIPPED = [
  'package.json', 'README.md', 'index.cjs', 'index.mjs', 'browser.mjs', 'index.d.cts', 'index.d.mts',
  'core.d.cts', 'core.d.mts', 'types.d.cts', 'types.d.mts', 'events.cjs', 'events.mjs',
  'events.d.cts', 'events.d.mts', 'event-types.d.cts', 'event-types.d.mts', 'events/package.json', 'websocket.mjs', 'websocket.d.mts',
  'websocket.cjs', 'websocket.d.cts', 'websocket/package.json', 'sonoran_cad_bg.wasm',
];

let passed = 0;
let failed = 0;
let tmp;
const children = new Set();

function cleanup() {
  for (const child of children) killGroup(child);
  children.clear();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
}

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.log(`\n${signal}: stopping`);
    cleanup();
    process.exit(1);
  });
}
const watchdog = setTimeout(() => {
  console.log(`FAIL the package tests: no result after ${DEADLINE_MS / 60_000} min`);
  cleanup();
  process.exit(1);
}, DEADLINE_MS);
watchdog.unref();

/**
 * Runs a program to completion in its own process group (so that a timeout kills what it
 * started too). Never rejects: `{ code, signal, timedOut, stdout, stderr, error }`.
 */
function run(program, args, { cwd, env = {}, timeoutMs = CHILD_TIMEOUT_MS } = {}) {
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(program, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(child);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    const finish = (code, signal, error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      children.delete(child);
      done({ code, signal, timedOut, timeoutMs, stdout, stderr, error });
    };
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal, undefined));
  });
}

/** How a run ended, for a failure message: status plus the end of its output. */
function ended(r, lines = 40) {
  const how = r.error
    ? `could not start: ${r.error.message}`
    : r.timedOut
      ? `timed out after ${r.timeoutMs / 1000} s`
      : r.signal
        ? `killed by ${r.signal}`
        : `exit ${r.code}`;
  const out = `${r.stdout}${r.stderr}`.trimEnd().split('\n').slice(-lines).join('\n');
  return out ? `${how}\n${indent(out)}` : how;
}

/** A path for messages: relative to the working directory when it is inside it. */
const shown = (path) => {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
};
/** The fake server's control API, bounded like the child processes. */
const fake = (path, init = {}) => fetch(`${FAKE}/__fake/${path}`, { signal: AbortSignal.timeout(10_000), ...init });
const indent = (text) => text.split('\n').map((l) => `    ${l}`).join('\n');
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

/** One check: `ok   name (detail)` or `FAIL name: why`. */
async function check(name, body) {
  try {
    const detail = await body();
    passed += 1;
    console.log(`ok   ${name}${detail ? ` (${detail})` : ''}`);
    return true;
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}: ${e?.message ?? e}`);
    return false;
  }
}

function fail(message) {
  throw new Error(message);
}

function succeeded(r) {
  if (r.error || r.timedOut || r.code !== 0) fail(ended(r));
  return r;
}

async function files(dir, entries) {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(entries)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), typeof text === 'string' ? text : `${JSON.stringify(text, null, 2)}\n`);
  }
}

/** `npm install <tarball>` into a new project; the tarball has no dependencies: no registry. */
async function scratchProject(dir, manifest, tarball) {
  await files(dir, { 'package.json': manifest });
  succeeded(await run('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: dir }));
  const installed = JSON.parse(await readFile(join(dir, 'node_modules/sonoran-cad/package.json'), 'utf8'));
  return installed.version;
}

// ---------------------------------------------------------------------------------------
// The scratch projects' files.

/** A Node script's client options for the fake, from the environment. */
const OPTIONS_FROM_ENV = 'JSON.parse(process.env.SONORAN_CLIENT_OPTIONS)';

const CJS_TEST = `'use strict';
// require('sonoran-cad'): the CommonJS entry, and a call to the fake server.
const assert = require('node:assert/strict');
const path = require('node:path');
assert.equal(require.resolve('sonoran-cad'), path.join(__dirname, 'node_modules', 'sonoran-cad', 'index.cjs'));
const cad = require('sonoran-cad');
const { SonoranClient, SonoranError, UnitStatus } = cad;
assert.equal(typeof SonoranClient, 'function');
assert.ok(new SonoranError('x') instanceof Error);
assert.equal(UnitStatus.ENROUTE, 3);
// esbuild marks the exports as an ES module's (\`__esModule\`): interop's default import reads
// \`.default\`, which is the package itself.
assert.equal(cad.default.SonoranClient, SonoranClient, 'the default of interop is the package');
(async () => {
  const client = new SonoranClient(${OPTIONS_FROM_ENV});
  const version = await client.getVersion();
  assert.equal(typeof version, 'object');
  console.log(JSON.stringify(version));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const ESM_TEST = `// import { SonoranClient } from 'sonoran-cad': the ES module entry, and a call to the fake.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SonoranClient, SonoranError, UnitStatus } from 'sonoran-cad';

const here = dirname(fileURLToPath(import.meta.url));
assert.equal(fileURLToPath(import.meta.resolve('sonoran-cad')), join(here, 'node_modules/sonoran-cad/index.mjs'));
assert.equal(UnitStatus.ENROUTE, 3);
// One SonoranError class whichever way the package is loaded.
assert.equal(createRequire(import.meta.url)('sonoran-cad').SonoranError, SonoranError);
const namespace = await import('sonoran-cad');
assert.ok(!('default' in namespace), 'no default export');
const client = new SonoranClient(${OPTIONS_FROM_ENV});
const version = await client.getVersion();
assert.equal(typeof version, 'object');
console.log(JSON.stringify(version));
`;

/**
 * The scratch Node ESM script of issue 21's "Done when", as a user would write it in a project
 * of their own: a v1 call, a per-call `timeoutMs`, `.withResponse()`, an `AbortSignal` (an
 * aborted call rejects with kind `aborted`), and every page of `getAccounts` through
 * `client.iterate`. It prints what it got as one JSON line; the check compares it with the
 * fake's data (the documented examples, and the account pages the check gives the fake).
 */
const SCRATCH_ESM = `import { SonoranClient, SonoranError } from 'sonoran-cad';

const client = new SonoranClient(${OPTIONS_FROM_ENV});
// A v2 call with its own deadline, with the reply's details.
const { data: version, response } = await client.getVersion(undefined, { timeoutMs: 5000 }).withResponse();
// A v1 call (the client fills the envelope).
const { servers = [] } = await client.getServersV1({ timeoutMs: 5000 });
// A call the caller cancels: it rejects with kind 'aborted' and is not sent.
const controller = new AbortController();
controller.abort();
const aborted = await client.getVersion(undefined, { signal: controller.signal }).then(
  () => 'resolved',
  (e) => (e instanceof SonoranError ? e.kind : String(e)),
);
// Every account of every page.
const accounts = [];
for await (const account of client.iterate('getAccounts', { limit: Number(process.env.SCRATCH_PAGE_SIZE) }, { timeoutMs: 5000 })) {
  accounts.push(account.username);
}
console.log(JSON.stringify({
  version,
  status: response.status,
  attempts: response.attempts,
  servers: servers.map((s) => s.name),
  aborted,
  accounts,
}));
`;

/** The push-event entry, both ways: one event through a real http.createServer. */
const EVENTS_TEST = (load) => `${load}
const assert = require('node:assert/strict');
const { createServer } = require('node:http');
(async () => {
  const seen = [];
  const server = createServer(createPushHandler({ apiKey: 'k1', onEvent: (e) => seen.push(e) }));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = 'http://127.0.0.1:' + server.address().port + '/sonorancad/event';
  const post = (body) => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.status);
  assert.equal(await post({ key: 'k2', type: 'EVENT_UNIT_STATUS', data: {} }), 401);
  assert.equal(await post({ key: 'k1', type: 'EVENT_UNIT_STATUS', data: [{ identIds: 1, status: 2 }] }), 200);
  assert.deepEqual(seen, [{ type: 'EVENT_UNIT_STATUS', data: { identIds: [1], status: 2 } }]);
  assert.equal(DOCUMENTED_TYPES.length, 27);
  server.close();
  console.log(JSON.stringify(seen[0]));
})().catch((e) => { console.error(e); process.exit(1); });
`;
const EVENTS_CJS_TEST = EVENTS_TEST("'use strict';\nconst { createPushHandler, DOCUMENTED_TYPES } = require('sonoran-cad/events');");
const EVENTS_ESM_TEST = EVENTS_TEST("import { createRequire } from 'node:module';\nimport { createPushHandler, DOCUMENTED_TYPES } from 'sonoran-cad/events';\nconst require = createRequire(import.meta.url);");
// import { connectWebsocket } from 'sonoran-cad/websocket': the websocket entry (with the
// @microsoft/signalr peer the user installs) authenticates to the fake's hub and gets an event.
// The same from CommonJS, as most discord.js bots are: require('sonoran-cad/websocket'),
// without a serverId (server 1, as the REST client defaults).
const WEBSOCKET_BODY = `const { communityId, apiKey, baseUrl } = ${OPTIONS_FROM_ENV};
const session = await connectWebsocket({ communityId, apiKey, baseUrl });
const got = new Promise((resolve) => session.on('EVENT_UNIT_LOGOUT', resolve));
const res = await fetch(baseUrl + '/__fake/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'EVENT_UNIT_LOGOUT' }) });
assert.equal(res.status, 200);
const event = await got;
await session.close();
assert.ok(WebsocketError.prototype instanceof Error);
assert.throws(() => session.on('EVENT_UNIT_LOGUOT', () => {}), WebsocketError);
console.log(JSON.stringify(event));
`;
const WEBSOCKET_TEST = `import assert from 'node:assert/strict';
import { connectWebsocket, WebsocketError } from 'sonoran-cad/websocket';
${WEBSOCKET_BODY}`;
const WEBSOCKET_CJS_TEST = `'use strict';
const assert = require('node:assert/strict');
const { connectWebsocket, WebsocketError } = require('sonoran-cad/websocket');
(async () => {
${WEBSOCKET_BODY}})().catch((e) => { console.error(e); process.exit(1); });
`;

const WEBSOCKET_TS = `import { connectWebsocket } from 'sonoran-cad/websocket';
import type { PushEvent, UnitLocation, WebsocketSession } from 'sonoran-cad/websocket';
const session: WebsocketSession = await connectWebsocket({ communityId: 'c', apiKey: 'k', serverId: 1 });
const unit: UnitLocation = { apiId: 'STEAM:1', location: 'Route 68', coordinates: { x: 1, y: 2, z: 3, w: 90 } };
session.unitLocations.update(unit);
session.on('EVENT_UNIT_STATUS', (e: PushEvent) => console.log(e.type));
session.on('EVENT_UNIT_STATUS', (e) => console.log(e.data.status));
// @ts-expect-error: not a documented event type
session.on('EVENT_UNIT_STAUTS', () => {});
for await (const event of session) console.log(event.type, event.data);
`;
// The same declarations from CommonJS (node16/nodenext .cts, and node10 through websocket/package.json).
const WEBSOCKET_CTS = `import { connectWebsocket, WebsocketError } from 'sonoran-cad/websocket';
import type { UnitLocation, WebsocketSession } from 'sonoran-cad/websocket';
export async function run(): Promise<void> {
  const session: WebsocketSession = await connectWebsocket({ communityId: 'c', apiKey: 'k' });
  const unit: UnitLocation = { apiId: 'STEAM:1', location: 'Route 68' };
  session.unitLocations.update(unit);
  session.on('EVENT_UNIT_STATUS', (e) => console.log(e.data.status));
  session.on('connected', ({ reconnect }) => console.log(reconnect));
  session.on('error', (e: WebsocketError) => console.log(e.code));
  await session.close();
}
`;

const DEFAULT_IMPORT_JS = `import cad from 'sonoran-cad';
console.log('imported a default export:', typeof cad);
`;

/** A strict consumer; the same body in .cts, .mts and .ts files. */
const CONSUMER_TS = `import { SonoranClient, SonoranError, UnitStatus } from 'sonoran-cad';
import type { GetVersionResponse, SonoranClientOptions, SonoranErrorKind } from 'sonoran-cad';

export async function main(options: SonoranClientOptions): Promise<string | undefined> {
  let kept: SonoranClient | undefined;
  {
    using client = new SonoranClient(options);
    kept = client;
    const version: GetVersionResponse = await client.getVersion();
    // @ts-expect-error free is not a public member (the class is not any, either)
    client.free();
    void version;
  }
  // ENROUTE is exactly 3: it is assignable to 3 (so not number, 3 | 4, ...)...
  const enroute: 3 = UnitStatus.ENROUTE;
  // @ts-expect-error ...and not to 4 (so not any)
  const four: 4 = UnitStatus.ENROUTE;
  // @ts-expect-error the enum objects are readonly
  UnitStatus.ENROUTE = 4;
  try {
    return (await kept.getVersion()).name;
  } catch (e) {
    if (!(e instanceof SonoranError)) throw e;
    const kind: SonoranErrorKind = e.kind;
    // @ts-expect-error kind is a union of literals
    const nope: 'nope' = e.kind;
    return \`\${kind} \${e.status ?? ''} \${enroute} \${four} \${nope}\`;
  }
}
`;

const DEFAULT_IMPORT_TS = `import cad from 'sonoran-cad';
export const x = cad;
`;

/**
 * A CommonJS TypeScript file's default import (esModuleInterop, on under node16) is
 * `module.exports` itself: it typechecks, and it works, since index.cjs sets no __esModule.
 */
const DEFAULT_INTEROP_CTS = `import cad from 'sonoran-cad';
import { SonoranClient } from 'sonoran-cad';

const same: typeof SonoranClient = cad.SonoranClient;
console.log(JSON.stringify({ same: same === SonoranClient, enroute: cad.UnitStatus.ENROUTE }));
`;

/** `using` compiled by tsc (es2022: downlevelled onto Symbol.dispose) and run by Node. */
const DISPOSAL_TS = `import { SonoranClient, SonoranError } from 'sonoran-cad';
import type { SonoranClientOptions } from 'sonoran-cad';

declare const process: { env: { [name: string]: string | undefined } };
const options: SonoranClientOptions = JSON.parse(process.env.SONORAN_CLIENT_OPTIONS ?? '{}');

let kept: SonoranClient | undefined;
let inside = '';
{
  using client = new SonoranClient(options);
  kept = client;
  inside = typeof (await client.getVersion());
}
let after: string;
try {
  await kept.getVersion();
  after = 'resolved';
} catch (e) {
  after = e instanceof SonoranError ? \`SonoranError \${e.kind}: \${e.message}\` : \`not a SonoranError: \${String(e)}\`;
}
console.log(JSON.stringify({ inside, after }));
`;

/** A strict tsconfig that checks the package's declarations too (no skipLibCheck, no paths). */
function tsconfig(module, moduleResolution, include, extra = {}) {
  return {
    compilerOptions: {
      strict: true,
      noEmit: true,
      module,
      moduleResolution,
      target: 'es2022',
      lib: ['es2022', 'dom', 'esnext.disposable'],
      types: [],
      skipLibCheck: false,
      ...extra,
    },
    files: include,
  };
}

/** Type-checking modes: the consumers each compiles, and the declarations they must load. */
const TS_MODES = [
  { name: 'node16', module: 'node16', resolution: 'node16', consumers: ['consumer.cts', 'consumer.mts'], defaults: ['default-import.mts'], loads: ['index.d.cts', 'index.d.mts'] },
  { name: 'nodenext', module: 'nodenext', resolution: 'nodenext', consumers: ['consumer.cts', 'consumer.mts'], defaults: ['default-import.mts'], loads: ['index.d.cts', 'index.d.mts'] },
  { name: 'bundler', module: 'esnext', resolution: 'bundler', consumers: ['consumer.ts', 'consumer.mts'], defaults: ['default-import.ts', 'default-import.mts'], loads: ['index.d.mts'] },
  // What Vite and other bundlers for the web resolve: the `browser` condition.
  { name: 'bundler', extra: { customConditions: ['browser'] }, label: 'bundler + customConditions ["browser"]', module: 'esnext', resolution: 'bundler', consumers: ['consumer.ts'], defaults: ['default-import.ts'], loads: ['index.d.mts'] },
];

/** tsc's `file(line,col): error TSnnnn: ...` lines. */
function tscErrors(output) {
  return output.split('\n').filter((l) => / error TS\d+:/.test(l));
}

/** Files tsc loaded (`--listFiles`) from the package, relative to the installed package. */
function loadedFromPackage(output, installed) {
  const lines = output.split('\n').map((l) => l.trim());
  const stray = lines.filter((l) => l.startsWith(PKG + '/'));
  if (stray.length) fail(`tsc loaded crates/wasm/pkg itself, not the installed package:\n${indent(stray.join('\n'))}`);
  return lines.filter((l) => l.startsWith(installed + '/')).map((l) => relative(installed, l)).sort();
}

// ---------------------------------------------------------------------------------------

async function main() {
  if (!FAKE) fail('SONORAN_FAKE_URL is not set (the fake Sonoran server to call): run through `cargo xtask test`, or start `cargo run -q -p xtask -- fake --addr 127.0.0.1:PORT`');
  if (!existsSync(join(PKG, 'package.json'))) fail(`${shown(PKG)} is missing: run \`cargo xtask wasm\``);
  for (const tool of ['tsc', 'attw', 'vite']) {
    if (!existsSync(join(BIN, tool))) fail(`${join(BIN, tool)} is missing: run \`npm ci\` in crates/wasm`);
  }
  const info = await fake('info');
  if (!info.ok) fail(`GET ${FAKE}/__fake/info: ${info.status}`);
  const { communityId, apiKey } = await info.json();
  const reset = await fake('reset', { method: 'POST' });
  if (!reset.ok) fail(`POST ${FAKE}/__fake/reset: ${reset.status}`);
  const clientEnv = {
    SONORAN_FAKE_URL: FAKE,
    SONORAN_CLIENT_OPTIONS: JSON.stringify({ communityId, apiKey, baseUrl: FAKE, rateLimit: 'off', timeoutMs: 10_000 }),
  };
  const requestsSeen = async () => (await (await fake('requests')).json()).length;

  tmp = await mkdtemp(join(tmpdir(), 'sonoran-cad-package-'));
  const manifest = JSON.parse(await readFile(join(PKG, 'package.json'), 'utf8'));
  let tarball;

  await check('npm pack', async () => {
    const r = succeeded(await run('npm', ['pack', '--pack-destination', tmp, '--json', '--loglevel=error'], { cwd: PKG }));
    const [packed] = JSON.parse(r.stdout);
    tarball = join(tmp, packed.filename);
    if (!existsSync(tarball)) fail(`npm pack reported ${packed.filename}, which is not in ${tmp}`);
    const names = packed.files.map((f) => f.path).sort();
    const missing = SHIPPED.filter((f) => !names.includes(f));
    const extra = names.filter((f) => !SHIPPED.includes(f));
    if (missing.length || extra.length) fail(`the tarball's files differ: missing [${missing}], unexpected [${extra}]`);
    const wasm = packed.files.find((f) => f.path === 'sonoran_cad_bg.wasm');
    return `${packed.filename}: tarball ${packed.size} B = ${kib(packed.size)}, unpacked ${packed.unpackedSize} B = ${kib(packed.unpackedSize)}, ${packed.entryCount} files, wasm ${kib(wasm.size)}`;
  });

  const app = join(tmp, 'app');
  const installed = join(app, 'node_modules/sonoran-cad');
  const haveApp = await check('npm install <tarball> into a scratch project (--offline)', async () => {
    if (!tarball) fail('no tarball (npm pack failed)');
    const version = await scratchProject(app, { name: 'sonoran-cad-scratch', version: '0.0.0', private: true }, tarball);
    if (version !== manifest.version) fail(`installed version ${version}, packed ${manifest.version}`);
    return `sonoran-cad@${version}`;
  });
  const needApp = () => haveApp || fail('no scratch project (npm install failed)');

  await check("CommonJS: require('sonoran-cad') makes a call", async () => {
    needApp();
    await files(app, { 'cjs.cjs': CJS_TEST });
    const before = await requestsSeen();
    const r = succeeded(await run('node', ['cjs.cjs'], { cwd: app, env: clientEnv, timeoutMs: 30_000 }));
    if ((await requestsSeen()) <= before) fail('the fake server saw no request');
    return `getVersion() -> ${r.stdout.trim().slice(0, 80)}`;
  });

  await check("ESM: import { SonoranClient } from 'sonoran-cad' makes a call", async () => {
    needApp();
    await files(app, { 'esm.mjs': ESM_TEST });
    const before = await requestsSeen();
    const r = succeeded(await run('node', ['esm.mjs'], { cwd: app, env: clientEnv, timeoutMs: 30_000 }));
    if ((await requestsSeen()) <= before) fail('the fake server saw no request');
    return `getVersion() -> ${r.stdout.trim().slice(0, 80)}`;
  });

  await check('the scratch ESM script: a v1 call, timeoutMs, withResponse(), an aborted call, every page of getAccounts (iterate)', async () => {
    needApp();
    const doc = JSON.parse(await readFile(join(WASM_DIR, '../../openapi/sonoran-cad.openapi.json'), 'utf8'));
    const example = (path, method) => doc.paths[path][method].responses['200'].content['application/json'].example;
    // The fake's getAccounts answers these pages (made from the documented account example),
    // then its documented reply.
    const size = 2;
    const base = doc.components.schemas.Account.example;
    const accounts = [1, 2, 3, 4, 5].map((i) => ({ ...base, username: `${base.username}${i}` }));
    const pages = [];
    for (let offset = 0; offset < accounts.length; offset += size) {
      pages.push({ pagination: { limit: size, offset, total: accounts.length }, accounts: accounts.slice(offset, offset + size) });
    }
    for (const body of pages) {
      const r = await fake('faults', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ operationId: 'getAccounts', kind: { type: 'json', status: 200, body } }),
      });
      if (!r.ok) fail(`POST /__fake/faults: ${r.status} ${await r.text()}`);
    }
    await files(app, { 'scratch.mjs': SCRATCH_ESM });
    const before = await requestsSeen();
    const r = succeeded(await run('node', ['scratch.mjs'], { cwd: app, env: { ...clientEnv, SCRATCH_PAGE_SIZE: String(size) }, timeoutMs: 30_000 }));
    const got = JSON.parse(r.stdout.trim().split('\n').pop());
    const expected = {
      version: example('/v2/general/version', 'get'),
      status: 200,
      attempts: 1,
      servers: example('/general/get_servers', 'post').servers.map((s) => s.name),
      aborted: 'aborted',
      accounts: accounts.map((a) => a.username),
    };
    try {
      assert.deepEqual(got, expected);
    } catch {
      fail(`the script printed ${JSON.stringify(got)}, the fake's data is ${JSON.stringify(expected)}`);
    }
    // getVersion, getServersV1 and one request per page; the aborted call was not sent.
    const sent = (await requestsSeen()) - before;
    if (sent !== 2 + pages.length) fail(`the fake saw ${sent} requests, expected ${2 + pages.length}`);
    return `${accounts.length} accounts over ${pages.length} pages, ${expected.servers.length} server(s), an aborted call`;
  });

  for (const [label, file, text] of [['CommonJS: require', 'events.cjs', EVENTS_CJS_TEST], ['ESM: import', 'events.mjs', EVENTS_ESM_TEST]]) {
    await check(`${label}('sonoran-cad/events'): an event through http.createServer`, async () => {
      needApp();
      await files(app, { [`push-${file}`]: text });
      const r = succeeded(await run('node', [`push-${file}`], { cwd: app, timeoutMs: 30_000 }));
      return r.stdout.trim();
    });
  }
  await check("ESM: import { connectWebsocket } from 'sonoran-cad/websocket' (with the @microsoft/signalr peer) receives an event from the fake's hub", async () => {
    needApp();
    // What `npm i @microsoft/signalr` gives the user, from the dev tools' copy (no registry).
    const peer = join(app, 'node_modules/@microsoft/signalr');
    await mkdir(dirname(peer), { recursive: true });
    if (!existsSync(peer)) await symlink(join(WASM_DIR, 'node_modules/@microsoft/signalr'), peer, 'dir');
    await files(app, { 'websocket.mjs': WEBSOCKET_TEST, 'websocket-consumer.mts': WEBSOCKET_TS });
    const r = succeeded(await run('node', ['websocket.mjs'], { cwd: app, env: clientEnv, timeoutMs: 30_000 }));
    const event = JSON.parse(r.stdout.trim().split('\n').pop());
    if (event.type !== 'EVENT_UNIT_LOGOUT') fail(`got ${r.stdout.trim()}`);
    await files(app, { 'tsconfig.websocket.json': tsconfig('nodenext', 'nodenext', ['websocket-consumer.mts']) });
    succeeded(await run(join(BIN, 'tsc'), ['-p', 'tsconfig.websocket.json'], { cwd: app }));
    return `pushEvent -> ${r.stdout.trim().slice(0, 80)}; websocket-consumer.mts typechecks`;
  });
  await check("CommonJS: require('sonoran-cad/websocket') receives an event from the fake's hub (server 1 by default); its types from .cts (node16) and node10", async () => {
    needApp();
    const peer = join(app, 'node_modules/@microsoft/signalr');
    await mkdir(dirname(peer), { recursive: true });
    if (!existsSync(peer)) await symlink(join(WASM_DIR, 'node_modules/@microsoft/signalr'), peer, 'dir');
    await files(app, { 'websocket.cjs': WEBSOCKET_CJS_TEST, 'websocket-consumer.cts': WEBSOCKET_CTS, 'websocket-consumer-node10.ts': WEBSOCKET_CTS });
    const r = succeeded(await run('node', ['websocket.cjs'], { cwd: app, env: clientEnv, timeoutMs: 30_000 }));
    const event = JSON.parse(r.stdout.trim().split('\n').pop());
    if (event.type !== 'EVENT_UNIT_LOGOUT') fail(`got ${r.stdout.trim()}`);
    await files(app, {
      'tsconfig.websocket-cjs.json': tsconfig('node16', 'node16', ['websocket-consumer.cts']),
      'tsconfig.websocket-node10.json': tsconfig('commonjs', 'node10', ['websocket-consumer-node10.ts']),
    });
    succeeded(await run(join(BIN, 'tsc'), ['-p', 'tsconfig.websocket-cjs.json'], { cwd: app }));
    succeeded(await run(join(BIN, 'tsc'), ['-p', 'tsconfig.websocket-node10.json'], { cwd: app }));
    return `pushEvent -> ${r.stdout.trim().slice(0, 80)}; websocket-consumer.cts (node16) and node10 typecheck`;
  });

  await check("ESM: import x from 'sonoran-cad' fails at runtime (no default export)", async () => {
    needApp();
    await files(app, { 'default-import.mjs': DEFAULT_IMPORT_JS });
    const r = await run('node', ['default-import.mjs'], { cwd: app, env: clientEnv, timeoutMs: 30_000 });
    if (r.error || r.timedOut) fail(ended(r));
    if (r.code === 0) fail(`it ran: ${r.stdout.trim()}`);
    const why = /SyntaxError: .*does not provide an export named 'default'/.exec(r.stderr);
    if (!why) fail(`it failed, but not for the missing default export: ${ended(r)}`);
    return why[0];
  });

  const tsc = join(BIN, 'tsc');
  await files(app, {
    'consumer.cts': CONSUMER_TS,
    'consumer.mts': CONSUMER_TS,
    'consumer.ts': CONSUMER_TS,
    'default-import.cts': DEFAULT_IMPORT_TS,
    'default-import.mts': DEFAULT_IMPORT_TS,
    'default-import.ts': DEFAULT_IMPORT_TS,
    'default-interop.cts': DEFAULT_INTEROP_CTS,
    'disposal.mts': DISPOSAL_TS,
  });
  for (const mode of TS_MODES) {
    const label = mode.label ?? mode.name;
    const id = label.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '');
    await check(`tsc --noEmit, module/moduleResolution ${label}: strict consumers typecheck against the installed package`, async () => {
      needApp();
      const config = `tsconfig.${id}.json`;
      await files(app, { [config]: tsconfig(mode.module, mode.resolution, mode.consumers, mode.extra) });
      const r = await run(tsc, ['-p', config, '--listFiles'], { cwd: app });
      if (r.error || r.timedOut || r.code !== 0) fail(ended(r));
      const loaded = loadedFromPackage(r.stdout, installed);
      const missing = mode.loads.filter((f) => !loaded.includes(f));
      if (missing.length) fail(`tsc did not load ${missing} from the installed package (loaded: ${loaded.join(', ') || 'nothing'})`);
      return `${mode.consumers.join(', ')}; loaded ${loaded.join(', ')}`;
    });
    await check(`tsc --noEmit, module/moduleResolution ${label}: import x from 'sonoran-cad' in an ES module does not typecheck`, async () => {
      needApp();
      const config = `tsconfig.${id}.default.json`;
      await files(app, { [config]: tsconfig(mode.module, mode.resolution, mode.defaults, mode.extra) });
      const r = await run(tsc, ['-p', config], { cwd: app });
      if (r.error || r.timedOut) fail(ended(r));
      if (r.code === 0) fail('tsc accepted a default import');
      const errors = tscErrors(r.stdout);
      const perFile = mode.defaults.map((f) => errors.find((l) => l.startsWith(`${f}(1,8): error TS1192:`)));
      const other = errors.filter((l) => !perFile.includes(l));
      if (perFile.includes(undefined) || other.length) {
        fail(`expected exactly one TS1192 (no default export) per file in ${mode.defaults}:\n${indent(r.stdout.trimEnd())}`);
      }
      return perFile.map((l) => l.replace(/^(\S+)\(1,8\): error (TS\d+): .*/, '$1 $2')).join(', ');
    });
  }

  await check("tsc node16, a CommonJS .cts: import x from 'sonoran-cad' is module.exports in the types and at runtime alike (esModuleInterop)", async () => {
    needApp();
    await files(app, {
      'tsconfig.interop.json': tsconfig('node16', 'node16', ['default-interop.cts'], { noEmit: false, outDir: 'out' }),
    });
    succeeded(await run(tsc, ['-p', 'tsconfig.interop.json'], { cwd: app }));
    const r = succeeded(await run('node', ['out/default-interop.cjs'], { cwd: app, timeoutMs: 30_000 }));
    const got = JSON.parse(r.stdout.trim().split('\n').pop());
    if (!got.same || got.enroute !== 3) fail(`at runtime: ${JSON.stringify(got)}`);
    return 'typechecks, and cad.SonoranClient is the class at runtime';
  });

  await check('using c = new SonoranClient(...) compiles (es2022, esnext.disposable) and a call after the block rejects with a SonoranError in Node', async () => {
    needApp();
    await files(app, {
      'tsconfig.disposal.json': tsconfig('nodenext', 'nodenext', ['disposal.mts'], { noEmit: false, outDir: 'out' }),
    });
    succeeded(await run(tsc, ['-p', 'tsconfig.disposal.json'], { cwd: app }));
    const js = await readFile(join(app, 'out/disposal.mjs'), 'utf8');
    if (!js.includes('Symbol.dispose')) fail('tsc did not downlevel `using` onto Symbol.dispose');
    if (/^\s*using /m.test(js)) fail('the emitted JS still has a `using` declaration');
    const r = succeeded(await run('node', ['out/disposal.mjs'], { cwd: app, env: clientEnv, timeoutMs: 30_000 }));
    const { inside, after } = JSON.parse(r.stdout.trim().split('\n').pop());
    if (inside !== 'object') fail(`the call inside the block gave ${inside}`);
    if (!after.startsWith('SonoranError ')) fail(`the call after the block: ${after}`);
    return `after the block: ${after}`;
  });

  await check(`attw --pack ${shown(PKG)} (@arethetypeswrong/cli, strict, every entry point)`, async () => {
    // attw packs into the package directory and deletes the tarball; a timeout would leave it.
    const stray = join(PKG, `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`);
    const strayBefore = existsSync(stray);
    // Strict for every entry, `sonoran-cad/websocket` included (CommonJS and node10 too).
    const r = await run(join(BIN, 'attw'), ['--pack', PKG, '--format', 'ascii', '--no-color', '--no-emoji'], { cwd: WASM_DIR });
    if (!strayBefore && existsSync(stray)) rmSync(stray, { force: true });
    console.log(indent(`${r.stdout}${r.stderr}`.trimEnd()));
    if (r.error || r.timedOut || r.code !== 0) fail(`attw reported problems (or failed): ${r.error ? r.error.message : r.timedOut ? 'timed out' : `exit ${r.code}`}`);
    if (!/No problems found/.test(r.stdout)) fail('attw exited 0 but did not say "No problems found"');
    if (!/"sonoran-cad\/websocket"/.test(r.stdout)) fail('attw did not check sonoran-cad/websocket');
    return 'no problems found (every entry point: ., ./events, ./websocket)';
  });

  await check("Vite 5, default config: vite build of a page that imports { SonoranClient } from 'sonoran-cad' emits the .wasm asset", async () => {
    if (!tarball) fail('no tarball (npm pack failed)');
    const site = join(tmp, 'vite-app');
    await scratchProject(site, { name: 'sonoran-cad-vite-scratch', version: '0.0.0', private: true, type: 'module' }, tarball);
    await files(site, {
      'index.html': '<!doctype html>\n<html>\n  <head><meta charset="utf-8"><title>sonoran-cad</title></head>\n  <body>\n    <pre id="out"></pre>\n    <script type="module" src="/main.js"></script>\n  </body>\n</html>\n',
      'main.js': "import { SonoranClient, UnitStatus } from 'sonoran-cad';\n\n// Behind the site's own backend, which adds the credentials.\nconst client = new SonoranClient({ baseUrl: '/sonoran' });\nclient.getVersion().then(\n  (v) => { document.getElementById('out').textContent = JSON.stringify(v); },\n  (e) => { document.getElementById('out').textContent = `${e.kind}: ${e.message} (${UnitStatus.ENROUTE})`; },\n);\n",
    });
    const vite = join(BIN, 'vite');
    const version = (await run(vite, ['--version'], { cwd: site, timeoutMs: 30_000 })).stdout.trim();
    if (!/^vite\/5\./.test(version)) fail(`expected Vite 5, found ${version || 'nothing'}`);
    const r = await run(vite, ['build'], { cwd: site, timeoutMs: 180_000 });
    const output = `${r.stdout}${r.stderr}`.trimEnd();
    if (r.error || r.timedOut || r.code !== 0) fail(`${version.split(' ')[0]} build failed: ${ended(r, 60)}`);
    const assets = join(site, 'dist/assets');
    const emitted = existsSync(assets) ? await readdir(assets) : [];
    const wasm = emitted.filter((f) => f.endsWith('.wasm'));
    if (wasm.length !== 1) fail(`expected one .wasm in dist/assets, found [${emitted}]\n${indent(output)}`);
    const [shipped, built] = await Promise.all([readFile(join(PKG, 'sonoran_cad_bg.wasm')), readFile(join(assets, wasm[0]))]);
    if (!shipped.equals(built)) fail(`dist/assets/${wasm[0]} is not the package's sonoran_cad_bg.wasm`);
    const bundles = emitted.filter((f) => f.endsWith('.js'));
    const texts = await Promise.all(bundles.map((f) => readFile(join(assets, f), 'utf8')));
    if (!texts.some((t) => t.includes(wasm[0]))) fail(`no bundle in dist/assets refers to ${wasm[0]}: [${bundles}]`);
    const warnings = output.split('\n').filter((l) => /warn|doesn't exist at build time|deprecat/i.test(l));
    if (warnings.length) console.log(indent(`vite build warnings:\n${warnings.join('\n')}`));
    return `${version.split(' ')[0]}: dist/assets/${wasm[0]} ${kib(built.length)}, ${bundles.join(', ')}${warnings.length ? `, ${warnings.length} warning line(s)` : ''}`;
  });
}

try {
  await main();
} catch (e) {
  failed += 1;
  console.log(`FAIL ${e?.message ?? e}`);
} finally {
  cleanup();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
