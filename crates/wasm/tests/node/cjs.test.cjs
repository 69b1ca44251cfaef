'use strict';
// CommonJS: `require` of the package directory (package.json `main` / `exports.require`).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const FAKE = process.env.SONORAN_FAKE_URL;

test('require(pkg) gives the CommonJS build, and a call succeeds', async () => {
  assert.ok(FAKE, 'SONORAN_FAKE_URL is not set');
  const pkg = path.join(__dirname, '../../pkg');
  assert.equal(require.resolve(pkg), path.join(pkg, 'index.cjs'));
  const { SonoranClient, SonoranError } = require(pkg);
  assert.equal(typeof SonoranClient, 'function');
  assert.ok(new SonoranError('x') instanceof Error);

  await fetch(`${FAKE}/__fake/reset`, { method: 'POST' });
  const { communityId, apiKey } = await (await fetch(`${FAKE}/__fake/info`)).json();
  const client = new SonoranClient({ communityId, apiKey, baseUrl: FAKE, rateLimit: 'off' });
  const r = await client.updateIdentifier({
    accountUuid: '00000000-0000-0000-0000-000000000000',
    identId: 12,
    body: { status: 2 },
  });
  assert.equal(r.identId, 12);
  await assert.rejects(client.updateIdentifier({}), (e) => e instanceof SonoranError && e.kind === 'invalidRequest');
});

test("require('sonoran-cad/websocket') (the websocket folder, as node10 resolves it): the CommonJS copy connects and receives an event", async () => {
  const pkg = path.join(__dirname, '../../pkg');
  assert.equal(require.resolve(path.join(pkg, 'websocket')), path.join(pkg, 'websocket.cjs'));
  const { connectWebsocket, WebsocketError, DEFAULT_SERVER_ID } = require(path.join(pkg, 'websocket'));
  assert.equal(DEFAULT_SERVER_ID, 1);
  await fetch(`${FAKE}/__fake/reset`, { method: 'POST' });
  const { communityId, apiKey } = await (await fetch(`${FAKE}/__fake/info`)).json();
  const session = await connectWebsocket({ communityId, apiKey, baseUrl: FAKE });
  try {
    assert.throws(() => session.on('EVENT_UNIT_LOGUOT', () => {}), WebsocketError);
    const got = new Promise((resolve) => session.on('EVENT_UNIT_LOGOUT', resolve));
    const res = await fetch(`${FAKE}/__fake/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'EVENT_UNIT_LOGOUT', data: { identId: 3 } }),
    });
    assert.deepEqual(await res.json(), { delivered: 'websocket', sessions: 1 });
    assert.deepEqual(await got, { type: 'EVENT_UNIT_LOGOUT', data: { identId: 3 } });
  } finally {
    await session.close();
  }
});
