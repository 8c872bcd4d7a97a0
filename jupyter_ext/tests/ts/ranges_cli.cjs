// src/values.ts's range check from the command line, for jupyter_ext/tests/server/test_parameter_ranges.py:
// reads {"checks": [[parameter, text], ...]} as JSON on stdin, each parameter as GET /mlcheck/parameters
// gives it (name, type_name, range), and prints [checkValue(parameter, text) or null, ...].
// src/values.ts is loaded by load_values.cjs (transpiled from source, never a stale build).
'use strict';
const fs = require('node:fs');
const { checkValue } = require('./load_values.cjs');

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(input.checks.map(([parameter, text]) => checkValue(parameter, text))));
