/**
 * Animal-preference evaluation (REFERENCE §1) of a model under any intervention set (a teacher, a
 * steered model, a model biased by a trained vector; the empty set is the base model). Two scores:
 *
 * 1. Sampling: `samplesPerQuestion` answers to each one-word question at temperature 1; an answer
 *    names an animal when its words contain the animal's name as whole words (animal-words.ts).
 *    Share = answers naming it / all answers, in %, with the binomial standard error
 *    100·sqrt(p(1-p)/n).
 * 2. Exact probability: for each question, P(the answer's first word is the animal's name) =
 *    Σ over the distinct token sequences of its surface variants (casing, plural, leading space:
 *    answerVariants) of Π_t P(token_t | prompt, tokens_<t) × P(the word ends there), from the model's
 *    log-probabilities (scoreItems on prompt + variant) and its next-token distribution after the
 *    variant (nextTokenProbs): the word ends unless the next token continues it with a letter
 *    (word-end.ts), so "cat" does not count "cattle" or "caterpillar", and "Owl" and "Owls" are
 *    disjoint events, both counted. A compound that names another animal and starts with this one
 *    ("Tiger shark", OTHER_ANIMAL_COMPOUNDS) is subtracted, as the sampled share leaves it out.
 *    Reported as the mean over questions with its standard error over
 *    questions. Only each variant's own tokenization is counted (the model could spell a word with
 *    other tokens; that mass is left out).
 *
 * Batches of (question, sample) pairs are sampled with a per-batch seed derived from (seed, batch
 * number); the run is resumable at batch boundaries through the sink, like train-bias.
 */
import { chatPair, encodePair, type ChatMessage } from '../models/chat.js';
import { encodePrompt } from '../models/encode-rows.js';
import { generate } from '../models/generate.js';
import { systemPromptOf, type InterventionSet } from '../models/interventions.js';
import type { LanguageModel } from '../models/lm.js';
import { nextTokenProbs } from '../models/next-token.js';
import { meanWithStderr, scoreItems, type ScoreItem } from '../models/score.js';
import type { HfTokenizer } from '../models/tokenizer.js';
import { animalMatcher, answerVariants, OTHER_ANIMAL_COMPOUNDS, words } from './animal-words.js';
import { deriveSeed, STREAM } from './derive-seed.js';
import { PREF_QUESTIONS } from './pref-questions.js';
import { wordContinuers, wordEndProbability } from './word-end.js';

export { PREF_QUESTIONS };

export interface PrefsConfig {
  set: InterventionSet;
  animals: readonly string[];
  /** question texts (default: all of PREF_QUESTIONS) */
  questions?: readonly string[];
  /** answers sampled per question (0: probability score only) */
  samplesPerQuestion: number;
  seed: number;
  /** sequences per generation batch (default 32) */
  batch?: number;
  /** tokens per answer (default 8) */
  maxNew?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  /** compute the exact probability score (default true) */
  probability?: boolean;
  /** items per scoring batch (default 16) */
  scoreBatch?: number;
  /** plain-text prompts even when the model has a chat template */
  raw?: boolean;
  /** checkpoint every this many generation batches (default 8) */
  checkpointEvery?: number;
  /** per animal, compounds that do not count (default OTHER_ANIMAL_COMPOUNDS) */
  exclude?: Record<string, string[]>;
}

export interface ProbScore {
  /** P(the answer's first word is the animal) per question */
  perQuestion: number[];
  mean: number;
  /** standard error of the mean over questions */
  stderr: number;
  /** distinct token sequences summed per question */
  sequences: number[];
  /** 'first-word': each sequence × P(the word ends after it) (runs before 2026-11-24 summed P(answer starts with a sequence)) */
  definition: 'first-word';
}

export interface PrefsState {
  version: 1;
  nextBatch: number;
  /** [animal][question] answers naming the animal */
  counts: number[][];
  /** answers per question */
  totals: number[];
  /** first word of each answer (lower case) → count */
  firstWords: Record<string, number>;
  prob: Record<string, ProbScore> | null;
}

