// Push events through the package's `sonoran-cad/events` entry: every documented example of
// the merged spec (repaired where the docs' JSON is broken) arrives as its typed event through
// `createPushHandler` under a real `http.createServer` and under Express, on loopback; the
// lenient forms, undocumented types and every kind of refusal behave as in the Rust crate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import express from 'express';
import {
  DOCUMENTED_TYPES,
  PushEventError,
  createPushHandler,
  decodePushEvent,
  receivePushEvent,
} from '../../pkg/events.mjs';

const KEY = 'the-community-api-key-9f3a';
const SPEC = JSON.parse(readFileSync(new URL('../../../../openapi/sonoran-cad.openapi.json', import.meta.url), 'utf8'));

/** Every documented example, and the extra ones (the websocket page's): [type, page, data]. */
function documentedExamples() {
  const out = [];
  for (const [type, event] of Object.entries(SPEC['x-push-events'])) {
    out.push([type, event['docs-page'], event.example]);
    for (const more of event['more-examples'] ?? []) out.push([type, more['docs-page'], more.data]);
  }
  return out;
}

/** Starts `handler` on a loopback port: { url, close }. */
async function serve(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    base: `http://127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/sonorancad/event`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function post(url, body, headers = {}) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, text: await r.text() };
}

const received = [];
const handler = createPushHandler({ apiKey: KEY, maxBodyBytes: 4096, onEvent: (e) => received.push(e) });
let plain;
let viaExpress;
let viaExpressJson;
before(async () => {
  plain = await serve(handler);
  const app = express();
  app.post('/sonorancad/event', handler);
  app.get('/other', (_req, res) => res.send('other route'));
  viaExpress = await serve(app);
  // A body express.json() already parsed is used as it is.
  const parsed = express();
  parsed.use(express.json({ limit: '4kb' }));
  parsed.post('/sonorancad/event', handler);
  viaExpressJson = await serve(parsed);
});
after(async () => {
  await Promise.all([plain.close(), viaExpress.close(), viaExpressJson.close()]);
});

/** Drops nulls, as the Rust test does, to compare a decoded payload with what was sent. */
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, canonical(x)]));
  }
  return v;
}

test('the spec and the entry list the same 27 documented types', () => {
  assert.deepEqual([...DOCUMENTED_TYPES], Object.keys(SPEC['x-push-events']).sort());
  assert.equal(DOCUMENTED_TYPES.length, 27);
});

for (const [name, server] of [['http.createServer', () => plain], ['Express', () => viaExpress], ['Express with express.json()', () => viaExpressJson]]) {
  test(`every documented example arrives typed (${name})`, async () => {
    for (const [type, page, data] of documentedExamples()) {
      for (const form of [data, [data]]) {
        received.length = 0;
        const r = await post(server().url, { key: KEY, type, data: form });
        assert.equal(r.status, 200, `${type} (${page}): ${r.text}`);
        assert.equal(received.length, 1);
        const [event] = received;
        assert.equal(event.type, type);
        assert.equal(event.unknown, undefined, `${type} is documented`);
        const expected = canonical(data);
        if (type === 'EVENT_DISPATCH_TOGGLE_BODYCAM') expected.ident = 1;
        assert.deepEqual(event.data, expected, `${type} (${page})`);
      }
    }
  });
}

test('lenient forms decode as in Rust', () => {
  assert.deepEqual(decodePushEvent('EVENT_UNIT_STATUS', [{ identIds: '4', status: 3 }]), {
    type: 'EVENT_UNIT_STATUS',
    data: { identIds: [4], status: 3 },
  });
  assert.deepEqual(decodePushEvent('EVENT_DISPATCH_CLOSED', { callIds: '12' }).data, { callIds: [12] });
  // The numeric grammar is Rust's: these stay strings, and are refused where a number is due.
  for (const bad of ['+1', ' 1', '0x1', '1e3', '1.', '.5', '']) {
    assert.throws(() => decodePushEvent('EVENT_UNIT_LOGOUT', { identId: bad }), { path: 'data.identId' }, bad);
  }
  assert.deepEqual(decodePushEvent('EVENT_UNIT_LOGOUT', { identId: '-3' }).data, { identId: -3 });
});

