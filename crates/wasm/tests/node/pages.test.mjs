// Paginated operations as `for await` loops: `client.iterate(name, args, call)`. The client's
// `fetch` is a function of this file that answers exact page sequences and records each
// request with its virtual time (node:test's `mock.timers` for `setTimeout` and `Date`): every
// item of every page in order, exactly the pages expected (never one twice), the documented
// ends, an error mid-loop, a repeated cursor, per-page options, pacing between pages.
import { test, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { SonoranClient, SonoranError } from '../../pkg/index.mjs';

before(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
after(() => mock.timers.reset());

/** Turns of the event loop (never a timer) until `check()` holds. */
async function settle(check = () => true) {
  for (let i = 0; i < 50 || !check(); i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A client whose `fetch` answers `replies` in order (the last repeated); `sent` records each request. */
function client(replies, options = {}) {
  const sent = [];
  const fetch = (url, init) => {
    sent.push({ url: new URL(url), init, at: Date.now() });
    const reply = replies[Math.min(sent.length - 1, replies.length - 1)];
    const headers = new Headers({ 'content-type': 'application/json' });
    return Promise.resolve({ status: reply.status ?? 200, headers, text: async () => JSON.stringify(reply.body) });
  };
  const c = new SonoranClient({ communityId: 'c', apiKey: 'k', fetch, rateLimit: 'off', retries: 0, ...options });
  return { c, sent };
}

const query = (sent) => sent.map((s) => s.url.search);
const accounts = (offset, total, names) => ({
  body: { pagination: { limit: 2, offset, total }, accounts: names.map((username) => ({ username })) },
});
const units = (ids) => ({ body: ids.map((id) => ({ id })) });

async function all(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

test('every account of every page in order, each page asked for once, until the total', async () => {
  const { c, sent } = client([accounts(0, 5, ['a', 'b']), accounts(2, 5, ['c', 'd']), accounts(4, 5, ['e']), accounts(6, 5, ['x'])]);
  const names = (await all(c.iterate('getAccounts', { limit: 2 }))).map((a) => a.username);
  assert.deepEqual(names, ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(query(sent), ['?limit=2&offset=0', '?limit=2&offset=2', '?limit=2&offset=4']);
});

test('a full last page that reaches the total ends without asking for another; the loop starts at the given offset', async () => {
  const { c, sent } = client([accounts(10, 14, ['a', 'b']), accounts(12, 14, ['c', 'd']), accounts(14, 14, [])]);
  assert.equal((await all(c.iterate('getAccounts', { limit: 2, offset: 10 }))).length, 4);
  assert.deepEqual(query(sent), ['?limit=2&offset=10', '?limit=2&offset=12']);
});

test('pages without a total end at a short page, or an empty one; the documented default size counts', async () => {
  const short = client([units([1, 2]), units([3]), units([9])]);
  assert.deepEqual((await all(short.c.iterate('getActiveUnits', { limit: 2 }))).map((u) => u.id), [1, 2, 3]);
  assert.equal(short.sent.length, 2);
  assert.equal(short.sent[0].url.pathname, '/v2/emergency/servers/1/units');

  const empty = client([units([1, 2]), units([]), units([9])]);
  assert.deepEqual((await all(empty.c.iterate('getActiveUnits', { limit: 2 }))).map((u) => u.id), [1, 2]);
  assert.equal(empty.sent.length, 2);

  // No limit given: the documented default (100) makes a page of 3 the last.
  const byDefault = client([units([1, 2, 3]), units([9])]);
  assert.equal((await all(byDefault.c.iterate('getActiveUnits'))).length, 3);
  assert.deepEqual(query(byDefault.sent), ['?offset=0']);
});

test('pages are asked for as the loop goes on, not before', async () => {
  const { c, sent } = client([units([1, 2]), units([3, 4]), units([])]);
  for await (const unit of c.iterate('getActiveUnits', { limit: 2 })) {
    if (unit.id === 2) break;
  }
  assert.equal(sent.length, 1);
});

test('a failed page rejects the loop after the items before it, and nothing more is asked for', async () => {
  const boom = { status: 500, body: { title: 'Internal Server Error', status: 500, detail: 'boom' } };
  const { c, sent } = client([units([1, 2]), boom, units([3])]);
  const seen = [];
  const error = await (async () => {
    for await (const unit of c.iterate('getActiveUnits', { limit: 2 })) seen.push(unit.id);
  })().catch((e) => e);
  assert.deepEqual(seen, [1, 2]);
  assert.ok(error instanceof SonoranError);
  assert.equal(error.kind, 'api');
  assert.equal(error.status, 500);
  assert.equal(error.operation, 'getActiveUnits');
  assert.equal(sent.length, 2);
});

test('a server that ignores the offset rejects with malformedReply instead of looping', async () => {
  const { c, sent } = client([accounts(0, 100, ['a', 'b'])]);
  const seen = [];
  const error = await (async () => {
    for await (const a of c.iterate('getAccounts', { limit: 2 })) seen.push(a.username);
  })().catch((e) => e);
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(error.kind, 'malformedReply');
  assert.match(error.message, /^getAccounts: pagination: asked for the page at offset 2, the reply is the page at offset 0/);
  assert.equal(sent.length, 2);
});

const actions = (cursors, nextCursor) => ({ body: { events: cursors.map((cursor) => ({ cursor })), ...(nextCursor === undefined ? {} : { nextCursor }) } });

test('cursor pages follow nextCursor until a reply without one', async () => {
  const { c, sent } = client([actions([1, 2], 2), actions([3], 3), actions([], undefined)]);
  const got = await all(c.iterate('pollIntegrationPanelActions', { panelKey: 'example.fire-alarms' }));
  assert.deepEqual(got.map((e) => e.cursor), [1, 2, 3]);
  assert.deepEqual(query(sent), ['?after=0', '?after=2', '?after=3']);

  const ends = client([actions([7], undefined), actions([8], 8)]);
  assert.equal((await all(ends.c.iterate('pollIntegrationPanelActions', { panelKey: 'p', after: 6 }))).length, 1);
  assert.deepEqual(query(ends.sent), ['?after=6']);
});

test('a repeated cursor gives its page, then rejects, and is not asked for again', async () => {
  const { c, sent } = client([actions([1], 5), actions([6], 5)]);
  const seen = [];
  const error = await (async () => {
    for await (const e of c.iterate('pollIntegrationPanelActions', { panelKey: 'p' })) seen.push(e.cursor);
  })().catch((e) => e);
  assert.deepEqual(seen, [1, 6]);
  assert.equal(error.kind, 'malformedReply');
  assert.match(error.message, /cursor 5, a page already asked for/);
  assert.equal(sent.length, 2);
});

test('each page takes the per-call options; an aborted signal rejects with kind aborted', async () => {
  const { c, sent } = client([units([1]), units([2]), units([])]);
  const controller = new AbortController();
  const seen = [];
  const error = await (async () => {
    for await (const unit of c.iterate('getActiveUnits', { limit: 1 }, { headers: { 'x-trace': 't1' }, signal: controller.signal })) {
      seen.push(unit.id);
      if (unit.id === 2) controller.abort();
    }
  })().catch((e) => e);
  assert.deepEqual(seen, [1, 2]);
  assert.equal(error.kind, 'aborted');
  assert.equal(sent.length, 2, 'the aborted page was not sent');
  assert.ok(sent.every((s) => s.init.headers['x-trace'] === 't1'));
});

test('not a paginated operation, or no argument object: invalidRequest before anything is sent', async () => {
  const { c, sent } = client([units([])]);
  const e = await all(c.iterate('getVersion')).catch((x) => x);
  assert.equal(e.kind, 'invalidRequest');
  assert.match(e.message, /^iterate: `getVersion` is not a paginated operation \(getAccountUnits, getAccounts, getActiveUnits, pollIntegrationPanelActions, getAccountsV1, getActiveUnitsV1, lookupValueV1\)$/);
  const bad = await all(c.iterate('getActiveUnits', 3)).catch((x) => x);
  assert.equal(bad.kind, 'invalidRequest');
  assert.equal(sent.length, 0);
});

test('pages are paced like any call: the fourth of 3 per window waits for its place', async () => {
  const { c, sent } = client([units([1]), units([2]), units([3]), units([4]), units([])], {
    rateLimit: { limits: { getActiveUnits: 3 }, windowMs: 1000 },
  });
  const start = Date.now();
  const seen = [];
  const loop = (async () => {
    for await (const unit of c.iterate('getActiveUnits', { limit: 1 })) seen.push(unit.id);
  })();
  await settle(() => sent.length === 3);
  mock.timers.tick(1099);
  await settle();
  assert.equal(sent.length, 3, 'not before its place frees');
  mock.timers.tick(1);
  await settle(() => sent.length === 5);
  await loop;
  assert.deepEqual(seen, [1, 2, 3, 4]);
  // The window plus the limiter's 100 ms margin.
  assert.deepEqual(sent.map((s) => s.at - start), [0, 0, 0, 1100, 1100]);
});

// The v1 calls page through their envelope's `data`: `iterate(name, data)` sets the offset in
// every request object of `data`, one `POST` per page.

/** Each v1 request's `data`, after checking its path and `type`. */
function v1Data(sent, path, type) {
  return sent.map((s) => {
    assert.equal(s.init.method, 'POST');
    assert.equal(s.url.pathname, path);
    const body = JSON.parse(s.init.body);
    assert.equal(body.type, type);
    return body.data;
  });
}

test('v1 accounts of every page until the total, the offset set in data, each page asked for once', async () => {
  const { c, sent } = client([accounts(0, 5, ['a', 'b']), accounts(2, 5, ['c', 'd']), accounts(4, 5, ['e']), accounts(6, 5, ['x'])]);
  const names = (await all(c.iterate('getAccountsV1', [{ limit: 2, status: 0 }]))).map((a) => a.username);
  assert.deepEqual(names, ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(
    v1Data(sent, '/general/get_accounts', 'GET_ACCOUNTS'),
    [0, 2, 4].map((offset) => [{ limit: 2, offset, status: 0 }]),
  );
});

test('v1 accounts at another offset than asked for reject with malformedReply, not a loop', async () => {
  const { c, sent } = client([accounts(0, 100, ['a', 'b'])]);
  const seen = [];
  const error = await (async () => {
    for await (const a of c.iterate('getAccountsV1', [{ limit: 2 }])) seen.push(a.username);
  })().catch((e) => e);
  assert.deepEqual(seen, ['a', 'b']);
  assert.equal(error.kind, 'malformedReply');
  assert.match(error.message, /offset 2/);
  assert.equal(sent.length, 2);
});

test('v1 units end at a short page from the offset given; every request object gets the offset; the default size counts', async () => {
  const { c, sent } = client([units([1, 2]), units([3]), units([9])]);
  const items = [{ limit: 2, offset: 10, includeOffline: true }, { limit: 2, serverId: 2 }];
  assert.deepEqual((await all(c.iterate('getActiveUnitsV1', items))).map((u) => u.id), [1, 2, 3]);
  const data = v1Data(sent, '/emergency/get_active_units', 'GET_ACTIVE_UNITS');
  assert.deepEqual(data.map((d) => d.map((i) => i.offset)), [[10, 10], [12, 12]]);
  assert.equal(data[0][0].includeOffline, true);
  assert.equal(data[1][1].serverId, 2);
  assert.deepEqual(items[0], { limit: 2, offset: 10, includeOffline: true }, 'the caller\'s data is left as given');

  // No limit: the documented default (100) makes a page of 3 the last.
  const byDefault = client([units([1, 2, 3]), units([9])]);
  assert.equal((await all(byDefault.c.iterate('getActiveUnitsV1', [{}]))).length, 3);
  assert.equal(byDefault.sent.length, 1);
});

test('a v1 lookup without a limit ends at an empty page', async () => {
  const records = (ids) => ({ body: ids.map((id) => ({ id, name: 'r' })) });
  const { c, sent } = client([records([1, 2, 3]), records([]), records([7])]);
  const got = await all(c.iterate('lookupValueV1', [{ searchType: 3, value: 42 }]));
  assert.deepEqual(got.map((r) => r.id), [1, 2, 3]);
  assert.deepEqual(v1Data(sent, '/general/lookup_value', 'LOOKUP_INT').map((d) => d[0].offset), [0, 3]);
});

test('v1 data that is not a non-empty array of objects: invalidRequest before anything is sent', async () => {
  const { c, sent } = client([units([1])]);
  for (const data of [undefined, {}, [], [3]]) {
    const e = await all(c.iterate('getActiveUnitsV1', data)).catch((x) => x);
    assert.equal(e.kind, 'invalidRequest', String(data));
    assert.equal(e.operation, 'getActiveUnitsV1');
  }
  assert.equal(sent.length, 0);
});

test('v1 pages are paced like any call: the third of 2 per window waits for its place', async () => {
  const { c, sent } = client([units([1]), units([2]), units([3]), units([])], {
    rateLimit: { limits: { getActiveUnitsV1: 2 }, windowMs: 1000 },
  });
  const start = Date.now();
  const seen = [];
  const loop = (async () => {
    for await (const unit of c.iterate('getActiveUnitsV1', [{ limit: 1 }])) seen.push(unit.id);
  })();
  await settle(() => sent.length === 2);
  mock.timers.tick(1099);
  await settle();
  assert.equal(sent.length, 2, 'not before its place frees');
  mock.timers.tick(1);
  await settle(() => sent.length === 4);
  await loop;
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(sent.map((s) => s.at - start), [0, 0, 1100, 1100]);
});