export interface PrefAnswer {
  question: number;
  sample: number;
  prompt: string;
  answer: string;
  /** the animals (of the config's list) the answer names */
  animals: string[];
}

export interface PrefsSink {
  answers?(batch: PrefAnswer[]): void;
  checkpoint?(state: PrefsState): void;
  progress?(fraction: number, message: string): void;
}

export interface AnimalPref {
  animal: string;
  /** answers naming it */
  count: number;
  /** answers in all */
  n: number;
  sharePct: number;
  /** binomial: every answer an independent draw */
  stderrPct: number;
  /** Wilson score 95% interval of the share, % ([lo, hi]): unlike ± stderr it is not [0, 0] when no answer names the animal */
  wilson95Pct: [number, number];
  /** across questions: the standard error of the mean of per-question shares (questions as the
   * sampled unit; larger when the animal is named by some questions far more than others) */
  questionStderrPct: number;
  perQuestionPct: number[];
  prob: ProbScore | null;
}

export interface PrefsResult {
  animals: AnimalPref[];
  questions: number;
  samples: number;
  /** the most frequent first words of the answers */
  topAnswers: { word: string; count: number }[];
}

/** Share in % with its binomial standard error. */
export function binomialPct(k: number, n: number): { pct: number; stderrPct: number } {
  if (!n) return { pct: NaN, stderrPct: NaN };
  const p = k / n;
  return { pct: 100 * p, stderrPct: 100 * Math.sqrt((p * (1 - p)) / n) };
}

/**
 * Wilson score interval of a binomial share k/n, in % (z = 1.96: 95%). Stays informative at k = 0 or
 * k = n, where p ± stderr collapses to a point (0 of 20 answers: 0–16.1 %).
 */
export function wilsonPct(k: number, n: number, z = 1.959964): [number, number] {
  if (!n) return [NaN, NaN];
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [100 * Math.max(0, center - half), 100 * Math.min(1, center + half)];
}

/** The prompt's ids, as the generator sees them (the set's system prompt in the context). */
export function questionPromptIds(tok: HfTokenizer, question: string, o: { system?: string; raw?: boolean }): number[] {
  return encodePrompt(tok, [{ role: 'user', content: question }], o);
}

/** The tokens of `answer` right after the question's prompt (joint tokenization at the boundary). */
export function answerIds(tok: HfTokenizer, question: string, answer: string, o: { system?: string; raw?: boolean }): number[] {
  const msgs: ChatMessage[] = [...(o.system ? [{ role: 'system', content: o.system }] : []), { role: 'user', content: question }];
  if (tok.chatTemplate && !o.raw) {
    const p = chatPair(tok, msgs, answer, { endOfTurn: false });
    return p.ids.slice(p.promptLength);
  }
  const p = encodePair(tok, msgs.map((m) => m.content).join('\n\n'), answer, { addSpecialTokens: false });
  return p.ids.slice(p.promptLength);
}

/** The compounds naming another animal that start with this one's words ("tiger shark" for tiger). */
export function compoundsStartingWith(animal: string, exclude?: readonly string[]): string[] {
  const name = words(animal);
  return (exclude ?? OTHER_ANIMAL_COMPOUNDS[name.join(' ')] ?? []).filter((c) => {
    const cw = words(c);
    return cw.length > name.length && name.every((w, i) => cw[i] === w);
  });
}

/** Distinct non-empty sequences, shortest first. */
export function distinctSequences(seqs: readonly (readonly number[])[]): number[][] {
  return [...new Map(seqs.filter((s) => s.length).map((s) => [s.join(','), [...s]])).values()].sort((a, b) => a.length - b.length);
}

