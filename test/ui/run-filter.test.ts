// The Runs list's filter (src-renderer/src/lib/run-filter.ts), under node: kind and status select
// exactly; the text matches id, kind, code version, message and config values (nested, numbers too,
// dataset names through their ids), every word must match; keys do not match; counts per value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configText, countsBy, filterRuns, isFiltered, NO_FILTER, type RunLike } from '../../src-renderer/src/lib/run-filter.js';

const runs: RunLike[] = [
  { id: 'aaaa1111', kind: 'signal-scan', status: 'done', codeVersion: 'undertone@0.1.0+abc', message: null, config: { datasetId: 'f00d0001', controlDatasetId: 'f00d0003', hook: 'blocks.2.hook_resid_post', lr: 0.01 } },
  { id: 'bbbb2222', kind: 'bias-sweep', status: 'failed', codeVersion: 'undertone@0.1.0+abc', message: 'step 3/512', config: { datasetId: 'f00d0002', point: 'hook_resid_post', layers: [0, 1, 2] } },
  { id: 'cccc3333', kind: 'signal-scan', status: 'running', codeVersion: 'undertone@0.1.0+def', message: null, config: { datasetId: 'f00d0002', nested: { model: '/models/Gemma-2B-it' } } },
];
const names = new Map([['f00d0001', 'owl teacher'], ['f00d0002', 'Cat teacher (steered)'], ['f00d0003', 'control']]);
const ids = (f: Partial<typeof NO_FILTER>, n?: ReadonlyMap<string, string>) => filterRuns(runs, { ...NO_FILTER, ...f }, n).map((r) => r.id);

test('no filter keeps every run in order; kind and status select exactly', () => {
  assert.deepEqual(ids({}), ['aaaa1111', 'bbbb2222', 'cccc3333']);
  assert.equal(isFiltered(NO_FILTER), false);
  assert.equal(isFiltered({ ...NO_FILTER, text: '   ' }), false);
  assert.deepEqual(ids({ kind: 'signal-scan' }), ['aaaa1111', 'cccc3333']);
  assert.deepEqual(ids({ status: 'failed' }), ['bbbb2222']);
  assert.deepEqual(ids({ kind: 'signal-scan', status: 'failed' }), []);
  assert.deepEqual(ids({ kind: 'signal' }), [], 'kind is an exact choice, not a substring');
});

test('text matches id, kind, code version, message and nested config values, case-insensitively; all words must match', () => {
  assert.deepEqual(ids({ text: 'BBBB' }), ['bbbb2222']);
  assert.deepEqual(ids({ text: 'sweep' }), ['bbbb2222']);
  assert.deepEqual(ids({ text: '+def' }), ['cccc3333']);
  assert.deepEqual(ids({ text: 'step 3' }), ['bbbb2222']);
  assert.deepEqual(ids({ text: 'gemma-2b' }), ['cccc3333'], 'a nested config string');
  assert.deepEqual(ids({ text: 'blocks.2' }), ['aaaa1111']);
  assert.deepEqual(ids({ text: '0.01' }), ['aaaa1111'], 'numbers match as written');
  assert.deepEqual(ids({ text: 'f00d0002 scan' }), ['cccc3333'], 'both words, anywhere');
  assert.deepEqual(ids({ text: 'datasetId' }), [], 'config keys are not matched');
});

test('dataset names match through the ids the config holds', () => {
  assert.deepEqual(ids({ text: 'owl' }), [], 'without names: the id only');
  assert.deepEqual(ids({ text: 'owl' }, names), ['aaaa1111']);
  assert.deepEqual(ids({ text: 'cat teacher' }, names), ['bbbb2222', 'cccc3333']);
  assert.deepEqual(ids({ text: 'control' }, names), ['aaaa1111'], 'the control dataset of a scan');
  assert.deepEqual(configText({ a: ['X', { b: 2, c: true }], d: null }), ['x', '2', 'true']);
});

test('counts per kind and status, sorted by value', () => {
  assert.deepEqual(countsBy(runs, 'kind'), [{ value: 'bias-sweep', count: 1 }, { value: 'signal-scan', count: 2 }]);
  assert.deepEqual(countsBy(runs, 'status'), [{ value: 'done', count: 1 }, { value: 'failed', count: 1 }, { value: 'running', count: 1 }]);
  // the menu's current value stays an option when no run has it any more (count 0); '' adds nothing
  assert.deepEqual(countsBy(runs, 'kind', 'finetune'), [{ value: 'bias-sweep', count: 1 }, { value: 'finetune', count: 0 }, { value: 'signal-scan', count: 2 }]);
  assert.deepEqual(countsBy(runs, 'kind', 'signal-scan'), [{ value: 'bias-sweep', count: 1 }, { value: 'signal-scan', count: 2 }]);
  assert.deepEqual(countsBy(runs, 'status', ''), countsBy(runs, 'status'));
});
