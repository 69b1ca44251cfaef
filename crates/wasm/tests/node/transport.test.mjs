// The package's own transport in Node (crates/wasm-core/js/transport.mjs, node:http with
// keep-alive), against small servers on loopback that do what the fake does not: split a
// UTF-8 character across chunks, compress, stream an endless body, cut a reply, redirect,
// count connections. What it must keep from `fetch`: the request as sent (method, headers,
// body and its byte length), the reply as read (status, headers, UTF-8 text without a BOM),
// a signal that really aborts, and the client's error kinds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http, { createServer } from 'node:http';
import { createServer as createSecureServer } from 'node:https';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getEventListeners } from 'node:events';
import { SonoranClient } from '../../pkg/index.mjs';
import { rejects } from './rejects.mjs';
// The transport itself, from its source (the package bundles it, unexported).
import { nodeFetch } from '../../../wasm-core/js/transport.mjs';

const U = { accountUuid: '00000000-0000-4000-8000-000000000001', identId: 12, body: { status: 2, group: 'Überwachung ✓', page: 3 } };

/**
 * A loopback server whose `handle(req, res, body)` answers each request, recording each as
 * `{ method, url, headers, body }` and counting connections. Closed when the test ends.
 */
async function serve(t, handle) {
  const seen = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8'), bytes: body.length });
      handle(req, res, body);
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  t.after(() => {
    server.closeAllConnections();
    return new Promise((done) => server.close(done));
  });
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  return { seen, baseUrl, connections: () => connections, server };
}

function client(baseUrl, extra = {}) {
  return new SonoranClient({ communityId: 'c', apiKey: 'the-key', baseUrl, rateLimit: 'off', retries: 0, ...extra });
}

/** A promise and the function that resolves it (a server event the test waits for). */
function serverEvent() {
  let done;
  const happened = new Promise((resolve) => {
    done = resolve;
  });
  return { done, happened };
}

const json = (res, value, headers = {}) => {
  const text = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

test('the default transport is node:http, not fetch: no fetch-only headers, one connection kept alive for every call', async (t) => {
  const s = await serve(t, (req, res) => json(res, { version: 7 }));
  const c = client(s.baseUrl);
  for (let i = 0; i < 5; i++) assert.equal((await c.getVersion()).version, 7);
  assert.equal(s.seen.length, 5);
  const h = s.seen[0].headers;
  assert.equal(h.authorization, 'Bearer the-key');
  assert.equal(h.accept, 'application/json');
  assert.match(h['user-agent'], /^sonoran-cad-js\/\S+ \(node v/);
  // What undici's fetch adds to every request, and this transport does not.
  assert.equal(h['sec-fetch-mode'], undefined);
  assert.equal(h['accept-language'], undefined);
  assert.equal(h['accept-encoding'], undefined, 'no compression asked for');
  assert.equal(s.connections(), 1, 'the five calls went over one kept-alive connection');
});

test('the fetch option, and a global fetch replaced after the package loaded, are used instead', async (t) => {
  const s = await serve(t, (req, res) => json(res, { version: 7 }));
  // Node's fetch, asked for: undici's own headers show it.
  await client(s.baseUrl, { fetch: globalThis.fetch }).getVersion();
  assert.equal(s.seen[0].headers['sec-fetch-mode'], 'cors');
  // A test's mock on the global fetch (installed after the import) is honoured.
  const real = globalThis.fetch;
  const urls = [];
  globalThis.fetch = (url, init) => {
    urls.push(url);
    return real(url, init);
  };
  try {
    await client(s.baseUrl).getVersion();
  } finally {
    globalThis.fetch = real;
  }
  assert.deepEqual(urls, [`${s.baseUrl}/v2/general/version`]);
  // With the global one back, the client made now uses node:http again.
  await client(s.baseUrl).getVersion();
  assert.equal(s.seen.length, 3);
  assert.equal(s.seen[2].headers['sec-fetch-mode'], undefined);
});

test('a JSON body goes with its length in bytes (not characters), its content type and method', async (t) => {
  const s = await serve(t, (req, res) => json(res, { identId: 12 }));
  const c = client(s.baseUrl);
  await c.updateIdentifier(U);
  const r = s.seen[0];
  assert.equal(r.method, 'PATCH');
  assert.equal(r.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(r.body), U.body);
  assert.equal(Number(r.headers['content-length']), r.bytes);
  assert.ok(r.bytes > r.body.length, 'the body has multi-byte characters');
});

test('a reply is read as UTF-8 across chunk boundaries, without a leading BOM, its headers as fetch reads them', async (t) => {
  const text = Buffer.from('\ufeff{"version": 7, "name": "Überwachung ✓"}', 'utf8');
  const split = text.indexOf(Buffer.from('✓')) + 1; // in the middle of the three bytes of ✓
  const s = await serve(t, (req, res) => {
    res.writeHead(200, [
      ['Content-Type', 'application/json'],
      ['X-Request-Id', 'req-1'],
      ['X-Many', 'a'],
      ['X-Many', 'b'],
    ]);
    res.write(text.subarray(0, split));
    setImmediate(() => res.end(text.subarray(split)));
  });
  const { data, response: r } = await client(s.baseUrl).getVersion().withResponse();
  assert.deepEqual(data, { version: 7, name: 'Überwachung ✓' });
  assert.equal(r.status, 200);
  assert.equal(r.requestId, 'req-1');
  assert.equal(r.headers.get('x-request-id'), 'req-1');
  assert.equal(r.headers.get('X-REQUEST-ID'), 'req-1');
  assert.equal(r.headers.get('x-many'), 'a, b');
  assert.equal(r.headers.get('x-absent'), null);
  assert.ok(r.headers.has('content-type'));
  const names = [...r.headers].map(([name]) => name);
  assert.ok(names.includes('x-many') && names.includes('content-type'), names.join());
  assert.deepEqual(names, [...names].sort());
});

test('a compressed reply (gzip, br) is decompressed', async (t) => {
  const value = { version: 7, pad: 'x'.repeat(500) };
  let n = 0;
  const s = await serve(t, (req, res) => {
    const gzip = n++ % 2 === 0;
    const body = gzip ? gzipSync(JSON.stringify(value)) : brotliCompressSync(JSON.stringify(value));
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': gzip ? 'gzip' : 'br', 'content-length': body.length });
    res.end(body);
  });
  const c = client(s.baseUrl);
  assert.deepEqual(await c.getVersion(), value);
  assert.deepEqual(await c.getVersion(), value);
});

test('a body with no length that runs past maxReplyBytes stops being read: replyTooLarge, the connection dropped', async (t) => {
  const closed = serverEvent();
  let written = 0;
  const s = await serve(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.on('close', closed.done);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    // An endless body, written as fast as the client reads it.
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) written += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    res.write('{"pad": "');
    pump();
  });
  const e = await rejects(client(s.baseUrl).getVersion(), 'replyTooLarge');
  assert.match(e.message, /16777216 bytes/);
  await closed.happened;
  assert.ok(written < 64 * 1024 * 1024, `the server wrote ${written} bytes before the client hung up`);
});

