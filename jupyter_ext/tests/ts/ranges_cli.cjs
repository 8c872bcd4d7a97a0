// src/values.ts's range check from the command line, for jupyter_ext/tests/server/test_parameter_ranges.py:
// reads {"checks": [[parameter, text], ...]} as JSON on stdin, each parameter as GET /mlcheck/parameters
// gives it (name, type_name, range), and prints [checkValue(parameter, text) or null, ...].
// The source is transpiled with the project's own TypeScript, so the test never reads a stale build.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const extension = path.resolve(__dirname, '..', '..');
const ts = require(path.join(extension, 'node_modules', 'typescript'));
const source = fs.readFileSync(path.join(extension, 'src', 'values.ts'), 'utf8');
const { outputText } = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 }
});
const module_ = { exports: {} };
new Function('module', 'exports', 'require', outputText)(module_, module_.exports, require);
const { checkValue } = module_.exports;

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(input.checks.map(([parameter, text]) => checkValue(parameter, text))));
