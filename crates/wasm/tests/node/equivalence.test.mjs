// Every operation: the npm package sends the same request as the typed Rust client and
// decodes the documented reply.
//
// The Rust half (crates/client/tests/npm_equivalence.rs, `cargo test -p sonoran-cad --test
// npm_equivalence`) calls every v2 operation with a JSON body or none and every v1 method
// with its documented example and writes, per call, the npm arguments and the request the
// fake received to target/npm-equivalence/rust-requests.json (or SONORAN_EQUIVALENCE_FILE).
// This file makes the same calls through the package against the fake and compares method,
// path, query (decoded key/value multisets), authorization, content-type and the body as
// parsed JSON. Any difference fails the test unless ./equivalence-allowed.mjs lists it with
// its reason: a member null on one side and absent on the other (the package sends the
// caller's JSON as written, the Rust client drops unset Options), a query or body equal
// once decoded but different as sent, a reply member null on one side and absent on the
// other. The summary lists the allowed ones and fails on a listed one that no longer occurs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SonoranClient } from '../../pkg/index.mjs';
import { OPERATIONS } from '../../js/generated/operations.mjs';
import * as fake from './fake.mjs';
import { ALLOWED, mustOccur } from './equivalence-allowed.mjs';

const FILE = process.env.SONORAN_EQUIVALENCE_FILE
  ?? fileURLToPath(new URL('../../../../target/npm-equivalence/rust-requests.json', import.meta.url));
const PRODUCE = 'cargo test -p sonoran-cad --test npm_equivalence';

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

/** The Rust request as it would be for the npm side's fake (same credentials apart). */
function expectedFor(rust, creds) {
  const expected = { ...rust };
  if (expected.authorization) expected.authorization = expected.authorization.replace(record.apiKey, creds.apiKey);
  if (expected.json && typeof expected.json === 'object' && !Array.isArray(expected.json)) {
    expected.json = { ...expected.json };
    if (expected.json.id === record.communityId) expected.json.id = creds.communityId;
    if (expected.json.key === record.apiKey) expected.json.key = creds.apiKey;
  }
  return expected;
}

/** The reason a difference is allowed, or undefined; counts the entry as used. */
const used = new Set();
function allowed(name, difference) {
  const entry = ALLOWED.find(([n, d]) => n === name && d === difference);
  if (entry) used.add(entry);
  return entry?.[2];
}

const JSON_KIND = 0;
const TEXT_KIND = 1;
const accepted = []; // [name, difference, reason]: differences the allow-list explains
const checked = new Set();
let client;
let creds;

before(async () => {
  creds = await fake.info();
  client = new SonoranClient(await fake.options());
});

test('the Rust record exists and covers every operation of the package', () => {
  assert.ok(record, `${FILE} is missing: run \`${PRODUCE}\` first`);
  const names = new Set(rows.map((r) => r.name));
  const missing = OPERATIONS.map(([name]) => name).filter((name) => !names.has(name));
  assert.deepEqual(missing, [], `operations of the package with no Rust record (re-run \`${PRODUCE}\`)`);
  assert.ok(rows.length >= OPERATIONS.length, `${rows.length} records for ${OPERATIONS.length} operations`);
  const unknown = rows.map((r) => r.name).filter((name) => !OPERATIONS.some(([n]) => n === name));
  assert.deepEqual(unknown, [], 'Rust records of calls the package does not have');
});

