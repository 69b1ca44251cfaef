'use strict';
// Node, CommonJS: `require('@package@')`. The one module of the package, compiled at load.
// A template: `cargo xtask wasm` fills in the package's names (`@...@`).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const glue = require('./glue.cjs');
const { SonoranError, makeClient, metaOf } = require('./core.cjs');
const { OPERATIONS } = require('./operations.cjs');
const enums = require('./enums.cjs');
const { version } = require('./package.json');

glue.initSync({ module: readFileSync(join(__dirname, '@module@')) });

const userAgent = `@package@-js/${version} (node ${process.version})`;

module.exports = { ...enums, @Class@: makeClient('@Class@', OPERATIONS, () => glue, null, userAgent), SonoranError/*@envelope@, metaOf@*/ };
