// The package's behaviour: the 429 wait and the pacing are asserted exactly on virtual time
// (./virtual-time.mjs: node:test's mock timers, no wall clock), every kind of malformed
// argument is refused with its exact message before anything is sent, and the transport,
// enum, fetch, user-agent and dispose contracts are checked against the fake.
import { test, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { virtualTime } from './virtual-time.mjs';
import { createServer } from 'node:net';
import { SonoranClient, UnitStatus } from '../../pkg/index.mjs';
import * as fake from './fake.mjs';
import { rejects } from './rejects.mjs';

const U = fake.UPDATE_IDENTIFIER;
const A = fake.ACCOUNT;
let apiKey;
before(async () => {
  apiKey = (await fake.info()).apiKey;
});
beforeEach(fake.reset);

test('a 429 with Retry-After: 1 is retried after exactly one second, once', async (t) => {
  const clock = virtualTime(t);
  const client = new SonoranClient(await fake.options({ fetch: clock.fetch })); // default retries (2)
  await fake.inject({ operationId: 'getVersion', times: 1, kind: { type: 'rateLimited', retryAfterSeconds: 1 } });
  const version = await clock.settle(client.getVersion());
  assert.equal(typeof version, 'object');
  assert.deepEqual(clock.sent.map((s) => s.at), [0, 1000], 'virtual ms at which each attempt left');
  const seen = await fake.requests();
  assert.equal(seen.length, 2, `requests: ${seen.map((r) => r.operationId).join(', ')}`);
  assert.ok(seen.every((r) => r.operationId === 'getVersion'));
});

test('a burst is paced: 6 calls at 2 per 300 ms leave two by two, a window and its margin apart', async (t) => {
  const WINDOW = 300;
  // The limiter's margin per window (its default, 100 ms): see the Rust RateLimitPolicy.
  const MARGIN = 100;
  const clock = virtualTime(t);
  const client = new SonoranClient(await fake.options({ rateLimit: { limits: { getVersion: 2 }, windowMs: WINDOW }, fetch: clock.fetch }));
  const replies = await clock.settle(Promise.all(Array.from({ length: 6 }, () => client.getVersion())));
  assert.equal(replies.length, 6);
  assert.equal((await fake.requests()).length, 6, 'each call sent once');
  // Replies take no virtual time: each place frees a window and a margin after it left.
  const step = WINDOW + MARGIN;
  assert.deepEqual(clock.sent.map((s) => s.at), [0, 0, step, step, 2 * step, 2 * step]);
});

const E = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `[label, call, exact message or RegExp]`: each must be refused before sending. */
const MALFORMED = [
  // v2: updateIdentifier({ accountUuid, identId, body })
  ['v2 missing required argument', (c) => c.updateIdentifier({ accountUuid: A, body: { status: 2 } }),
    'updateIdentifier: `identId` is required'],
  ['v2 missing body', (c) => c.updateIdentifier({ accountUuid: A, identId: 12 }),
    'updateIdentifier: `body` is required'],
  ['v2 unknown argument', (c) => c.updateIdentifier({ ...U, bogus: 1 }),
    'updateIdentifier: `bogus` is not an argument of this call'],
  ['v2 unknown body field', (c) => c.updateIdentifier({ ...U, body: { status: 2, bogus: 1 } }),
    'updateIdentifier: `body.bogus` is not a field of this object'],
  ['v2 wrong type', (c) => c.updateIdentifier({ ...U, body: { status: '2' } }),
    'updateIdentifier: `body.status`: expected an integer, got a string ("2")'],
  ['v2 wrong type (string field)', (c) => c.updateIdentifier({ ...U, body: { group: 5 } }),
    'updateIdentifier: `body.group`: expected a string, got a number (5)'],
  ['v2 1.5 for an integer argument', (c) => c.updateIdentifier({ ...U, identId: 1.5 }),
    'updateIdentifier: `identId`: expected an integer, got a number (1.5)'],
  ['v2 1.5 for an integer body field', (c) => c.updateIdentifier({ ...U, body: { page: 1.5 } }),
    'updateIdentifier: `body.page`: expected an integer, got a number (1.5)'],
  ['v2 uuid format', (c) => c.updateIdentifier({ ...U, accountUuid: 'not-a-uuid' }),
    new RegExp(`^${E('updateIdentifier: `accountUuid`: expected a UUID')} .*${E('got a string ("not-a-uuid")')}$`)],
  // updateIdentifier's only enum (status, UnitStatus) is an integer enum, open by design:
  // a string enum of a v2 body is modifyAccountPermissions' `add` (PermissionName).
  ['v2 enum value', (c) => c.modifyAccountPermissions({ body: { communityUserId: 'p', add: ['NOPE'] } }),
    new RegExp(`^${E('modifyAccountPermissions: `body.add[0]`: expected one of "CIVILIAN", "LAWYER", ')}.*${E(', got a string ("NOPE")')}$`)],
  // v1: setAccountPermissionsV1(data), data an array of { apiId, add, remove, ... }
  ['v1 missing data', (c) => c.setAccountPermissionsV1(),
    'setAccountPermissionsV1: `data` (the first argument) is required'],
  ['v1 missing required field', (c) => c.modifyIdentifierV1([{ apiId: 'Steam:1234', identId: 1 }]),
    'modifyIdentifierV1: `data[0].action` is required'],
  ['v1 unknown field', (c) => c.setAccountPermissionsV1([{ apiId: 'STEAM:1', add: ['POLICE'], typo: true }]),
    'setAccountPermissionsV1: `data[0].typo` is not a field of this object'],
  ['v1 extra argument', (c) => c.setAccountPermissionsV1([], { x: 1 }),
    'setAccountPermissionsV1: `x` is not a per-call option (signal, timeoutMs, headers, maxQueueMs)'],
  ['v1 too many arguments', (c) => c.setAccountPermissionsV1([], {}, {}),
    'setAccountPermissionsV1: takes 1 argument and the per-call options, got 3 arguments'],
  ['v1 wrong type', (c) => c.setAccountPermissionsV1([{ apiId: 5 }]),
    'setAccountPermissionsV1: `data[0].apiId`: expected a string, got a number (5)'],
  ['v1 not an array', (c) => c.setAccountPermissionsV1({ apiId: 'STEAM:1' }),
    'setAccountPermissionsV1: `data`: expected an array, got an object'],
  ['v1 1.5 for an integer', (c) => c.modifyIdentifierV1([{ apiId: 'Steam:1234', action: 2, identId: 1.5 }]),
    'modifyIdentifierV1: `data[0].identId`: expected an integer, got a number (1.5)'],
  ['v1 enum value', (c) => c.setAccountPermissionsV1([{ apiId: 'STEAM:1', add: ['POLICE'], remove: ['NOPE'] }]),
    new RegExp(`^${E('setAccountPermissionsV1: `data[0].remove[0]`: expected one of "CIVILIAN", "LAWYER", ')}.*${E(', got a string ("NOPE")')}$`)],
  // The spec's only array length limits are `maxItems: 0` on the `data: []` of
  // getServersV1/getVersionV1, which the methods take as no argument at all.
  ['v1 data given where the spec documents `data: []` (maxItems 0)', (c) => c.getVersionV1([1]),
    'getVersionV1: the per-call options must be an object { signal, timeoutMs, headers, maxQueueMs }'],
];

for (const [label, call, expected] of MALFORMED) {
  test(`invalidRequest, nothing sent: ${label}`, async () => {
    const client = new SonoranClient(await fake.options());
    const e = await rejects(call(client), 'invalidRequest');
    if (expected instanceof RegExp) assert.match(e.message, expected);
    else assert.equal(e.message, expected);
    assert.deepEqual(await fake.requests(), [], 'nothing was sent');
  });
}

/** A loopback port with nothing listening on it (bound, then closed). */
async function closedPort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

test('a refused connection is a transport error whose cause is the platform error', async () => {
  const port = await closedPort();
  const client = new SonoranClient({ communityId: 'c', apiKey: 'k', baseUrl: `http://127.0.0.1:${port}`, rateLimit: 'off', timeoutMs: 5000 });
  const e = await rejects(client.getVersion(), 'transport');
  assert.ok(e.cause, `no cause: ${e.message}`);
  assert.equal(e.cause.code, 'ECONNREFUSED', `cause: ${e.cause}`);
  const v1 = await rejects(client.getVersionV1(), 'transport');
  assert.equal(v1.cause?.code, 'ECONNREFUSED');
  // Port 1 is on fetch's list of bad ports: given Node's `fetch`, undici refuses it before
  // connecting, and that refusal (not an ECONNREFUSED) is the cause. The package's own
  // transport (node:http) has no such list: it connects, and is refused.
  const options = { communityId: 'c', apiKey: 'k', baseUrl: 'http://127.0.0.1:1', rateLimit: 'off' };
  const bad = new SonoranClient({ ...options, fetch: globalThis.fetch });
  const b = await rejects(bad.getVersion(), 'transport');
  assert.ok(b.cause instanceof Error, `cause: ${b.cause}`);
  assert.match(b.cause.message, /bad port/);
  const own = await rejects(new SonoranClient(options).getVersion(), 'transport');
  assert.equal(own.cause?.code, 'ECONNREFUSED', `cause: ${own.cause}`);
});

test('enum constants: UnitStatus.ENROUTE is 3 and the object is frozen', () => {
  assert.equal(UnitStatus.ENROUTE, 3);
  assert.equal(UnitStatus.UNAVAILABLE, 0);
  assert.ok(Object.isFrozen(UnitStatus));
  assert.throws(() => {
    UnitStatus.ENROUTE = 4;
  }, TypeError);
  assert.throws(() => {
    UnitStatus.NEW = 9;
  }, TypeError);
  assert.equal(UnitStatus.ENROUTE, 3);
});

test('the fetch option is used, and Node requests carry a sonoran-cad-js user-agent', async () => {
  let calls = 0;
  const fetch = (url, init) => {
    calls++;
    return globalThis.fetch(url, init);
  };
  const client = new SonoranClient(await fake.options({ fetch }));
  await client.getVersion();
  await client.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1);
  assert.equal(calls, 2, 'both calls went through the given fetch');
  const seen = await fake.requests();
  assert.equal(seen.length, 2);
  for (const r of seen) {
    assert.match(r.headers['user-agent'] ?? '', /^sonoran-cad-js\//, `${r.operationId}: user-agent ${r.headers['user-agent']}`);
  }
});

test('a disposed client rejects later calls with invalidRequest', async () => {
  const client = new SonoranClient(await fake.options());
  await client.getVersion();
  client[Symbol.dispose]();
  const e = await rejects(client.getVersion(), 'invalidRequest');
  assert.match(e.message, /disposed/);
  await rejects(client.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1), 'invalidRequest');
  assert.equal((await fake.requests()).length, 1, 'only the call before dispose was sent');
  assert.ok(!e.message.includes(apiKey));
});

