// The example experiment (Detect, on the embedded demo model) in Debian Chromium against `serve` on
// a temporary store: the recipe under node (what each job gets), then the button runs the four jobs
// in order; the two datasets, the sweep and the scan are stored and the scan's figure shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXAMPLE_SIZES, exampleAnalysisJobs, exampleDatasetJobs } from '../../src-renderer/src/lib/example-experiment.js';
import { animalPrompt } from '../../src-renderer/src/lib/set-presets.js';
import { labHarness, root, skip } from './lab-harness.js';

const h = labHarness('example');

test('the recipe: a prompted owl teacher and a control on the same prompts (same seed); the scan and the sweep use every answer', () => {
  const [t, c] = exampleDatasetJobs('/m');
  assert.deepEqual(t.params.set, { name: 'system prompt: owl', items: [{ kind: 'system_prompt', text: animalPrompt('owl') }] });
  assert.equal(c.params.set, undefined, 'the control has no intervention');
  assert.equal(t.params.seed, c.params.seed, 'same seed: same number prompts');
  assert.equal(t.params.n, EXAMPLE_SIZES.samples);
  const [scan, sweep] = exampleAnalysisJobs('/m', 'T', 'C');
  assert.deepEqual([scan.kind, scan.params.datasetId, scan.params.controlDatasetId, scan.params.passedOnly], ['signal-scan', 'T', 'C', false]);
  assert.deepEqual([sweep.kind, sweep.params.datasetId, sweep.params.passedOnly], ['bias-sweep', 'T', false]);
});

test('Detect: the example experiment runs its four jobs on the demo model and shows the scan', { skip, timeout: 150_000 }, async () => {
  const { page, problems } = await h.openPage('#detect', 1300);
  const box = page.getByTestId('example-experiment');
  await box.getByText('Example experiment on the demo model').click();
  const t0 = Date.now();
  await box.getByRole('button', { name: 'Run the example' }).click();
  await box.getByTestId('example-progress').filter({ hasText: /step 1\/4/ }).waitFor({ timeout: 10_000 });
  await box.getByTestId('example-done').waitFor({ timeout: 140_000 });
  const seconds = (Date.now() - t0) / 1000;
  const runs = await h.api('runs.list', {});
  const kinds = runs.map((r: any) => r.kind).sort();
  assert.deepEqual(kinds, ['bias-sweep', 'generate-dataset', 'generate-dataset', 'signal-scan']);
  assert.ok(runs.every((r: any) => r.status === 'done' && /resources\/demo\/stories260k$/.test(r.config.model)));
  const names = (await h.api('datasets.list', {})).map((d: any) => d.name);
  assert.ok(names.includes('example: owl teacher') && names.includes('example: control'), names.join(', '));
  await page.getByTestId('signal-scan').waitFor({ timeout: 15_000 });
  assert.match((await page.getByTestId('scan-headline').textContent()) ?? '', /z = [-−]?\d+\.\d{2}/);
  // teacher and control answer the same prompts: the error is that of held-out pairs
  assert.match((await page.getByTestId('scan-pairing').textContent()) ?? '', /Standard error of \d+ held-out pairs/);
  await page.screenshot({ path: `${root}test-results/example-experiment.png`, fullPage: true });
  assert.deepEqual(problems, []);
  console.log(`example experiment: ${seconds.toFixed(1)} s`);
  await page.close();
});
