// The TypeScript value formatter (src/format.ts) against the shared vectors
// (tests/format_vectors.json, also read by the Python test), and the card's outcome listing
// (src/card.ts) against the rule of mlcheck/results/format.py.
// Run by tests/test_format.py as: node --test jupyter_ext/tests/ts/display.test.cjs
// src/format.ts is transpiled here with the project's own TypeScript (node_modules,
// installed by `pip install -e ./jupyter_ext`), so the test reads the source, never a stale build.
'use strict';
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const test = require('node:test');

const extension = path.resolve(__dirname, '..', '..');
const ts = require(path.join(extension, 'node_modules', 'typescript'));

const loaded = {};

function load(name) {
  if (!loaded[name]) {
    const source = fs.readFileSync(path.join(extension, 'src', `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 }
    });
    const module = { exports: {} };
    loaded[name] = module.exports;
    // the sources' own relative imports ('./format') load the same way; packages come from node
    const local = id => (id.startsWith('./') ? load(id.slice(2)) : require(id));
    new Function('module', 'exports', 'require', outputText)(module, module.exports, local);
    loaded[name] = module.exports;
  }
  return loaded[name];
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

test('a card lists failed outcomes first and counts the rest as the Python card does', () => {
  const { listedOutcomes, moreLine } = load('card');
  const outcomes = Array.from({ length: 100 }, (_, i) => ({ subject: `s${i}`, passed: i % 7 !== 0 }));
  const listed = listedOutcomes(outcomes);
  assert.deepStrictEqual(
    listed.map(o => o.subject),
    Array.from({ length: 12 }, (_, i) => `s${i * 7}`)
  );
  const result = { name: 'check_x', passed: false, outcomes };
  assert.strictEqual(moreLine(result, listed), '… 3 more failed, 85 more held');
  // a card's view carries the record's counts: 12 listed of 15 failed, 100 in all
  const view = { ...result, outcomes: listed, view: { n_outcomes: 100, n_failed: 15 } };
  assert.strictEqual(moreLine(view, listedOutcomes(listed)), '… 3 more failed, 85 more held');
});
