// Every CMS operation: the npm package sends the same request as the typed Rust client, decodes
// the documented reply, and rejects malformed replies with a typed SonoranError.
//
// The Rust half (crates/cms/tests/npm_equivalence.rs, `cargo test -p sonoran-cms --test
// npm_equivalence`) calls every v2 and v1 operation with its docs page's own example request
// (the page's cURL tab; v1: its envelope example), checks that what went out is the example, and
// writes per call the npm arguments, the request as it went out and the documented reply to
// target/npm-equivalence/cms-rust-requests.json (or SONORAN_CMS_EQUIVALENCE_FILE). This file
// makes the same calls through the package against a loopback recorder answering the same
// documented reply, and fails on any difference: method, path, query (decoded key/value pairs),
// authorization, content-type, the body as parsed JSON (a member null on one side and absent on
// the other is the one difference allowed, and listed), the resolved value and its `meta`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SonoranCms, SonoranError, metaOf } from '../../pkg/index.mjs';
import { OPERATIONS } from '../../js/generated/operations.mjs';
import * as server from './server.mjs';

const FILE = process.env.SONORAN_CMS_EQUIVALENCE_FILE
  ?? fileURLToPath(new URL('../../../../target/npm-equivalence/cms-rust-requests.json', import.meta.url));
const PRODUCE = 'cargo test -p sonoran-cms --test npm_equivalence';

const record = existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : null;
const rows = record ? record.operations : [];

/** Differences between `a` (npm) and `b` (Rust), null == absent (noted in `loose`). */
function diff(a, b, path, loose, out) {
  if (a === b) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path || '(root)'}: array of ${a.length} (npm) vs ${b.length} (Rust)`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) diff(a[i], b[i], `${path}[${i}]`, loose, out);
    return;
  }
  const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const at = path ? `${path}.${key}` : key;
      const inA = Object.hasOwn(a, key);
      const inB = Object.hasOwn(b, key);
      if (inA && inB) diff(a[key], b[key], at, loose, out);
      else if ((inA ? a[key] : b[key]) === null) loose.push(`${at}: null on the ${inA ? 'npm' : 'Rust'} side, absent on the ${inA ? 'Rust' : 'npm'} side`);
      else out.push(`${at}: only on the ${inA ? 'npm' : 'Rust'} side (${JSON.stringify(inA ? a[key] : b[key])})`);
    }
    return;
  }
  out.push(`${path || '(root)'}: ${JSON.stringify(a)} (npm) vs ${JSON.stringify(b)} (Rust)`);
}

/** `a=1&b=2` as sorted [key, value] pairs, decoded. */
function queryPairs(query) {
  return [...new URLSearchParams(query ?? '')].sort((x, y) => (x[0] + '\0' + x[1] < y[0] + '\0' + y[1] ? -1 : 1));
}

/** The documented reply as the Rust test's recorder sent it. */
function documentedAnswer(row) {
  const d = row.documentedReply;
  if (d.contentType === 'text/plain' && typeof d.example === 'string') {
    return { status: d.status, headers: { 'content-type': 'text/plain' }, body: d.example };
  }
  if (d.contentType && d.example !== null) {
    return { status: d.status, headers: { 'content-type': d.contentType }, body: JSON.stringify(d.example) };
  }
  return { status: d.status, headers: { 'content-type': d.contentType ?? 'application/json' }, body: '' };
}

/** What the call resolves to with the documented reply: its `data` when enveloped. */
function documentedPayload(row) {
  const example = row.documentedReply.example;
  return row.enveloped ? example?.data : example;
}

let s;
let cms;
const loose = []; // [name, note]
const checked = new Set();

before(async () => {
  s = await server.start();
  if (record) {
    cms = new SonoranCms({ communityId: record.communityId, apiKey: record.apiKey, baseUrl: s.url, rateLimit: 'off', retries: 0 });
  }
});
after(() => s.close());

test('the Rust record exists and covers every operation of the package', () => {
  assert.ok(record, `${FILE} is missing: run \`${PRODUCE}\` first`);
  const names = new Set(rows.map((r) => r.name));
  const missing = OPERATIONS.map(([name]) => name).filter((name) => !names.has(name));
  assert.deepEqual(missing, [], `operations of the package with no Rust record (re-run \`${PRODUCE}\`)`);
  const unknown = rows.map((r) => r.name).filter((name) => !OPERATIONS.some(([n]) => n === name));
  assert.deepEqual(unknown, [], 'Rust records of calls the package does not have');
  assert.equal(rows.length, OPERATIONS.length);
  assert.equal(record.v2Operations, 57);
  assert.equal(record.v1Methods, 33);
});