test('a reply cut short is a transport error; a 3xx is the reply, not followed', async (t) => {
  const s = await serve(t, (req, res) => {
    if (req.url.endsWith('/version')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
      res.write('{"version":');
      setImmediate(() => res.destroy());
    } else {
      res.writeHead(302, { location: '/elsewhere', 'content-length': 0 });
      res.end();
    }
  });
  const c = client(s.baseUrl);
  const cut = await rejects(c.getVersion(), 'transport');
  assert.ok(cut.cause, cut.message);
  const moved = await c.getAccount({ accountUuid: U.accountUuid }).then(
    () => assert.fail('a 302 is not a success'),
    (e) => e,
  );
  assert.equal(moved.status, 302);
  assert.ok(!s.seen.some((r) => r.url === '/elsewhere'), 'the redirect was not followed');
});

test("the caller's signal aborts a request in flight: the server sees the connection close", async (t) => {
  const arrived = serverEvent();
  const closed = serverEvent();
  const s = await serve(t, (req, res) => {
    res.on('close', closed.done);
    arrived.done();
    // Never answers.
  });
  const controller = new AbortController();
  const call = client(s.baseUrl).getVersion(undefined, { signal: controller.signal });
  await arrived.happened;
  controller.abort(new Error('stop'));
  await rejects(call, 'aborted');
  await closed.happened;
});

test('the client timeout aborts a request that gets no answer, as a timeout (virtual time)', async (t) => {
  const arrived = serverEvent();
  const closed = serverEvent();
  const s = await serve(t, (req, res) => {
    res.on('close', closed.done);
    arrived.done();
  });
  // The client's timers on node:test's clock: the timeout fires when the test moves it, once
  // the request is at the server (the socket's own timers stay real and are not involved).
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const call = client(s.baseUrl, { timeoutMs: 1000 }).getVersion();
  await arrived.happened;
  // The shared timeout fires at most 1% after `timeoutMs` (SharedTimeout, core.mjs).
  let settled = false;
  call.then(
    () => (settled = true),
    () => (settled = true),
  );
  t.mock.timers.tick(999);
  await new Promise((done) => setImmediate(done));
  assert.equal(settled, false, 'still waiting 1 ms before its timeout');
  t.mock.timers.tick(11);
  await rejects(call, 'timeout');
  await closed.happened;
});

