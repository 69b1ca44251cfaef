// Browsers and bundlers: the `web` build, initialised before the first call.
import init, { SonoranClient as Raw } from './web/sonoran_cad_wasm.js';
import { SonoranError, wrapClient } from './core.mjs';

await init();

export const SonoranClient = wrapClient(Raw);
export { SonoranError };
