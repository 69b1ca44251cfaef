// Shared by the Node tests: the fake Sonoran server that `cargo xtask js-tests` started
// (SONORAN_FAKE_URL) and its /__fake/ control API.
import assert from 'node:assert/strict';

export const FAKE = process.env.SONORAN_FAKE_URL;
if (!FAKE) {
  throw new Error('SONORAN_FAKE_URL is not set: run these tests through `cargo xtask test` (xtask js_tests)');
}

async function control(method, path, body) {
  const res = await fetch(`${FAKE}/__fake/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} /__fake/${path} -> ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** `{communityId, apiKey, url}`: the credentials the fake expects. */
export const info = () => control('GET', 'info');
/** Forgets recorded requests, faults, rate-limit windows and stats. */
export const reset = () => control('POST', 'reset');
/** The recorded requests, oldest first. */
export const requests = () => control('GET', 'requests');
/** Queues a fault: `{operationId?, times?, kind: {type, ...}}`. */
export const inject = (fault) => control('POST', 'faults', fault);

/** Options for a client of the fake; `rateLimit: 'off'` so that many calls never wait. */
export async function options(extra = {}) {
  const { communityId, apiKey } = await info();
  return { communityId, apiKey, baseUrl: FAKE, rateLimit: 'off', ...extra };
}

// The seed pages' example data (crates/client/examples/quickstart.rs).
export const ACCOUNT = '00000000-0000-0000-0000-000000000000';
export const MODIFY_PERMISSIONS = { body: { communityUserId: 'player-1234', add: ['POLICE', 'DISPATCH'], active: true } };
export const UPDATE_IDENTIFIER = { accountUuid: ACCOUNT, identId: 12, body: { status: 2, group: 'SUPERVISOR-1', page: 3 } };
export const SET_PERMISSIONS_V1 = [{
  apiId: 'STEAM:1234', username: 'SonoranBrian', accId: '000-000-000', active: true,
  add: ['POLICE', 'POLRECEDIT'], remove: ['CIVILIAN'], set: [], join: true,
}];
export const MODIFY_IDENTIFIER_V1 = [{
  apiId: 'Steam:1234', account: '000-000-000', action: 0, identId: 123,
  identifier: {
    status: 0, location: '', aop: 'Los Santos', data: {
      unitNum: 'A-10', name: 'John Doe', district: 'Los Santos', department: 'LSPD',
      subdivision: 'Patrol', rank: 'Officer', group: 'CAR-51', communityUserId: 'license:abc123',
    },
  },
}];
export const EDIT_LICENSE_V1 = [{
  id: 100, type: 'Drivers', status: 'VALID', expiration: '01/01/1900',
  person: { first: 'John', last: 'Doe', mi: 'A', dob: '01/01/1900', age: '18', sex: 'M' },
}];
