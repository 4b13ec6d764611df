// The example experiment (Detect, on the embedded demo model) in Debian Chromium against `serve` on
// a temporary store: the recipe under node (what each job gets), then the button runs the four jobs
// in order; the two datasets, the sweep and the scan are stored and the scan's figure shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXAMPLE_SIZES, exampleAnalysisJobs, exampleDatasetJobs, exampleFeatureStatsJob } from '../../src-renderer/src/lib/example-experiment.js';
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
  const stats = exampleFeatureStatsJob('/m', '/sae', '/corpus.txt');
  assert.deepEqual([stats.kind, stats.params.model, stats.params.sae, stats.params.corpusFile, stats.params.maxContexts], ['feature-stats', '/m', '/sae', '/corpus.txt', EXAMPLE_SIZES.statsContexts]);
});

test('Detect: the example experiment runs its five jobs on the demo model and shows the scan, its read-out naming what features fire on', { skip, timeout: 150_000 }, async () => {
  const { page, problems } = await h.openPage('#detect', 1300);
  const box = page.getByTestId('example-experiment');
  await box.getByText('Example experiment on the demo model').click();
  const t0 = Date.now();
  await box.getByRole('button', { name: 'Run the example' }).click();
  await box.getByTestId('example-progress').filter({ hasText: /step 1\/5/ }).waitFor({ timeout: 10_000 });
  await box.getByTestId('example-done').waitFor({ timeout: 140_000 });
  const seconds = (Date.now() - t0) / 1000;
  const runs = await h.api('runs.list', {});
  const kinds = runs.map((r: any) => r.kind).sort();
  assert.deepEqual(kinds, ['bias-sweep', 'feature-stats', 'generate-dataset', 'generate-dataset', 'signal-scan']);
  assert.ok(runs.every((r: any) => r.status === 'done' && /resources\/demo\/stories260k$/.test(r.config.model)));
  const names = (await h.api('datasets.list', {})).map((d: any) => d.name);
  assert.ok(names.includes('example: owl teacher') && names.includes('example: control'), names.join(', '));
  await page.getByTestId('signal-scan').waitFor({ timeout: 15_000 });
  assert.match((await page.getByTestId('scan-headline').textContent()) ?? '', /z = [-−]?\d+\.\d{2}/);
  // teacher and control answer the same prompts: the error is that of held-out pairs
  assert.match((await page.getByTestId('scan-pairing').textContent()) ?? '', /Standard error of \d+ held-out pairs/);
  // the read-out (on the demo SAE) names what its features fire on, from the example's feature statistics
  const stats = runs.find((r: any) => r.kind === 'feature-stats');
  assert.match(stats.config.corpusFile, /resources\/demo\/stories-corpus\.txt$/);
  await page.getByTestId('fires-on-source').first().waitFor({ timeout: 20_000 });
  assert.match((await page.getByTestId('fires-on-source').first().textContent()) ?? '', new RegExp(`run ${stats.id.slice(0, 8)}`));
  assert.ok((await page.getByTestId('fires-on').count()) >= 10, 'most of the 20 features show their tokens');
  await page.screenshot({ path: `${root}test-results/example-experiment.png`, fullPage: true });
  assert.deepEqual(problems, []);
  console.log(`example experiment: ${seconds.toFixed(1)} s`);
  await page.close();
});
