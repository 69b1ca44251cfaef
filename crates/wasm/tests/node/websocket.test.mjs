// The websocket API against the fake's hub: first the official SignalR client
// (@microsoft/signalr) in its default mode (negotiate, as Sonoran's own FiveM resource
// connects) and with skipNegotiation (as Sonoran's docs show), so the fake speaks the real
// protocol; then `sonoran-cad/websocket` through the same scenario, negotiating or not, a
// wrong key, a reconnect after the fake drops the socket (re-authenticated, lifecycle events,
// no event lost after it is back), the reconnect schedule on mocked timers, and a burst of
// 500 unit updates within the documented limits.
import { test, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as signalR from '@microsoft/signalr';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import {
  connectWebsocket,
  reconnectPolicy,
  reconnectDelay,
  FIRST_PARTY_RECONNECT_DELAYS_MS,
  DEFAULT_SERVER_ID,
  SESSION_EVENTS,
  WebsocketError,
} from '../../pkg/websocket.mjs';
import { DOCUMENTED_TYPES } from '../../pkg/events.mjs';
import * as fake from './fake.mjs';

let info;
before(async () => {
  info = await fake.info();
});
beforeEach(fake.reset);

async function control(method, path, body) {
  const res = await fetch(`${fake.FAKE}/__fake/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const pushEvent = (type, data, serverId = 1) => control('POST', 'events', { type, data, serverId });
const hub = async () => (await control('GET', 'ws')).body;

/** Resolves with the next value `register` hands to its callback. */
const once = (register) => new Promise((resolve) => register(resolve));

async function until(what, check) {
  for (let i = 0; i < 2000; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`${what}: not within 20 s`);
}

for (const [mode, options, negotiated] of [
  ['its default mode (negotiate, then the websocket with the token)', {}, 1],
  ['skipNegotiation and WebSockets', { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true }, 0],
]) {
  test(`the official SignalR client in ${mode}: connects, authenticates, receives a push event`, async () => {
    const connection = new signalR.HubConnectionBuilder()
      .withUrl(`${info.url}/apiWsHub`, options)
      .configureLogging(signalR.LogLevel.Warning)
      .build();
    await connection.start();
    try {
      const stats = await hub();
      assert.equal(stats.negotiations, negotiated);
      assert.equal(stats.negotiatedConnections, negotiated);
      assert.equal(stats.connections, 1);
      const auth = await connection.invoke('authenticatev2', info.communityId, info.apiKey, 1);
      assert.deepEqual(auth, { success: true, error: '', count: 0 });
      const received = once((resolve) => connection.on('pushEvent', resolve));
      const delivered = await pushEvent('EVENT_UNIT_STATUS', { units: [] });
      assert.deepEqual(delivered.body, { delivered: 'websocket', sessions: 1 });
      assert.deepEqual(await received, { key: info.apiKey, type: 'EVENT_UNIT_STATUS', data: { units: [] } });
    } finally {
      await connection.stop();
    }
  });
}

test('the official SignalR client: unit locations, a wrong key, an unknown method; a used token is refused', async () => {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${info.url}/apiWsHub`)
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  await connection.start();
  try {
    const auth = await connection.invoke('authenticatev2', info.communityId, info.apiKey, 1);
    assert.deepEqual(auth, { success: true, error: '', count: 0 });
    const units = await connection.invoke('unitLocation', [{ communityUserId: 'player-1234', location: 'Interstate 4 / Mile 228' }]);
    assert.deepEqual(units, { success: true, error: '', count: 1 });
    const wrong = await connection.invoke('authenticatev2', info.communityId, 'wrong', 1);
    assert.equal(wrong.success, false);
    await assert.rejects(connection.invoke('noSuchMethod'), /does not exist/);
  } finally {
    await connection.stop();
  }
  // The negotiate reply, and its token refused once used (as ASP.NET answers: 404).
  const negotiate = await fetch(`${info.url}/apiWsHub/negotiate?negotiateVersion=1`, { method: 'POST' });
  const reply = await negotiate.json();
  assert.equal(reply.negotiateVersion, 1);
  assert.deepEqual(reply.availableTransports, [{ transport: 'WebSockets', transferFormats: ['Text'] }]);
  const token = reply.connectionToken;
  const first = new signalR.HubConnectionBuilder()
    .withUrl(`${info.url}/apiWsHub?id=${token}`, { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true })
    .configureLogging(signalR.LogLevel.None)
    .build();
  await first.start();
  await first.stop();
  const again = new signalR.HubConnectionBuilder()
    .withUrl(`${info.url}/apiWsHub?id=${token}`, { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true })
    .configureLogging(signalR.LogLevel.None)
    .build();
  await assert.rejects(again.start());
});

