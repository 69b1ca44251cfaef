// Every kind of failure surfaces as a SonoranError with its fields, and none of them leaves
// the client unusable. Faults come from the fake's POST /__fake/faults.
import { test, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SonoranClient, SonoranError } from '../../pkg/index.mjs';
import * as fake from './fake.mjs';

const U = fake.UPDATE_IDENTIFIER;
let apiKey;
let client; // shared by every test below: it must survive all of them
before(async () => {
  apiKey = (await fake.info()).apiKey;
  client = new SonoranClient(await fake.options());
});
beforeEach(fake.reset);

/** Awaits a rejection and checks it is a SonoranError of `kind` that does not leak the key. */
async function rejects(promise, kind) {
  const e = await promise.then(
    (v) => assert.fail(`expected a ${kind} SonoranError, got ${JSON.stringify(v).slice(0, 60)}...`),
    (e) => e,
  );
  assert.ok(e instanceof SonoranError, `not a SonoranError: ${e}`);
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'SonoranError');
  assert.equal(e.kind, kind, e.message);
  assert.ok(!`${e.message} ${JSON.stringify(e)}`.includes(apiKey), `the API key leaks: ${e.message}`);
  return e;
}

test('invalidRequest: no argument at all', async () => {
  const e = await rejects(client.updateIdentifier(), 'invalidRequest');
  assert.match(e.message, /^updateIdentifier: /);
});

test('invalidRequest: a missing required argument is named', async () => {
  const e = await rejects(client.updateIdentifier({ identId: 12, body: { status: 2 } }), 'invalidRequest');
  assert.match(e.message, /`accountUuid`/);
});

test('invalidRequest: a wrong type at a nested path names the path', async () => {
  const e = await rejects(client.updateIdentifier({ ...U, body: { status: '2' } }), 'invalidRequest');
  assert.equal(e.message, 'updateIdentifier: `body.status`: expected an integer, got a string ("2")');
  const v1 = await rejects(
    client.modifyIdentifierV1([{ action: 0, identifier: { data: { unitNum: 5 } } }]),
    'invalidRequest',
  );
  assert.match(v1.message, /`data\[0\]\.identifier\.data\.unitNum`: expected a string, got a number \(5\)/);
  const en = await rejects(client.setAccountPermissionsV1([{ add: ['NOPE'] }]), 'invalidRequest');
  assert.match(en.message, /`data\[0\]\.add\[0\]`: expected one of "[A-Z_]+", .* got a string \("NOPE"\)/);
});

test('invalidRequest: an unknown argument is named', async () => {
  const e = await rejects(client.updateIdentifier({ ...U, bogus: 1 }), 'invalidRequest');
  assert.equal(e.message, 'updateIdentifier: `bogus` is not an argument of this call');
});

test('invalidRequest: an unknown field inside body is named by its path', async () => {
  const e = await rejects(client.updateIdentifier({ ...U, body: { status: 2, bogus: 1 } }), 'invalidRequest');
  assert.equal(e.message, 'updateIdentifier: `body.bogus` is not a field of this object');
  const deep = await rejects(client.setAccountPermissionsV1([{ apiId: 'STEAM:1', add: ['POLICE'], typo: true }]), 'invalidRequest');
  assert.match(deep.message, /`data\[0\]\.typo` is not a field/);
  assert.equal((await fake.requests()).length, 0, 'nothing was sent');
});

test('invalidRequest: a BigInt, a cycle, a function', async () => {
  await rejects(client.updateIdentifier({ ...U, identId: 12n }), 'invalidRequest');
  const cyclic = { ...U, body: { status: 2 } };
  cyclic.body.self = cyclic;
  await rejects(client.updateIdentifier(cyclic), 'invalidRequest');
  const f = await rejects(client.updateIdentifier(() => U), 'invalidRequest');
  assert.match(f.message, /the argument is a function/);
  await rejects(client.setAccountPermissionsV1(() => []), 'invalidRequest');
  assert.equal((await fake.requests()).length, 0, 'nothing was sent');
});

