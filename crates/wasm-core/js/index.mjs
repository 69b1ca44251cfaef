// Node, ES modules: `import { @Class@ } from '@package@'`: the CommonJS entry's
// classes themselves, so that `instanceof SonoranError` holds across require and import.
// A template: `cargo xtask wasm` fills in the package's names (`@...@`).
import cjs from './index.cjs';

export const { @Class@, SonoranError/*@envelope@, metaOf@*/ } = cjs;
export * from './enums.mjs';
