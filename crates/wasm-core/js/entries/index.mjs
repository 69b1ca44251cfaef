// Node, ES modules: `import { @Class@ } from '@package@'`. The CommonJS entry's own exports,
// so that `require` and `import` give the same classes (`instanceof SonoranError` holds
// across both: no dual-package hazard). Node reads the names esbuild's CommonJS output lists.
export * from './index.cjs';