test('invalidRequest: a function or symbol inside body is named by its path', async () => {
  const e = await rejects(client.updateIdentifier({ ...U, body: { status: () => 1 } }), 'invalidRequest');
  assert.match(e.message, /`body\.status` is a function/);
  const s = await rejects(client.setAccountPermissionsV1([{ apiId: Symbol('x') }]), 'invalidRequest');
  assert.match(s.message, /`data\[0\]\.apiId` is a symbol/);
  assert.equal((await fake.requests()).length, 0, 'nothing was sent');
});

test('api: an injected problem+json 404', async () => {
  await fake.inject({
    operationId: 'updateIdentifier',
    kind: { type: 'problem', status: 404, title: 'Not Found', detail: 'No such identifier' },
  });
  const e = await rejects(client.updateIdentifier(U), 'api');
  assert.equal(e.status, 404);
  assert.equal(e.title, 'Not Found');
  assert.equal(e.detail, 'No such identifier');
  assert.equal(typeof e.traceId, 'string');
  assert.ok(e.traceId.length > 0);
  assert.ok(e.message.includes(e.traceId));
  assert.equal(JSON.parse(e.body).detail, 'No such identifier');
});

test('api: a wrong key is a 401 on v2 and InvalidApiKey on v1', async () => {
  const wrong = new SonoranClient(await fake.options({ apiKey: 'wrong-key' }));
  const e = await rejects(wrong.updateIdentifier(U), 'api');
  assert.equal(e.status, 401);
  assert.equal(e.title, 'Unauthorized');
  const v1 = await rejects(wrong.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1), 'api');
  assert.equal(v1.status, 400);
  assert.equal(v1.code, 'InvalidApiKey');
});

test('api: an injected v1 error text becomes its code', async () => {
  await fake.inject({ operationId: 'setAccountPermissionsV1', kind: { type: 'v1Text', status: 400, text: 'INVALID API KEY' } });
  const e = await rejects(client.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1), 'api');
  assert.equal(e.status, 400);
  assert.equal(e.code, 'InvalidApiKey');
  assert.equal(e.detail, 'INVALID API KEY');
});

test('api: v1 texts are CAD\'s: a CAD-only one has its code, a CMS-only one none', async () => {
  for (const [text, code] of [['INVALID EMPTY SEARCH', 'InvalidEmptySearch'], ['ROSTER NOT FOUND', undefined]]) {
    await fake.inject({ operationId: 'setAccountPermissionsV1', kind: { type: 'v1Text', status: 400, text } });
    const e = await rejects(client.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1), 'api');
    assert.equal(e.code, code, text);
    assert.equal(e.detail, text);
  }
});

test('api: a 503 is retried for a GET, not for a PATCH', async () => {
  await fake.inject({ operationId: 'getVersion', kind: { type: 'status', status: 503 } });
  const v = await client.getVersion({});
  assert.equal(typeof v.version, 'number');
  assert.equal((await fake.requests()).length, 2, 'one retry');
  await fake.reset();
  await fake.inject({ operationId: 'updateIdentifier', kind: { type: 'status', status: 503 } });
  const e = await rejects(client.updateIdentifier(U), 'api');
  assert.equal(e.status, 503);
  assert.equal((await fake.requests()).length, 1, 'a PATCH is not repeated on a 503 without Retry-After');
});

test('rateLimited: a 429 with retries: 0 carries retryAfter', async () => {
  const noRetry = new SonoranClient(await fake.options({ retries: 0 }));
  await fake.inject({ operationId: 'updateIdentifier', kind: { type: 'rateLimited', retryAfterSeconds: 7 } });
  const e = await rejects(noRetry.updateIdentifier(U), 'rateLimited');
  assert.equal(e.status, 429);
  assert.equal(e.retryAfter(), 7);
  assert.equal((await fake.requests()).length, 1, 'not retried');
  await noRetry.updateIdentifier(U);
});

