// `sonoran-cms` resolved by name through package.json `exports`, as an installed package (a
// temp dir with node_modules/sonoran-cms -> crates/cms-wasm/pkg): CommonJS `require` and ESM
// `import` give the same classes, and both make a call; `sonoran-cms/events` decodes CMS's
// push events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as server from './server.mjs';

const PKG = realpathSync(fileURLToPath(new URL('../../pkg', import.meta.url)));
let dir;
let s;
before(async () => {
  s = await server.start();
  dir = mkdtempSync(join(tmpdir(), 'sonoran-cms-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(PKG, join(dir, 'node_modules', 'sonoran-cms'), 'dir');
  writeFileSync(join(dir, 'consumer.mjs'), [
    "export { SonoranCms, SonoranError, metaOf } from 'sonoran-cms';",
    "export * as events from 'sonoran-cms/events';",
    "export const resolved = import.meta.resolve('sonoran-cms');",
  ].join('\n'));
  writeFileSync(join(dir, 'consumer.cjs'), [
    "module.exports = { ...require('sonoran-cms'), events: require('sonoran-cms/events'), resolved: require.resolve('sonoran-cms') };",
  ].join('\n'));
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await s.close();
});

async function works({ SonoranCms, metaOf }) {
  s.answer(() => server.envelope({ id: 'c1', name: 'Community' }, '/v2/community'));
  const cms = new SonoranCms({ communityId: server.COMMUNITY_ID, apiKey: server.API_KEY, baseUrl: s.url });
  const community = await cms.getCommunity();
  assert.deepEqual(community, { id: 'c1', name: 'Community' });
  assert.equal(metaOf(community).path, '/v2/community');
}

test("require('sonoran-cms') is the CommonJS build, import is the same classes", async () => {
  const cjs = createRequire(join(dir, 'x.cjs'))('./consumer.cjs');
  assert.equal(cjs.resolved, join(PKG, 'index.cjs'));
  await works(cjs);
  const esm = await import(pathToFileURL(join(dir, 'consumer.mjs')));
  assert.equal(fileURLToPath(esm.resolved), join(PKG, 'index.mjs'));
  assert.equal(esm.SonoranCms, cjs.SonoranCms);
  assert.ok(new cjs.SonoranError('x') instanceof esm.SonoranError);
  await works(esm);
});

test('sonoran-cms/events decodes the documented CMS push events', async () => {
  const { events } = await import(pathToFileURL(join(dir, 'consumer.mjs')));
  assert.equal(events.EVENT_PATH, '/sonorancms/events');
  assert.deepEqual([...events.DOCUMENTED_TYPES], ['ACCOUNT_BANNED', 'ACCOUNT_KICKED', 'ACCOUNT_UPDATED']);
  const kicked = events.receivePushEvent(JSON.stringify({ key: 'k', type: 'ACCOUNT_KICKED', data: { discordId: '1', accountId: 'a' } }), 'k');
  assert.deepEqual(kicked, { type: 'ACCOUNT_KICKED', data: { discordId: '1', accountId: 'a' } });
  assert.throws(() => events.decodePushEvent('ACCOUNT_UPDATED', { owner: 'yes' }), (e) => e instanceof events.PushEventError && /owner/.test(e.message));
  assert.throws(() => events.receivePushEvent(JSON.stringify({ key: 'other', type: 'ACCOUNT_KICKED', data: {} }), 'k'), (e) => e.kind === 'wrongKey');
});

test('npm pack ships every file of the package and nothing of CAD', () => {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: PKG, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  assert.equal(packed.name, 'sonoran-cms');
  const shipped = packed.files.map((f) => f.path).sort();
  const present = readdirSync(PKG, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(PKG.length + 1))
    .sort();
  assert.deepEqual(shipped, present);
  assert.ok(shipped.includes('sonoran_cms_bg.wasm') && !shipped.some((f) => f.startsWith('websocket')), shipped.join(', '));
});
