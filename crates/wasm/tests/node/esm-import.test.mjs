// Resolution by package name through package.json `exports`, as an installed package:
// a temp dir with node_modules/sonoran-cad -> crates/wasm/pkg (no registry involved).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as fake from './fake.mjs';

const PKG = realpathSync(fileURLToPath(new URL('../../pkg', import.meta.url)));
let dir;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sonoran-cad-consumer-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(PKG, join(dir, 'node_modules', 'sonoran-cad'), 'dir');
  writeFileSync(join(dir, 'consumer.mjs'), [
    "export { SonoranClient, SonoranError } from 'sonoran-cad';",
    "export const resolved = import.meta.resolve('sonoran-cad');",
    "export const manifest = (await import('sonoran-cad/package.json', { with: { type: 'json' } })).default;",
  ].join('\n'));
  writeFileSync(join(dir, 'consumer.cjs'), [
    "module.exports = { ...require('sonoran-cad'), resolved: require.resolve('sonoran-cad') };",
  ].join('\n'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function works(SonoranClient) {
  await fake.reset();
  const client = new SonoranClient(await fake.options());
  assert.equal(await client.setAccountPermissionsV1(fake.SET_PERMISSIONS_V1), 'User account permissions updated.');
}

test("import 'sonoran-cad' resolves to index.mjs and works", async () => {
  const esm = await import(pathToFileURL(join(dir, 'consumer.mjs')));
  assert.equal(fileURLToPath(esm.resolved), join(PKG, 'index.mjs'));
  assert.equal(esm.manifest.name, 'sonoran-cad');
  await works(esm.SonoranClient);
});

test("require('sonoran-cad') resolves to index.cjs and works", async () => {
  const { createRequire } = await import('node:module');
  const cjs = createRequire(import.meta.url)(join(dir, 'consumer.cjs'));
  assert.equal(cjs.resolved, join(PKG, 'index.cjs'));
  await works(cjs.SonoranClient);
});

test('import and require share one build: one SonoranClient, one SonoranError', async () => {
  const { createRequire } = await import('node:module');
  const esm = await import(pathToFileURL(join(dir, 'consumer.mjs')));
  const cjs = createRequire(import.meta.url)(join(dir, 'consumer.cjs'));
  assert.equal(esm.SonoranClient, cjs.SonoranClient);
  assert.equal(esm.SonoranError, cjs.SonoranError);
});

test('files outside `exports` are not reachable by name', async () => {
  writeFileSync(join(dir, 'deep.mjs'), "export * from 'sonoran-cad/core.mjs';");
  await assert.rejects(import(pathToFileURL(join(dir, 'deep.mjs'))), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
});

test("import and require of 'sonoran-cad/events' share one build: one PushEventError, one set of enums", async () => {
  writeFileSync(join(dir, 'events.mjs'), [
    "export { PushEventError, decodePushEvent } from 'sonoran-cad/events';",
    "export { UnitStatus } from 'sonoran-cad';",
  ].join('\n'));
  writeFileSync(join(dir, 'events.cjs'), "module.exports = { ...require('sonoran-cad/events'), UnitStatus: require('sonoran-cad').UnitStatus };");
  const { createRequire } = await import('node:module');
  const esm = await import(pathToFileURL(join(dir, 'events.mjs')));
  const cjs = createRequire(import.meta.url)(join(dir, 'events.cjs'));
  assert.equal(esm.PushEventError, cjs.PushEventError);
  assert.equal(esm.UnitStatus, cjs.UnitStatus);
  // An error thrown through one is an instance of the other's class.
  assert.throws(() => esm.decodePushEvent('EVENT_UNIT_LOGIN', { unit: { status: 'x' } }), cjs.PushEventError);
});
