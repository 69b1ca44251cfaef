// The package's types: what every package shares (core.d.ts) and this package's own
// generated surface (types.d.ts: its client class, arguments, results and enums).
// `cargo xtask wasm` ships this file as `index.d.cts` and `index.d.mts`.
export * from './core.js';
export * from './types.js';