// Bounding the pacing: a call held past its queue bound fails at once; a signal cancels.
async function pacedClient(extra = {}) {
  return new SonoranClient(await fake.options({ rateLimit: { limits: { getVersion: 1 }, windowMs: 1000 }, ...extra }));
}

test('a call the documented limit would hold past maxQueueMs rejects at once as pacingRefused, unsent', async (t) => {
  const clock = virtualTime(t);
  const events = [];
  const c = await pacedClient({ maxQueueMs: 200, onRateLimit: (e) => events.push(e), fetch: clock.fetch });
  await clock.settle(c.getVersion());
  const e = await clock.settle(rejects(c.getVersion(), 'pacingRefused'));
  assert.equal(clock.now(), 0, 'failed without waiting (virtual ms)');
  // The window (1 s) and the limiter's margin (100 ms): no time passed since the first reply.
  assert.equal(e.retryAfter(), 1.1);
  assert.equal((await fake.requests()).length, 1, 'the held call was not sent');
  assert.deepEqual(events.map((x) => [x.operation, x.reason, x.waitMs]), [['getVersion', 'refused', 1100]]);
  // Per call, a larger bound lets it wait its turn (and onRateLimit says it was held).
  await clock.settle(c.getVersion(undefined, { maxQueueMs: 5000 }));
  assert.deepEqual(clock.sent.map((s) => s.at), [0, 1100], 'waited its turn exactly');
  assert.deepEqual(events.at(-1), { operation: 'getVersion', reason: 'paced', waitMs: 1100 });
});

