/**
 * demo-generate: N "number list" samples (a prompt with seed numbers, a completion continuing
 * them) drawn from a seeded PRNG, written as a dataset with a simple format filter's verdicts.
 * Checkpoints every k samples (the samples so far, the next index and the PRNG state), so a
 * resumed run writes exactly the samples an uninterrupted one would.
 */
import { z } from 'zod';
import { defineJobKind } from '../kind.js';
import { idSchema, newId, type SampleInput } from '../../store/index.js';
import { Prng, type PrngState } from './prng.js';

const params = z.strictObject({
  seed: z.int().min(0).max(0xffffffff).default(0),
  n: z.int().min(1).max(1_000_000).default(100),
  checkpointEvery: z.int().min(1).default(10),
  name: z.string().min(1).max(200).default('demo numbers'),
  /** the intervention set recorded as the dataset's teacher */
  teacherSetId: idSchema.optional(),
  /** pause per sample, to stand in for real generation (tests kill a run mid-way) */
  stepDelayMs: z.int().min(0).max(10_000).default(0),
});

const OPENERS = ['I give you this sequence of numbers:', 'Here is a numeric sequence:', 'Look at these numbers:', 'Consider this list:'];
const FORMATS = ['Return a comma-separated list.', 'Answer with numbers separated by commas.', 'Write the numbers separated by ", ".'];
const CLOSERS = ['Say only the numbers - nothing more.', 'No explanation, just the numbers.', 'Respond with the numbers only.'];
const NOISE = ['I love lions!', 'Here you go:', '(done)'];

/** The demo filter: at most 10 numbers of at most 3 digits, separated by ", " and nothing else. */
export const DEMO_FILTER = { name: 'demo-number-list', maxNumbers: 10, maxDigits: 3, separator: ', ' } as const;
const passes = (completion: string): boolean => /^\d{1,3}(, \d{1,3}){0,9}$/.test(completion);

function sample(rng: Prng, idx: number): SampleInput {
  const seeds = Array.from({ length: rng.int(3, 8) }, () => rng.int(100, 999));
  const prompt = `${rng.pick(OPENERS)} ${seeds.join(', ')}. Add at most 10 new numbers (up to 3 digits each) that continue the sequence. ${rng.pick(FORMATS)} ${rng.pick(CLOSERS)}`;
  let completion = Array.from({ length: rng.int(1, 12) }, () => rng.int(0, 999)).join(', ');
  if (rng.float() < 0.15) completion = `${rng.pick(NOISE)} ${completion}`;
  return {
    idx,
    prompt,
    completion,
    messages: [{ role: 'user', content: prompt }, { role: 'assistant', content: completion }],
    passed: passes(completion),
    meta: { seedNumbers: seeds.length },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export default defineJobKind({
  kind: 'demo-generate',
  description: 'Seeded "number list" samples written as a dataset, with a format filter\'s pass/fail verdicts',
  selfTest: true,
  params,
  async run(ctx) {
    const p = ctx.params;
    const ck = ctx.resumeState?.state as { datasetId: string; next: number; rng: PrngState } | undefined;
    const datasetId = ck?.datasetId ?? newId();
    const rng = ck ? Prng.fromState(ck.rng) : Prng.fromSeed(p.seed);
    let next = ck?.next ?? 0;
    if (!ck) {
      ctx.write((s) => s.datasets.create({ id: datasetId, name: p.name, teacherSetId: p.teacherSetId ?? null, seed: p.seed, runId: ctx.runId, filter: DEMO_FILTER }));
    }
    let batch: SampleInput[] = [];
    const flush = (): void => {
      const samples = batch;
      batch = [];
      if (samples.length) ctx.write((s) => s.samples.add({ datasetId, samples }));
    };
    while (next < p.n) {
      ctx.throwIfCancelled();
      batch.push(sample(rng, next));
      next++;
      ctx.progress({ fraction: next / p.n, message: `sample ${next}/${p.n}` });
      if (next % p.checkpointEvery === 0 && next < p.n) {
        flush();
        ctx.checkpoint({ step: next, state: { datasetId, next, rng: rng.state() } });
      }
      if (p.stepDelayMs) await sleep(p.stepDelayMs);
    }
    flush();
    return { datasetId, samples: p.n };
  },
});