test('errors name the type and the field, like the Rust crate', () => {
  const cases = [
    ['EVENT_UNIT_LOGIN', { unit: { status: 'busy' } }, 'data.unit.status'],
    ['EVENT_DISPATCH_CLOSED', 'closed', 'data'],
    ['EVENT_REMOVE_911', [{ callIds: [1] }, { callIds: [2] }], 'data'],
    ['EVENT_TONE', { playTonesTo: [{ type: 1 }, ['x']] }, 'data.playTonesTo[1]'],
    ['EVENT_STATION_ALERT', { locations: [{ open: ['a', 2] }] }, 'data.locations[0].open[1]'],
    ['EVENT_REMOVE_911', {}, 'data'],
  ];
  for (const [type, data, path] of cases) {
    assert.throws(
      () => decodePushEvent(type, data),
      (e) => {
        assert.ok(e instanceof PushEventError);
        assert.equal(e.kind, 'invalidEvent');
        assert.equal(e.eventType, type);
        assert.equal(e.path, path);
        assert.ok(e.message.startsWith(`push event ${type}: ${path}: `), e.message);
        return true;
      },
    );
  }
  assert.throws(() => decodePushEvent('EVENT_REMOVE_911', [{ callIds: [1] }, { callIds: [2] }]), {
    message: 'push event EVENT_REMOVE_911: data: expected an object, found an array',
  });
  assert.throws(() => decodePushEvent('EVENT_REMOVE_911', {}), { message: 'push event EVENT_REMOVE_911: data: missing field `callIds`' });
  assert.throws(() => decodePushEvent(42, {}), { kind: 'invalidArgument' });
});

test('an undocumented type arrives with its raw data', async () => {
  received.length = 0;
  const data = { units: [{ id: 3, status: 2 }], extra: [1, 'two'] };
  const r = await post(plain.url, { key: KEY, type: 'EVENT_UNIT_UPDATE', data });
  assert.equal(r.status, 200);
  assert.deepEqual(received, [{ type: 'EVENT_UNIT_UPDATE', data, unknown: true }]);
});

