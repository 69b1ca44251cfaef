'use strict';
// Node, CommonJS: `require('sonoran-cad')`. The one module of the package, compiled at load.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const glue = require('./glue.cjs');
const { SonoranError, makeClient } = require('./core.cjs');
const { OPERATIONS } = require('./operations.cjs');
const enums = require('./enums.cjs');
const { version } = require('./package.json');

glue.initSync({ module: readFileSync(join(__dirname, 'sonoran_cad_bg.wasm')) });

const userAgent = `sonoran-cad-js/${version} (node ${process.version})`;

module.exports = { ...enums, SonoranClient: makeClient(OPERATIONS, () => glue, null, userAgent), SonoranError };
