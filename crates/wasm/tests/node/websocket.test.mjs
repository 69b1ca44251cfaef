// The websocket API against the fake's hub: first the official SignalR client
// (@microsoft/signalr, as Sonoran's docs use it), so the fake speaks the real protocol; then
// `sonoran-cad/websocket` through the same scenario, a wrong key, a reconnect after the fake
// drops the socket (re-authenticated, no event lost after it is back) and a burst of 500 unit
// updates within the documented limits.
import { test, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as signalR from '@microsoft/signalr';
import { connectWebsocket, WebsocketError } from '../../pkg/websocket.mjs';
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

test('the official SignalR client connects to the fake hub, authenticates and receives a push event', async () => {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${info.url}/apiWsHub`, { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: true })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  await connection.start();
  try {
    const auth = await connection.invoke('authenticatev2', info.communityId, info.apiKey, 1);
    assert.deepEqual(auth, { success: true, error: '', count: 0 });
    const received = once((resolve) => connection.on('pushEvent', resolve));
    const delivered = await pushEvent('EVENT_UNIT_STATUS', { units: [] });
    assert.deepEqual(delivered.body, { delivered: 'websocket', sessions: 1 });
    assert.deepEqual(await received, { key: info.apiKey, type: 'EVENT_UNIT_STATUS', data: { units: [] } });
    const units = await connection.invoke('unitLocation', [{ communityUserId: 'player-1234', location: 'Interstate 4 / Mile 228' }]);
    assert.deepEqual(units, { success: true, error: '', count: 1 });
    const wrong = await connection.invoke('authenticatev2', info.communityId, 'wrong', 1);
    assert.equal(wrong.success, false);
    await assert.rejects(connection.invoke('noSuchMethod'), /does not exist/);
  } finally {
    await connection.stop();
  }
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
  assert.equal(stats.open, 0);
  const config = await connectWebsocket({ communityId: 'c', baseUrl: fake.FAKE }).catch((e) => e);
  assert.equal(config.kind, 'config');
});

test('after the fake drops the socket: reconnected, re-authenticated, no event lost after it is back', async () => {
  const session = await connectWebsocket({ ...info, baseUrl: fake.FAKE, serverId: 1, reconnect: { initialMs: 20, maxMs: 200 } });
  try {
    const reconnected = once((resolve) => session.on('reconnected', resolve));
    assert.deepEqual((await control('POST', 'ws/drop')).body, { dropped: 1 });
    await reconnected;
    assert.equal(session.state, 'connected');
    await until('the fake to see the re-authentication', async () => (await hub()).servers.length === 1);
    assert.equal((await hub()).authentications, 2);
    const got = [];
    const all = new Promise((resolve) => session.on('*', (e) => { got.push(e.data.n); if (got.length === 3) resolve(); }));
    for (const n of [1, 2, 3]) assert.equal((await pushEvent('EVENT_AFTER', { n })).body.delivered, 'websocket');
    await all;
    assert.deepEqual(got, [1, 2, 3]);
  } finally {
    await session.close();
  }
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
