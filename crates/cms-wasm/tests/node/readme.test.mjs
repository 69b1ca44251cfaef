// The README's example of the per-call options, `withResponse()` and abort
// (crates/cms-wasm/js/README.md, the block after "Against the fake server"), run as written
// against this suite's loopback server standing in for the fake: only the package name becomes
// the built package's path, the fake's address the loopback server's, and the community and key
// the ones the loopback server checks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as server from './server.mjs';

const README = fileURLToPath(new URL('../../js/README.md', import.meta.url));
const PKG = fileURLToPath(new URL('../../pkg/index.mjs', import.meta.url));
let s;
before(async () => {
  s = await server.start();
});
after(() => s.close());

/** The first ```js block after `heading` in the README. */
function example(heading) {
  const text = readFileSync(README, 'utf8');
  const at = text.indexOf(heading);
  assert.ok(at >= 0, `README has no "${heading}"`);
  const start = text.indexOf('```js\n', at) + '```js\n'.length;
  return text.slice(start, text.indexOf('```', start));
}

test('the README example of per-call options, withResponse and abort runs as written', async () => {
  s.answer(() => server.envelope({ name: 'Community' }, '/v2/community'));
  const code = example('Against the fake server')
    .replace("from 'sonoran-cms'", `from ${JSON.stringify(PKG)}`)
    .replaceAll('http://127.0.0.1:8788', s.url)
    .replaceAll('YOUR_COMMUNITY_ID', server.COMMUNITY_ID)
    .replaceAll('YOUR_API_KEY', server.API_KEY);
  const dir = mkdtempSync(join(tmpdir(), 'sonoran-cms-readme-'));
  try {
    writeFileSync(join(dir, 'example.mjs'), code);
    // The example runs in a child process, awaited: this one's event loop serves its requests.
    const { stdout: out } = await promisify(execFile)(process.execPath, [join(dir, 'example.mjs')], { encoding: 'utf8' });
    assert.deepEqual(out.trim().split('\n'), ['object true 200 1', 'pacingRefused client undefined', 'aborted 0']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
