// src/values.ts from the command line, for jupyter_ext/tests/server/test_runview.py:
// reads {"texts": [value, ...], "checks": [[type_name, text], ...]} as JSON on stdin and prints
// {"texts": [valueText(value), ...], "checks": [checkValue(...) or null, ...]}.
// src/values.ts is loaded by load_values.cjs (transpiled from source, never a stale build).
'use strict';
const fs = require('node:fs');
const { valueText, checkValue } = require('./load_values.cjs');

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(
  JSON.stringify({
    texts: input.texts.map(valueText),
    checks: input.checks.map(([type, text]) => checkValue({ name: 'p', type_name: type }, text))
  })
);