test('a 429 with Retry-After: 1 is retried and succeeds (default retries)', async () => {
  const retrying = new SonoranClient(await fake.options({ rateLimit: undefined }));
  await fake.inject({ operationId: 'updateIdentifier', kind: { type: 'rateLimited', retryAfterSeconds: 1 } });
  const r = await retrying.updateIdentifier(U);
  assert.equal(r.identId, 12);
  const seen = await fake.requests();
  assert.deepEqual(seen.map((s) => s.operationId), ['updateIdentifier', 'updateIdentifier']);
});

test('timeout: a reply slower than timeoutMs', async () => {
  const quick = new SonoranClient(await fake.options({ timeoutMs: 300, retries: 0 }));
  await fake.inject({ operationId: 'getVersion', kind: { type: 'delayMs', ms: 2000 } });
  await rejects(quick.getVersion({}), 'timeout');
  const v = await quick.getVersion({});
  assert.equal(typeof v.version, 'number');
  // With retries, a GET that timed out is tried again; a PATCH is not (it may have acted).
  const retrying = new SonoranClient(await fake.options({ timeoutMs: 300 }));
  await fake.reset();
  await fake.inject({ operationId: 'getVersion', kind: { type: 'delayMs', ms: 2000 } });
  assert.equal(typeof (await retrying.getVersion({})).version, 'number');
  assert.equal((await fake.requests()).length, 2);
  await fake.reset();
  await fake.inject({ operationId: 'updateIdentifier', kind: { type: 'delayMs', ms: 2000 } });
  await rejects(retrying.updateIdentifier(U), 'timeout');
  assert.equal((await fake.requests()).length, 1);
});

test('transport: nothing listens at baseUrl', async () => {
  const nowhere = new SonoranClient({ ...(await fake.options()), baseUrl: 'http://127.0.0.1:1' });
  await rejects(nowhere.updateIdentifier(U), 'transport');
  await rejects(nowhere.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1), 'transport');
});

test('a truncated reply: malformedReply or transport', async () => {
  for (const [op, call] of [
    ['updateIdentifier', () => client.updateIdentifier(U)],
    ['modifyIdentifierV1', () => client.modifyIdentifierV1(fake.MODIFY_IDENTIFIER_V1)],
  ]) {
    await fake.inject({ operationId: op, kind: { type: 'truncate' } });
    const e = await call().then(() => assert.fail(`${op}: a truncated reply succeeded`), (e) => e);
    assert.ok(e instanceof SonoranError);
    assert.ok(['malformedReply', 'transport'].includes(e.kind), `${op}: ${e.kind}: ${e.message}`);
  }
});

test('bad constructor options throw a SonoranError at once', async () => {
  const base = await fake.options();
  const cases = [
    [undefined, /expected an options object/],
    [{ ...base, bogus: 1 }, /unknown option `bogus`/],
    [{ ...base, baseUrl: 'not a url' }, /invalid `baseUrl` "not a url"/],
    [{ ...base, rateLimit: { limits: { getCall: 1 } } }, /"getCall" is no operationId/],
    [{ ...base, fetch: 'no' }, /`fetch` option must be a function/],
    [{ ...base, rateLimit: 'sometimes' }, /`rateLimit`/],
    [{ ...base, rateLimit: { limits: { getCalls: 'x' } } }, /`rateLimit\.limits\.getCalls` must be a whole number/],
    [{ ...base, timeoutMs: 'soon' }, /`timeoutMs` must be a number, got a string \("soon"\)/],
    // A JS timer holds at most 2^31 - 1 ms; a longer one would fire at once and time every call out.
    [{ ...base, timeoutMs: 3e9 }, /`timeoutMs` must be at most 2000000000 ms \(about 23 days; 0 waits forever\), got a number \(3000000000(\.0)?\)/],
    [{ ...base, serverId: 1.5 }, /`serverId` must be an integer/],
  ];
  for (const [opts, message] of cases) {
    let e;
    try {
      new SonoranClient(opts);
    } catch (err) {
      e = err;
    }
    assert.ok(e instanceof SonoranError, `${JSON.stringify(opts)}: ${e}`);
    assert.ok(e instanceof Error);
    assert.equal(e.kind, 'invalidRequest');
    assert.match(e.message, message);
    assert.ok(!e.message.includes(apiKey));
  }
});

