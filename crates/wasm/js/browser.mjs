// Browsers and bundlers. No top-level await: the module starts loading at import, and a
// client made before it is ready checks its options at its first call, which waits for it.
import init, * as glue from './glue.mjs';
import { SonoranError, makeClient } from './core.mjs';
import { OPERATIONS } from './operations.mjs';

let loaded = null;
const ready = init({ module_or_path: new URL('./sonoran_cad_bg.wasm', import.meta.url) }).then(() => {
  loaded = glue;
});
// A failed load rejects each call; it must not also be an unhandled rejection.
ready.catch(() => {});

export const SonoranClient = makeClient(OPERATIONS, () => loaded, ready, null);
export { SonoranError };
export * from './enums.mjs';
