// sonoran-cms against a loopback server: v2 calls with path and query parameters, the reply
// envelope unwrapped to `data` (and `meta` through `metaOf`), v1 calls, problem+json errors
// and a 429 retried after its Retry-After.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SonoranCms, SonoranError, metaOf } from '../../pkg/index.mjs';
import * as server from './server.mjs';
import { virtualTime } from '../../../wasm/tests/node/virtual-time.mjs';

const ACCOUNT = '00000000-0000-0000-0000-000000000007';
let s;
let cms;
before(async () => {
  s = await server.start();
  cms = new SonoranCms({ communityId: server.COMMUNITY_ID, apiKey: server.API_KEY, baseUrl: s.url });
});
after(() => s.close());

function noKey(e) {
  assert.ok(!`${e.message} ${JSON.stringify(e)}`.includes(server.API_KEY), `the API key leaks: ${e.message}`);
}

test('the class is SonoranCms, with the production URL by default', () => {
  assert.equal(SonoranCms.name, 'SonoranCms');
  assert.equal(new SonoranCms({ apiKey: 'k' }).baseUrl, 'https://api.sonorancms.com');
  assert.throws(() => new SonoranCms({ bogus: 1 }), (e) => e instanceof SonoranError && e.kind === 'invalidRequest' && /^new SonoranCms: unknown option `bogus`/.test(e.message));
});

test('a v2 call sends its path and query parameters and resolves to the envelope\'s data', async () => {
  const path = `/v2/community/disciplinary/accounts/${ACCOUNT}/records`;
  const records = [{ id: 'r1', points: 3, reason: 'late' }];
  s.answer(() => server.envelope(records, path));
  const got = await cms.getMemberRecords({ accountId: ACCOUNT, apiId: 'STEAM:1234', uniqueId: 42 });
  assert.deepEqual(got, records);
  assert.deepEqual(metaOf(got), { timestamp: '2026-04-15T00:00:00.000Z', path });
  const [req] = s.requests;
  assert.equal(req.method, 'GET');
  assert.equal(req.url, `${path}?apiId=STEAM%3A1234&uniqueId=42`);
  assert.equal(req.headers.authorization, `Bearer ${server.API_KEY}`);
  assert.match(req.headers['user-agent'], /^sonoran-cms-js\/\d+\.\d+\.\d+ \(node v/);
  assert.equal(req.body, '');
});

test('a v2 body is sent as written', async () => {
  const path = `/v2/community/accounts/${ACCOUNT}/name`;
  s.answer(() => server.envelope({ accId: ACCOUNT }, path));
  assert.deepEqual(await cms.setAccountName({ accountId: ACCOUNT, body: { newName: 'Ada  Lovelace' } }), { accId: ACCOUNT });
  const [req] = s.requests;
  assert.equal(req.url, path);
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.body, '{"newName":"Ada  Lovelace"}');
  const e = await cms.setAccountName({ accountId: ACCOUNT, body: { newName: 7 } }).catch((e) => e);
  assert.equal(e.kind, 'invalidRequest');
  assert.match(e.message, /`body\.newName`/);
});

test('a payload that is not an object or an array has no meta', async () => {
  s.answer(() => server.envelope(5, '/x'));
  const points = await cms.getMemberPoints({ accountId: ACCOUNT });
  assert.equal(points, 5);
  assert.equal(metaOf(points), undefined);
  s.answer(() => server.envelope(null, '/x'));
  assert.equal(await cms.getMemberPoints({ accountId: ACCOUNT }), null);
});

test('a bad argument is named before anything is sent', async () => {
  s.answer(() => server.envelope([], '/x'));
  const e = await cms.getMemberRecords({ uniqueId: 'x' }).catch((e) => e);
  assert.ok(e instanceof SonoranError);
  assert.equal(e.kind, 'invalidRequest');
  assert.match(e.message, /^getMemberRecords: /);
  assert.equal(s.requests.length, 0);
});