test('after every failure above, the same client still works', async () => {
  const r = await client.updateIdentifier(U);
  assert.equal(r.identId, 12);
  assert.equal(await client.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1), 'User account permissions updated.');
});

/**
 * The v1 error replies the CAD docs pages list, `[status, text]`, from the table extracted
 * from the pages (crates/client/tests/data/v1-error-texts.tsv; not from openapi/ or the
 * generated code).
 */
function pageErrorTexts() {
  const file = new URL('../../../client/tests/data/v1-error-texts.tsv', import.meta.url);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line, i) => {
      const [status, text, pages] = line.split('\t');
      assert.ok(/^\d{3}$/.test(status) && text && pages, `v1-error-texts.tsv row ${i + 1}: ${line}`);
      return [Number(status), text];
    });
}
/** An upper-case phrase the pages list is a documented code; anything else a free message. */
const isCodeText = (text) => /^[A-Z][A-Z _]*[A-Z]$/.test(text);
/** The spec's table of texts with a kind of their own (`V1ErrorText` `x-error-kinds`, hand-owned from the docs). */
function textKinds() {
  const spec = JSON.parse(readFileSync(new URL('../../../../openapi/sonoran-cad.openapi.json', import.meta.url), 'utf8'));
  return new Map(Object.entries(spec.components.schemas.V1ErrorText['x-error-kinds'] ?? {}));
}

test('api: every v1 error text the docs pages list: its own code when upper-case, verbatim either way, its kind from the spec', async () => {
  const listed = pageErrorTexts();
  assert.ok(listed.length >= 10, `${listed.length} texts`);
  const codes = new Map(); // code -> text
  const kinds = textKinds();
  assert.equal(kinds.size, 2, 'the two plan refusals');
  for (const [status, text] of listed) {
    await fake.reset();
    await fake.inject({ operationId: 'setAccountPermissionsV1', kind: { type: 'v1Text', status, text } });
    const e = await rejects(client.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1), kinds.get(text) ?? 'api');
    assert.equal(e.status, status, text);
    assert.equal(e.detail, text, 'the text verbatim');
    if (isCodeText(text)) {
      assert.equal(typeof e.code, 'string', `${text}: a documented code`);
      assert.ok(!codes.has(e.code) || codes.get(e.code) === text, `${e.code} for both ${codes.get(e.code)} and ${text}`);
      codes.set(e.code, text);
    } else {
      assert.equal(e.code ?? null, null, `${text}: a message, no code`);
    }
  }
  const upper = new Set(listed.map(([, t]) => t).filter(isCodeText));
  assert.equal(codes.size, upper.size, 'one code for each upper-case text the pages list');
});

// One error model: every kind of `SonoranErrorKind` that JS can produce, from the situation it
// names, each with its operation and its docs page (the Rust side: crates/client/tests/error_kinds.rs;
// `sharedLimiterUnavailable` is Rust only, `internal` a fault of the package itself).
const DOCS = /^https:\/\/docs\.sonoransoftware\.com\/cad\/api-integration\//;

test('planRefused: the documented plan refusals have a kind of their own', async () => {
  for (const [text, code] of [
    ['API IS NOT ENABLED FOR THIS COMMUNITY', 'ApiNotEnabled'],
    ['API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY', 'EndpointNotEnabled'],
  ]) {
    await fake.inject({ operationId: 'setAccountPermissionsV1', kind: { type: 'v1Text', status: 400, text } });
    const e = await rejects(client.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1), 'planRefused');
    assert.equal(e.status, 400);
    assert.equal(e.code, code);
    assert.equal(e.detail, text);
    assert.equal(e.source, 'server');
    assert.equal(e.operation, 'setAccountPermissionsV1');
    assert.equal(e.attempts, 1);
    assert.match(e.docsUrl, DOCS);
    assert.match(e.message, /subscription/);
  }
});

