// Node: `require('@package@')` and, through it, `import`. esbuild bundles this file with the
// shared client, the tables and wasm-bindgen's glue into the package's one CommonJS file
// (index.cjs), which compiles the module at load. A template: `cargo xtask wasm` fills in the
// package's names (`@...@`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as glue from './glue.mjs';
import { makeClient } from './core.mjs';
import { nodeFetch } from './transport.mjs';
import { OPERATIONS, PAGES } from './generated/operations.mjs';
import * as self from './node.mjs';

glue.initSync({ module: readFileSync(fileURLToPath(new URL('./@module@', import.meta.url))) });

const userAgent = `@package@-js/@version@ (node ${process.version})`;

// Requests go through node:http (transport.mjs) unless the caller passes a `fetch`, or
// replaces the global one after this loads.
const transport = { fetch: nodeFetch, globalAtLoad: globalThis.fetch };

export const @Class@ = makeClient('@Class@', OPERATIONS, () => glue, null, userAgent, PAGES, transport);
export { SonoranError/*@envelope@, metaOf@*/ } from './core.mjs';
export * from './generated/enums.mjs';
// esbuild marks the CommonJS exports as an ES module's (`__esModule`): a default import
// through TypeScript's or Babel's interop (`import x from '@package@'` in CommonJS) reads
// `.default`, which is then the package itself, as the types say.
export default self;