test('refusals say why and never echo a key', async () => {
  received.length = 0;
  for (const server of [plain, viaExpress]) {
    const wrong = await post(server.url, { key: 'the-community-api-key-9f3b', type: 'EVENT_UNIT_LOGOUT', data: { identId: 1 } });
    assert.equal(wrong.status, 401);
    assert.ok(!wrong.text.includes('api-key'), wrong.text);
    const cases = [
      ['not json', 'not JSON'],
      ['[1, 2]', 'not a JSON object'],
      [{ type: 'EVENT_TONE', data: {} }, '`key`'],
      [{ key: KEY, data: {} }, '`type`'],
      [{ key: KEY, type: 'EVENT_UNIT_LOGIN', data: { unit: { status: 'busy' } } }, 'push event EVENT_UNIT_LOGIN: data.unit.status'],
      [{ key: KEY, type: 'EVENT_REMOVE_911', data: [{ callIds: [1] }, { callIds: [2] }] }, 'data: expected an object, found an array'],
    ];
    for (const [body, says] of cases) {
      const r = await post(server.url, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.ok(r.text.includes(says), `${r.text} should say ${says}`);
      assert.ok(!r.text.includes(KEY));
    }
    const big = { key: KEY, type: 'EVENT_RECORD_ADD', data: { record: { x: 'y'.repeat(5000) } } };
    assert.equal((await post(server.url, big)).status, 413);
    // Streamed without a Content-Length: the cap holds while reading.
    const chunked = await fetch(server.url, {
      method: 'POST',
      body: new ReadableStream({
        start(c) {
          const bytes = new TextEncoder().encode(JSON.stringify(big));
          for (let i = 0; i < bytes.length; i += 1000) c.enqueue(bytes.slice(i, i + 1000));
          c.close();
        },
      }),
      duplex: 'half',
    });
    assert.equal(chunked.status, 413);
  }
  const get = await fetch(plain.url);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  assert.equal((await post(`${plain.base}/elsewhere`, {})).status, 404);
  // Under Express another path is left to the other routes (`next()`).
  assert.equal(await (await fetch(`${viaExpress.base}/other`)).text(), 'other route');
  assert.deepEqual(received, [], 'nothing refused was delivered');
});

test('receivePushEvent checks the key before anything else', () => {
  assert.throws(() => receivePushEvent('{"key": "k2", "type": 5}', 'k1'), { kind: 'wrongKey' });
  assert.throws(() => receivePushEvent('{"key": "k1", "type": 5}', 'k1'), { kind: 'notAnEvent' });
  assert.throws(() => receivePushEvent('{"key": "k", "type": "X"}', 'k1'), { kind: 'wrongKey' });
  assert.throws(() => receivePushEvent('{"key": "k1"}', ''), { kind: 'invalidArgument' });
  const e = receivePushEvent(Buffer.from('{"key": "k1", "type": "EVENT_UNIT_LOGOUT", "data": [{"identId": 7}]}'), 'k1');
  assert.deepEqual(e, { type: 'EVENT_UNIT_LOGOUT', data: { identId: 7 } });
});

test('a failing onEvent gets 500 and goes to onError', async () => {
  const errors = [];
  const failing = await serve(
    createPushHandler({
      apiKey: KEY,
      onEvent: async () => {
        throw new Error('boom');
      },
      onError: (e, event) => errors.push([e.message, event.type]),
    }),
  );
  try {
    const r = await post(failing.url, { key: KEY, type: 'EVENT_UNIT_LOGOUT', data: { identId: 1 } });
    assert.equal(r.status, 500);
    assert.deepEqual(errors, [['boom', 'EVENT_UNIT_LOGOUT']]);
  } finally {
    await failing.close();
  }
});

test('every refused event goes to onError (a PushEventError, no event) after its answer; a throwing onError changes no answer', async (t) => {
  const logged = t.mock.method(console, 'error', () => {});
  const refused = [];
  const accepted = [];
  const handler = await serve(
    createPushHandler({
      apiKey: KEY,
      maxBodyBytes: 4096,
      onEvent: (event) => accepted.push(event),
      onError: (e, event) => {
        refused.push([e instanceof PushEventError, e.kind, e.eventType, e.path, event]);
        throw new Error('onError itself fails');
      },
    }),
  );
  try {
    // As the issue has it: data that does not match the docs is a 400 that onError hears of.
    const mismatch = await post(handler.url, { key: KEY, type: 'EVENT_UNIT_LOGIN', data: { unit: { status: 'busy' } } });
    assert.equal(mismatch.status, 400);
    assert.deepEqual(refused, [[true, 'invalidEvent', 'EVENT_UNIT_LOGIN', 'data.unit.status', undefined]]);
    refused.length = 0;
    assert.equal((await post(handler.url, { key: 'someone-else', type: 'EVENT_TONE', data: {} })).status, 401);
    assert.equal((await post(handler.url, 'not json')).status, 400);
    assert.equal((await post(handler.url, { key: KEY, data: {} })).status, 400);
    assert.equal((await post(handler.url, { key: KEY, type: 'EVENT_RECORD_ADD', data: { record: { x: 'y'.repeat(5000) } } })).status, 413);
    assert.deepEqual(refused.map(([isError, kind, , , event]) => [isError, kind, event]), [
      [true, 'wrongKey', undefined],
      [true, 'notJson', undefined],
      [true, 'notAnEvent', undefined],
      [true, 'tooLarge', undefined],
    ]);
    assert.ok(refused.every((r) => !JSON.stringify(r).includes('someone-else')));
    // Not events at all: a GET and another path are answered and not reported.
    refused.length = 0;
    assert.equal((await fetch(handler.url)).status, 405);
    assert.equal((await post(`${handler.base}/elsewhere`, {})).status, 404);
    assert.deepEqual(refused, []);
    assert.equal((await post(handler.url, { key: KEY, type: 'EVENT_UNIT_LOGOUT', data: { identId: 1 } })).status, 200);
    assert.deepEqual(accepted, [{ type: 'EVENT_UNIT_LOGOUT', data: { identId: 1 } }]);
    // Each throwing onError was logged, not left as an unhandled rejection.
    assert.equal(logged.mock.callCount(), 5);
    assert.match(String(logged.mock.calls[0].arguments[0]), /onError threw/);
  } finally {
    await handler.close();
  }
});

test('createPushHandler refuses bad options by name', () => {
  assert.throws(() => createPushHandler({ onEvent() {} }), { kind: 'invalidArgument', message: /`apiKey`/ });
  assert.throws(() => createPushHandler({ apiKey: KEY }), { message: /`onEvent`/ });
  assert.throws(() => createPushHandler({ apiKey: KEY, onEvent() {}, maxBodyBytes: -1 }), { message: /`maxBodyBytes`/ });
  assert.throws(() => createPushHandler(), { message: /`apiKey`/ });
});

test('the CommonJS copy is the same entry', () => {
  const cjs = createRequire(import.meta.url)('../../pkg/events.cjs');
  assert.deepEqual(cjs.DOCUMENTED_TYPES, DOCUMENTED_TYPES);
  assert.deepEqual(cjs.decodePushEvent('EVENT_UNIT_STATUS', [{ identIds: 1 }]).data, { identIds: [1] });
});