test('permissionDenied: a 403', async () => {
  await fake.inject({ operationId: 'updateIdentifier', kind: { type: 'problem', status: 403, title: 'Forbidden', detail: 'Not for this key.' } });
  const e = await rejects(client.updateIdentifier(U), 'permissionDenied');
  assert.equal(e.status, 403);
  assert.equal(e.title, 'Forbidden');
  assert.equal(typeof e.requestId === 'string' || typeof e.traceId === 'string', true);
  assert.equal(e.operation, 'updateIdentifier');
  assert.match(e.docsUrl, /update-identifier$/);
  assert.equal(e.isRetryable(), false);
});

test('every kind JS produces, with its operation and docs page', async () => {
  const quick = new SonoranClient(await fake.options({ timeoutMs: 300, retries: 0 }));
  const seen = new Set();
  const check = async (promise, kind, operation = 'getVersion') => {
    const e = await rejects(promise, kind);
    assert.equal(e.operation, operation, kind);
    assert.match(e.docsUrl, DOCS, kind);
    seen.add(e.kind);
    return e;
  };
  // Refused before sending.
  await check(quick.getVersion({ bogus: 1 }), 'invalidRequest');
  // Sonoran's 429, with the gateway's request id.
  await fake.inject({ operationId: 'getVersion', kind: { type: 'rateLimited', retryAfterSeconds: 7 } });
  const limited = await check(quick.getVersion({}), 'rateLimited');
  assert.equal(limited.source, 'server');
  assert.equal(typeof limited.requestId, 'string');
  // This client's own pacing: nothing sent.
  const paced = new SonoranClient(await fake.options({ rateLimit: { limits: { getVersion: 1 }, windowMs: 60_000 }, maxQueueMs: 0 }));
  await paced.getVersion({});
  await fake.reset();
  const refused = await check(paced.getVersion({}), 'pacingRefused');
  assert.equal(refused.source, 'client');
  assert.equal(refused.status, undefined);
  assert.equal(refused.attempts, 0);
  assert.deepEqual(await fake.requests(), [], 'nothing was sent');
  // The documented refusals.
  await fake.inject({ operationId: 'getVersion', kind: { type: 'v1Text', status: 400, text: 'API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY' } });
  await check(quick.getVersion({}), 'planRefused');
  await fake.inject({ operationId: 'getVersion', kind: { type: 'problem', status: 403, title: 'Forbidden', detail: 'no' } });
  await check(quick.getVersion({}), 'permissionDenied');
  await fake.inject({ operationId: 'getVersion', kind: { type: 'problem', status: 404, title: 'Not Found', detail: 'no' } });
  await check(quick.getVersion({}), 'api');
  // Replies the docs do not describe.
  await fake.inject({ operationId: 'getVersion', kind: { type: 'empty', status: 202 } });
  await check(quick.getVersion({}), 'malformedReply');
  await fake.inject({ operationId: 'getVersion', kind: { type: 'oversized', bytes: 20 * 1024 * 1024 } });
  await check(quick.getVersion({}), 'replyTooLarge');
  // No reply in time; no connection.
  await fake.inject({ operationId: 'getVersion', kind: { type: 'delayMs', ms: 2000 } });
  await check(quick.getVersion({}), 'timeout');
  const nowhere = new SonoranClient({ ...(await fake.options()), baseUrl: 'http://127.0.0.1:1', retries: 0 });
  await check(nowhere.getVersion({}), 'transport');
  // The caller's AbortSignal.
  const controller = new AbortController();
  controller.abort();
  await check(quick.getVersion({}, { signal: controller.signal }), 'aborted');
  assert.deepEqual(
    [...seen].sort(),
    ['aborted', 'api', 'invalidRequest', 'malformedReply', 'pacingRefused', 'permissionDenied', 'planRefused', 'rateLimited', 'replyTooLarge', 'timeout', 'transport'],
  );
});