test('a signal cancels a queued call at once and aborts one in flight', async (t) => {
  const clock = virtualTime(t);
  const c = await pacedClient({ fetch: clock.fetch });
  await clock.settle(c.getVersion());
  const queued = new AbortController();
  const pending = c.getVersion(undefined, { signal: queued.signal });
  setTimeout(() => queued.abort(), 100); // virtual: the call waits 1100 ms for its place
  const e = await clock.settle(rejects(pending, 'aborted'));
  assert.equal(clock.now(), 100, 'stopped while queued, when the signal aborted (virtual ms)');
  assert.equal((await fake.requests()).length, 1);

  // In flight: the fake holds the reply for a minute; the signal aborts once the request
  // has gone out (a call that waited for the reply would outlast the test's timeout).
  await fake.inject({ operationId: 'updateIdentifier', kind: { type: 'delayMs', ms: 60000 } });
  const inFlight = new AbortController();
  let out = 0;
  const client = new SonoranClient(
    await fake.options({
      fetch: (url, init) => {
        out += 1;
        const reply = globalThis.fetch(url, init);
        inFlight.abort();
        return reply;
      },
    }),
  );
  await rejects(client.updateIdentifier(U, { signal: inFlight.signal }), 'aborted');
  assert.equal(out, 1, 'the request went out and was aborted, not retried');
  // v1 calls take the per-call options after their own arguments.
  const already = AbortSignal.abort();
  await rejects(client.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1, { signal: already }), 'aborted');
  await rejects(client.getVersionV1({ bogus: 1 }), 'invalidRequest');
  assert.ok(e.message.includes('getVersion'));
});