for (const row of rows) {
  test(`${row.name}: same request as the Rust client, documented reply decoded`, async () => {
    const op = OPERATIONS.find(([name]) => name === row.name);
    assert.ok(op, `${row.name}: no such operation in the package`);
    const [, isV1, replyKind] = op;
    assert.equal(!!isV1, row.v1, `${row.name}: v1 in the package and in the Rust record`);
    assert.ok(row.reply.ok, `${row.name}: the Rust client did not decode the documented reply: ${row.reply.error}`);
    assert.equal(typeof client[row.name], 'function', `${row.name}: not a method of SonoranClient`);

    await fake.reset();
    let reply;
    let failure;
    try {
      reply = await client[row.name](...structuredClone(row.args));
    } catch (e) {
      failure = e;
    }
    const seen = await fake.requests();
    const problems = [];
    /** A difference that is not an outright mismatch: allowed with its reason, or a problem. */
    const differs = (difference) => {
      const reason = allowed(row.name, difference);
      if (reason) accepted.push([row.name, difference, reason]);
      else problems.push(`${difference}: not in equivalence-allowed.mjs (review it, add it with its reason, or fix it)`);
    };
    if (failure) problems.push(`the npm call failed: ${failure.kind ?? ''} ${failure.message}`);
    if (seen.length !== 1) {
      problems.push(`${seen.length} requests recorded, expected 1`);
    } else {
      const got = seen[0];
      const want = expectedFor(row.request, creds);
      if (got.method !== want.method) problems.push(`method: ${got.method} (npm) vs ${want.method} (Rust)`);
      if (got.path !== want.path) problems.push(`path: ${got.path} (npm) vs ${want.path} (Rust)`);
      const q = [queryPairs(got.query), queryPairs(want.query)].map((p) => JSON.stringify(p));
      if (q[0] !== q[1]) problems.push(`query: ${got.query} (npm) vs ${want.query} (Rust)`);
      else if ((got.query ?? null) !== (want.query ?? null)) differs(`query text ${got.query} (npm) vs ${want.query} (Rust)`);
      if (got.operationId !== want.operationId) problems.push(`routed to ${got.operationId} (npm) vs ${want.operationId} (Rust)`);
      const auth = got.headers.authorization ?? null;
      if (auth !== (want.authorization ?? null)) problems.push(`authorization: ${auth} (npm) vs ${want.authorization} (Rust)`);
      const ct = got.headers['content-type'] ?? null;
      if (ct !== (want.contentType ?? null)) problems.push(`content-type: ${ct} (npm) vs ${want.contentType} (Rust)`);
      if (want.json === null || got.json === null) {
        if (got.body !== want.body) problems.push(`body: ${JSON.stringify(got.body)} (npm) vs ${JSON.stringify(want.body)} (Rust)`);
      } else {
        const notes = [];
        const out = [];
        diff(got.json, want.json, '', notes, out);
        problems.push(...out.map((d) => `body ${d}`));
        for (const n of notes) differs(`body ${n}`);
        if (out.length === 0 && !row.v1 && got.body !== want.body) differs('body text (same JSON)');
      }
    }
    if (!failure) {
      const documented = row.documentedReply;
      if (replyKind === TEXT_KIND || (documented && documented.contentType === 'text/plain')) {
        if (typeof reply !== 'string') problems.push(`reply: expected text, got ${JSON.stringify(reply)}`);
      } else if (replyKind === JSON_KIND && (reply === undefined || typeof reply === 'string')) {
        problems.push(`reply: expected parsed JSON, got ${JSON.stringify(reply)}`);
      }
      if (documented && documented.example !== null && documented.example !== undefined) {
        try {
          assert.deepStrictEqual(reply, documented.example);
        } catch {
          problems.push(`reply differs from the documented example: ${JSON.stringify(reply)?.slice(0, 300)}`);
        }
      } else {
        // No documented example (the fake answers a synthesized one): as the Rust client got it.
        const out = [];
        const notes = [];
        diff(reply, row.reply.value, '', notes, out);
        problems.push(...out.map((d) => `reply ${d}`));
        for (const n of notes) differs(`reply ${n}`);
      }
    }
    assert.deepEqual(problems, [], `${row.name} (${row.operationId}${row.v1Type ? ` ${row.v1Type}` : ''}): npm and Rust differ`);
    checked.add(row.name);
  });
}

test('summary: every operation compared; every difference allowed, every allowance used', (t) => {
  assert.ok(record, `${FILE} is missing: run \`${PRODUCE}\` first`);
  t.diagnostic(`${checked.size} of ${OPERATIONS.length} operations compared equal`);
  t.diagnostic(`${accepted.length} difference(s) allowed by equivalence-allowed.mjs:`);
  for (const [name, difference, reason] of accepted) t.diagnostic(`  ${name}: ${difference} -- ${reason}`);
  assert.equal(checked.size, OPERATIONS.length, 'every operation of the package compared equal');
  const stale = ALLOWED.filter((entry) => mustOccur(entry) && !used.has(entry)).map(([n, d]) => `${n}: ${d}`);
  assert.deepEqual(stale, [], 'allowed differences that no longer occur: remove them from equivalence-allowed.mjs');
});