test('sonoran-cad/websocket: negotiates by default, skipNegotiation when told', async () => {
  const negotiated = await connectWebsocket({ ...info, baseUrl: fake.FAKE, serverId: 1 });
  const skipping = await connectWebsocket({ ...info, baseUrl: fake.FAKE, serverId: 1, skipNegotiation: true });
  try {
    const stats = await hub();
    assert.deepEqual([stats.negotiations, stats.connections, stats.negotiatedConnections], [1, 2, 1]);
    assert.deepEqual(stats.servers, [1, 1]);
  } finally {
    await negotiated.close();
    await skipping.close();
  }
  const bad = await connectWebsocket({ ...info, baseUrl: fake.FAKE, skipNegotiation: 'yes' }).catch((e) => e);
  assert.equal(bad.code, 'config');
});

test('sonoran-cad/websocket: authenticate, an event by on(type) and by for await', async () => {
  const session = await connectWebsocket({ ...info, baseUrl: fake.FAKE, serverId: 1 });
  try {
    assert.equal(session.state, 'connected');
    const byType = once((resolve) => session.on('EVENT_UNIT_STATUS', resolve));
    const iterator = session[Symbol.asyncIterator]();
    await pushEvent('EVENT_UNIT_STATUS', { units: [{ identId: 7 }] });
    assert.deepEqual(await byType, { type: 'EVENT_UNIT_STATUS', data: { units: [{ identId: 7 }] } });
    const next = await iterator.next();
    assert.deepEqual(next.value, { type: 'EVENT_UNIT_STATUS', data: { units: [{ identId: 7 }] } });
    assert.ok(!JSON.stringify(next.value).includes(info.apiKey));
  } finally {
    await session.close();
  }
  assert.equal(session.state, 'closed');
});

test('a wrong key is an auth error, not a reconnect loop', async () => {
  const err = await connectWebsocket({ ...info, apiKey: 'not-the-key', baseUrl: fake.FAKE, serverId: 1 }).catch((e) => e);
  assert.ok(err instanceof WebsocketError, String(err));
  assert.equal(err.kind, 'auth');
  assert.equal(err.code, 'auth', 'the deprecated alias of kind');
  assert.match(err.message, /Invalid community ID or API key/);
  assert.ok(!err.message.includes('not-the-key'));
  const stats = await hub();
  assert.equal(stats.failedAuthentications, 1);
  // SignalR's stop() resolves without waiting for the hub to see the close: the refused
  // connection (and the previous test's) are gone once the hub has read their close.
  await until('the refused connection to be closed', async () => (await hub()).open === 0);
  const config = await connectWebsocket({ communityId: 'c', baseUrl: fake.FAKE }).catch((e) => e);
  assert.equal(config.kind, 'config');
});

