// What the Node tests assert of a failed call (imported by the test files).
import assert from 'node:assert/strict';
import { SonoranError } from '../../pkg/index.mjs';

/** Awaits a rejection: a SonoranError of `kind`, returned. */
export async function rejects(promise, kind) {
  const e = await promise.then(
    (v) => assert.fail(`expected a ${kind} SonoranError, got ${JSON.stringify(v)?.slice(0, 80)}`),
    (e) => e,
  );
  assert.ok(e instanceof SonoranError, `not a SonoranError: ${e}`);
  assert.equal(e.kind, kind, e.message);
  return e;
}
