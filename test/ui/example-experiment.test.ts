// The example experiment (Detect, on the embedded demo model) in Debian Chromium against `serve` on
// a temporary store: the recipe under node (what each job gets), then the button runs the six jobs
// in order; the datasets, statistics, sweep, loss table and scan are stored and their figures show.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXAMPLE_SIZES, exampleAnalysisJobs, exampleDatasetJobs, exampleFeatureStatsJob, exampleLossTableJob } from '../../src-renderer/src/lib/example-experiment.js';
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
  // the loss table: the teacher's data under base (first, the reference) and under the teacher's own set
  const lt = exampleLossTableJob('/m', 'T');
  assert.deepEqual([lt.kind, lt.params.datasetId, lt.params.passedOnly], ['loss-table', 'T', false]);
  assert.deepEqual(lt.params.configs, [{ name: 'base', set: { items: [] } }, { name: 'owl teacher', set: t.params.set }]);
});

test('Detect: the example experiment runs its six jobs on the demo model and shows the scan, its read-out naming what features fire on, and a loss table with the tokens carrying the teacher\'s difference', { skip, timeout: 360_000 }, async () => {
  const { page, problems } = await h.openPage('#detect', 1300);
  const box = page.getByTestId('example-experiment');
  await box.getByText('Example experiment on the demo model').click();
  const t0 = Date.now();
  await box.getByRole('button', { name: 'Run the example' }).click();
  await box.getByTestId('example-progress').filter({ hasText: /step 1\/6/ }).waitFor({ timeout: 10_000 });
  // about 50 s alone; the runner tests two files at once, and on a loaded 2-core machine this has taken over 140 s
  await box.getByTestId('example-done').waitFor({ timeout: 300_000 });
  const seconds = (Date.now() - t0) / 1000;
  const runs = await h.api('runs.list', {});
  const kinds = runs.map((r: any) => r.kind).sort();
  assert.deepEqual(kinds, ['bias-sweep', 'feature-stats', 'generate-dataset', 'generate-dataset', 'loss-table', 'signal-scan']);
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
  // the teacher finds its own data likelier than base; the done line links the loss table, which shows the carriers
  const lt = runs.find((r: any) => r.kind === 'loss-table');
  const [base, teacher] = lt.result.table;
  assert.ok(teacher.lossNats < base.lossNats && teacher.carriers.meanDiffNats > 0, `teacher ${teacher.lossNats} vs base ${base.lossNats}`);
  assert.ok(teacher.carriers.divergence.otherOnly > 0, 'some tokens were the teacher\'s greedy choice and not the base model\'s');
  await page.screenshot({ path: `${root}test-results/example-experiment.png`, fullPage: true });
  await box.getByTestId('example-done').getByRole('link', { name: 'loss table' }).click();
  await page.getByTestId('token-carriers').waitFor({ timeout: 15_000 });
  assert.match((await page.getByTestId('carriers-divergence').textContent()) ?? '', new RegExp(`greedy under owl teacher, not under base\\): [\\d.]+% of tokens \\(${teacher.carriers.divergence.otherOnly}\\)`));
  await page.screenshot({ path: `${root}test-results/example-loss-table.png`, fullPage: true });
  assert.deepEqual(problems, []);
  console.log(`example experiment: ${seconds.toFixed(1)} s`);
  await page.close();
});