for (const row of rows) {
  test(`${row.name}: the Rust client's request, the documented reply decoded`, async () => {
    const op = OPERATIONS.find(([name]) => name === row.name);
    assert.ok(op, `${row.name}: no such operation in the package`);
    assert.equal(!!op[1], row.v1, `${row.name}: v1 in the package and in the Rust record`);
    assert.ok(row.reply.ok, `${row.name}: the Rust client did not decode the documented reply: ${row.reply.error}`);
    assert.equal(typeof cms[row.name], 'function', `${row.name}: not a method of SonoranCms`);

    s.answer(() => documentedAnswer(row));
    let reply;
    let failure;
    try {
      reply = await cms[row.name](...structuredClone(row.args));
    } catch (e) {
      failure = e;
    }
    const seen = s.requests;
    const problems = [];
    if (failure) problems.push(`the npm call failed: ${failure.kind ?? ''} ${failure.message}`);
    if (seen.length !== 1) {
      problems.push(`${seen.length} requests, expected 1`);
    } else {
      const got = seen[0];
      const want = row.request;
      const [path, query] = got.url.split(/\?(.*)/s);
      if (got.method !== want.method) problems.push(`method: ${got.method} (npm) vs ${want.method} (Rust)`);
      if (path !== want.path) problems.push(`path: ${path} (npm) vs ${want.path} (Rust)`);
      const q = [queryPairs(query), queryPairs(want.query)].map((p) => JSON.stringify(p));
      if (q[0] !== q[1]) problems.push(`query: ${query} (npm) vs ${want.query} (Rust)`);
      if (got.url.includes(record.apiKey)) problems.push('the API key is in the URL');
      const auth = got.headers.authorization ?? null;
      if (auth !== (want.authorization ?? null)) problems.push(`authorization: ${auth} (npm) vs ${want.authorization} (Rust)`);
      if (want.body !== '' || got.body !== '') {
        const ct = got.headers['content-type'] ?? null;
        if (ct !== (want.contentType ?? null)) problems.push(`content-type: ${ct} (npm) vs ${want.contentType} (Rust)`);
      }
      let gotJson = null;
      try {
        gotJson = got.body === '' ? null : JSON.parse(got.body);
      } catch {
        problems.push(`body is not JSON: ${got.body}`);
      }
      if (want.json === null || want.json === undefined || gotJson === null) {
        if (got.body !== want.body) problems.push(`body: ${JSON.stringify(got.body)} (npm) vs ${JSON.stringify(want.body)} (Rust)`);
      } else {
        const notes = [];
        const out = [];
        diff(gotJson, want.json, '', notes, out);
        problems.push(...out.map((d) => `body ${d}`));
        for (const n of notes) loose.push([row.name, n]);
      }
    }
    if (!failure) {
      const documented = row.documentedReply;
      if (documented.example !== null && documented.example !== undefined) {
        try {
          assert.deepStrictEqual(reply, documentedPayload(row));
        } catch {
          problems.push(`resolved to ${JSON.stringify(reply)?.slice(0, 300)}, not the documented ${JSON.stringify(documentedPayload(row))?.slice(0, 300)}`);
        }
        const meta = row.enveloped && reply !== null && typeof reply === 'object' ? documented.example.meta : undefined;
        try {
          assert.deepStrictEqual(metaOf(reply), meta);
        } catch {
          problems.push(`metaOf: ${JSON.stringify(metaOf(reply))} (documented: ${JSON.stringify(meta)})`);
        }
      } else {
        // No documented body (204): as the Rust client got it.
        const out = [];
        diff(reply ?? null, row.reply.value ?? null, '', [], out);
        problems.push(...out.map((d) => `reply ${d}`));
      }
    }
    assert.deepEqual(problems, [], `${row.name} (${row.operationId}): npm and Rust differ`);
    checked.add(row.name);
  });
}

