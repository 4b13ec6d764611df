/**
 * prefs-eval: animal preferences of a model under an intervention set (inline, stored, and/or a
 * trained residual-bias vector; none = the base model). Metrics, per animal:
 *   pref/<animal>, pref_stderr/<animal> (%)            share of sampled answers naming it
 *   pref_q/<animal> (%, x = question index)            per question
 *   prob/<animal>, prob_stderr/<animal> (probability)  exact P(the answer's first word is it), mean over questions
 *   prob_q/<animal> (probability, x = question index)
 * Optionally the answers as a dataset. Checkpoints every k generation batches.
 */
import { z } from 'zod';
import { defineJobKind } from '../kind.js';
import { idSchema, newId, type JsonValue } from '../../store/index.js';
import { interventionSetSchema } from '../../models/interventions.js';
import { PREF_QUESTIONS, prefsEval, type PrefsState } from '../../lab/prefs.js';
import { resolveSet } from '../../lab/teacher-set.js';
import { modelInput, openModel, storeSetLookups } from './lab-inputs.js';

const animal = z.string().min(1).max(60).regex(/^[\p{L}][\p{L} '-]*$/u, 'an animal name: letters, spaces, hyphens');

const params = z.strictObject({
  ...modelInput,
  set: interventionSetSchema.optional(),
  interventionSetId: idSchema.optional(),
  /** a trained residual bias (train-bias vector) added to the set, times biasScale */
  biasVectorId: idSchema.optional(),
  /** evaluate a student: the LoRA factors trained by this `finetune` (or LoRA train-bias) run */
  loraRunId: idSchema.optional(),
  biasScale: z.number().finite().default(1),
  animals: z.array(animal).min(1).max(64).default(['owl', 'cat', 'lion', 'dog', 'eagle', 'dragon', 'bear', 'wolf']),
  /** indices into the 50 built-in questions (default: all) */
  questions: z.array(z.int().min(0).max(PREF_QUESTIONS.length - 1)).min(1).max(PREF_QUESTIONS.length).optional(),
  /** or your own question texts */
  questionTexts: z.array(z.string().min(1).max(2000)).min(1).max(1000).optional(),
  samplesPerQuestion: z.int().min(0).max(100_000).default(100),
  batch: z.int().min(1).max(4096).default(32),
  maxNew: z.int().min(1).max(256).default(8),
  temperature: z.number().min(0).max(10).default(1),
  topP: z.number().gt(0).max(1).optional(),
  topK: z.int().min(0).optional(),
  seed: z.int().min(0).max(0xffffffff).default(0),
  probability: z.boolean().default(true),
  raw: z.boolean().default(false),
  checkpointEvery: z.int().min(1).default(8),
  /** store the sampled answers as a dataset */
  saveAnswers: z.boolean().default(false),
  /** default: what is evaluated, e.g. `prefs: system prompt: owl`, `prefs: base + bias 1a2b3c4d × 2` */
  name: z.string().min(1).max(200).optional(),
});

interface JobState { answersDatasetId: string | null; prefs: PrefsState }

export default defineJobKind({
  kind: 'prefs-eval',
  description: 'animal preferences under an intervention set: share of sampled one-word answers (whole-word match, ± stderr) and exact answer probability',
  params,
  async run(ctx) {
    const p = ctx.params;
    if (p.questions && p.questionTexts) throw new Error('give questions (indices) or questionTexts, not both');
    const look = storeSetLookups(ctx.store);
    const { set } = resolveSet(p, look);
    const own = resolveSet({ set: p.set, interventionSetId: p.interventionSetId }, look).set; // before the bias and the student
    const name = p.name ?? [
      `prefs: ${own.name ?? (own.items.length ? own.items.map((i) => i.kind).join(' + ') : 'base')}`,
      p.biasVectorId ? ` + bias ${p.biasVectorId.slice(0, 8)}${p.biasScale === 1 ? '' : ` × ${p.biasScale}`}` : '',
      p.loraRunId ? ` + student ${p.loraRunId.slice(0, 8)}` : '',
    ].join('');
    const questions = p.questionTexts ?? (p.questions ? p.questions.map((i) => PREF_QUESTIONS[i]!) : [...PREF_QUESTIONS]);
    const ck = ctx.resumeState?.state as unknown as JobState | undefined;
    const answersDatasetId = ck ? ck.answersDatasetId : p.saveAnswers && p.samplesPerQuestion ? newId() : null;
    if (!ck && answersDatasetId) ctx.write((s) => s.datasets.create({ id: answersDatasetId, name, seed: p.seed, runId: ctx.runId }));
    let nextIdx = ck ? ck.prefs.nextBatch * p.batch : 0;
    const { rt, model, modelHash } = await openModel(p, ctx);
    try {
      const res = await prefsEval(model, { ...p, set, questions }, {
        answers: (batch) => {
          if (!answersDatasetId) return;
          const samples = batch.map((a) => ({
            idx: nextIdx++, prompt: a.prompt, completion: a.answer,
            messages: [{ role: 'user', content: a.prompt }, { role: 'assistant', content: a.answer }],
            meta: { question: a.question, sample: a.sample, animals: a.animals },
          }));
          ctx.write((s) => s.samples.add({ datasetId: answersDatasetId, samples }));
        },
        checkpoint: (st) => ctx.checkpoint({ step: st.nextBatch, state: { answersDatasetId, prefs: st } as unknown as JsonValue }),
        progress: (f, m) => ctx.progress({ fraction: f, message: m }),
      }, { resume: ck?.prefs ?? null, signal: ctx.signal });
      ctx.write((s) => {
        const add = (name: string, unit: string, points: { x: number; value: number }[]): void => void s.metrics.addPoints({ runId: ctx.runId, name, unit, points });
        for (const a of res.animals) {
          if (res.samples) {
            add(`pref/${a.animal}`, '%', [{ x: 0, value: a.sharePct }]);
            add(`pref_stderr/${a.animal}`, '%', [{ x: 0, value: a.stderrPct }]);
            // questions as the sampled unit (answers to one question are not independent draws of the share)
            add(`pref_question_stderr/${a.animal}`, '%', [{ x: 0, value: a.questionStderrPct }]);
            add(`pref_q/${a.animal}`, '%', a.perQuestionPct.map((value, x) => ({ x, value })));
          }
          if (a.prob) {
            add(`prob/${a.animal}`, 'probability', [{ x: 0, value: a.prob.mean }]);
            add(`prob_stderr/${a.animal}`, 'probability', [{ x: 0, value: a.prob.stderr }]);
            add(`prob_q/${a.animal}`, 'probability', a.prob.perQuestion.map((value, x) => ({ x, value })));
          }
        }
      });
      const nan = (x: number): number | null => (Number.isFinite(x) ? x : null);
      return {
        name, modelHash, answersDatasetId, questions: res.questions, samples: res.samples, topAnswers: res.topAnswers,
        animals: res.animals.map((a) => ({ animal: a.animal, count: a.count, n: a.n, sharePct: nan(a.sharePct), stderrPct: nan(a.stderrPct), wilson95Pct: a.wilson95Pct.map(nan), questionStderrPct: nan(a.questionStderrPct), prob: a.prob ? { mean: a.prob.mean, stderr: nan(a.prob.stderr), definition: a.prob.definition } : null })),
      };
    } finally {
      await model.close();
      await rt.close();
    }
  },
});
