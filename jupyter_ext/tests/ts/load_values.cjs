// src/values.ts as a CommonJS module, for the command-line helpers the Python tests drive
// (ranges_cli.cjs, values_cli.cjs). The source is transpiled with the project's own TypeScript,
// so a test never reads a stale build.
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
module.exports = module_.exports;
