// The Detect form's job mapping and the signal-scan result reader (src-renderer/src/lib), under node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectJob, fieldLabel, type DetectForm } from '../../src-renderer/src/lib/detect-job.js';
import { residualBiases, scanPairingNote, scanResult, scanVerdict } from '../../src-renderer/src/lib/lab-results.js';
import { compareDrops } from '../../src-main/lab/signal-scan.js';
import { formatValue } from '../../src-renderer/src/lib/format.js';

const form: DetectForm = {
  model: '/m', datasetId: 'd1', controlDatasetId: 'd2', method: 'scan', hook: 'blocks.2.hook_resid_post', point: 'hook_resid_post', layers: '',
  sae: '', mode: 'projected', withError: true, lr: 0.01, l1: 0, steps: 64, batch: 8, seed: 3, limit: null, raw: false, passedOnly: false,
};

test('a signal scan: the dataset, its control and the hook go to signal-scan; a missing or identical control is refused', () => {
  assert.deepEqual(detectJob(form), {
    kind: 'signal-scan',
    params: { model: '/m', datasetId: 'd1', lr: 0.01, l1: 0, steps: 64, batch: 8, seed: 3, raw: false, passedOnly: false, controlDatasetId: 'd2', hook: 'blocks.2.hook_resid_post' },
  });
  assert.throws(() => detectJob({ ...form, controlDatasetId: '' }), /pick a control dataset/);
  assert.throws(() => detectJob({ ...form, controlDatasetId: 'd1' }), /the control must be another dataset/);
  assert.equal(detectJob({ ...form, method: 'resid' }).kind, 'train-bias');
});

test('a signal scan by layer: the hook point and the layers go to signal-scan with byLayer (no hook); out-of-range layers are refused', () => {
  const byLayer = { ...form, scanByLayer: true, layers: '1, 3', nLayers: 5 };
  assert.deepEqual(detectJob(byLayer).params, { model: '/m', datasetId: 'd1', lr: 0.01, l1: 0, steps: 64, batch: 8, seed: 3, raw: false, passedOnly: false, controlDatasetId: 'd2', byLayer: true, point: 'hook_resid_post', layers: [1, 3] });
  assert.equal('layers' in detectJob({ ...byLayer, layers: '' }).params, false, 'every layer');
  assert.throws(() => detectJob({ ...byLayer, layers: '7' }), /layers: 7 is out of range/);
  // the result reader: every layer, and the Bonferroni threshold
  const r = scanResult({ kind: 'signal-scan', config: {}, result: { hook: 'blocks.3.hook_resid_post', signalNats: 0.1, z: 3, suspect: {}, control: {}, vectorIds: {}, bonferroniZ: 2.24, layers: [{ hook: 'blocks.1.hook_resid_post', signalNats: 0.01, z: 0.5 }, { hook: 'blocks.3.hook_resid_post', signalNats: 0.1, z: 3 }] } })!;
  assert.deepEqual([r.byLayer!.bonferroniZ, r.byLayer!.layers.map((l) => [l.hook, l.z])], [2.24, [['blocks.1.hook_resid_post', 0.5], ['blocks.3.hook_resid_post', 3]]]);
  assert.equal(scanResult({ kind: 'signal-scan', config: {}, result: { signalNats: 0 } })!.byLayer, null, 'a one-hook scan');
});

test('a mean activation: no training settings; the control only when picked, and not the dataset itself', () => {
  const mean = { ...form, method: 'mean' as const, limit: 50 };
  assert.deepEqual(detectJob(mean), {
    kind: 'mean-activation',
    params: { model: '/m', datasetId: 'd1', hook: 'blocks.2.hook_resid_post', raw: false, passedOnly: false, controlDatasetId: 'd2', limit: 50 },
  });
  assert.equal('controlDatasetId' in detectJob({ ...mean, controlDatasetId: '' }).params, false);
  assert.throws(() => detectJob({ ...mean, controlDatasetId: 'd1' }), /the control must be another dataset/);
});

test('a sweep: layers parse to a list; a held-out share goes to the job only when set, and must be below 1', () => {
  const sweep = { ...form, method: 'sweep' as const, layers: '0-2, 4' };
  assert.deepEqual(detectJob(sweep).params, { model: '/m', datasetId: 'd1', lr: 0.01, l1: 0, steps: 64, batch: 8, seed: 3, raw: false, passedOnly: false, point: 'hook_resid_post', layers: [0, 1, 2, 4] });
  assert.equal((detectJob({ ...sweep, holdout: 0.25 }).params as { holdout: number }).holdout, 0.25);
  assert.equal('holdout' in detectJob({ ...sweep, holdout: 0 }).params, false);
  assert.throws(() => detectJob({ ...sweep, holdout: 1 }), /held-out share must be from 0 to below 1/);
  // layers beyond the inspected model are refused in the form, not by a failed run
  assert.throws(() => detectJob({ ...sweep, layers: '2, 9', nLayers: 5 }), /layers: 9 is out of range \(the model has 5 layers, 0–4\)/);
  assert.deepEqual(detectJob({ ...sweep, layers: '4', nLayers: 5 }).params.layers, [4]);
});

