// Browsers and bundlers. No top-level await: the module starts loading at import, and a
// client made before it is ready checks its options at its first call, which waits for it.
// esbuild bundles this file with the shared client, the tables and wasm-bindgen's glue into
// the package's browser.mjs. A template: `cargo xtask wasm` fills in the package's names (`@...@`).
import init, * as glue from './glue.mjs';
import { makeClient } from './core.mjs';
import { OPERATIONS, PAGES } from './generated/operations.mjs';

let loaded = null;
const ready = init({ module_or_path: new URL('./@module@', import.meta.url) }).then(() => {
  loaded = glue;
});
// A failed load rejects each call; it must not also be an unhandled rejection.
ready.catch(() => {});

export const @Class@ = makeClient('@Class@', OPERATIONS, () => loaded, ready, null, PAGES);
export { SonoranError/*@envelope@, metaOf@*/ } from './core.mjs';
export * from './generated/enums.mjs';
