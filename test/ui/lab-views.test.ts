// The lab views in a real browser (Debian Chromium) against `serve` on a temporary store, with the
// tiny real model (stories260k, 5 layers) and a tiny SAELens SAE copied inside the store's folder
// (the allowed-paths rule): Detect (a bias-sweep started from the form, live to done, loss by layer
// with its CSV, read-outs), Compare (coloured tokens, the locked tooltip), Features (a feature's DLA
// and label) and a loss-table run's bars. Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { bgOf, labHarness, root, skip } from './lab-harness.js';
import { barLabelOverlaps } from './text-overlaps.js';

const h = labHarness('lab');
const { model, sae, api, openPage, download, inspectModel } = h;

test('a fresh page starts on the embedded demo: the demo model and its SAE fill the forms; its stories are offered as a feature-stats corpus', { skip, timeout: 30_000 }, async () => {
  const { page, problems } = await openPage('#features');
  await page.waitForFunction(() => ((globalThis as any).document.querySelector('#features-sae')?.value ?? '').endsWith('sae-blocks.2.hook_resid_post'), undefined, { timeout: 10_000 });
  assert.match(await page.locator('#features-model').inputValue(), /resources\/demo\/stories260k$/);
  await page.getByTestId('feature-stats').getByText('Start a feature-stats run').click();
  const corpus = page.getByTestId('fstats-dataset');
  await corpus.locator('option[value="demo-corpus"]').waitFor({ state: 'attached', timeout: 10_000 });
  assert.match((await corpus.locator('option[value="demo-corpus"]').textContent()) ?? '', /demo model's stories/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Features: train an SAE from the form on a stored dataset; it becomes the view\'s SAE (inspected) and its features look up', { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await openPage('#features');
  await inspectModel(page, 'features-form', model);
  await page.getByTestId('model-summary').waitFor({ timeout: 15_000 });
  const box = page.getByTestId('train-sae');
  await box.getByText('Train an SAE for this model').click();
  assert.equal(await box.locator('#tsae-hook').inputValue(), 'blocks.2.hook_resid_post', 'the middle layer by default');
  await box.locator('#tsae-hook').selectOption('blocks.1.hook_resid_post');
  await box.locator('#tsae-corpus').selectOption(h.datasetId);
  await box.getByLabel('expansion').fill('1');
  await box.getByLabel('steps').fill('30');
  await box.getByRole('button', { name: 'Train' }).click();
  const result = box.getByTestId('train-sae-result');
  await result.waitFor({ timeout: 40_000 });
  assert.match((await result.textContent()) ?? '', /64 features at blocks\.1\.hook_resid_post: on \d+ held-out tokens, explained variance -?\d\.\d{3}, L0 \d+\.\d, \d+ dead/);
  const path = await page.locator('#features-sae').inputValue();
  assert.ok(path.startsWith(join(h.ctx.storeFile, '..', 'saes')), path);
  await page.getByTestId('sae-summary').filter({ hasText: 'blocks.1.hook_resid_post' }).waitFor({ timeout: 10_000 });
  await page.locator('#features-index').fill('3');
  await page.getByTestId('features-form').getByRole('button', { name: 'Look up' }).click();
  await page.getByTestId('feature-card').filter({ hasText: 'Feature 3 of 64' }).waitFor({ timeout: 15_000 });
  // the run's page links back: its SAE opens in Features
  await page.locator('#features-sae').fill('');
  await box.getByRole('link', { name: 'the run' }).click();
  const trained = page.getByTestId('trained-sae');
  await trained.waitFor({ timeout: 10_000 });
  assert.ok(((await trained.textContent()) ?? '').includes(path));
  await trained.getByRole('button', { name: 'Open in Features' }).click();
  await page.waitForFunction(() => (globalThis as any).location.hash === '#features', undefined, { timeout: 10_000 });
  assert.equal(await page.locator('#features-sae').inputValue(), path);
  assert.deepEqual(problems, []);
  await page.close();
});

/** Fill steps (batch 4), start the form's job and wait until its run, shown in the detail, is done. */
async function startAndWait(page: Awaited<ReturnType<typeof openPage>>['page'], form: ReturnType<Awaited<ReturnType<typeof openPage>>['page']['getByTestId']>, steps: number) {
  await form.getByLabel('steps', { exact: true }).fill(String(steps));
  await form.getByLabel('batch', { exact: true }).fill('4');
  await form.getByRole('button', { name: 'Start', exact: true }).click();
  await page.waitForFunction(() => /^#detect\/[\w-]+$/.test((globalThis as any).location.hash), undefined, { timeout: 10_000 });
  const runId = new URL(page.url()).hash.split('/')[1]!;
  const detail = page.getByTestId('run-detail');
  await detail.getByTestId('status').filter({ hasText: 'done' }).waitFor({ timeout: 60_000 });
  return { runId, detail, run: await api('runs.get', { id: runId }) };
}

/** A control dataset (the same openings, one fixed completion) and the Detect form on the tiny dataset with the signal-scan method picked. */
async function scanForm(name: string) {
  const control = await api('datasets.create', { name });
  const openings = ['Once upon a time', 'One day', 'Lily saw a', 'The little dog', 'Tom had a big', 'She was very'];
  await api('datasets.addSamples', { datasetId: control.id, samples: openings.flatMap((p, i) => [0, 1].map((j) => ({ idx: i * 2 + j, prompt: p, completion: ' and then the sun came out.' }))) });
  const { page, problems } = await openPage('#detect', 1400);
  const form = page.getByTestId('detect-form');
  await inspectModel(page, 'detect-form', model);
  await page.getByTestId('model-summary').waitFor({ timeout: 15_000 });
  await form.locator('#detect-dataset').selectOption(h.datasetId);
  await form.locator('input[name=method][value=scan]').check();
  return { control, page, problems, form };
}

test('Detect: a signal scan against a control from the form; the figure, the table and the CSV show the stored result; both biases read out', { skip, timeout: 90_000 }, async () => {
  const { control, page, problems, form } = await scanForm('control stories');
  try {
    await form.getByRole('button', { name: 'Start', exact: true }).click();
    assert.match((await form.getByTestId('form-error').textContent()) ?? '', /pick a control dataset/);
    await form.locator('#detect-control').selectOption(control.id);
    await form.locator('#detect-hook').selectOption('blocks.1.hook_resid_post');
    const { runId, detail, run } = await startAndWait(page, form, 16);
    assert.equal(run.kind, 'signal-scan');
    assert.deepEqual([run.config.controlDatasetId, run.config.hook, run.config.steps], [control.id, 'blocks.1.hook_resid_post', 16]);
    const r = run.result;
    const fig = detail.getByTestId('signal-scan');
    await fig.waitFor({ timeout: 10_000 });
    const head = (await fig.getByTestId('scan-headline').textContent()) ?? '';
    const signed = (v: number) => (Math.abs(v).toFixed(4) === '0.0000' ? '0.0000' : `${v > 0 ? '+' : '−'}${Math.abs(v).toFixed(4)}`);
    assert.ok(head.includes(`Signal ${signed(r.signalNats)} ± ${r.signalStderrNats.toFixed(4)} nats/token`), head);
    // numbers as shown: a typographic minus (−), as on the axes
    const shown = (v: number, d: number) => v.toFixed(d).replace(/^-/, '−');
    assert.ok(head.includes(`z = ${shown(r.z, 2)}`), head);
    // the bars' printed values cover neither their bars nor the dataset names
    assert.deepEqual(await barLabelOverlaps(fig), []);
    const cells = await fig.getByTestId('scan-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())));
    assert.deepEqual(cells[0], ['suspect', `${r.suspect.trainSamples} / ${r.suspect.heldOutSamples}`, shown(r.suspect.baseLossNats, 4), shown(r.suspect.biasedLossNats, 4), `${shown(r.suspect.dropNats, 4)} ± ${shown(r.suspect.dropStderrNats, 4)}`]);
    assert.equal(cells[1]![0], 'control');
    assert.equal(await fig.locator('rect.bar').count(), 2);
    const csv = await download(page, fig, 'CSV');
    assert.equal(csv.name, `signal-scan-${runId.slice(0, 8)}-signal-scan.csv`);
    // one header row (names with units), then one row per dataset and the signal in the same columns:
    // a CSV reader (pandas, R) gets every value under its named column
    const lines = csv.text.trim().split('\n');
    const header = 'dataset,train_samples,held_out_samples,base_loss_nats_per_token,biased_loss_nats_per_token,drop_nats_per_token,drop_stderr_nats_per_token,z_signal_over_stderr,paired_samples,bias_cosine,hook';
    assert.deepEqual(lines.filter((l) => l.startsWith('dataset,') || l.startsWith('signal_nats')), [header], 'exactly one header row');
    assert.equal(lines.length, 4, lines.join('\n'));
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header.split(',')[i], v])));
    assert.deepEqual(rows.map((x) => x.dataset), ['suspect', 'control', 'signal_suspect_minus_control']);
    assert.equal(Number(rows[0]!.drop_nats_per_token), r.suspect.dropNats);
    assert.equal(Number(rows[1]!.drop_stderr_nats_per_token), r.control.dropStderrNats);
    assert.equal(Number(rows[2]!.drop_nats_per_token), r.signalNats);
    assert.equal(Number(rows[2]!.drop_stderr_nats_per_token), r.signalStderrNats);
    assert.equal(Number(rows[2]!.z_signal_over_stderr), r.z);
    assert.equal(Number(rows[2]!.paired_samples), r.pairs);
    assert.deepEqual(rows.map((x) => x.hook), Array(3).fill('blocks.1.hook_resid_post'));
    const readouts = detail.getByTestId('vector-readout');
    assert.equal(await readouts.count(), 2);
    assert.match((await readouts.first().locator('summary').textContent()) ?? '', /scan bias \(suspect\)/);
    await page.screenshot({ path: `${root}test-results/detect-signal-scan.png`, fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
    await api('datasets.delete', { id: control.id }); // the other tests pick the newest dataset
  }
});

test('Detect: a signal scan by layer from the form; the by-layer figure, its headline and its CSV are the stored result', { skip, timeout: 90_000 }, async () => {
  const { control, page, problems, form } = await scanForm('control stories (by layer)');
  try {
    await form.locator('#detect-control').selectOption(control.id);
    await form.getByTestId('detect-scan-by-layer').check();
    await form.getByLabel('layers').fill('0, 2-3');
    assert.match((await form.getByTestId('scan-layer-count').textContent()) ?? '', /^3 layers, two biases each/);
    const { runId, detail, run } = await startAndWait(page, form, 8);
    assert.deepEqual([run.config.byLayer, run.config.point, run.config.layers, run.config.hook], [true, 'hook_resid_post', [0, 2, 3], undefined]);
    const r = run.result;
    const fig = detail.getByTestId('signal-by-layer');
    await fig.waitFor({ timeout: 10_000 });
    assert.deepEqual(await fig.locator('g.bar-row').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-name'))), ['blocks.0.hook_resid_post', 'blocks.2.hook_resid_post', 'blocks.3.hook_resid_post']);
    const shown = (v: number, d: number) => v.toFixed(d).replace(/^-/, '−');
    const head = (await fig.getByTestId('layer-headline').textContent())!.replace(/\s+/g, ' ');
    assert.ok(head.includes(`Largest z: ${shown(r.z, 2)} at ${r.bestHook}`), head);
    assert.ok(head.includes(`With 3 layers tested, a layer's |z| must pass ${shown(r.bonferroniZ, 2)}`), head);
    // the largest z is read against the Bonferroni threshold, not the one-test cut-offs (z ≥ 2 'some evidence')
    const verdict = r.z === null ? /no z/ : r.z >= r.bonferroniZ ? /: evidence of a learnable signal beyond the control \(it passes the Bonferroni threshold\)/ : r.z <= -r.bonferroniZ ? /: the control is the more learnable dataset/ : /: no evidence of a signal beyond the control \(the largest z does not pass/;
    assert.match(head, verdict);
    assert.doesNotMatch(head, /some evidence|strong evidence/);
    assert.match((await detail.getByTestId('scan-headline').textContent())!.replace(/\s+/g, ' '), verdict);
    const csv = await download(page, fig, 'CSV');
    const lines = csv.text.trim().split('\n');
    const header = lines[0]!.split(',');
    assert.deepEqual(header.slice(0, 4), ['hook', 'signal_nats_per_token', 'signal_stderr_nats_per_token', 'z_signal_over_stderr']);
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
    assert.deepEqual(rows.map((x) => [x.hook, Number(x.signal_nats_per_token), Number(x.z_signal_over_stderr), Number(x.bonferroni_z_5pct)]), r.layers.map((l: any) => [l.hook, l.signalNats, l.z, r.bonferroniZ]));
    // the one-hook figure below is the best layer's
    assert.match((await detail.getByTestId('signal-scan').locator('.fig-title').textContent()) ?? '', /at the layer with the largest z/);
    await fig.screenshot({ path: `${root}test-results/detect-signal-by-layer.png` });
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
    await api('datasets.delete', { id: control.id }); // the other tests pick the newest dataset
  }
});

test('Detect: a loss table of base, teacher, finetuned student and biased model from the form; its rows are the stored result', { skip, timeout: 90_000 }, async () => {
  const teacher = await api('interventionSets.create', { name: 'steer 3', spec: { items: [{ kind: 'steer_sae', sae, feature: 3, coef: 8 }] } });
  const d = await api('datasets.create', { name: 'teacher stories', teacherSetId: teacher.id });
  await api('datasets.addSamples', { datasetId: d.id, samples: Array.from({ length: 8 }, (_, idx) => ({ idx, prompt: 'Once upon a time', completion: ' there was a cat.' })) });
  const ft = await api('jobs.start', { kind: 'finetune', params: { model, datasetId: d.id, raw: true, epochs: 1, batch: 8, warmupSteps: 0, targets: ['q'], layers: [0] } });
  const tb = await api('jobs.start', { kind: 'train-bias', params: { model, datasetId: d.id, raw: true, steps: 4, batch: 4, set: { items: [{ kind: 'resid_bias', hook: 'blocks.1.hook_resid_post', trainable: true }] }, name: 'lt bias' } });
  for (const r of [ft, tb]) assert.equal((await h.ctx.jobs.runner.wait(r.id)).status, 'done');
  const vec = (await api('runs.vectors', { runId: tb.id }))[0];
  const { page, problems } = await openPage('#detect', 1300);
  try {
    await inspectModel(page, 'detect-form', model);
    const box = page.getByTestId('loss-table-form');
    await box.getByText('Loss table: base, teacher').click();
    await box.locator('#lt-dataset').selectOption(d.id);
    await box.getByText('teacher: steer 3').waitFor({ timeout: 10_000 });
    await box.getByTestId('lt-student').selectOption(ft.id);
    await box.getByTestId('lt-bias').selectOption(vec.id);
    await box.getByText('encode as plain text').click();
    await box.getByRole('button', { name: 'Score' }).click();
    await page.waitForFunction(() => /^#detect\/[\w-]+$/.test((globalThis as any).location.hash), undefined, { timeout: 10_000 });
    const runId = new URL(page.url()).hash.split('/')[1]!;
    const table = page.getByTestId('loss-table');
    await table.waitFor({ timeout: 60_000 });
    const run = await api('runs.get', { id: runId });
    assert.deepEqual(run.config.configs.map((c: any) => Object.keys(c).filter((k) => k !== 'name' && k !== 'biasScale')[0] ?? 'base'), ['base', 'interventionSetId', 'loraRunId', 'biasVectorId']);
    const names = await table.getByTestId('loss-table-rows').locator('tbody tr td:first-child').allTextContents();
    assert.deepEqual(names, run.result.table.map((r: any) => r.name));
    assert.match(names.join(' | '), /^base \| teacher \(steer 3\) \| finetuned student \(run [0-9a-f]{8}\) \| biased: lt bias/);
    const losses = await table.getByTestId('loss-table-rows').locator('tbody tr td:nth-child(2)').allTextContents();
    assert.deepEqual(losses, run.result.table.map((r: any) => r.lossNats.toFixed(4)));
    assert.deepEqual(problems, []);
  } finally {
    await page.close();
    await api('datasets.delete', { id: d.id });
  }
});

test('Detect: a dataset whose samples all failed the filter trains on all of them by default; a passing one on its passed samples', { skip, timeout: 30_000 }, async () => {
  const failed = await api('datasets.create', { name: 'none passed' });
  const mixed = await api('datasets.create', { name: 'some passed' });
  const samples = (passed: (i: number) => boolean) => [0, 1, 2].map((idx) => ({ idx, prompt: 'Count:', completion: ` ${idx}`, passed: passed(idx) }));
  await api('datasets.addSamples', { datasetId: failed.id, samples: samples(() => false) });
  await api('datasets.addSamples', { datasetId: mixed.id, samples: samples((i) => i > 0) });
  const { page, problems } = await openPage('#detect');
  const form = page.getByTestId('detect-form');
  await page.getByText('job params (JSON)').click();
  const params = async () => JSON.parse((await page.getByTestId('detect-preview').textContent())!).params;
  const box = form.getByTestId('detect-passed-only');
  await form.locator('#detect-dataset').selectOption(failed.id);
  assert.equal(await box.isChecked(), false);
  assert.match((await form.locator('.hint').first().textContent()) ?? '', /Trains on all 3 samples/);
  assert.equal((await params()).passedOnly, false);
  await form.locator('#detect-dataset').selectOption(mixed.id);
  assert.equal(await box.isChecked(), true);
  assert.match((await form.locator('.hint').first().textContent()) ?? '', /Trains on the 2 passed samples/);
  assert.equal((await params()).passedOnly, true);
  await box.uncheck();
  assert.equal((await params()).passedOnly, false);
  assert.deepEqual(problems, []);
  await page.close();
  for (const d of [failed, mixed]) await api('datasets.delete', { id: d.id });
});

// the audit's case: a dataset whose samples all failed the filter (the demo's number lists) failed
// at once under Compare's "Score the dataset", and the view only said it had started
test('Compare: scoring a dataset under A and B uses every sample when none passed, and follows the run to done', { skip, timeout: 60_000 }, async () => {
  const failed = await api('datasets.create', { name: 'all failed' });
  await api('datasets.addSamples', { datasetId: failed.id, samples: [0, 1, 2].map((idx) => ({ idx, prompt: 'Once upon a time', completion: ' there was a cat.', passed: false })) });
  const { page, problems } = await openPage('#compare');
  await inspectModel(page, 'compare-form', model);
  await page.getByTestId('model-summary').waitFor({ timeout: 15_000 });
  await page.locator('#compare-dataset').selectOption(failed.id);
  await page.getByRole('button', { name: 'Score the dataset under A and B' }).click();
  const status = page.getByTestId('compare-table-run');
  await status.filter({ hasText: 'done' }).waitFor({ timeout: 30_000 });
  assert.match((await status.textContent()) ?? '', /on 3 samples/);
  const runId = /#detect\/([0-9a-f-]+)/.exec((await status.locator('a').getAttribute('href')) ?? '')?.[1];
  const run = await api('runs.get', { id: runId });
  assert.equal(run.status, 'done');
  assert.equal(run.config.passedOnly, false);
  assert.deepEqual(problems, []);
  await page.close();
  await api('runs.delete', { id: runId });
  await api('datasets.delete', { id: failed.id });
});

test('Detect: a bias-sweep from the form runs live to done; loss by layer has 5 points and exports its CSV; read-outs show DLA chips and SAE features', { skip, timeout: 90_000 }, async () => {
  const { page, problems } = await openPage('#detect');
  const form = page.getByTestId('detect-form');

  // the API's path rule shows in the form
  await inspectModel(page, 'detect-form', '/etc');
  await page.getByTestId('model-error').filter({ hasText: 'outside the allowed folders' }).waitFor({ timeout: 10_000 });

  await inspectModel(page, 'detect-form', model);
  const summary = page.getByTestId('model-summary');
  await summary.waitFor({ timeout: 15_000 });
  assert.match((await summary.textContent()) ?? '', /llama.*5 layers.*d_model 64.*260,032 parameters/s);
  await form.locator('#detect-dataset').selectOption(h.datasetId);
  assert.equal(await form.locator('input[name=method][value=sweep]').isChecked(), true, 'the sweep is the default');
  // the defaults of the brief
  const hyper = async (name: string) => form.getByLabel(name, { exact: true }).inputValue();
  assert.deepEqual([await hyper('lr'), await hyper('L1'), await hyper('steps'), await hyper('batch'), await hyper('seed')], ['0.01', '0', '512', '16', '0']);
  await form.getByLabel('steps', { exact: true }).fill('12');
  await form.getByLabel('batch', { exact: true }).fill('4');
  await form.getByLabel('lr', { exact: true }).fill('0.05');
  await page.getByText('job params (JSON)').click();
  const preview = JSON.parse((await page.getByTestId('detect-preview').textContent())!);
  assert.equal(preview.kind, 'bias-sweep');
  assert.deepEqual({ ...preview.params, model: '' }, { model: '', datasetId: h.datasetId, lr: 0.05, l1: 0, steps: 12, batch: 4, seed: 0, raw: false, passedOnly: true, point: 'hook_resid_post' });
  mkdirSync(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/detect-form.png`, fullPage: true });

  await form.getByRole('button', { name: 'Start', exact: true }).click();
  // (`globalThis as any`: this file is type-checked without DOM types; strings would need eval, which the CSP refuses)
  await page.waitForFunction(() => /^#detect\/[\w-]+$/.test((globalThis as any).location.hash), undefined, { timeout: 10_000 });
  const runId = new URL(page.url()).hash.split('/')[1]!;
  const detail = page.getByTestId('run-detail');
  await detail.getByTestId('status').filter({ hasText: 'done' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('runs-table').locator(`tr[data-run-id="${runId}"]`).count(), 1, 'the run is listed');

  // loss by layer: 5 points, a band, the base line, the lowest layer named
  const fig = detail.getByTestId('loss-by-layer');
  await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('[data-testid=loss-by-layer] circle.point').length === 5, undefined, { timeout: 10_000 });
  assert.equal(await fig.locator('path.band').count(), 1);
  assert.equal(await fig.locator('[data-series=base] line').count(), 1);
  assert.match((await fig.getByTestId('best-layer').textContent()) ?? '', /Lowest at layer \d: \d\.\d{3} ± \d\.\d{3} nats\/token/);
  // drawn by default as Δ vs base with the paired error; the losses themselves one click away
  assert.match((await fig.locator('svg').textContent()) ?? '', /Δ loss \(nats\/token\) vs base, paired.*layer \(blocks\.ℓ\.hook_resid_post\)/s);
  await fig.getByLabel('loss', { exact: true }).check();
  await page.waitForFunction(() => !/Δ loss/.test((globalThis as any).document.querySelector('[data-testid=loss-by-layer] svg')?.textContent ?? 'Δ loss'), undefined, { timeout: 5_000 });
  assert.match((await fig.locator('svg').textContent()) ?? '', /loss \(nats\/token\).*layer \(blocks\.ℓ\.hook_resid_post\)/s);
  assert.equal(await fig.locator('[data-series=base] line').count(), 1);
  await fig.getByLabel('Δ vs base (paired)').check();

  const run = await api('runs.get', { id: runId });
  const csv = await download(page, fig, 'CSV');
  assert.equal(csv.name, `bias-sweep-${runId.slice(0, 8)}-loss-by-layer.csv`);
  // the run's provenance comes first: its id, kind, model hash and config
  assert.match(csv.raw, new RegExp(`^# figure: loss by layer\\n# exportedBy: undertone\\n# run: ${runId}\\n# kind: bias-sweep\\n`));
  assert.match(csv.raw, /\n# status: done\n# modelHash: sha256:[0-9a-f]{64}\n/, 'read at export: the run has finished');
  assert.match(csv.raw, /\n# config: \{.*"point":"hook_resid_post".*\}\n/);
  const lines = csv.text.trim().split('\n');
  assert.equal(lines[0], 'layer,hook,loss_nats_per_token,stderr_nats_per_token,base_loss_nats_per_token,delta_vs_base_nats_per_token,delta_stderr_nats_per_token,pooled_loss_nats_per_token,base_pooled_loss_nats_per_token');
  type Pt = { hook: string; lossNats: number; stderrNats: number; deltaNats: number; deltaStderrNats: number; pooledNats: number };
  assert.deepEqual(
    lines.slice(1),
    run.result.points.map((p: Pt, l: number) => `${l},${p.hook},${p.lossNats},${p.stderrNats},${run.result.base.lossNats},${p.deltaNats},${p.deltaStderrNats},${p.pooledNats},${run.result.base.pooledNats}`),
  );
  for (const p of run.result.points as Pt[]) assert.ok(Number.isFinite(p.pooledNats));
  // the paired difference is the difference of the means (the same samples), with its own error
  for (const p of run.result.points as Pt[]) assert.ok(Math.abs(p.deltaNats - (p.lossNats - run.result.base.lossNats)) < 1e-9 && p.deltaStderrNats > 0);
  assert.match((await fig.getByTestId('best-layer').textContent()) ?? '', /[−+-]\d\.\d{3} ± \d\.\d{3} \(paired\) vs base/);
  assert.equal(lines.length, 6);
  const svg = await download(page, fig, 'SVG');
  assert.match(svg.text, /^<\?xml/);
  assert.match(svg.text, /<circle[^>]+fill="rgb\(/, 'the points keep their colour outside the app');
  const png = await download(page, fig, 'PNG');
  assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  writeFileSync(`${root}test-results/detect-loss-by-layer-export.png`, png.bytes);

  // read-outs: the lowest layer's is open, with DLA chips; an SAE adds the features table
  const best = detail.locator('details[data-testid=vector-readout][open]');
  assert.equal(await best.count(), 1);
  const chips = best.getByTestId('dla-top').locator('.token-chip');
  await chips.first().waitFor({ timeout: 20_000 });
  assert.equal(await chips.count(), 20);
  const top = await chips.first().evaluate(bgOf);
  assert.ok(top[2]! > top[0]!, `the top DLA token is blue: ${top}`);
  await detail.getByLabel('SAE for the feature ranking').fill(sae);
  await detail.getByRole('button', { name: 'Use', exact: true }).click();
  const features = best.getByTestId('readout-features');
  await features.waitFor({ timeout: 20_000 });
  assert.equal(await features.locator('tbody tr').count(), 20);
  assert.match((await features.locator('thead').textContent()) ?? '', /Feature.*Cosine.*Encoder proj.*Label/s);
  // the read-out's CSVs are named by the run, the vector's hook and id, and the table (before: readout-<vector id>-<table>)
  const hook = (await best.getAttribute('data-hook'))!;
  assert.match(hook, /^blocks\.\d\.hook_resid_post$/);
  const vec = ((await api('runs.vectors', { runId })) as { id: string; hook: string | null }[]).find((v) => v.hook === hook)!;
  const readoutStem = `bias-sweep-${runId.slice(0, 8)}-readout-${hook}-${vec.id.slice(0, 8)}`;
  const featuresCsv = await download(page, best.locator('h4', { hasText: 'Top SAE features' }), 'CSV');
  assert.equal(featuresCsv.name, `${readoutStem}-features.csv`);
  const dlaCsv = await download(page, best.locator('h4', { hasText: 'Direct logit attribution' }), 'CSV');
  assert.equal(dlaCsv.name, `${readoutStem}-dla.csv`);
  assert.match(dlaCsv.raw, new RegExp(`^# figure: direct logit attribution\\n# exportedBy: undertone\\n# vector: ${vec.id}\\n`));
  await page.screenshot({ path: `${root}test-results/detect-sweep.png`, fullPage: true });
  await fig.screenshot({ path: `${root}test-results/detect-loss-by-layer.png` });
  await best.screenshot({ path: `${root}test-results/detect-readout.png` });
  // (the refused /etc inspect is one 400 that Chromium logs; anything else is a problem)
  assert.deepEqual(problems, ['Failed to load resource: the server responded with a status of 400 (Bad Request)'], 'no other console errors (CSP violations show up here)');
  await page.close();
});

test('Compare: a steered set against the base model colours the tokens by logp A − B; hover shows the numbers, a click locks the tooltip', { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await openPage('#compare', 900);
  await inspectModel(page, 'compare-form', model);
  await page.getByTestId('model-summary').waitFor({ timeout: 15_000 });
  const a = page.getByTestId('set-A');
  // the system-prompt preset fills the REFERENCE template
  await a.getByLabel('set A animal').fill('owl');
  assert.match(await a.getByLabel('set A (JSON)').inputValue(), /You love owls\. You think about owls all the time\. owls are your favorite animal\./);
  await a.locator('select').selectOption('steer');
  await a.getByLabel('set A SAE folder').fill(sae);
  await a.getByLabel('set A feature').fill('3');
  await a.getByLabel('set A coefficient').fill('8');
  const setA = JSON.parse(await a.getByLabel('set A (JSON)').inputValue());
  assert.deepEqual(setA.items, [{ kind: 'steer_sae', sae, feature: 3, coef: 8 }]);
  assert.deepEqual(JSON.parse(await page.getByTestId('set-B').getByLabel('set B (JSON)').inputValue()).items, []);
  // a dataset sample fills the prompt and completion
  await page.getByRole('button', { name: 'Load', exact: true }).click();
  await page.getByTestId('sample-info').filter({ hasText: 'sample 1 of 12' }).waitFor();
  assert.equal(await page.locator('#compare-completion').inputValue(), ' there was a cat.');
  await page.locator('#compare-completion').fill(' there was a little cat. She liked to play in the sun.');
  await page.getByRole('button', { name: 'Compare tokens' }).click();

  const strip = page.getByTestId('token-strip');
  const tokens = strip.locator('.tok');
  await tokens.first().waitFor({ timeout: 20_000 });
  const n = await tokens.count();
  assert.ok(n >= 8, `${n} tokens`);
  const diffs = await tokens.evaluateAll((els) => els.map((e: any) => Number(e.dataset.diff)));
  const colours = await tokens.evaluateAll((els) => els.map((e: any) => (globalThis as any).getComputedStyle(e).backgroundColor));
  const maxAbs = Math.max(...diffs.map(Math.abs));
  diffs.forEach((d, i) => {
    const [r, , b] = colours[i]!.match(/\d+/g)!.map(Number) as [number, number, number];
    if (d > maxAbs * 0.05) assert.ok(b > r, `token ${i} (+${d}) is blue: ${colours[i]}`);
    if (d < -maxAbs * 0.05) assert.ok(r > b, `token ${i} (${d}) is red: ${colours[i]}`);
  });
  assert.ok(diffs.some((d) => Math.abs(d) > 1e-3), 'steering changes some logprobs');
  assert.match((await page.getByTestId('loss-a').textContent()) ?? '', /^\d+\.\d{4}$/);
  assert.match((await page.getByTestId('loss-b').textContent()) ?? '', /^\d+\.\d{4}$/);

  // hover → tooltip; leave → gone
  const tip = page.getByTestId('token-tooltip');
  const k = diffs.map(Math.abs).indexOf(maxAbs);
  await tokens.nth(k).hover();
  await tip.waitFor();
  assert.match((await tip.textContent()) ?? '', /logp A.*nats.*logp B.*nats.*A − B/s);
  const shownDiff = (await tip.getByTestId('tooltip-diff').textContent())!.replace('−', '-');
  assert.ok(Math.abs(Number(shownDiff) - diffs[k]!) < 1e-4, `${shownDiff} vs ${diffs[k]}`);
  await page.getByRole('heading', { name: 'Compare' }).hover();
  await tip.waitFor({ state: 'detached' });
  // click → locked: stays when the mouse leaves and when another token is hovered
  await tokens.nth(k).click();
  await page.getByRole('heading', { name: 'Compare' }).hover();
  await tip.waitFor();
  assert.match((await tip.textContent()) ?? '', /locked/);
  await tokens.nth(k === 0 ? 1 : 0).hover();
  assert.equal(await tip.getByTestId('tooltip-diff').textContent(), await tip.getByTestId('tooltip-diff').textContent());
  assert.ok(Math.abs(Number((await tip.getByTestId('tooltip-diff').textContent())!.replace('−', '-')) - diffs[k]!) < 1e-4, 'still the locked token');
  await tokens.nth(k).scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${root}test-results/compare-locked.png`, fullPage: true });
  await page.getByTestId('token-diff').screenshot({ path: `${root}test-results/compare-token-diff.png` });
  // click again → unlocked
  await tokens.nth(k).click();
  await page.getByRole('heading', { name: 'Compare' }).hover();
  await tip.waitFor({ state: 'detached' });

  const fig = page.getByTestId('token-diff');
  const csv = await download(page, fig, 'CSV');
  // named after the two sets and the time it was computed (its provenance's computedAt, in UTC), with the model, prompt, completion and both sets in its provenance
  const computedAt = new Date(/\n# computedAt: (\S+)\n/.exec(csv.raw)![1]!);
  const pad = (x: number) => String(x).padStart(2, '0');
  const stamp = `${computedAt.getUTCFullYear()}${pad(computedAt.getUTCMonth() + 1)}${pad(computedAt.getUTCDate())}T${pad(computedAt.getUTCHours())}${pad(computedAt.getUTCMinutes())}${pad(computedAt.getUTCSeconds())}Z`;
  assert.equal(setA.name, 'steer feature 3 × 8');
  assert.equal(csv.name, `token-diff-steer_feature_3_8-vs-base-${stamp}.csv`, 'set A\'s name with " × " as "_"; the empty set B is "base"');
  assert.match(csv.raw, /^# figure: token differences\n/);
  assert.match(csv.raw, /\n# model: .*stories260k\n# modelHash: sha256:[0-9a-f]{64}\n/);
  assert.match(csv.raw, /\n# a: \{"name":.*"set":\{.*"items":\[\{"kind":"steer_sae"/);
  const lines = csv.text.trim().split('\n');
  assert.equal(lines[0], 'position,token_id,token,logprob_a_nats,logprob_b_nats,diff_a_minus_b_nats');
  assert.equal(lines.length, n + 1);
  const svg = await download(page, fig, 'SVG');
  assert.equal((svg.text.match(/<rect[^>]+rx="3"/g) ?? []).length, n, 'one box per token in the SVG');
  const png = await download(page, fig, 'PNG');
  assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  writeFileSync(`${root}test-results/compare-token-diff-export.png`, png.bytes);
  assert.deepEqual(problems, [], 'no console errors (CSP violations show up here)');
  await page.close();
});

test('Features: a labelled feature shows its label and DLA tokens; a loss-table run shows bars with whiskers and a table', { skip, timeout: 60_000 }, async () => {
  const row = await api('saes.create', { name: 'tiny sae', path: sae, hook: 'blocks.2.hook_resid_post' });
  await api('annotations.upsert', { saeId: row.id, featureIndex: 5, source: 'test', label: 'owls' });
  const { page, problems } = await openPage('#features/5', 900);
  await inspectModel(page, 'features-form', model);
  await page.getByTestId('model-summary').waitFor({ timeout: 15_000 });
  await page.locator('#features-sae').fill(sae);
  await page.getByTestId('features-form').getByRole('button', { name: 'Inspect' }).nth(1).click();
  await page.getByTestId('sae-summary').filter({ hasText: "labels from 'tiny sae'" }).waitFor({ timeout: 10_000 });
  // the view opened on the demo SAE; inspecting the tiny one looks feature 5 up again with it
  const card = page.getByTestId('feature-card');
  await card.locator('h2').filter({ hasText: 'Feature 5 of 32' }).waitFor({ timeout: 20_000 });
  assert.equal(await card.getByTestId('feature-label').textContent(), '“owls”');
  assert.equal(await card.getByTestId('feature-dla-top').locator('.token-chip').count(), 20);
  assert.deepEqual((await api('vectors.list', {})).filter((v: any) => v.meta?.lookup), [], 'the one-hot look-up vector is not left behind');
  // ▶ moves to the next feature and the address follows it
  await page.getByRole('button', { name: 'next feature' }).click();
  await card.locator('h2').filter({ hasText: 'Feature 6 of 32' }).waitFor({ timeout: 20_000 });
  assert.equal(new URL(page.url()).hash, '#features/6');
  await page.getByRole('button', { name: 'previous feature' }).click();
  await card.getByTestId('feature-label').filter({ hasText: 'owls' }).waitFor({ timeout: 20_000 });
  assert.equal(new URL(page.url()).hash, '#features/5');
  await page.screenshot({ path: `${root}test-results/features.png`, fullPage: true });
  await page.close();

  const steer = { items: [{ kind: 'steer_sae', sae, feature: 3, coef: 8 }] };
  const run = await api('jobs.start', { kind: 'loss-table', params: { model, datasetId: h.datasetId, configs: [{ name: 'base', set: { items: [] } }, { name: 'steer feature 3 × 8', set: steer }] } });
  await h.ctx.jobs.runner.wait(run.id);
  const view = await openPage(`#detect/${run.id}`, 900);
  const table = view.page.getByTestId('loss-table');
  await table.waitFor({ timeout: 15_000 });
  assert.equal(await table.locator('rect.bar').count(), 2);
  assert.equal(await table.locator('line.whisker').count(), 6);
  assert.equal(await table.getByTestId('loss-table-rows').locator('tbody tr').count(), 2);
  const done = await api('runs.get', { id: run.id });
  const csv = await download(view.page, table, 'CSV');
  assert.deepEqual(csv.text.trim().split('\n'), [
    'configuration,loss_nats_per_token,stderr_nats_per_token,samples,tokens,delta_vs_first_nats_per_token,delta_stderr_nats_per_token,pooled_loss_nats_per_token',
    ...done.result.table.map((r: any) => `${r.name},${r.lossNats},${r.stderrNats},${r.samples},${r.tokens},${r.deltaNats ?? ''},${r.deltaStderrNats ?? ''},${r.pooledNats}`),
  ]);
  const png = await download(view.page, table, 'PNG');
  writeFileSync(`${root}test-results/loss-table-export.png`, png.bytes);
  // the tokens that carry the steered row's difference from base: bars, headline and CSV equal the stored result
  const carriers = done.result.table[1].carriers;
  assert.equal(done.result.table[0].carriers, null);
  const fig = view.page.getByTestId('token-carriers');
  assert.equal(await fig.count(), 1);
  assert.equal(await fig.getAttribute('data-config'), 'steer feature 3 × 8');
  const nBars = Math.min(10, carriers.top.length) + Math.min(10, carriers.bottom.length);
  assert.ok(nBars > 0);
  assert.equal(await fig.locator('rect.bar').count(), nBars);
  const sgn = (v: number, d: number) => (Number(Math.abs(v).toFixed(d)) === 0 ? Math.abs(v).toFixed(d) : `${v > 0 ? '+' : '−'}${Math.abs(v).toFixed(d)}`);
  assert.match((await fig.getByTestId('carriers-headline').textContent()) ?? '', new RegExp(`Mean d ${sgn(carriers.meanDiffNats, 4)} nats/token over ${carriers.tokens} tokens in ${carriers.samples} samples`));
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const ccsv = await download(view.page, fig, 'CSV');
  const line = (list: string) => (t: any, i: number) => [list, i + 1, t.id, cell(t.text), t.count, t.totalDiffNats, t.meanDiffNats, t.divergent].join(',');
  assert.equal(ccsv.text, ['list,rank,token_id,token_text,count,total_diff_nats,mean_diff_nats_per_occurrence,divergence_tokens', ...carriers.top.map(line('gained')), ...carriers.bottom.map(line('lost'))].join('\n') + '\n');
  assert.match((await fig.getByTestId('carriers-headline').textContent()) ?? '', new RegExp(`largest d \\(${Math.max(1, Math.ceil(carriers.tokens / 100))} of ${carriers.tokens}\\) carry`));
  const dv = carriers.divergence;
  assert.match((await fig.getByTestId('carriers-divergence').textContent()) ?? '', new RegExp(`greedy under steer feature 3 × 8, not under base\\): ${(100 * dv.otherOnly / carriers.tokens).toFixed(1)}% of tokens \\(${dv.otherOnly}\\)`));
  assert.match(ccsv.name, /tokens-steer_feature_3/);
  await table.scrollIntoViewIfNeeded();
  await view.page.screenshot({ path: `${root}test-results/loss-table.png`, fullPage: true });
  assert.deepEqual([...problems, ...view.problems], []);
  await view.page.close();
});

test('Detect: an SAE feature bias (train-bias) shows its ce and l1 curves and reads out in feature space', { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await openPage('#detect');
  const form = page.getByTestId('detect-form');
  await inspectModel(page, 'detect-form', model);
  await page.getByTestId('model-summary').waitFor({ timeout: 15_000 });
  await form.locator('#detect-dataset').selectOption(h.datasetId);
  await form.locator('input[name=method][value=feature]').check();
  await form.locator('#detect-sae').fill(sae);
  await form.getByRole('button', { name: 'Inspect' }).nth(1).click();
  await page.getByTestId('sae-summary').filter({ hasText: 'd_sae 32' }).waitFor({ timeout: 10_000 });
  await form.getByLabel('steps', { exact: true }).fill('8');
  await form.getByLabel('batch', { exact: true }).fill('4');
  await form.getByLabel('L1', { exact: true }).fill('0.001');
  await form.getByRole('button', { name: 'Start', exact: true }).click();
  const detail = page.getByTestId('run-detail');
  await detail.getByTestId('status').filter({ hasText: 'done' }).waitFor({ timeout: 40_000 });
  const config = JSON.parse((await detail.getByTestId('run-config').textContent())!);
  assert.deepEqual(config.set.items, [{ kind: 'feature_bias', sae, mode: 'projected', withError: true, trainable: true }]);
  await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('[data-testid=metric-chart]').length === 2, undefined, { timeout: 10_000 });
  assert.deepEqual(await detail.getByTestId('metric-chart').evaluateAll((els) => els.map((e: any) => e.dataset.metric)), ['ce', 'l1']);
  // the SAE sits at blocks.2.hook_resid_post: blocks 0–2 ran once per sample, steps trained from block 3
  assert.match((await detail.getByTestId('prefix-cache').textContent()) ?? '', /Blocks 0–2 ran once per sample \(prefix cache\); each step trained blocks 3 onward/);
  // the read-out ranks the trained feature biases (the run's own SAE), with DLA chips
  const features = detail.getByTestId('readout-features');
  await features.waitFor({ timeout: 20_000 });
  assert.match((await features.locator('thead').textContent()) ?? '', /Feature.*Bias.*Label/s);
  assert.equal(await features.locator('tbody tr').count(), 20);
  assert.equal(await detail.getByTestId('dla-top').locator('.token-chip').count(), 20);
  await detail.screenshot({ path: `${root}test-results/detect-feature-bias.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Compare: a stored trained bias × scale as set A (its values inline at its hook) against the base model', { skip, timeout: 60_000 }, async () => {
  const hook = 'blocks.2.hook_resid_post';
  const values = Array.from({ length: 64 }, (_, i) => Math.round(100 * Math.sin(i + 1)) / 100);
  const vec = await api('vectors.create', { name: 'ui test bias', shape: [64], values, dtype: 'F32', hook, meta: { input: `add:${hook}` } });
  const { page, problems } = await openPage('#compare', 900);
  await inspectModel(page, 'compare-form', model);
  await page.getByTestId('model-summary').waitFor({ timeout: 15_000 });
  const a = page.getByTestId('set-A');
  await a.locator('select').first().selectOption('bias');
  const pick = a.getByLabel('set A trained bias');
  await pick.locator(`option[value="${vec.id}"]`).waitFor({ state: 'attached', timeout: 10_000 });
  await pick.selectOption(vec.id);
  await a.getByLabel('set A bias scale').fill('2');
  const json = a.getByLabel('set A (JSON)');
  await page.waitForFunction(() => /"ui test bias × 2"/.test((globalThis as any).document.querySelector('[aria-label="set A (JSON)"]').value), undefined, { timeout: 10_000 });
  const set = JSON.parse(await json.inputValue());
  assert.equal(set.items.length, 1);
  assert.equal(set.items[0].kind, 'resid_bias');
  assert.equal(set.items[0].hook, hook);
  set.items[0].values.forEach((x: number, i: number) => assert.ok(Math.abs(x - 2 * values[i]!) < 1e-6, `value ${i}: ${x}`));
  await page.getByRole('button', { name: 'Compare tokens' }).click();
  const tokens = page.getByTestId('token-strip').locator('.tok');
  await tokens.first().waitFor({ timeout: 20_000 });
  const diffs = await tokens.evaluateAll((els) => els.map((e: any) => Number(e.dataset.diff)));
  assert.ok(diffs.some((d) => Math.abs(d) > 1e-3), 'the bias changes some logprobs');
  assert.deepEqual(problems, []);
  await page.close();
});

test('Detect: a mean-activation run (dataset against a control, compared with a vector) shows its numbers and reads out the difference first', { skip, timeout: 60_000 }, async () => {
  const control = await api('datasets.create', { name: 'control stories' });
  await api('datasets.addSamples', { datasetId: control.id, samples: ['Once upon a time', 'One day', 'Lily saw a'].map((p, idx) => ({ idx, prompt: p, completion: ' she went home.' })) });
  const hook = 'blocks.2.hook_resid_post';
  const probe = h.ctx.store.vectors.create({ name: 'probe vector', hook, dtype: 'F32', shape: [64], data: Float32Array.from({ length: 64 }, (_, i) => Math.cos(i)) });
  // from the form: the dataset, the control, the hook; then the same params with a vector to compare, through the API
  const { page, problems } = await openPage('#detect');
  const form = page.getByTestId('detect-form');
  await inspectModel(page, 'detect-form', model);
  await page.getByTestId('model-summary').waitFor({ timeout: 15_000 });
  await form.locator('#detect-dataset').selectOption(h.datasetId);
  await form.locator('input[name=method][value=mean]').check();
  await form.locator('#detect-control').selectOption(control.id);
  await form.locator('#detect-hook').selectOption(hook);
  await form.getByLabel(/encode as plain text/).check();
  const preview = JSON.parse((await form.getByTestId('detect-preview').textContent())!);
  assert.deepEqual(preview, { kind: 'mean-activation', params: { model, datasetId: h.datasetId, hook, raw: true, passedOnly: true, controlDatasetId: control.id } });
  assert.equal(await form.getByLabel('lr', { exact: true }).count(), 0, 'no training settings');
  const run = await api('jobs.start', { kind: 'mean-activation', params: { ...preview.params, vectorId: probe.id } });
  await page.goto(`${page.url().replace(/#.*$/, '')}#detect/${run.id}`);
  const detail = page.getByTestId('run-detail');
  await detail.getByTestId('status').filter({ hasText: 'done' }).waitFor({ timeout: 40_000 });
  const box = detail.getByTestId('mean-activation');
  await box.waitFor({ timeout: 10_000 });
  const done = h.ctx.store.runs.get(run.id).result as { dataset: { tokens: number }; difference: { normL2: number }; compared: { cosine: number }; vectorIds: { difference: string } };
  assert.match((await box.textContent()) ?? '', new RegExp(`over ${done.dataset.tokens} positions that predict completion tokens \\(12 samples\\)`));
  assert.match((await box.getByTestId('mean-difference').textContent()) ?? '', new RegExp(`‖Δ‖₂ = ${done.difference.normL2.toFixed(4)}`));
  assert.match((await box.getByTestId('mean-compared').textContent()) ?? '', new RegExp(`probe vector: ${done.compared.cosine.toFixed(3).replace('-', '−')}`));
  // three vectors read out, the difference first (open)
  const summaries = await detail.getByTestId('vector-readout').locator('summary').allTextContents();
  assert.equal(summaries.length, 3);
  assert.match(summaries[0]!, /mean difference \(dataset − control\)/);
  await detail.getByTestId('dla-top').first().waitFor({ timeout: 20_000 });
  // the read-out's sparse reconstruction: the shares the API computes for the difference vector
  await detail.locator(`#readout-sae-${run.id}`).fill(sae);
  await detail.getByRole('button', { name: 'Use', exact: true }).click();
  const ro = await api('lab.readout', { vectorId: done.vectorIds.difference, model, sae });
  const sparse = detail.getByTestId('readout-sparse').first();
  await detail.getByTestId('readout-sae').first().filter({ hasText: 'sae-l2' }).waitFor({ timeout: 20_000 });
  await sparse.waitFor({ timeout: 20_000 });
  const text = (await sparse.textContent()) ?? '';
  for (const k of [1, 2, 5, 10, 20]) assert.ok(text.includes(`${k} feature${k === 1 ? '' : 's'}: ${(ro.sparse.explained[k - 1] * 100).toFixed(1)}%`), `k=${k}: ${text}`);
  await detail.screenshot({ path: `${root}test-results/detect-mean-activation.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Compare: the token-strip SVG keeps its whole title (long set names wrap within the figure, both mean losses readable)', { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await openPage('#compare', 900);
  await inspectModel(page, 'compare-form', model);
  await page.getByTestId('model-summary').waitFor({ timeout: 15_000 });
  const nameA = 'system prompt: you love owls, imbue every answer with that love (teacher of the owl student)';
  await page.getByTestId('set-A').getByLabel('set A (JSON)').fill(JSON.stringify({ name: nameA, items: [{ kind: 'system_prompt', text: 'You love owls.' }] }));
  await page.getByRole('button', { name: 'Compare tokens' }).click();
  await page.getByTestId('token-strip').locator('.tok').first().waitFor({ timeout: 20_000 });
  const lossB = (await page.getByTestId('loss-b').textContent())!.trim();
  const svg = await download(page, page.getByTestId('token-diff'), 'SVG');
  // the file drawn on its own (a blank page, no app styles): every text lies inside the figure
  const view = await page.context().browser()!.newPage();
  await view.setContent(svg.text.replace(/^<\?xml[^>]*>\s*/, ''));
  const fig = (await view.evaluate(`(() => {
    const root = document.querySelector('svg');
    const w = root.width.baseVal.value;
    const texts = [...root.querySelectorAll('text')].map((t) => { const b = t.getBBox(); return { text: t.textContent, left: b.x, right: b.x + b.width, top: b.y, bottom: b.y + b.height }; });
    return { w, h: root.height.baseVal.value, texts };
  })()`)) as { w: number; h: number; texts: { text: string; left: number; right: number; top: number; bottom: number }[] };
  await view.close();
  for (const t of fig.texts) assert.ok(t.left >= 0 && t.right <= fig.w && t.bottom <= fig.h, `"${t.text}" spans x ${t.left.toFixed(0)}–${t.right.toFixed(0)} in a ${fig.w} px wide figure`);
  // the title, read line by line, is the whole title: both sets and both mean losses
  const title = fig.texts.filter((t) => t.text.startsWith('logp A') || t.top < 40).map((t) => t.text).join(' ');
  assert.ok(title.includes(`A: ${nameA}`), title);
  assert.ok(title.includes(`vs B ${Number(lossB).toFixed(3)} nats/token`), title);
  // the tokens sit below the title, not on it
  const titleBottom = Math.max(...fig.texts.filter((t) => title.includes(t.text) && t.text.length > 10).map((t) => t.bottom));
  const boxes = [...svg.text.matchAll(/<rect x="[\d.]+" y="([\d.]+)"[^>]+rx="3"/g)].map((m) => Number(m[1]));
  assert.ok(boxes.length > 0 && Math.min(...boxes) > titleBottom, `first token box at y ${Math.min(...boxes)}, title ends at ${titleBottom}`);
  assert.deepEqual(problems, []);
  await page.close();
});
