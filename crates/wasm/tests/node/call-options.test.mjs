// The per-call options `{ signal, timeoutMs, headers }`, `.withResponse()`, the errors'
// `operation`/`attempts`/`requestId`/`source` and helpers, and the "exactly one of" groups, on
// virtual time: `setTimeout` and `Date` are mocked for the whole file (node:test's
// `mock.timers`), so the module's clock and its waits read virtual milliseconds, and the
// client's `fetch` is a function of this file that records when each request was sent. Each
// test asserts the exact schedule; nothing waits on the wall clock.
import { test, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { SonoranClient, SonoranError } from '../../pkg/index.mjs';

before(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
after(() => mock.timers.reset());

/** Turns of the event loop (never a timer) until `check()` holds. */
async function settle(check = () => true) {
  for (let i = 0; i < 50 || !check(); i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A client whose `fetch` answers from `replies` (one per request, the last repeated): a reply
 * is `{ status, headers, body }`, or `'hang'` for a request that never answers (it rejects as
 * fetch does when its signal aborts). `sent` records each request with its virtual time.
 */
function client(replies, options = {}) {
  const sent = [];
  const events = [];
  const fetch = (url, init) => {
    const at = Date.now();
    sent.push({ url, init, at });
    const reply = replies[Math.min(sent.length - 1, replies.length - 1)];
    if (reply === 'hang') {
      return new Promise((_, reject) => {
        init.signal.addEventListener('abort', () => reject(new DOMException('This operation was aborted', 'AbortError')));
      });
    }
    const headers = new Headers({ 'content-type': 'application/json', ...reply.headers });
    return Promise.resolve({ status: reply.status, headers, text: async () => reply.body ?? '{}' });
  };
  const c = new SonoranClient({
    communityId: 'c',
    apiKey: 'k',
    fetch,
    onRateLimit: (e) => events.push({ ...e, at: Date.now() }),
    ...options,
  });
  return { c, sent, events };
}

/** Watches `promise` without awaiting it: `state.value` or `state.error` once settled. */
function watch(promise) {
  const state = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error) => Object.assign(state, { done: true, error }),
  );
  return state;
}

const OK = { status: 200, headers: { 'x-request-id': 'req-1' }, body: '{"name":"CAD","version":"1.0"}' };

test('withResponse() gives the result with status, headers, request id and attempts', async () => {
  const { c, sent } = client([OK]);
  const { data, response } = await c.getVersion().withResponse();
  assert.deepEqual(data, { name: 'CAD', version: '1.0' });
  assert.equal(response.status, 200);
  assert.equal(response.requestId, 'req-1');
  assert.equal(response.attempts, 1);
  assert.equal(response.headers.get('content-type'), 'application/json');
  // The promise itself still resolves to the result.
  const p = c.getVersion();
  assert.ok(p instanceof Promise);
  assert.deepEqual(await p, { name: 'CAD', version: '1.0' });
  assert.equal(sent.length, 2);
});

test('per-call headers go with that call only, over the client\'s', async () => {
  const { c, sent } = client([OK], { headers: { 'x-app': 'a', 'x-both': 'client' } });
  await c.getVersion(undefined, { headers: { 'X-Trace': 't-1', 'x-both': 'call' } });
  await c.getVersion();
  assert.equal(sent[0].init.headers['x-trace'], 't-1');
  assert.equal(sent[0].init.headers['x-both'], 'call');
  assert.equal(sent[0].init.headers['x-app'], 'a');
  assert.equal(sent[1].init.headers['x-trace'], undefined);
  assert.equal(sent[1].init.headers['x-both'], 'client');
  const bad = await c.getVersion(undefined, { headers: { 'x-n': 1 } }).catch((e) => e);
  assert.equal(bad.kind, 'invalidRequest');
  assert.equal(bad.message, 'getVersion: the per-call header `x-n` must be a string, got number');
  const broken = await c.getVersion(undefined, { headers: { 'x-a': 'one\r\nx-b: two' } }).catch((e) => e);
  assert.equal(broken.message, 'getVersion: the per-call header "x-a" is not a valid header name and value');
  const worse = await c.getVersion(undefined, { timeoutMs: -1 }).catch((e) => e);
  assert.equal(worse.message, 'getVersion: the per-call `timeoutMs` must be a number of milliseconds > 0');
  // A JS timer holds at most 2^31 - 1 ms: a longer one would fire at once.
  const long = await c.getVersion(undefined, { timeoutMs: 2 ** 31 }).catch((e) => e);
  assert.equal(long.kind, 'invalidRequest');
  assert.equal(long.message, 'getVersion: the per-call `timeoutMs` must be at most 2000000000 ms (about 23 days), got 2147483648');
  assert.equal(sent.length, 2, 'refused calls were not sent');
});

test('a retry waits what the server asked, and the error of a failed call names its attempts', async () => {
  const limited = { status: 429, headers: { 'retry-after': '2', 'x-request-id': 'req-429' }, body: '{"message":"API rate limit exceeded"}' };
  const { c, sent, events } = client([limited, OK]);
  const call = c.getVersion().withResponse();
  const state = watch(call);
  await settle(() => sent.length === 1);
  mock.timers.tick(1999);
  await settle();
  assert.equal(sent.length, 1, 'not before the Retry-After');
  mock.timers.tick(1);
  await settle(() => state.done);
  assert.deepEqual(sent.map((s) => s.at), [0, 2000], 'the file starts at virtual 0');
  assert.equal(state.value.response.attempts, 2);
  assert.deepEqual(events.map(({ reason, waitMs, status, at }) => ({ reason, waitMs, status, at })), [{ reason: 'retry', waitMs: 2000, status: 429, at: 0 }]);

  // retries: 0: the 429 is the call's, from the server.
  const once = client([limited], { retries: 0 });
  const e = await once.c.getVersion().catch((x) => x);
  assert.ok(e instanceof SonoranError);
  assert.equal(e.kind, 'rateLimited');
  assert.equal(e.source, 'server');
  assert.equal(e.status, 429);
  assert.equal(e.retryAfter(), 2);
  assert.equal(e.operation, 'getVersion');
  assert.equal(e.attempts, 1);
  assert.equal(e.requestId, 'req-429');
  assert.equal(e.isRetryable(), true);
  assert.equal(e.isNotFound(), false);
});

test('a Retry-After past the call\'s deadline fails at once with the server\'s wait', async () => {
  const limited = { status: 429, headers: { 'retry-after': '30' }, body: '{"message":"API rate limit exceeded"}' };
  const { c, sent, events } = client([limited, OK]);
  const t0 = Date.now();
  const e = await c.getVersion(undefined, { timeoutMs: 5000 }).catch((x) => x);
  assert.equal(Date.now(), t0, 'no virtual time passed');
  assert.equal(e.kind, 'rateLimited');
  assert.equal(e.source, 'server');
  assert.equal(e.status, 429);
  assert.equal(e.retryAfter(), 30);
  assert.equal(e.attempts, 1);
  assert.equal(sent.length, 1);
  assert.deepEqual(events.map((x) => [x.reason, x.waitMs, x.status]), [['refused', 30_000, 429]]);
});

test('an explicit maxQueueMs bounds the waits a server asks for too', async () => {
  const limited = { status: 429, headers: { 'retry-after': '30' }, body: '{"message":"API rate limit exceeded"}' };
  const { c, sent } = client([limited, OK], { maxQueueMs: 2500 });
  const t0 = Date.now();
  const e = await c.getVersion().catch((x) => x);
  assert.equal(Date.now(), t0, 'no virtual time passed');
  assert.equal(e.kind, 'rateLimited');
  assert.equal(e.retryAfter(), 30);
  assert.equal(sent.length, 1);
});

test('the client\'s own pacing refusal is told apart from a Sonoran 429', async () => {
  const { c, sent, events } = client([OK], { rateLimit: { limits: { getVersion: 1 }, windowMs: 60_000 } });
  const t0 = Date.now();
  await c.getVersion();
  const e = await c.getVersion(undefined, { timeoutMs: 1000 }).catch((x) => x);
  assert.equal(Date.now(), t0, 'no virtual time passed');
  assert.equal(e.kind, 'pacingRefused', 'not a Sonoran 429');
  assert.equal(e.source, 'client');
  assert.equal(e.operation, 'getVersion');
  assert.match(e.docsUrl, /^https:\/\/docs\.sonoransoftware\.com\/.*get-version$/);
  assert.equal(e.status, undefined, 'no status: the API said nothing');
  assert.equal(e.attempts, 0);
  // The window plus the limiter's 100 ms margin.
  assert.equal(e.retryAfter(), 60.1);
  assert.equal(
    e.message,
    "getVersion: not sent: this client's pacing under the operation's rate limit would hold the call 60100 ms, past its deadline (`timeoutMs` 1000 ms, 1000 ms left)",
  );
  assert.doesNotMatch(e.message, /Sonoran API|429/);
  const q = await c.getVersion(undefined, { maxQueueMs: 500 }).catch((x) => x);
  assert.equal(q.kind, 'pacingRefused');
  assert.equal(q.source, 'client');
  assert.match(q.message, /past its `maxQueueMs` \(500 ms\)$/);
  assert.equal(sent.length, 1);
  assert.deepEqual(events.map((x) => x.reason), ['refused', 'refused']);
});

test('the deadline bounds the pacing wait and the request: a call held, then sent, times out at the deadline', async () => {
  const { c, sent } = client([OK, 'hang'], { rateLimit: { limits: { getVersion: 1 }, windowMs: 1000 } });
  const t0 = Date.now();
  await c.getVersion();
  const state = watch(c.getVersion(undefined, { timeoutMs: 3000 }));
  await settle();
  // Held for its place (the window and the 100 ms margin), then sent at 1100.
  mock.timers.tick(1100);
  await settle(() => sent.length === 2);
  assert.deepEqual(sent.map((x) => x.at - t0), [0, 1100]);
  mock.timers.tick(1899);
  await settle();
  assert.equal(state.done, false, 'still within its deadline');
  mock.timers.tick(1);
  await settle(() => state.done);
  assert.equal(state.error.kind, 'timeout');
  assert.equal(state.error.source, 'client');
  assert.equal(state.error.attempts, 1);
  assert.equal(state.error.message, "getVersion: no reply within the call's deadline (`timeoutMs` 3000 ms)");
  assert.equal(Date.now() - t0, 3000, 'the deadline counts from the call: its pacing wait is inside it');
});

test('an aborted signal rejects at once: before sending, in the pacing wait, in a retry wait, in flight', async () => {
  const { c, sent } = client([OK], { rateLimit: { limits: { getVersion: 1 }, windowMs: 10_000 } });
  const early = new AbortController();
  early.abort();
  const e0 = await c.getVersion(undefined, { signal: early.signal }).catch((x) => x);
  assert.equal(e0.kind, 'aborted');
  assert.equal(e0.attempts, 0);
  assert.equal(sent.length, 0);

  await c.getVersion();
  const paced = new AbortController();
  const held = watch(c.getVersion(undefined, { signal: paced.signal, maxQueueMs: 60_000 }));
  await settle();
  mock.timers.tick(500);
  paced.abort();
  await settle(() => held.done);
  assert.equal(held.error.kind, 'aborted');
  assert.equal(held.error.operation, 'getVersion');
  assert.equal(sent.length, 1, 'the held call was never sent');

  const limited = { status: 429, headers: { 'retry-after': '5' }, body: '{}' };
  const retrying = client([limited, OK]);
  const again = new AbortController();
  const waiting = watch(retrying.c.getVersion(undefined, { signal: again.signal }));
  await settle(() => retrying.sent.length === 1);
  mock.timers.tick(1000);
  again.abort();
  await settle(() => waiting.done);
  assert.equal(waiting.error.kind, 'aborted');
  assert.equal(waiting.error.attempts, 1);
  assert.equal(retrying.sent.length, 1);

  const hanging = client(['hang']);
  const flight = new AbortController();
  const inFlight = watch(hanging.c.getVersion(undefined, { signal: flight.signal }).withResponse());
  await settle(() => hanging.sent.length === 1);
  flight.abort();
  await settle(() => inFlight.done);
  assert.equal(inFlight.error.kind, 'aborted');
  assert.equal(inFlight.error.attempts, 1);
});

test('"exactly one of" is checked before sending, as the Rust client\'s enums enforce it', async () => {
  const { c, sent } = client([{ status: 200, body: '{"uuid":"u"}' }]);
  const none = await c.getAccount({}).catch((x) => x);
  assert.equal(none.kind, 'invalidRequest');
  assert.equal(none.message, 'getAccount: the arguments must have exactly one of `communityUserId`, `roblox`, `discord`, `accountUuid`, `username`; got none');
  const missing = await c.getAccount().catch((x) => x);
  assert.equal(missing.kind, 'invalidRequest');
  const two = await c.getAccount({ discord: '1', username: 'u' }).catch((x) => x);
  assert.equal(two.message, 'getAccount: the arguments must have exactly one of `communityUserId`, `roblox`, `discord`, `accountUuid`, `username`; got `discord` and `username`');
  const body = await c.modifyAccountPermissions({ body: { add: ['POLICE'] } }).catch((x) => x);
  assert.equal(body.message, 'modifyAccountPermissions: `body` must have exactly one of `communityUserId`, `roblox`, `discord`, `accountUuid`, `username`; got none');
  assert.equal(sent.length, 0, 'nothing was sent');
  assert.deepEqual(await c.getAccount({ discord: '1' }), { uuid: 'u' });
  assert.match(sent[0].url, /[?&]discord=1(&|$)/);
});

test('a 404 is isNotFound() and not retryable', async () => {
  const { c } = client([{ status: 404, headers: { 'content-type': 'application/problem+json', 'x-request-id': 'r-404' }, body: '{"title":"Not Found","status":404}' }]);
  const e = await c.getAccount({ discord: '1' }).catch((x) => x);
  assert.equal(e.status, 404);
  assert.equal(e.isNotFound(), true);
  assert.equal(e.isRetryable(), false);
  assert.equal(e.requestId, 'r-404');
  assert.equal(e.source, 'server');
  // withResponse() rejects with the same kind of error.
  const w = await c.getAccount({ discord: '1' }).withResponse().catch((x) => x);
  assert.ok(w instanceof SonoranError && w.isNotFound());
});

// The client's own timeout (`timeoutMs`, no caller's signal, no per-call deadline) is shared:
// attempts started within 1% of it (at most 16) share one controller and one timer, which
// aborts them `timeoutMs` + 1% after the first started (SharedTimeout in core.mjs).
test('the client timeout, shared: each hanging attempt is aborted after at least its timeoutMs and at most 1% more', async () => {
  const { c, sent } = client(['hang'], { timeoutMs: 1000, retries: 0 });
  const t0 = Date.now();
  const first = watch(c.getVersion());
  await settle(() => sent.length === 1);
  mock.timers.tick(6);
  const second = watch(c.getVersion());
  await settle(() => sent.length === 2);
  assert.equal(sent[1].init.signal, sent[0].init.signal, 'started 6 ms apart: one controller');
  mock.timers.tick(1003);
  await settle();
  assert.equal(first.done, false, 'the group fires at 1000 + 10 ms');
  mock.timers.tick(1);
  await settle(() => first.done && second.done);
  assert.equal(Date.now() - t0, 1010);
  for (const state of [first, second]) {
    assert.equal(state.error.kind, 'timeout');
    assert.equal(state.error.attempts, 1);
  }
  // The second one had 1004 ms: at least its timeoutMs.
  assert.ok(Date.now() - sent[1].at >= 1000);
});

test('the client timeout, shared: a new controller after 1% of the timeout, after 16 attempts, and a finished group is never aborted', async () => {
  const { c, sent } = client([OK], { timeoutMs: 1000, rateLimit: 'off' });
  for (let i = 0; i < 17; i++) await c.getVersion();
  const signals = sent.map((x) => x.init.signal);
  assert.equal(new Set(signals.slice(0, 16)).size, 1, 'the first 16 share one');
  assert.notEqual(signals[16], signals[0], 'the 17th opens another');
  mock.timers.tick(11);
  await c.getVersion();
  assert.notEqual(sent[17].init.signal, signals[16], '11 ms later: past the 10 ms slack');
  // Every call has finished: no timer aborts a signal a request was sent with.
  mock.timers.tick(5000);
  await settle();
  assert.ok(sent.every((x) => x.init.signal.aborted === false));
});

test('a caller\'s signal or a nearer per-call deadline gets a controller of its own', async () => {
  const { c, sent } = client([OK], { timeoutMs: 1000, rateLimit: 'off' });
  await c.getVersion();
  await c.getVersion(undefined, { signal: new AbortController().signal });
  await c.getVersion(undefined, { timeoutMs: 500 });
  await c.getVersion();
  const [shared, withSignal, withDeadline, again] = sent.map((x) => x.init.signal);
  assert.equal(again, shared);
  assert.notEqual(withSignal, shared);
  assert.notEqual(withDeadline, shared);
  assert.notEqual(withDeadline, withSignal);
});

test('a pacing wait longer than a JS timer holds (2^31 - 1 ms) is waited in full, not ended after 1 ms', async () => {
  // Node's mock timers, like Node's own, fire a longer timer after 1 ms.
  const windowMs = 30 * 24 * 3600 * 1000;
  const { c, sent, events } = client([OK], { timeoutMs: 0, rateLimit: { limits: { getVersion: 1 }, windowMs } });
  const t0 = Date.now();
  await c.getVersion();
  const state = watch(c.getVersion());
  await settle(() => events.length === 1);
  mock.timers.tick(10);
  await settle();
  assert.deepEqual(events.map((x) => [x.reason, x.waitMs]), [['paced', windowMs + 100]], 'one wait, not one a millisecond');
  // The first step ends at 2^31 - 1 ms (ticked to exactly then: the mock schedules a timer set
  // during a tick from the tick's end), the second at the end of the wait.
  mock.timers.tick(2 ** 31 - 1 - 10);
  await settle();
  assert.equal(sent.length, 1, 'still waiting after the first timer step');
  assert.equal(events.length, 1);
  mock.timers.tick(windowMs + 100 - (2 ** 31 - 1) - 1);
  await settle();
  assert.equal(sent.length, 1, 'still waiting 1 ms before its end');
  mock.timers.tick(1);
  await settle(() => state.done);
  assert.equal(sent.length, 2);
  assert.equal(sent[1].at - t0, windowMs + 100, 'sent when the window let it');
  assert.equal(events.length, 1);
});