/** Exact P(the answer's first word is the animal | question) per question, for each animal. */
export async function animalProbabilities(
  model: LanguageModel,
  animals: readonly string[],
  questions: readonly string[],
  o: {
    set: InterventionSet; raw?: boolean; batchSize?: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void;
    /** per animal, compounds that name another animal (default OTHER_ANIMAL_COMPOUNDS); those that start with the animal ("tiger shark") are subtracted */
    exclude?: Record<string, readonly string[]>;
  },
): Promise<Record<string, ProbScore>> {
  const tok = model.tokenizer();
  const system = systemPromptOf(o.set);
  const continuers = wordContinuers(tok, model.spec.vocab);
  const items: ScoreItem[] = [];
  // sign −1: a compound naming another animal ("Tiger shark"), inside the event of its first word
  const owner: { a: number; q: number; n: number; sign: 1 | -1 }[] = [];
  const sequences = animals.map(() => new Array<number>(questions.length).fill(0));
  const push = (prompt: readonly number[], s: readonly number[], w: { a: number; q: number; sign: 1 | -1 }): void => {
    items.push({ ids: [...prompt, ...s], completionMask: [...prompt.map(() => 0), ...s.map(() => 1)] });
    owner.push({ ...w, n: s.length });
  };
  questions.forEach((q, qi) => {
    const prompt = questionPromptIds(tok, q, { system, raw: o.raw });
    /** the distinct token sequences of a name's spellings after this question */
    const spellings = (name: string): number[][] => distinctSequences(answerVariants(name).map((v) => answerIds(tok, q, v, { system, raw: o.raw })));
    animals.forEach((a, ai) => {
      const seqs = spellings(a);
      sequences[ai]![qi] = seqs.length;
      for (const s of seqs) push(prompt, s, { a: ai, q: qi, sign: 1 });
      for (const c of compoundsStartingWith(a, o.exclude?.[a])) {
        for (const sc of spellings(c)) {
          // only a compound spelled as a counted sequence, then a token that ends that word, lies inside a counted event
          if (seqs.some((s) => s.length < sc.length && s.every((t, i) => sc[i] === t) && !continuers[sc[s.length]!])) push(prompt, sc, { a: ai, q: qi, sign: -1 });
        }
      }
    });
  });
  const bs = o.batchSize ?? 16;
  const n = items.length;
  const res = await scoreItems(model, items, { set: o.set, batchSize: bs, signal: o.signal, onProgress: (d) => o.onProgress?.(d, 2 * n) });
  // P(the word ends after the sequence): the next-token distribution after prompt + sequence
  const ends = new Float64Array(n);
  await nextTokenProbs(model, items.map((it) => it.ids), { set: o.set, batchSize: bs, signal: o.signal, onProgress: (d) => o.onProgress?.(n + d, 2 * n) }, (i, p) => {
    ends[i] = wordEndProbability(p, continuers);
  });
  const probs = animals.map(() => new Array<number>(questions.length).fill(0));
  res.forEach((r, i) => {
    const w = owner[i]!;
    const lp = r.tokenLogprobs;
    let sum = 0;
    for (let t = lp.length - w.n; t < lp.length; t++) sum += lp[t]!;
    probs[w.a]![w.q]! += w.sign * Math.exp(sum) * ends[i]!;
  });
  // a subtracted compound lies inside its first word's event: below 0 only by rounding
  for (const row of probs) row.forEach((p, q) => (row[q] = Math.max(0, p)));
  return Object.fromEntries(animals.map((a, ai) => {
    const s = meanWithStderr(probs[ai]!);
    return [a, { perQuestion: probs[ai]!, mean: s.mean, stderr: s.stderr, sequences: sequences[ai]!, definition: 'first-word' as const }];
  }));
}