test('after the fake drops the socket: reconnected, re-authenticated, no event lost after it is back', async () => {
  const session = await connectWebsocket({ ...info, baseUrl: fake.FAKE, serverId: 1, reconnect: { delaysMs: [20, 200] } });
  try {
    const lifecycle = [];
    for (const type of ['connected', 'disconnected', 'reconnecting', 'reconnected', 'closed']) {
      session.on(type, (value) => lifecycle.push(
        type === 'reconnecting' ? { attempt: value.attempt, afterMs: value.afterMs } : type === 'connected' ? `connected (reconnect: ${value.reconnect})` : type,
      ));
    }
    // A 'connected' handler added to a connected session is told at once (in a microtask).
    assert.deepEqual(lifecycle, []);
    await null;
    assert.deepEqual(lifecycle, ['connected (reconnect: false)']);
    const reconnected = once((resolve) => session.on('reconnected', resolve));
    assert.deepEqual((await control('POST', 'ws/drop')).body, { dropped: 1 });
    await reconnected;
    assert.deepEqual(lifecycle, [
      'connected (reconnect: false)',
      'disconnected',
      { attempt: 0, afterMs: 20 },
      'connected (reconnect: true)',
      'reconnected',
    ]);
    // Added after the reconnect: told at once that this connection is a reconnect.
    assert.equal((await once((resolve) => session.on('connected', resolve))).reconnect, true);
    assert.equal(session.state, 'connected');
    await until('the fake to see the re-authentication', async () => (await hub()).servers.length === 1);
    assert.equal((await hub()).authentications, 2);
    assert.equal((await hub()).negotiatedConnections, 2);
    const got = [];
    const all = new Promise((resolve) => session.on('*', (e) => { got.push(e.data.n); if (got.length === 3) resolve(); }));
    for (const n of [1, 2, 3]) assert.equal((await pushEvent('EVENT_AFTER', { n })).body.delivered, 'websocket');
    await all;
    assert.deepEqual(got, [1, 2, 3]);
  } finally {
    await session.close();
  }
});

test('serverId: 1 by default, as the REST client; null authenticates for no server; anything else is refused', async () => {
  assert.equal(DEFAULT_SERVER_ID, 1);
  const session = await connectWebsocket({ ...info, baseUrl: fake.FAKE });
  try {
    assert.equal(session.serverId, 1);
    assert.deepEqual((await hub()).servers, [1]);
    const got = once((resolve) => session.on('EVENT_UNIT_LOGOUT', resolve));
    assert.equal((await pushEvent('EVENT_UNIT_LOGOUT', { identId: 4 })).body.delivered, 'websocket');
    assert.deepEqual(await got, { type: 'EVENT_UNIT_LOGOUT', data: { identId: 4 } });
  } finally {
    await session.close();
  }
  await until('the first session to be closed', async () => (await hub()).open === 0);
  const none = await connectWebsocket({ ...info, baseUrl: fake.FAKE, serverId: null });
  try {
    assert.equal(none.serverId, null);
    assert.deepEqual((await hub()).servers, [null]);
    assert.equal((await pushEvent('EVENT_UNIT_LOGOUT', { identId: 4 })).status, 409);
  } finally {
    await none.close();
  }
  for (const serverId of [0, -1, 1.5, '1']) {
    const bad = await connectWebsocket({ ...info, baseUrl: fake.FAKE, serverId }).catch((e) => e);
    assert.ok(bad instanceof WebsocketError && bad.code === 'config' && /serverId/.test(bad.message), String(bad));
  }
});

