// Node, ES modules: `import { createPushHandler } from '@package@/events'`. The CommonJS
// entry's own exports, so that `require` and `import` give the same `PushEventError` class.
export * from './events.cjs';
