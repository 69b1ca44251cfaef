// The five seed calls (v2 modifyAccountPermissions and updateIdentifier, v1
// setAccountPermissionsV1, modifyIdentifierV1 and editLicenseV1) with the seed pages'
// example data, through the ES module entry point, with the client's default options.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { SonoranClient } from '../../pkg/index.mjs';
import * as fake from './fake.mjs';

let client;
before(async () => {
  await fake.reset();
  const { communityId, apiKey } = await fake.info();
  client = new SonoranClient({ communityId, apiKey, baseUrl: fake.FAKE });
});

test('v2 modifyAccountPermissions', async () => {
  const r = await client.modifyAccountPermissions(fake.MODIFY_PERMISSIONS);
  assert.equal(r.accountUuid, fake.ACCOUNT);
  assert.equal(r.active, true);
  assert.equal(r.permissions.police, true);
  assert.equal(r.permissions.dispatch, true);
});

test('v2 updateIdentifier', async () => {
  const r = await client.updateIdentifier(fake.UPDATE_IDENTIFIER);
  assert.equal(r.identId, 12);
  assert.equal(r.serverId, 1);
  assert.equal(r.identifier.id, 12);
  assert.equal(r.identifier.accId, fake.ACCOUNT);
  assert.equal(typeof r.identifier.status, 'number');
  assert.equal(typeof r.identifier.data.unitNum, 'string');
});

test('v1 setAccountPermissionsV1', async () => {
  const r = await client.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1);
  assert.equal(r, 'User account permissions updated.');
});

test('v1 modifyIdentifierV1', async () => {
  const r = await client.modifyIdentifierV1(fake.MODIFY_IDENTIFIER_V1);
  assert.equal(typeof r, 'object');
  assert.equal(r.id, 12);
  assert.equal(r.status, 0);
  assert.equal(r.aop, 'Los Santos');
  assert.equal(r.data.unitNum, 'A-10');
  assert.equal(r.data.communityUserId, 'license:abc123');
});

test('v1 editLicenseV1 (deprecated call; the docs show no example reply)', async () => {
  const r = await client.editLicenseV1(fake.EDIT_LICENSE_V1);
  assert.equal(typeof r, 'object');
  assert.notEqual(r, null);
  assert.ok(!Array.isArray(r));
});

test('the fake saw exactly the five calls, in order', async () => {
  const seen = (await fake.requests()).map((r) => r.operationId);
  assert.deepEqual(seen, [
    'modifyAccountPermissions', 'updateIdentifier',
    'setAccountPermissionsV1', 'modifyIdentifierV1', 'editLicenseV1',
  ]);
});
