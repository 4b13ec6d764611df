/**
 * Signal scan: does a dataset carry more learnable signal than a control? Train the same small
 * intervention (a residual bias at one hook, same seed and hyperparameters) on the suspect dataset
 * and on a control dataset (same prompts, a teacher without the trait), each on a training split,
 * and compare how much each bias lowers the loss on its own held-out split.
 *
 *   drop = loss(base) − loss(base + bias)   on held-out completions (nats/token)
 *   signal = drop(suspect) − drop(control)
 *
 * The split holds out whole prompts: a prompt (with its k-th occurrence, for prompts asked more
 * than once) is held out on both sides or on neither (splitByPrompt), so the held-out samples pair by
 * prompt even when the two datasets were filtered apart (passedOnly) or are in another order. The
 * standard error: when most held-out samples pair (at least half of the smaller side), it is that of
 * the per-pair differences, which removes the prompts' shared variance, and the signal is their mean;
 * otherwise the two sides are independent samples, se = √(se_s² + se_c²).
 *
 * A format-only signal (both datasets are number lists) lowers both losses alike; a trait leaves a
 * larger drop on the suspect data. Also reported: the cosine between the two biases (the job stores
 * both biases as vectors; read their SAE features with a read-out, lab.readout).
 */
import { parseInterventionSet } from '../models/interventions.js';
import type { LanguageModel } from '../models/lm.js';
import { meanWithStderr, scoreItems, type ScoreItem } from '../models/score.js';
import { trainBias, type TrainSink } from './train-bias.js';

export interface ScanConfig {
  hook: string;
  lr: number;
  l1: number;
  steps: number;
  batch: number;
  seed: number;
  /** share of each dataset held out for evaluation (default 0.25) */
  holdout?: number;
}

export interface ScanSide {
  trainSamples: number;
  heldOutSamples: number;
  baseLossNats: number;
  biasedLossNats: number;
  /** mean per-sample loss drop on held-out samples ± its standard error */
  dropNats: number;
  dropStderrNats: number;
  bias: Float32Array;
}

export interface ScanResult {
  hook: string;
  suspect: ScanSide;
  control: ScanSide;
  /** drop(suspect) − drop(control) (nats/token) */
  signalNats: number;
  signalStderrNats: number;
  /** signal / stderr */
  z: number;
  biasCosine: number;
  /** held-out samples paired by prompt (the error is the per-pair differences'); 0 = unpaired */
  pairs: number;
  /** held out by prompt on both sides (splitByPrompt); false: by index, for datasets too small */
  splitByPrompt: boolean;
}

/** One side's held-out drops (NaN where a sample has no completion tokens) and its prompts' ids. */
export interface HeldOutDrops {
  drops: readonly number[];
  prompts: readonly (readonly number[])[];
}

/** The prompt part of an item: its ids before the first completion token. */
export function promptIds(it: ScoreItem): number[] {
  const at = it.completionMask.findIndex(Boolean);
  return it.ids.slice(0, at < 0 ? it.ids.length : at);
}

/** Per item, its prompt with the occurrence number of that prompt among the items before it ("1,5,9#0", "1,5,9#1"). */
export function promptKeys(prompts: readonly (readonly number[])[]): string[] {
  const seen = new Map<string, number>();
  return prompts.map((p) => {
    const k = p.join(',');
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    return `${k}#${n}`;
  });
}

/**
 * signal = mean drop(suspect) − mean drop(control) ± its standard error. Held-out samples pair by
 * prompt (and occurrence: promptKeys), whatever their order; samples without completion tokens (NaN
 * drops) or without a prompt pair with nothing. When the pairs number at least 2 and at least half of the smaller side's
 * samples, the signal is the mean of the per-pair differences and the error theirs; else the sides are
 * compared as independent samples (pairs: 0).
 */
export function compareDrops(s: HeldOutDrops, c: HeldOutDrops): { signalNats: number; seNats: number; pairs: number } {
  const finite = (x: HeldOutDrops): Map<string, number> => {
    const keys = promptKeys(x.prompts);
    const m = new Map<string, number>();
    // a sample without a prompt pairs with nothing (its key would only be its position)
    x.drops.forEach((d, i) => { if (Number.isFinite(d) && x.prompts[i]!.length) m.set(keys[i]!, d); });
    return m;
  };
  const [fs, fc] = [finite(s), finite(c)];
  const diffs: number[] = [];
  for (const [k, d] of fs) {
    const dc = fc.get(k);
    if (dc !== undefined) diffs.push(d - dc);
  }
  if (diffs.length >= 2 && diffs.length * 2 >= Math.min(fs.size, fc.size)) {
    const d = meanWithStderr(diffs);
    return { signalNats: d.mean, seNats: d.stderr, pairs: diffs.length };
  }
  const a = meanWithStderr(s.drops);
  const b = meanWithStderr(c.drops);
  return { signalNats: a.mean - b.mean, seNats: Math.sqrt(a.stderr ** 2 + b.stderr ** 2), pairs: 0 };
}