test('a v2 reply without the envelope is a malformedReply', async () => {
  s.answer(() => ({ status: 200, body: ['not', 'enveloped'] }));
  const e = await cms.getAccountRanks({ accountId: ACCOUNT }).catch((e) => e);
  assert.ok(e instanceof SonoranError);
  assert.equal(e.kind, 'malformedReply');
  assert.match(e.message, /envelope/);
});

test('a v1 call posts the envelope with id, key and type, and resolves to the reply', async () => {
  s.answer(() => ({ status: 200, body: ['rank-a', 'rank-b'] }));
  const ranks = await cms.getAccountRanksV1([{ apiId: 'STEAM:1234' }]);
  assert.deepEqual(ranks, ['rank-a', 'rank-b']);
  assert.equal(metaOf(ranks), undefined);
  const [req] = s.requests;
  assert.equal(req.method, 'POST');
  assert.equal(req.url, '/general/get_account_ranks');
  assert.equal(req.headers.authorization, undefined);
  assert.deepEqual(JSON.parse(req.body), {
    id: server.COMMUNITY_ID,
    key: server.API_KEY,
    type: 'GET_ACCOUNT_RANKS',
    data: [{ apiId: 'STEAM:1234' }],
  });
});

test('CMS has no default server: a serverId goes out only as the caller passes it', async () => {
  // As the Rust crate sonoran-cms (no `server_id` on its builder, `server_id_default: false`).
  assert.equal(cms.serverId, undefined);
  assert.throws(
    () => new SonoranCms({ apiKey: 'k', serverId: 2 }),
    (e) => e instanceof SonoranError && e.kind === 'invalidRequest' && /^new SonoranCms: `serverId`: /.test(e.message),
  );
  // v2 replies in the envelope; the v1 call's as it documents it.
  s.answer((req) => (req.url.startsWith('/v2/') ? server.envelope({}, '/x') : { status: 200, body: { id: 's' } }));
  // v2, path: required, never filled in.
  const e = await cms.getAceConfig({}).catch((e) => e);
  assert.ok(e instanceof SonoranError);
  assert.equal(e.kind, 'invalidRequest');
  assert.equal(e.message, 'getAceConfig: `serverId` is required');
  assert.equal(s.requests.length, 0, 'sent without its serverId');
  await cms.getAceConfig({ serverId: 4 });
  // v2, query: sent only when given.
  await cms.getCurrentSession({});
  await cms.getCurrentSession({ serverId: 3 });
  // v1 `data` items: as written, with no serverId added to those without one.
  await cms.startSessionV1([{ accId: 'a' }, { accId: 'b', serverId: 5 }]);
  const wire = s.requests.map((r) => [r.method, r.url, r.body]);
  assert.deepEqual(wire.slice(0, 3), [
    ['GET', '/v2/community/servers/4/ace-config', ''],
    ['GET', '/v2/community/sessions/current', ''],
    ['GET', '/v2/community/sessions/current?serverId=3', ''],
  ]);
  const [method, url, body] = wire[3];
  assert.deepEqual([method, url], ['POST', '/sessions/start']);
  assert.deepEqual(JSON.parse(body), {
    id: server.COMMUNITY_ID,
    key: server.API_KEY,
    type: 'START_SESSION',
    data: [{ accId: 'a' }, { accId: 'b', serverId: 5 }],
  });
});

test('a v1 error text is mapped to CMS\'s own documented code', async () => {
  // CMS's texts (sonoran_cms::V1ErrorCode), not CAD's.
  for (const [text, code] of [['INVALID API KEY', 'InvalidApiKey'], ['ROSTER NOT FOUND', 'RosterNotFound'], ['API IS NOT ENABLED FOR THIS COMMUNITY', undefined]]) {
    s.answer(() => ({ status: 400, headers: { 'content-type': 'text/plain' }, body: text }));
    const e = await cms.getAccountRanksV1([{ apiId: 'STEAM:1234' }]).catch((e) => e);
    assert.ok(e instanceof SonoranError, String(e));
    assert.equal(e.kind, 'api');
    assert.equal(e.status, 400);
    assert.equal(e.code, code, text);
    assert.equal(e.detail, text);
    noKey(e);
  }
});

