// Node, ES modules: `import { SonoranClient } from 'sonoran-cad'` (the same build as require).
import cjs from './index.cjs';

export const { SonoranClient, SonoranError } = cjs;