/** 32-bit FNV-1a of a string, then mixed with the seed (murmur3's finaliser). */
function keyHash(key: string, seed: number): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface PairedSplit<T> {
  suspect: { train: T[]; test: T[] };
  control: { train: T[]; test: T[] };
  /** true: held out by prompt on both sides; false: each side split alone by index (splitHoldout) */
  byPrompt: boolean;
}

/**
 * Hold out the same prompts on both sides: the prompt keys (promptKeys) of both datasets, in an order
 * fixed by a seeded hash of each key, and the first round(holdout · keys) of them are held out wherever
 * they occur. Deterministic for (the two datasets' prompts, holdout, seed), independent of item
 * order. When a side would then have nothing to train on or nothing held out (tiny datasets), both
 * sides fall back to splitHoldout by index.
 */
export function splitByPrompt<T>(suspect: readonly T[], control: readonly T[], prompts: (it: T) => readonly number[], holdout: number, seed: number): PairedSplit<T> {
  const ks = promptKeys(suspect.map(prompts));
  const kc = promptKeys(control.map(prompts));
  const all = [...new Set([...ks, ...kc])].map((k) => ({ k, h: keyHash(k, seed) }));
  all.sort((a, b) => a.h - b.h || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const held = new Set(all.slice(0, Math.max(1, Math.round(all.length * holdout))).map((x) => x.k));
  const part = (items: readonly T[], keys: string[]) => ({ train: items.filter((_, i) => !held.has(keys[i]!)), test: items.filter((_, i) => held.has(keys[i]!)) });
  const sp = part(suspect, ks);
  const cp = part(control, kc);
  if ([sp, cp].every((x) => x.train.length && x.test.length)) return { suspect: sp, control: cp, byPrompt: true };
  return { suspect: splitHoldout(suspect, holdout, seed), control: splitHoldout(control, holdout, seed), byPrompt: false };
}

/** Deterministic split: every k-th sample (by a seeded permutation) is held out. */
export function splitHoldout<T>(items: readonly T[], holdout: number, seed: number): { train: T[]; test: T[] } {
  const idx = items.map((_, i) => i);
  let s = seed >>> 0;
  for (let i = idx.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = Math.floor((s / 4294967296) * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const nTest = Math.max(1, Math.round(items.length * holdout));
  if (items.length - nTest < 1) throw new Error(`${items.length} samples are too few to hold out ${nTest} (holdout ${holdout}) and still train on some`);
  const testSet = new Set(idx.slice(0, nTest));
  return { train: items.filter((_, i) => !testSet.has(i)), test: items.filter((_, i) => testSet.has(i)) };
}

async function side(model: LanguageModel, split: { train: ScoreItem[]; test: ScoreItem[] }, cfg: ScanConfig, sink: TrainSink, signal?: AbortSignal): Promise<ScanSide & HeldOutDrops> {
  const { train, test } = split;
  const set = parseInterventionSet({ items: [{ kind: 'resid_bias', hook: cfg.hook, trainable: true }] });
  const r = await trainBias(model, train, { set, lr: cfg.lr, l1: cfg.l1, steps: cfg.steps, batch: cfg.batch, seed: cfg.seed }, sink, { signal });
  const bias = r.params[`add:${cfg.hook}`]!;
  const base = await scoreItems(model, test, { signal });
  const biased = await scoreItems(model, test, { signal, set: parseInterventionSet({ items: [{ kind: 'resid_bias', hook: cfg.hook, values: Array.from(bias) }] }) });
  const drops = base.map((b, i) => b.lossNats - biased[i]!.lossNats);
  const d = meanWithStderr(drops); // samples without completion tokens (NaN) are left out
  return {
    trainSamples: train.length, heldOutSamples: test.length,
    baseLossNats: meanWithStderr(base.map((b) => b.lossNats)).mean, biasedLossNats: meanWithStderr(biased.map((b) => b.lossNats)).mean,
    dropNats: d.mean, dropStderrNats: d.stderr, bias, drops, prompts: test.map(promptIds),
  };
}

/** A finished side as JSON (a checkpoint of the scan): the bias as numbers, NaN drops as null. */
export interface ScanSideState extends Omit<ScanSide, 'bias'> {
  bias: number[];
  drops: (number | null)[];
  prompts: number[][];
}

export const sideToState = (x: ScanSide & HeldOutDrops): ScanSideState => ({
  ...x, bias: Array.from(x.bias), drops: x.drops.map((d) => (Number.isFinite(d) ? d : null)), prompts: x.prompts.map((p) => [...p]),
});
const sideFromState = (x: ScanSideState): ScanSide & HeldOutDrops => ({ ...x, bias: Float32Array.from(x.bias), drops: x.drops.map((d) => d ?? NaN) });

export async function signalScan(
  model: LanguageModel,
  suspect: readonly ScoreItem[],
  control: readonly ScoreItem[],
  cfg: ScanConfig,
  opts: {
    progress?: (fraction: number, message: string) => void;
    signal?: AbortSignal;
    /** the suspect side finished by an earlier, interrupted scan (not trained again) */
    resume?: { suspect?: ScanSideState };
    /** a side is finished (to checkpoint it) */
    onSide?: (name: 'suspect', state: ScanSideState) => void;
  } = {},
): Promise<ScanResult> {
  const sink = (offset: number, name: string): TrainSink => ({
    step: () => {},
    checkpoint: () => {},
    progress: (f, m) => opts.progress?.((offset + f) / 2, `${name}: ${m}`),
  });
  const split = splitByPrompt(suspect, control, promptIds, cfg.holdout ?? 0.25, cfg.seed);
  let first: ScanSide & HeldOutDrops;
  if (opts.resume?.suspect) first = sideFromState(opts.resume.suspect);
  else {
    first = await side(model, split.suspect, cfg, sink(0, 'suspect'), opts.signal);
    opts.onSide?.('suspect', sideToState(first));
  }
  const { drops: sd, prompts: sp, ...s } = first;
  const { drops: cd, prompts: cp, ...c } = await side(model, split.control, cfg, sink(1, 'control'), opts.signal);
  const { signalNats, seNats: se, pairs } = compareDrops({ drops: sd, prompts: sp }, { drops: cd, prompts: cp });
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < s.bias.length; i++) {
    dot += s.bias[i]! * c.bias[i]!;
    na += s.bias[i]! ** 2;
    nb += c.bias[i]! ** 2;
  }
  return {
    hook: cfg.hook, suspect: s, control: c, signalNats, signalStderrNats: se,
    // no spread to compare against (one held-out sample a side, or identical differences): no z
    z: Number.isFinite(se) && se > 0 ? signalNats / se : NaN, biasCosine: na && nb ? dot / Math.sqrt(na * nb) : 0, pairs, splitByPrompt: split.byPrompt,
  };
}

/** One hook's scan in a scan by layer: the signal and both sides' drops, without the held-out detail. */
export interface LayerScan {
  hook: string;
  signalNats: number;
  signalStderrNats: number;
  z: number;
  pairs: number;
  biasCosine: number;
  suspectDropNats: number;
  controlDropNats: number;
}

export const layerScanOf = (r: ScanResult): LayerScan => ({
  hook: r.hook, signalNats: r.signalNats, signalStderrNats: r.signalStderrNats, z: r.z, pairs: r.pairs, biasCosine: r.biasCosine,
  suspectDropNats: r.suspect.dropNats, controlDropNats: r.control.dropNats,
});

/**
 * Signal by layer: the scan at each hook in turn (the same split, seed and settings at every hook), so
 * the layers where the suspect data is more learnable than the control stand out. `onHook` gets each
 * finished hook (to store its biases and checkpoint); `startAt` skips hooks an interrupted run finished.
 */
export async function signalScanByLayer(
  model: LanguageModel,
  suspect: readonly ScoreItem[],
  control: readonly ScoreItem[],
  hooks: readonly string[],
  cfg: Omit<ScanConfig, 'hook'>,
  opts: {
    startAt?: number;
    onHook: (index: number, r: ScanResult) => void;
    progress?: (fraction: number, message: string) => void;
    signal?: AbortSignal;
  },
): Promise<void> {
  for (let i = opts.startAt ?? 0; i < hooks.length; i++) {
    opts.signal?.throwIfAborted();
    const hook = hooks[i]!;
    const r = await signalScan(model, suspect, control, { ...cfg, hook }, {
      signal: opts.signal,
      progress: (f, m) => opts.progress?.((i + f) / hooks.length, `${hook} (${i + 1}/${hooks.length}) ${m}`),
    });
    opts.onHook(i, r);
  }
}