test('scanResult reads a signal-scan result defensively; scanVerdict reads z', () => {
  const run = {
    kind: 'signal-scan', config: {},
    result: {
      hook: 'blocks.2.hook_resid_post', signalNats: 0.02, signalStderrNats: 0.005, z: 4, biasCosine: 0.7,
      suspect: { trainSamples: 9, heldOutSamples: 3, baseLossNats: 1.7, biasedLossNats: 1.6, dropNats: 0.1, dropStderrNats: 0.01 },
      control: { trainSamples: 9, heldOutSamples: 3, baseLossNats: 1.6, biasedLossNats: 1.52, dropNats: 0.08, dropStderrNats: 'x' },
      vectorIds: { suspect: 'v1', control: 'v2' }, pairs: 3,
    },
  };
  const r = scanResult(run)!;
  assert.deepEqual([r.signalNats, r.z, r.suspect.dropNats, r.control.dropStderrNats, r.vectorIds.control, r.pairs], [0.02, 4, 0.1, null, 'v2', 3]);
  assert.equal(scanResult({ kind: 'signal-scan', config: {}, result: null }), null, 'no result yet');
  assert.match(scanVerdict(4), /^strong evidence/);
  assert.match(scanVerdict(2.5), /^some evidence/);
  assert.match(scanVerdict(0.3), /^no evidence/);
  assert.match(scanVerdict(-2.1), /control is the more learnable/);
  assert.match(scanVerdict(null), /no z/);
});

test('scanVerdict of a scan by layer reads its largest z against the Bonferroni threshold, not the one-test cut-offs', () => {
  // 18 layers: |z| must pass Φ⁻¹(1 − 0.05/36) = 2.991; a largest z of 2.5 (or 2.95) is what chance gives about one time in three
  const bz18 = 2.991;
  assert.match(scanVerdict(2.5, bz18), /^no evidence/);
  assert.match(scanVerdict(2.95, bz18), /^no evidence/);
  assert.doesNotMatch(scanVerdict(2.95, bz18), /some evidence|strong evidence/);
  assert.match(scanVerdict(3.2, bz18), /^evidence of a learnable signal/);
  assert.match(scanVerdict(-3.1, bz18), /control is the more learnable/);
  assert.match(scanVerdict(-2.5, bz18), /^no evidence/);
  assert.match(scanVerdict(null, bz18), /no z/);
  // 3 layers: 2.394
  assert.match(scanVerdict(2.5, 2.394), /^evidence of a learnable signal/);
  // without a threshold (one hook): the one-test reading
  assert.match(scanVerdict(2.5, null), /^some evidence/);
});

test('scanPairingNote: when only some held-out samples pair, the headline says the signal is over the pairs, not the bars\' difference', () => {
  // suspect held out prompts 1..4 (drops 0.1, 0.1, 0.1, 0.5: mean 0.2), the control (filtered apart) only 1..3 (0.05 each)
  const s = { drops: [0.1, 0.1, 0.1, 0.5], prompts: [[1], [2], [3], [4]] };
  const c = { drops: [0.05, 0.05, 0.05], prompts: [[1], [2], [3]] };
  const cmp = compareDrops(s, c);
  assert.equal(cmp.pairs, 3);
  assert.ok(Math.abs(cmp.signalNats - 0.05) < 1e-12, 'the mean of the 3 per-pair differences');
  // the bars: 0.2 and 0.05, whose difference (0.15) is not the signal
  const partial = scanPairingNote({ pairs: 3, suspect: { heldOutSamples: 4 }, control: { heldOutSamples: 3 } })!;
  assert.match(partial, /^Standard error of 3 held-out pairs \(same prompt in both datasets\)\. The signal is the mean difference over these 3 prompts, not the difference of the bars/);
  assert.match(partial, /4 suspect, 3 control\)\.$/);
  // every held-out sample paired: no caveat
  assert.equal(scanPairingNote({ pairs: 45, suspect: { heldOutSamples: 45 }, control: { heldOutSamples: 45 } }), 'Standard error of 45 held-out pairs (same prompt in both datasets).');
  assert.match(scanPairingNote({ pairs: 0, suspect: { heldOutSamples: 4 }, control: { heldOutSamples: 3 } })!, /independent samples/);
  assert.equal(scanPairingNote({ pairs: null, suspect: { heldOutSamples: 4 }, control: { heldOutSamples: 3 } }), null);
});

test('residualBiases: trained residual biases of every kind, newest first; feature biases and LoRA factors left out', () => {
  const v = (id: string, hook: string | null, meta: unknown) => ({ id, hook, meta });
  const all = [
    v('train', 'blocks.2.hook_resid_post', { input: 'add:blocks.2.hook_resid_post' }),
    v('fbias', 'blocks.2.hook_resid_post', { input: 'fbias:blocks.2.hook_resid_post:/sae' }),
    v('lora', null, { input: 'lora.0.q.A' }),
    v('sweep-old', 'blocks.1.hook_resid_post', { lossNats: 1.2 }),
    v('loose', null, null),
    v('scan', 'blocks.3.hook_resid_post', { input: 'add:blocks.3.hook_resid_post', side: 'suspect' }),
  ];
  assert.deepEqual(residualBiases(all).map((x) => x.id), ['scan', 'sweep-old', 'train']);
});

test('formatValue: fixed decimals, small values with significant digits, a dash when missing', () => {
  assert.equal(formatValue(12.5, 4), '12.5000');
  assert.equal(formatValue(0.0034, 4), '0.0034');
  assert.equal(formatValue(0.000034, 4), '0.0000340');
  assert.equal(formatValue(4.2e-8, 4), '4.20e-8');
  assert.equal(formatValue(0, 4), '0.0000');
  assert.equal(formatValue(NaN), '—');
  assert.equal(formatValue(null), '—');
});

test('server issues name the form fields by their labels', () => {
  assert.equal(fieldLabel('params.limit'), 'samples ≤');
  assert.equal(fieldLabel('params.layers.1'), 'layers');
  assert.equal(fieldLabel('params.set.items.0.sae'), 'SAE');
  assert.equal(fieldLabel('params.weirdField'), 'params.weirdField', 'no such field: the path itself');
  assert.equal(fieldLabel(''), '(input)');
});
