// What goes on the wire, read back from the fake's GET /__fake/requests: method, path,
// query, auth (bearer on v2 only; the v1 envelope), bodies, and serverId defaulting.
import { test, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { SonoranClient } from '../../pkg/index.mjs';
import * as fake from './fake.mjs';

let client;
let creds;
before(async () => {
  creds = await fake.info();
  client = new SonoranClient(await fake.options());
});
beforeEach(fake.reset);

async function only() {
  const seen = await fake.requests();
  assert.equal(seen.length, 1, JSON.stringify(seen));
  return seen[0];
}

test('v2 updateIdentifier: PATCH, path params, bearer auth, JSON body', async () => {
  await client.updateIdentifier(fake.UPDATE_IDENTIFIER);
  const r = await only();
  assert.equal(r.method, 'PATCH');
  assert.equal(r.path, `/v2/emergency/accounts/${fake.ACCOUNT}/identifiers/12`);
  assert.equal(r.query, null);
  assert.equal(r.operationId, 'updateIdentifier');
  assert.equal(r.headers.authorization, `Bearer ${creds.apiKey}`);
  assert.match(r.headers['content-type'], /^application\/json/);
  assert.equal(r.headers['api-version'], undefined);
  assert.deepEqual(r.json, { status: 2, group: 'SUPERVISOR-1', page: 3 });
});

test('v1 setAccountPermissionsV1: POST, the envelope {id,key,type,data}, no Authorization', async () => {
  await client.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1);
  const r = await only();
  assert.equal(r.method, 'POST');
  assert.equal(r.path, '/general/set_account_permissions');
  assert.equal(r.query, null);
  assert.equal(r.headers.authorization, undefined);
  assert.equal(r.headers['api-version'], undefined);
  assert.deepEqual(r.json, {
    id: creds.communityId,
    key: creds.apiKey,
    type: 'SET_ACCOUNT_PERMISSIONS',
    data: fake.SET_PERMISSIONS_V1,
  });
  assert.deepEqual(Object.keys(r.json), ['id', 'key', 'type', 'data']);
});

test('v2 GET with a query parameter, serverId omitted: /servers/1/', async () => {
  await client.getCalls({ closedLimit: 5 });
  const r = await only();
  assert.equal(r.method, 'GET');
  assert.equal(r.path, '/v2/emergency/servers/1/calls');
  assert.equal(r.query, 'closedLimit=5');
  assert.equal(r.body, '');
  assert.equal(r.headers.authorization, `Bearer ${creds.apiKey}`);
});

test('serverId given in the call: that id', async () => {
  await client.getCalls({ serverId: 7 });
  assert.equal((await only()).path, '/v2/emergency/servers/7/calls');
});

test('serverId from the client options when the call names none', async () => {
  const c = new SonoranClient(await fake.options({ serverId: 3 }));
  await c.getCalls({});
  assert.equal((await only()).path, '/v2/emergency/servers/3/calls');
});