test('https: the certificate is verified (refused when untrusted, a call made when trusted)', async (t) => {
  // A self-signed certificate for 127.0.0.1, made for this test (`cargo xtask test-js`
  // installs openssl when missing).
  const dir = mkdtempSync(join(tmpdir(), 'sonoran-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  const seen = [];
  const server = createSecureServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    seen.push(req.headers);
    json(res, { version: 9 });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  t.after(() => {
    server.closeAllConnections();
    return new Promise((done) => server.close(done));
  });
  const baseUrl = `https://127.0.0.1:${server.address().port}`;
  // This process does not trust the certificate: a transport error, with Node's TLS error.
  const e = await rejects(client(baseUrl).getVersion(), 'transport');
  assert.match(String(e.cause?.code), /SELF_SIGNED|UNABLE_TO_VERIFY/, `cause: ${e.cause?.code} ${e.message}`);
  assert.equal(seen.length, 0, 'no request got through');
  // A process that trusts it (NODE_EXTRA_CA_CERTS is read at start-up) makes the call.
  const pkg = new URL('../../pkg/index.mjs', import.meta.url).href;
  const script = `import { SonoranClient } from ${JSON.stringify(pkg)};
const c = new SonoranClient({ apiKey: 'the-key', baseUrl: ${JSON.stringify(baseUrl)}, rateLimit: 'off' });
console.log(JSON.stringify(await c.getVersion()));`;
  const out = await new Promise((done, fail) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert } }, (error, stdout, stderr) =>
      error ? fail(new Error(`${error.message}\n${stderr}`)) : done(stdout),
    );
  });
  assert.deepEqual(JSON.parse(out), { version: 9 });
  assert.equal(seen.length, 1);
  assert.equal(seen[0].authorization, 'Bearer the-key');
});

test("the transport's listener on a signal goes when its request is over; an abort mid-body stops the read", async (t) => {
  let partial = false;
  const s = await serve(t, (req, res) => {
    if (req.url === '/partial') {
      partial = true;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
      res.write('{"a":');
      // The rest never comes.
    } else {
      json(res, { ok: true });
    }
  });
  // One signal shared by many requests, as the client's shared timeout shares one.
  const shared = new AbortController();
  for (let i = 0; i < 20; i++) {
    const reply = await nodeFetch(`${s.baseUrl}/whole`, { headers: {}, signal: shared.signal });
    assert.equal(await reply.text(), '{"ok":true}');
    // The request's 'close' comes once its reply was read.
    await new Promise((done) => setImmediate(done));
  }
  assert.equal(getEventListeners(shared.signal, 'abort').length, 0, 'no listener left behind');
  const controller = new AbortController();
  const reply = await nodeFetch(`${s.baseUrl}/partial`, { headers: {}, signal: controller.signal });
  assert.ok(partial);
  const reading = reply.text();
  controller.abort(new Error('enough'));
  await assert.rejects(reading);
  // Already aborted: rejects at once with an AbortError carrying the reason.
  const e = await nodeFetch(`${s.baseUrl}/whole`, { headers: {}, signal: controller.signal }).then(
    () => assert.fail('sent with an aborted signal'),
    (error) => error,
  );
  assert.equal(e.name, 'AbortError');
  assert.equal(e.cause.message, 'enough');
  assert.equal(s.seen.filter((r) => r.url === '/whole').length, 20);
});

test("the process's global agent carries the requests; Node 18's non-keep-alive default is replaced by a keep-alive one", async (t) => {
  const s = await serve(t, (req, res) => json(res, { version: 7 }));
  const original = http.globalAgent;
  t.after(() => {
    http.globalAgent = original;
  });
  // A program's own agent (a proxy agent is one of these): used for every request.
  let used = 0;
  class Counting extends http.Agent {
    addRequest(req, options) {
      used += 1;
      return super.addRequest(req, options);
    }
  }
  http.globalAgent = new Counting({ keepAlive: false });
  await client(s.baseUrl).getVersion();
  await client(s.baseUrl).getVersion();
  assert.equal(used, 2, "both requests went through the program's agent");
  assert.equal(s.connections(), 2, 'and by its rules: no keep-alive');
  // Node 18's default, a plain agent without keep-alive: the client keeps its connection.
  http.globalAgent = new http.Agent({ keepAlive: false });
  const c = client(s.baseUrl);
  for (let i = 0; i < 3; i++) await c.getVersion();
  assert.equal(s.connections(), 3, 'one more connection for the three calls');
});
