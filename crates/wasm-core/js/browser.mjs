// Browsers and bundlers. No top-level await: the module starts loading at import, and a
// client made before it is ready checks its options at its first call, which waits for it.
// A template: `cargo xtask wasm` fills in the package's names (`@...@`).
import init, * as glue from './glue.mjs';
import { SonoranError, makeClient/*@envelope@, metaOf@*/ } from './core.mjs';
import { OPERATIONS } from './operations.mjs';

let loaded = null;
const ready = init({ module_or_path: new URL('./@module@', import.meta.url) }).then(() => {
  loaded = glue;
});
// A failed load rejects each call; it must not also be an unhandled rejection.
ready.catch(() => {});

export const @Class@ = makeClient('@Class@', OPERATIONS, () => loaded, ready, null);
export { SonoranError/*@envelope@, metaOf@*/ };
export * from './enums.mjs';
