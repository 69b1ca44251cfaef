'use strict';
// Node, CommonJS: `require('sonoran-cad')`.
const raw = require('./node/sonoran_cad_wasm.js');
const { SonoranError, wrapClient } = require('./core.cjs');

module.exports = { SonoranClient: wrapClient(raw.SonoranClient), SonoranError };
