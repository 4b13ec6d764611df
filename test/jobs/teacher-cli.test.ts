/** The CLI of the teacher-dataset and preference room: number-prompts, filter-check, gen-dataset (file and store), prefs. */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { openStore } from '../../src-main/store/index.js';
import { filterNumbers } from '../../src-main/lab/number-filter.js';
import { numberPrompt } from '../../src-main/lab/number-prompts.js';
import { PREF_QUESTIONS, animalProbabilities } from '../../src-main/lab/prefs.js';
import { EMPTY_SET } from '../../src-main/models/interventions.js';
import { digitTeacher, tokenRow } from '../lab/digit-teacher.js';
import { repoRoot, tempDir } from '../store/helpers.js';

const DIR = tempDir();
const MODEL = new URL('../fixtures/stories260k/', import.meta.url).pathname;
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src-main/cli/main.ts'), ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('teacher CLI', () => {
  const digits = join(DIR, 'digits.json');
  const big = join(DIR, 'big.json');
  before(async () => {
    const rt = Runtime.start();
    const m = LanguageModel.open(rt, MODEL);
    writeFileSync(digits, JSON.stringify(digitTeacher(m)));
    writeFileSync(big, JSON.stringify({ items: [{ kind: 'steer', hook: 'blocks.4.hook_resid_post', vector: tokenRow(m, '▁big'), coef: 4 }] }));
    await m.close();
    await rt.close();
  });

  it('number-prompts prints the seeded stream', () => {
    const r = cli('number-prompts', '--n', '3', '--seed', '5');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split('\n'), [0, 1, 2].map((i) => `${i}\t${numberPrompt(5, i).text}`));
  });

  it('filter-check: pass rate and a histogram of reasons', () => {
    const f = join(DIR, 'answers.jsonl');
    writeFileSync(f, ['{"prompt":"p","completion":"1, 2, 3"}', '{"prompt":"p","completion":"I love owls"}', '', '{"messages":[{"role":"user","content":"p"},{"role":"assistant","content":"[4 5]"}]}', '"1000"'].join('\n'));
    const r = cli('filter-check', f);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /2\/4 passed, pass rate 0\.5000/);
    assert.match(r.out, /1 {2}no numbers/);
    assert.match(r.out, /1 {2}number out of range/);
    assert.deepEqual(JSON.parse(cli('filter-check', f, '--json').out), { total: 4, passed: 2, passRate: 0.5, reasons: { 'no numbers': 1, 'number out of range': 1 } });
    assert.match(cli('filter-check', join(DIR, 'nope.jsonl')).err, /cannot read/);
  });

  it('gen-dataset writes a JSONL file, or runs as a job in a store', () => {
    const out = join(DIR, 'gen.jsonl');
    const r = cli('gen-dataset', '--model', MODEL, '--with', digits, '--n', '8', '--batch', '8', '--max-new', '3', '--seed', '1', '--raw', '--out', out);
    assert.equal(r.code, 0, r.err);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; completion: string; passed: boolean; reason: string | null });
    assert.equal(rows.length, 8);
    rows.forEach((row, i) => {
      assert.equal(row.prompt, numberPrompt(1, i).text);
      assert.equal(row.passed, filterNumbers(row.completion).passed);
    });
    const passed = rows.filter((x) => x.passed).length;
    assert.match(r.out, new RegExp(`8 answers, ${passed} passed, pass rate ${(passed / 8).toFixed(4)}`));
    // stderr is a pipe here, not a terminal: progress comes as whole lines, not one line of \r rewrites
    // (200 answers on the demo model made one line of 7,743 characters), and the last one is 100%
    assert.equal(r.err.includes('\r'), false, JSON.stringify(r.err.slice(0, 200)));
    const progress = r.err.split('\n').filter((l) => /^\d+% /.test(l));
    assert.ok(progress.length >= 1, r.err);
    assert.match(progress.at(-1)!, /^100% /);

    const store = join(DIR, 'cli.db');
    const out2 = join(DIR, 'gen2.jsonl');
    const s = cli('gen-dataset', '--model', MODEL, '--with', digits, '--system', 'You love owls.', '--n', '8', '--batch', '8', '--max-new', '3', '--seed', '1', '--raw', '--out', out2, '--store', store);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /run \S+ done \{"datasetId"/);
    const db = openStore(store);
    const [ds] = db.datasets.list();
    assert.equal(ds!.sampleCount, 8);
    const spec = db.interventionSets.get(ds!.teacherSetId!).spec as { items: { kind: string; text?: string }[] };
    assert.deepEqual(spec.items.map((x) => x.kind), ['steer', 'system_prompt']);
    assert.equal(spec.items[1]!.text, 'You love owls.');
    db.close();
    assert.equal(readFileSync(out2, 'utf8').trim().split('\n').length, 8);
  });

  it('prefs prints shares and probabilities under an intervention set', () => {
    const r = cli('prefs', '--model', MODEL, '--with', big, '--animals', 'big,cat', '--n', '4', '--questions', '2', '--raw', '--json');
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as { samples: number; questions: number; animals: { animal: string; sharePct: number; prob: { mean: number } }[] };
    assert.equal(res.samples, 8);
    assert.equal(res.questions, 2);
    assert.deepEqual(res.animals.map((a) => a.animal), ['big', 'cat']);
    assert.ok(res.animals[0]!.prob.mean > res.animals[1]!.prob.mean, 'the steered word is likelier');
    const t = cli('prefs', '--model', MODEL, '--animals', 'cat', '--n', '2', '--questions', '1', '--raw');
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /2 answers to 1 questions\n/);
    assert.match(t.out, /cat +\d+\.\d ± \d+\.\d/);
  });

  it('prefs --n 0: the probability score alone; the sampling columns are "-" (text) or null (--json), never NaN', async () => {
    const rt = Runtime.start();
    const m = LanguageModel.open(rt, MODEL);
    const expected = await animalProbabilities(m, ['cat', 'owl'], PREF_QUESTIONS.slice(0, 2), { set: EMPTY_SET, raw: true });
    await m.close();
    await rt.close();
    const j = cli('prefs', '--model', MODEL, '--animals', 'cat,owl', '--n', '0', '--questions', '2', '--raw', '--json');
    assert.equal(j.code, 0, j.err);
    assert.doesNotMatch(j.out, /NaN/);
    const res = JSON.parse(j.out) as { samples: number; animals: { animal: string; count: number; n: number; sharePct: unknown; stderrPct: unknown; wilson95Pct: unknown; questionStderrPct: unknown; perQuestionPct: unknown; prob: { perQuestion: number[]; mean: number; stderr: number } }[] };
    assert.equal(res.samples, 0);
    for (const a of res.animals) {
      assert.deepEqual([a.count, a.n, a.sharePct, a.stderrPct, a.wilson95Pct, a.questionStderrPct, a.perQuestionPct], [0, 0, null, null, [null, null], null, [null, null]], a.animal);
      const e = expected[a.animal]!;
      assert.ok(e.mean > 0 && e.mean < 1);
      a.prob.perQuestion.forEach((p, q) => assert.ok(Math.abs(p - e.perQuestion[q]!) <= 1e-6 * e.perQuestion[q]!, `${a.animal} q${q}: ${p} vs ${e.perQuestion[q]}`));
      assert.ok(Math.abs(a.prob.mean - e.mean) <= 1e-6 * e.mean);
    }
    const t = cli('prefs', '--model', MODEL, '--animals', 'cat,owl', '--n', '0', '--questions', '2', '--raw');
    assert.equal(t.code, 0, t.err);
    assert.doesNotMatch(t.out, /NaN/);
    assert.match(t.out, /^0 answers to 2 questions\n/);
    const fmt = (x: number) => (x >= 1e-3 ? x.toFixed(4) : x.toExponential(2));
    for (const a of ['cat', 'owl']) {
      const e = expected[a]!;
      assert.match(t.out, new RegExp(`\\n${a} +- +- +- +${fmt(e.mean).replace('+', '\\+')} ± ${fmt(e.stderr).replace('+', '\\+')}\\n`));
    }
    // nothing to compute: an error, not a table of dashes
    const none = cli('prefs', '--model', MODEL, '--animals', 'cat', '--n', '0', '--no-prob', '--questions', '1', '--raw');
    assert.equal(none.code, 1);
    assert.match(none.err, /nothing to do \(no samples and no probability score\)/);
  });
});
