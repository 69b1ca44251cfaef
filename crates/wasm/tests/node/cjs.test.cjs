'use strict';
// CommonJS: `require` of the package directory (package.json `main` / `exports.require`).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const FAKE = process.env.SONORAN_FAKE_URL;

test('require(pkg) gives the CommonJS build, and a call succeeds', async () => {
  assert.ok(FAKE, 'SONORAN_FAKE_URL is not set');
  const pkg = path.join(__dirname, '../../pkg');
  assert.equal(require.resolve(pkg), path.join(pkg, 'index.cjs'));
  const { SonoranClient, SonoranError } = require(pkg);
  assert.equal(typeof SonoranClient, 'function');
  assert.ok(new SonoranError('x') instanceof Error);

  await fetch(`${FAKE}/__fake/reset`, { method: 'POST' });
  const { communityId, apiKey } = await (await fetch(`${FAKE}/__fake/info`)).json();
  const client = new SonoranClient({ communityId, apiKey, baseUrl: FAKE, rateLimit: 'off' });
  const r = await client.updateIdentifier({
    accountUuid: '00000000-0000-0000-0000-000000000000',
    identId: 12,
    body: { status: 2 },
  });
  assert.equal(r.identId, 12);
  await assert.rejects(client.updateIdentifier({}), (e) => e instanceof SonoranError && e.kind === 'invalidArgument');
});