test('on() takes the documented event types and the session events only: a misspelled name throws, naming the nearest', async () => {
  const session = await connectWebsocket({ ...info, baseUrl: fake.FAKE });
  try {
    assert.deepEqual([...SESSION_EVENTS], ['*', 'error', 'connected', 'disconnected', 'reconnecting', 'reconnected', 'closed']);
    for (const type of [...DOCUMENTED_TYPES, ...SESSION_EVENTS]) session.on(type, () => {})();
    const refused = (type) => {
      try {
        session.on(type, () => {});
      } catch (e) {
        assert.ok(e instanceof WebsocketError && e.code === 'config', String(e));
        return e.message;
      }
      assert.fail(`on(${JSON.stringify(type)}) was accepted`);
    };
    assert.match(refused('EVENT_UNIT_STAUTS'), /^on\("EVENT_UNIT_STAUTS"\): not a documented event type \(did you mean "EVENT_UNIT_STATUS"\?\); '\*' receives every event/);
    assert.match(refused('event_unit_logout'), /did you mean "EVENT_UNIT_LOGOUT"/);
    assert.doesNotMatch(refused('EVENT_AFTER'), /did you mean/);
    assert.match(refused('message'), /'error', 'connected', 'disconnected', 'reconnecting', 'reconnected', 'closed'/);
    assert.match(refused(undefined), /must be a string/);
    // An undocumented type still arrives, through '*'.
    const any = once((resolve) => session.on('*', resolve));
    await pushEvent('EVENT_AFTER', { n: 1 });
    assert.deepEqual(await any, { type: 'EVENT_AFTER', data: { n: 1 }, unknown: true });
  } finally {
    await session.close();
  }
});

test('for await keeps events only while an iterator is open, at most maxQueuedEvents (the oldest dropped, told once per overflow)', async () => {
  const session = await connectWebsocket({ ...info, baseUrl: fake.FAKE, maxQueuedEvents: 2 });
  try {
    const seen = [];
    let arrived = () => {};
    session.on('*', (e) => { seen.push(e.data.n); arrived(); });
    const seenUpTo = async (n) => {
      while (seen.length < n) await new Promise((resolve) => { arrived = resolve; });
    };
    const send = async (...ns) => {
      for (const n of ns) assert.equal((await pushEvent('EVENT_AFTER', { n })).body.delivered, 'websocket');
      await seenUpTo(ns[ns.length - 1]);
    };
    const errors = [];
    session.on('error', (e) => errors.push(e.code));
    const n = async (it) => (await it.next()).value.data.n;

    await send(1, 2, 3); // nobody iterates: nothing is kept
    const iterator = session[Symbol.asyncIterator]();
    await send(4, 5, 6, 7); // a busy reader: the newest 2 are kept
    assert.equal(session.droppedEvents, 2);
    assert.deepEqual(errors, ['overflow']);
    assert.deepEqual([await n(iterator), await n(iterator)], [6, 7]);
    // A waiting reader gets the next event as it comes.
    const waiting = n(iterator);
    await send(8);
    assert.equal(await waiting, 8);
    await send(9, 10, 11); // drained since: a new overflow is told again
    assert.deepEqual(errors, ['overflow', 'overflow']);
    assert.equal(session.droppedEvents, 3);
    // `break` out of `for await` closes the iterator: what waited is let go, nothing more is kept.
    for await (const event of iterator) {
      assert.equal(event.data.n, 10);
      break;
    }
    await send(12, 13);
    const again = session[Symbol.asyncIterator]();
    const next = n(again);
    await send(14);
    assert.equal(await next, 14, 'neither 11 (left in the closed queue) nor 12, 13 (sent while nobody iterated)');
    await again.return();
    assert.equal(session.droppedEvents, 3);
  } finally {
    await session.close();
  }
  const bad = await connectWebsocket({ ...info, baseUrl: fake.FAKE, maxQueuedEvents: -1 }).catch((e) => e);
  assert.ok(bad instanceof WebsocketError && /maxQueuedEvents/.test(bad.message), String(bad));
});

test("SignalR's own logging is quiet unless asked (connect, a drop and its reconnect, close); logger: 'information' logs", async (t) => {
  const calls = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug']) {
    t.mock.method(console, method, (...args) => calls.push([method, args.join(' ')]));
  }
  const quiet = await connectWebsocket({ ...info, baseUrl: fake.FAKE, reconnect: { delaysMs: [0] } });
  try {
    const back = once((resolve) => quiet.on('reconnected', resolve));
    assert.deepEqual((await control('POST', 'ws/drop')).body, { dropped: 1 });
    await back;
  } finally {
    await quiet.close();
  }
  assert.deepEqual(calls, []);
  const told = await connectWebsocket({ ...info, baseUrl: fake.FAKE, logger: 'information' });
  await told.close();
  assert.ok(calls.some(([method, text]) => method === 'info' && /WebSocket connected/.test(text)), JSON.stringify(calls));
  const bad = await connectWebsocket({ ...info, baseUrl: fake.FAKE, logger: 'loud' }).catch((e) => e);
  assert.ok(bad instanceof WebsocketError && /logger/.test(bad.message), String(bad));
});