// The fake's hostile-network faults through the package: the same rules as the Rust client.
test('a 503 with Retry-After is retried even for a PATCH; a bare 503 or a cut reply is not', async () => {
  const c = new SonoranClient(await fake.options());
  await fake.inject({ operationId: 'updateIdentifier', kind: { type: 'status', status: 503, retryAfter: '0' } });
  assert.equal((await c.updateIdentifier(U)).identId, 12);
  assert.equal((await fake.requests()).length, 2);
  await fake.reset();
  await fake.inject({ operationId: 'updateIdentifier', kind: { type: 'truncate' } });
  await rejects(c.updateIdentifier(U), 'transport');
  assert.equal((await fake.requests()).length, 1, 'a PATCH is not repeated after a broken reply');
  await fake.reset();
  await fake.inject({ operationId: 'getVersion', kind: { type: 'truncate' } });
  assert.equal(typeof (await c.getVersion()).version, 'number');
  assert.equal((await fake.requests()).length, 2, 'a GET is');
});

test('hostile replies end as one error kind each', async () => {
  const c = new SonoranClient(await fake.options({ retries: 0 }));
  await fake.inject({ operationId: 'getVersion', kind: { type: 'oversized', bytes: 20 * 1024 * 1024 } });
  const big = await rejects(c.getVersion(), 'replyTooLarge');
  assert.match(big.message, /longer than this client accepts \(16777216 bytes\)/);
  await fake.inject({ operationId: 'getVersion', kind: { type: 'html', status: 502 } });
  const html = await rejects(c.getVersion(), 'api');
  assert.equal(html.status, 502);
  assert.ok(html.body.includes('html') && html.body.length < 2100);
  await fake.inject({ operationId: 'getVersion', kind: { type: 'empty', status: 202 } });
  const empty = await rejects(c.getVersion(), 'malformedReply');
  assert.equal(empty.status, 202);
  await fake.inject({ operationId: 'getVersionV1', kind: { type: 'nonUtf8' } });
  const text = await c.getVersionV1();
  assert.ok(text.includes('\ufffd'), text);
  // JSON of another shape is passed through as parsed: the package does not decode replies
  // into types (TypeScript describes the documented shape).
  await fake.inject({ operationId: 'getVersion', kind: { type: 'json', status: 200, body: [] } });
  assert.deepEqual(await c.getVersion(), []);
});