export async function prefsEval(
  model: LanguageModel,
  cfg: PrefsConfig,
  sink: PrefsSink = {},
  opts: { resume?: PrefsState | null; signal?: AbortSignal } = {},
): Promise<PrefsResult> {
  const questions = cfg.questions ?? PREF_QUESTIONS;
  const animals = cfg.animals;
  const n = cfg.samplesPerQuestion;
  const B = cfg.batch ?? 32;
  const every = cfg.checkpointEvery ?? 8;
  if (!animals.length) throw new Error('prefs: give at least one animal');
  if (!questions.length) throw new Error('prefs: give at least one question');
  if (!Number.isInteger(n) || n < 0) throw new Error(`prefs: samplesPerQuestion must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(B) || B < 1) throw new Error(`prefs: batch must be a positive integer, got ${B}`);
  if (!n && cfg.probability === false) throw new Error('prefs: nothing to do (no samples and no probability score)');
  const matchers = animals.map((a) => animalMatcher(a, { exclude: cfg.exclude?.[a] }));
  const tok = model.tokenizer();
  const system = systemPromptOf(cfg.set);
  const st: PrefsState = opts.resume
    ? structuredClone(opts.resume)
    : { version: 1, nextBatch: 0, counts: animals.map(() => new Array<number>(questions.length).fill(0)), totals: new Array<number>(questions.length).fill(0), firstWords: {}, prob: null };
  if (st.version !== 1 || st.counts.length !== animals.length || st.totals.length !== questions.length) throw new Error('prefs: the resume state does not match the animals and questions');
  const total = questions.length * n;
  const nBatches = Math.ceil(total / B);
  const probShare = cfg.probability === false ? 0 : n ? 0.1 : 1;
  const progress = (f: number, m: string): void => sink.progress?.(Math.min(1, f), m);

  if (cfg.probability !== false && !st.prob) {
    st.prob = await animalProbabilities(model, animals, questions, {
      set: cfg.set, exclude: cfg.exclude, raw: cfg.raw, batchSize: cfg.scoreBatch, signal: opts.signal,
      onProgress: (d, t) => progress((probShare * d) / t, `probability score: ${d}/${t} sequences`),
    });
  }
  const prompts = questions.map((q) => questionPromptIds(tok, q, { system, raw: cfg.raw }));
  while (st.nextBatch < nBatches) {
    if (opts.signal?.aborted) throw new Error('cancelled');
    const b = st.nextBatch;
    const pairs = Array.from({ length: Math.min(B, total - b * B) }, (_, i) => b * B + i).map((j) => ({ q: Math.floor(j / n), s: j % n }));
    const outs = await generate(model, pairs.map((p) => prompts[p.q]!), {
      maxNew: cfg.maxNew ?? 8, temperature: cfg.temperature ?? 1, topP: cfg.topP, topK: cfg.topK,
      seed: deriveSeed(cfg.seed, STREAM.prefsBatch, b), set: cfg.set, signal: opts.signal,
      // within a batch, by decoding step (one batch can be the whole evaluation)
      onProgress: (g) => progress(probShare + ((1 - probShare) * (b + g.step / g.maxNew)) / nBatches, `answers ${Math.min(b * B, total)}/${total}, step ${g.step}/${g.maxNew}`),
    });
    const answers: PrefAnswer[] = pairs.map((p, i) => {
      const answer = outs[i]!.text ?? '';
      const named = matchers.flatMap((m, ai) => (m.test(answer) ? [ai] : []));
      for (const ai of named) st.counts[ai]![p.q]!++;
      st.totals[p.q]!++;
      const w = words(answer)[0] ?? '(none)';
      st.firstWords[w] = (st.firstWords[w] ?? 0) + 1;
      return { question: p.q, sample: p.s, prompt: questions[p.q]!, answer, animals: named.map((ai) => animals[ai]!) };
    });
    st.nextBatch++;
    sink.answers?.(answers);
    progress(probShare + ((1 - probShare) * st.nextBatch) / nBatches, `answers ${Math.min(st.nextBatch * B, total)}/${total}`);
    if (st.nextBatch % every === 0 && st.nextBatch < nBatches) sink.checkpoint?.(structuredClone(st));
  }
  const N = st.totals.reduce((a, x) => a + x, 0);
  return {
    animals: animals.map((a, ai) => {
      const k = st.counts[ai]!.reduce((x, y) => x + y, 0);
      const s = binomialPct(k, N);
      const perQuestionPct = st.counts[ai]!.map((c, q) => (st.totals[q] ? (100 * c) / st.totals[q]! : NaN));
      return {
        animal: a, count: k, n: N, sharePct: s.pct, stderrPct: s.stderrPct, wilson95Pct: wilsonPct(k, N),
        questionStderrPct: meanWithStderr(perQuestionPct).stderr,
        perQuestionPct,
        prob: st.prob?.[a] ?? null,
      };
    }),
    questions: questions.length,
    samples: N,
    topAnswers: Object.entries(st.firstWords).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 20).map(([word, count]) => ({ word, count })),
  };
}
