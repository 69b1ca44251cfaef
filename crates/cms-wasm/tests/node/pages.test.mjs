// sonoran-cms's paginated operations as `for await` loops (`cms.iterate(name, args, call)`)
// against a loopback server: enveloped pages read through `data`, `take`/`skip` and the
// reply's `total`, a roster's rows (not its columns) until a short page, an unsuccessful
// envelope mid-loop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SonoranCms } from '../../pkg/index.mjs';
import * as server from './server.mjs';

let s;
let cms;
before(async () => {
  s = await server.start();
  cms = new SonoranCms({ communityId: server.COMMUNITY_ID, apiKey: server.API_KEY, baseUrl: s.url, rateLimit: 'off', retries: 0 });
});
after(() => s.close());

const page = (data) => () => ({ status: 200, body: { success: true, data } });
const accounts = (skip, total, names) => page({ items: names.map((accName) => ({ accName })), total, skip, take: 2 });

async function all(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

test('every account of every enveloped page until the total, each page asked for once', async () => {
  s.answer(accounts(0, 3, ['a', 'b']), accounts(2, 3, ['c']), accounts(4, 3, ['x']));
  const names = (await all(cms.iterate('getAccounts', { take: 2 }))).map((a) => a.accName);
  assert.deepEqual(names, ['a', 'b', 'c']);
  assert.deepEqual(s.requests.map((r) => r.url), ['/v2/community/accounts?skip=0&take=2', '/v2/community/accounts?skip=2&take=2']);
});

test("a roster pages its rows, not its columns, until a short page", async () => {
  const rows = (powers) => page({ rows: powers.map((sortPower) => ({ sortPower })), columns: [{ field: 'name' }] });
  s.answer(rows([1, 2]), rows([3]), rows([9]));
  const got = await all(cms.iterate('getRosterContents', { rosterId: 7, limit: 2 }));
  assert.deepEqual(got.map((r) => r.sortPower), [1, 2, 3]);
  assert.deepEqual(s.requests.map((r) => r.url), ['/v2/community/rosters/7?skip=0&limit=2', '/v2/community/rosters/7?skip=2&limit=2']);
});

test('an unsuccessful envelope mid-loop rejects after the items before it', async () => {
  s.answer(accounts(0, 10, ['a', 'b']), () => ({ status: 200, body: { success: false, message: 'INVALID_SKIP' } }));
  const seen = [];
  const error = await (async () => {
    for await (const a of cms.iterate('getAccounts', { take: 2 })) seen.push(a.accName);
  })().catch((e) => e);
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(error.kind, 'api');
  assert.equal(error.operation, 'getAccounts');
  assert.equal(s.requests.length, 2);
});

// The v1 calls page through their envelope's `data` (`skip` set in it), one `POST` per page,
// their replies read as they are (no envelope).

const json = (body) => () => ({ status: 200, body });
const v1Data = (path, type) =>
  s.requests.map((r) => {
    assert.equal(r.method, 'POST');
    assert.equal(r.url, path);
    const body = JSON.parse(r.body);
    assert.equal(body.type, type);
    return body.data;
  });

test('v1 accounts of every page until the total, skip set in data', async () => {
  const page = (skip, total, names) => json({ total, skip, take: 2, accounts: names.map((accName) => ({ accName })) });
  s.answer(page(0, 3, ['a', 'b']), page(2, 3, ['c']), page(4, 3, ['x']));
  const names = (await all(cms.iterate('getAccountsV1', [{ take: 2, banned: false }]))).map((a) => a.accName);
  assert.deepEqual(names, ['a', 'b', 'c']);
  assert.deepEqual(v1Data('/general/get_accounts', 'GET_ACCOUNTS'), [
    [{ take: 2, skip: 0, banned: false }],
    [{ take: 2, skip: 2, banned: false }],
  ]);
});

test('a v1 roster (data one object) pages its rows, not its columns, from the skip given', async () => {
  const page = (skip, powers) => json({ rows: powers.map((sortPower) => ({ sortPower })), total: 100, skip, limit: 2, columns: [{ field: 'name' }] });
  s.answer(page(4, [1, 2]), page(6, [3]), page(7, [9]));
  const got = await all(cms.iterate('getRosterContentsV1', { rosterId: 7, limit: 2, skip: 4 }));
  assert.deepEqual(got.map((r) => r.sortPower), [1, 2, 3]);
  assert.deepEqual(v1Data('/rosters/get', 'GET_ROSTER_CONTENTS'), [
    { rosterId: 7, limit: 2, skip: 4 },
    { rosterId: 7, limit: 2, skip: 6 },
  ]);
});

test('v1 form submissions without a take end at an empty page', async () => {
  const page = (n) => json(Array.from({ length: n }, () => ({ a: 1 })));
  s.answer(page(2), page(0), page(5));
  const got = await all(cms.iterate('getFormTemplateSubmissionsV1', [{ templateId: 3 }]));
  assert.equal(got.length, 2);
  assert.deepEqual(v1Data('/forms/get_template_submissions', 'GET_FORM_TEMPLATE_SUBMISSIONS'), [
    [{ templateId: 3, skip: 0 }],
    [{ templateId: 3, skip: 2 }],
  ]);
});
