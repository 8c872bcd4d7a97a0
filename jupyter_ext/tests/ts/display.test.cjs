// The TypeScript value formatter (src/format.ts) against the shared vectors
// (tests/format_vectors.json, also read by the Python test).
// Run by tests/test_format.py as: node --test jupyter_ext/tests/ts/format_vectors.test.cjs
// src/format.ts is transpiled here with the project's own TypeScript (node_modules,
// installed by `pip install -e ./jupyter_ext`), so the test reads the source, never a stale build.
'use strict';
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const test = require('node:test');

const extension = path.resolve(__dirname, '..', '..');
const ts = require(path.join(extension, 'node_modules', 'typescript'));

function load(name) {
  const source = fs.readFileSync(path.join(extension, 'src', `${name}.ts`), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 }
  });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', outputText)(module, module.exports, require);
  return module.exports;
}

const vectorsFile = process.env.MLCHECK_FORMAT_VECTORS || path.resolve(extension, '..', 'tests', 'format_vectors.json');
const { vectors } = JSON.parse(fs.readFileSync(vectorsFile, 'utf8'));
const { formatValue } = load('format');

test('formatValue reads every shared vector as mlcheck/results/format.py does', () => {
  const wrong = vectors
    .map(v => ({ ...v, got: formatValue(v.value, v.digits) }))
    .filter(v => v.got !== v.text);
  assert.deepStrictEqual(wrong, []);
  assert.ok(vectors.length > 20);
});