test('a problem+json error is a SonoranError of kind api with its fields', async () => {
  const problem = { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such account', instance: '/v2/x' };
  s.answer(() => ({ status: 404, headers: { 'content-type': 'application/problem+json' }, body: problem }));
  const e = await cms.getAccountRanks({ accountId: ACCOUNT }).catch((e) => e);
  assert.ok(e instanceof SonoranError, String(e));
  assert.equal(e.kind, 'api');
  assert.equal(e.status, 404);
  assert.equal(e.title, 'Not Found');
  assert.equal(e.detail, 'No such account');
  assert.equal(JSON.parse(e.body).instance, '/v2/x');
  noKey(e);
  assert.equal(s.requests.length, 1, 'a 404 is not retried');
});

test('a 429 waits for its Retry-After and is retried; past `retries` it is rateLimited', async (t) => {
  // Virtual time (node:test mock timers; the loopback server stamps `at` with the mocked
  // Date too): the retry leaves exactly 1000 ms after the 429.
  const clock = virtualTime(t);
  const events = [];
  const paced = new SonoranCms({ communityId: server.COMMUNITY_ID, apiKey: server.API_KEY, baseUrl: s.url, onRateLimit: (e) => events.push(e), fetch: clock.fetch });
  const tooMany = () => ({ status: 429, headers: { 'content-type': 'application/json', 'retry-after': '1' }, body: { title: 'Too Many Requests' } });
  s.answer(tooMany, () => server.envelope(['rank-a'], '/x'));
  assert.deepEqual(await clock.settle(paced.getAccountRanks({ accountId: ACCOUNT })), ['rank-a']);
  assert.equal(s.requests.length, 2);
  assert.deepEqual(s.requests.map((r) => r.at), [0, 1000], 'virtual ms at which each attempt arrived');
  assert.deepEqual(events, [{ operation: 'getAccountRanks', reason: 'retry', waitMs: 1000, status: 429, attempt: 0 }]);

  const once = new SonoranCms({ communityId: server.COMMUNITY_ID, apiKey: server.API_KEY, baseUrl: s.url, retries: 0 });
  s.answer(tooMany);
  const e = await once.getAccountRanks({ accountId: ACCOUNT }).catch((e) => e);
  assert.ok(e instanceof SonoranError);
  assert.equal(e.kind, 'rateLimited');
  assert.equal(e.retryAfter(), 1);
  noKey(e);
});

test('custom rate limits name an operationId of this API', () => {
  assert.throws(
    () => new SonoranCms({ apiKey: 'k', rateLimit: { limits: { getCalls: 1 } } }),
    (e) => e instanceof SonoranError && e.kind === 'invalidRequest' && /"getCalls" is no operationId of this API/.test(e.message),
  );
  assert.throws(
    () => new SonoranCms({ apiKey: 'k', rateLimit: { limits: { getAccountRanks: 0 } } }),
    (e) => e instanceof SonoranError && /`rateLimit\.limits\.getAccountRanks` must be a whole number/.test(e.message),
  );
  assert.equal(new SonoranCms({ apiKey: 'k', rateLimit: { limits: { getAccountRanks: 1 } } }).baseUrl, 'https://api.sonorancms.com');
});

test('the module holds none of CAD\'s operations', () => {
  const wasm = readFileSync(new URL('../../pkg/sonoran_cms_bg.wasm', import.meta.url)).toString('latin1');
  assert.ok(wasm.includes('/v2/community/accounts/{accountId}/ranks'));
  assert.ok(wasm.includes('ROSTER NOT FOUND') && wasm.includes('RosterNotFound'), 'CMS\'s v1 error codes');
  // CAD's tables (paths, v1 types, schemas, push events), its list of operations, its
  // documented limits and its v1 error codes are not linked in.
  for (const cad of ['/v2/emergency/', 'SET_ACCOUNT_PERMISSIONS', 'unitStatusV1', 'setAccountPermissionsV1', 'EVENT_UNIT_STATUS', 'getCalls', 'getActiveUnits', 'INVALID EMPTY SEARCH', 'InvalidEmptySearch']) {
    assert.ok(!wasm.includes(cad), `the CMS module contains CAD's ${cad}`);
  }
});