// The malformed replies of crates/cms/tests/npm_equivalence.rs, each over every operation it
// applies to, and the SonoranError each must give.
const jsonPayload = (row) => row.documentedReply.contentType === 'application/json' && row.documentedReply.example !== null;
const MALFORMATIONS = [
  {
    name: 'not JSON',
    applies: jsonPayload,
    answer: (row) => ({ status: row.documentedReply.status, body: '<html>Bad gateway</html>' }),
    expect: (row, e) => e.kind === 'malformedReply' && e.status === row.documentedReply.status && e.body === '<html>Bad gateway</html>',
  },
  {
    name: 'a v2 reply without the envelope',
    applies: (row) => row.enveloped && jsonPayload(row),
    answer: (row) => {
      const payload = documentedPayload(row);
      const bare = payload === null || typeof payload !== 'object' || Array.isArray(payload) || (!('data' in payload) && !('success' in payload));
      return { status: row.documentedReply.status, body: JSON.stringify(bare ? payload : [payload]) };
    },
    expect: (row, e) => e.kind === 'malformedReply' && e.status === row.documentedReply.status,
  },
  {
    name: '`success: false`',
    applies: (row) => row.enveloped,
    answer: (row) => ({ status: row.documentedReply.status, body: JSON.stringify({ success: false, message: 'Account not found', meta: row.documentedReply.example?.meta }) }),
    expect: (row, e) => e.kind === 'api' && e.status === row.documentedReply.status && e.detail === 'Account not found' && /success: false/.test(e.title),
  },
  {
    name: 'a problem+json error',
    applies: (row) => !row.v1,
    answer: () => ({ status: 404, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such thing.' }) }),
    expect: (row, e) => e.kind === 'api' && e.status === 404 && e.title === 'Not Found' && e.detail === 'No such thing.',
  },
  {
    name: 'a v1 plain-text error',
    applies: (row) => row.v1,
    answer: () => ({ status: 400, headers: { 'content-type': 'text/plain' }, body: 'INVALID API KEY' }),
    expect: (row, e) => e.kind === 'api' && e.status === 400 && e.code === 'InvalidApiKey',
  },
];

for (const m of MALFORMATIONS) {
  test(`${m.name}: a typed SonoranError from every operation it applies to`, async () => {
    assert.ok(record, `${FILE} is missing: run \`${PRODUCE}\` first`);
    const problems = [];
    let applied = 0;
    for (const row of rows) {
      if (!m.applies(row)) continue;
      applied += 1;
      s.answer(() => m.answer(row));
      const outcome = await cms[row.name](...structuredClone(row.args)).then((v) => ({ v }), (e) => ({ e }));
      if (!outcome.e) problems.push(`${row.name}: resolved to ${JSON.stringify(outcome.v)?.slice(0, 200)}`);
      else if (!(outcome.e instanceof SonoranError)) problems.push(`${row.name}: not a SonoranError: ${outcome.e}`);
      else if (!m.expect(row, outcome.e)) problems.push(`${row.name}: ${outcome.e.kind} ${outcome.e.status} ${outcome.e.message}`);
      else if (`${outcome.e.message} ${JSON.stringify(outcome.e)}`.includes(record.apiKey)) problems.push(`${row.name}: the key is in the error`);
    }
    assert.ok(applied > 0, 'applies to no operation');
    assert.deepEqual(problems, [], `${m.name}: ${problems.length} of ${applied} operations`);
  });
}

// The Rust client refuses a reply field of the wrong JSON type (MalformedReply, over 77
// operations in crates/cms/tests/npm_equivalence.rs); the npm package checks the envelope but
// not the payload's shape, and resolves with it as sent.
test.todo('a field of the wrong JSON type: the npm package does not check reply payloads against their schema');

test('summary: every operation compared; null-vs-absent body members', (t) => {
  assert.ok(record, `${FILE} is missing: run \`${PRODUCE}\` first`);
  t.diagnostic(`${checked.size} of ${OPERATIONS.length} operations compared equal`);
  t.diagnostic(`${loose.length} body member(s) null on one side and absent on the other, treated as equal`);
  for (const [name, note] of loose) t.diagnostic(`  ${name}: ${note}`);
  assert.equal(checked.size, OPERATIONS.length, 'every operation of the package compared equal');
});
