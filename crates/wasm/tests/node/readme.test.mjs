// The README's example of the per-call options, `withResponse()`, abort and "exactly one of"
// (crates/wasm/js/README.md, the block after "Against the fake server"), run as written
// against the fake server: only the package name becomes the built package's path and the
// fake's default address the one this run's fake listens on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FAKE = process.env.SONORAN_FAKE_URL;
const README = fileURLToPath(new URL('../../js/README.md', import.meta.url));
const PKG = fileURLToPath(new URL('../../pkg/index.mjs', import.meta.url));

/** The first ```js block after `heading` in the README. */
function example(heading) {
  const text = readFileSync(README, 'utf8');
  const at = text.indexOf(heading);
  assert.ok(at >= 0, `README has no "${heading}"`);
  const start = text.indexOf('```js\n', at) + '```js\n'.length;
  return text.slice(start, text.indexOf('```', start));
}

test('the README example of per-call options, withResponse, abort and exactly-one runs as written', { skip: !FAKE && 'SONORAN_FAKE_URL is not set' }, async () => {
  const code = example('Against the fake server')
    .replace("from 'sonoran-cad'", `from ${JSON.stringify(PKG)}`)
    .replaceAll('http://127.0.0.1:8787', FAKE);
  const dir = mkdtempSync(join(tmpdir(), 'sonoran-readme-'));
  try {
    writeFileSync(join(dir, 'example.mjs'), code);
    const out = execFileSync(process.execPath, [join(dir, 'example.mjs')], { encoding: 'utf8' }).trim().split('\n');
    assert.equal(out.length, 5, out.join('\n'));
    assert.match(out[0], /^\S+ 200 1 /, 'data.version, status 200, one attempt');
    assert.equal(out[1], 'pacingRefused client undefined true');
    assert.equal(out[2], 'true aborted');
    assert.equal(out[3], 'invalidRequest getAccount: the arguments must have exactly one of `communityUserId`, `roblox`, `discord`, `accountUuid`, `username`; got none');
    assert.ok(out[4].length > 0, 'a username');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the README example of pages as for await loops runs as written', { skip: !FAKE && 'SONORAN_FAKE_URL is not set' }, async () => {
  // The fake answers two pages of getAccounts (25 accounts, then 1: the total), then its documented reply.
  const names = Array.from({ length: 26 }, (_, i) => `user${i}`);
  for (const offset of [0, 25]) {
    const body = { pagination: { limit: 25, offset, total: names.length }, accounts: names.slice(offset, offset + 25).map((username) => ({ username })) };
    const r = await fetch(`${FAKE}/__fake/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ operationId: 'getAccounts', kind: { type: 'json', status: 200, body } }),
    });
    assert.ok(r.ok, await r.text());
  }
  const code = example('Pages as `for await` loops')
    .replace("from 'sonoran-cad'", `from ${JSON.stringify(PKG)}`)
    .replaceAll('http://127.0.0.1:8787', FAKE);
  const dir = mkdtempSync(join(tmpdir(), 'sonoran-readme-'));
  try {
    writeFileSync(join(dir, 'example.mjs'), code);
    const out = execFileSync(process.execPath, [join(dir, 'example.mjs')], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(out, [...names, '26 account(s)']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
