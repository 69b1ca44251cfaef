// Node, ES modules: `import { SonoranClient } from 'sonoran-cad'`: the CommonJS entry's
// classes themselves, so that `instanceof SonoranError` holds across require and import.
import cjs from './index.cjs';

export const { SonoranClient, SonoranError } = cjs;
export * from './enums.mjs';