test('with no session for the server, the fake posts the event to the listener', async () => {
  const none = await pushEvent('EVENT_UNIT_STATUS', {}, 9);
  assert.equal(none.status, 409);
  assert.match(none.body.error, /no websocket session is authenticated for serverId 9/);
  const { createServer } = await import('node:http');
  const bodies = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => { text += c; });
    req.on('end', () => { bodies.push({ path: req.url, body: JSON.parse(text) }); res.end(); });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${server.address().port}/sonoran`;
    assert.equal((await control('POST', 'listener', { url })).status, 204);
    assert.deepEqual((await pushEvent('EVENT_UNIT_STATUS', { units: [] }, 9)).body, { delivered: 'http', status: 200 });
    assert.deepEqual(bodies, [{ path: '/sonoran', body: { key: info.apiKey, type: 'EVENT_UNIT_STATUS', data: { units: [] } } }]);
    assert.equal((await control('POST', 'listener', { url: 'https://x' })).status, 400);
  } finally {
    server.close();
  }
});

test('a burst of 500 unit updates: <= 25 units a message, >= 250 ms apart, the last position of every unit delivered', async () => {
  const session = await connectWebsocket({ ...info, baseUrl: fake.FAKE, serverId: 1 });
  try {
    const started = performance.now();
    for (let round = 0; round < 3; round += 1) {
      for (let n = 0; n < 500; n += 1) {
        session.unitLocations.update({ identId: n, location: `round ${round}`, coordinates: { x: n, y: round, z: 0, w: 90 } });
      }
    }
    await session.unitLocations.flushed();
    const seconds = (performance.now() - started) / 1000;
    const stats = await hub();
    assert.deepEqual(stats.violations, []);
    assert.ok(stats.maxUnitsInMessage <= 25, JSON.stringify(stats.maxUnitsInMessage));
    assert.ok(stats.minUnitIntervalMs >= 250, String(stats.minUnitIntervalMs));
    assert.ok((stats.unitLocationMessages - 1) / seconds <= 4, `${stats.unitLocationMessages} messages in ${seconds} s`);
    assert.equal(Object.keys(stats.units).length, 500);
    for (let n = 0; n < 500; n += 1) assert.equal(stats.units[`identId:${n}`].location, 'round 2');
    const sent = session.unitLocations.stats();
    assert.equal(sent.failures, 0);
    assert.equal(sent.units + sent.superseded, 1500);
  } finally {
    await session.close();
  }
});

test('the reconnect schedule is the first-party one: 0, 2, 10, 30 s, then 30 s; null past maxAttempts', () => {
  assert.deepEqual([...FIRST_PARTY_RECONNECT_DELAYS_MS], [0, 2000, 10000, 30000]);
  const told = [];
  const policy = reconnectPolicy({}, (a) => told.push(a));
  const delays = [0, 1, 2, 3, 4, 5, 50].map((n) => policy.nextRetryDelayInMilliseconds({ previousRetryCount: n, elapsedMilliseconds: 0, retryReason: null }));
  assert.deepEqual(delays, [0, 2000, 10000, 30000, 30000, 30000, 30000]);
  assert.deepEqual(told.map((a) => [a.attempt, a.afterMs]), [[0, 0], [1, 2000], [2, 10000], [3, 30000], [4, 30000], [5, 30000], [50, 30000]]);
  const bounded = reconnectPolicy({ delaysMs: [5, 7], maxAttempts: 3 });
  assert.deepEqual([0, 1, 2, 3].map((n) => bounded.nextRetryDelayInMilliseconds({ previousRetryCount: n })), [5, 7, 7, null]);
  assert.equal(reconnectDelay(9, { delaysMs: [] }), 0);
  assert.throws(() => reconnectPolicy({ delaysMs: [-1] }), WebsocketError);
});

/**
 * Between a client and the fake: forwards connections, or refuses (accepts and destroys) the
 * next `refuse` ones, calling `onRefused`; `cut(n)` also destroys every forwarded connection.
 */
async function gate(target) {
  const open = new Set();
  const state = { refuse: 0, onRefused: () => {} };
  const server = createTcpServer((inbound) => {
    if (state.refuse > 0) {
      state.refuse -= 1;
      inbound.destroy();
      state.onRefused();
      return;
    }
    const outbound = tcpConnect(target.port, target.hostname);
    const pair = [inbound, outbound];
    open.add(pair);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const end = () => { open.delete(pair); inbound.destroy(); outbound.destroy(); };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    state,
    cut(refuse) {
      state.refuse = refuse;
      for (const [a, b] of [...open]) { a.destroy(); b.destroy(); }
    },
    close() {
      for (const [a, b] of [...open]) { a.destroy(); b.destroy(); }
      return new Promise((r) => server.close(r));
    },
  };
}

test('on mocked timers: after a drop the session retries exactly at 0, 2, 10, 30, 30 s, then resumes without losing an event', async (t) => {
  const proxy = await gate(new URL(fake.FAKE));
  // Mocked before the session exists: every timer SignalR sets is virtual (a real one set
  // before would outlive a mocked clearTimeout).
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const session = await connectWebsocket({ ...info, baseUrl: proxy.url, serverId: 1 });
  try {
    const attempts = [];
    let nextAttempt;
    const attemptSeen = () => new Promise((resolve) => { nextAttempt = resolve; });
    session.on('reconnecting', (a) => { attempts.push(a.afterMs); nextAttempt?.(a); });
    let refused = 0;
    let refusedSeen;
    proxy.state.onRefused = () => { refused += 1; refusedSeen?.(); };
    const reconnected = once((resolve) => session.on('reconnected', resolve));
    let pending = attemptSeen();
    proxy.cut(4);
    for (const expected of [0, 2000, 10000, 30000]) {
      const attempt = await pending;
      assert.equal(attempt.afterMs, expected);
      pending = attemptSeen();
      const before = refused;
      const came = new Promise((resolve) => { refusedSeen = resolve; });
      if (expected > 0) {
        t.mock.timers.tick(expected - 1);
        await new Promise((r) => setImmediate(r));
        assert.equal(refused, before, `no attempt before ${expected} ms`);
        t.mock.timers.tick(1);
      } else {
        t.mock.timers.tick(0);
      }
      await came;
      assert.equal(refused, before + 1);
    }
    // The fifth attempt, 30 s later, goes through.
    const fifth = await pending;
    assert.equal(fifth.afterMs, 30000);
    t.mock.timers.tick(30000);
    await reconnected;
    assert.deepEqual(attempts, [0, 2000, 10000, 30000, 30000]);
    // Timers stay mocked to the end (SignalR's keep-alive and server timeout included), so
    // wait on I/O turns, not on setTimeout.
    for (let i = 0; (await hub()).servers.length !== 1; i += 1) {
      assert.ok(i < 10000, 'the fake to see the re-authentication');
      await new Promise((r) => setImmediate(r));
    }
    const got = [];
    const all = new Promise((resolve) => session.on('*', (e) => { got.push(e.data.n); if (got.length === 3) resolve(); }));
    for (const n of [1, 2, 3]) assert.equal((await pushEvent('EVENT_AFTER', { n })).body.delivered, 'websocket');
    await all;
    assert.deepEqual(got, [1, 2, 3]);
  } finally {
    await session.close();
    await proxy.close();
    t.mock.timers.reset();
  }
});
