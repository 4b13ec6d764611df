/**
 * Reading the research runs' outputs (train-bias, bias-sweep, loss-table, signal-scan, mean-activation) into what the figures draw.
 * Runs carry `config` and `result` as JSON (typed `unknown` by the contract): every read here is
 * defensive, so an older or partial run still shows what it has.
 */
import type { OpOutput } from '../../../src-main/api/contract-types.js';
import { finiteOrNull, formatInt } from './format.js';

type Curve = OpOutput<'runs.metrics'>[number];
type RunLike = { kind: string; config: unknown; result: unknown };

/** The kinds these views know how to show. */
export const LAB_KINDS = ['train-bias', 'bias-sweep', 'loss-table', 'signal-scan', 'mean-activation'] as const;
export type LabKind = (typeof LAB_KINDS)[number];
export const isLabKind = (kind: string): kind is LabKind => (LAB_KINDS as readonly string[]).includes(kind);

const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** `blocks.12.hook_resid_post` → 12; null for hooks outside the blocks. */
export function layerOfHook(hook: string): number | null {
  const m = /^blocks\.(\d+)\./.exec(hook);
  return m ? Number(m[1]) : null;
}

export interface LayerPoint {
  layer: number;
  hook: string;
  /** mean completion loss under the trained bias (nats/token) */
  lossNats: number | null;
  stderrNats: number | null;
  /** loss minus the base loss, per sample, averaged ± its stderr (null for runs from before it was recorded) */
  deltaNats: number | null;
  deltaStderrNats: number | null;
  /** loss pooled over tokens (Σ token losses / Σ tokens), as a training loss averages (null for older runs) */
  pooledNats: number | null;
}

/** The run's model folder (config.model). */
export const runModel = (run: RunLike): string | null => str(obj(run.config).model);

/** The swept hook point of a bias-sweep (config.point, default hook_resid_post). */
export const sweepPointName = (run: RunLike): string => str(obj(run.config).point) ?? 'hook_resid_post';

/** How many layers a sweep covers, when the config or result says. */
export function sweepSize(run: RunLike): number | undefined {
  const hooks = obj(run.result).hooks;
  if (Array.isArray(hooks)) return hooks.length;
  const layers = obj(run.config).layers;
  return Array.isArray(layers) ? layers.length : undefined;
}

/**
 * One point per finished layer of a bias-sweep, from its curves (`loss_by_layer`, x = sweep index, and
 * `loss_by_layer_stderr`); the layer of index i is config.layers[i], or i when all layers are swept.
 */
export function sweepPoints(run: RunLike, curves: readonly Curve[]): LayerPoint[] {
  const loss = curves.find((c) => c.name === 'loss_by_layer');
  if (!loss) return [];
  const se = curves.find((c) => c.name === 'loss_by_layer_stderr');
  const at = (name: string) => {
    const c = curves.find((x) => x.name === name);
    return new Map(c ? c.x.map((x, i) => [x, finiteOrNull(c.values[i]!)] as const) : []);
  };
  const seAt = new Map(se ? se.x.map((x, i) => [x, finiteOrNull(se.values[i]!)] as const) : []);
  const dAt = at('delta_by_layer');
  const dSeAt = at('delta_by_layer_stderr');
  const pooledAt = at('pooled_loss_by_layer');
  const point = sweepPointName(run);
  const hooks = obj(run.result).hooks;
  const layers = obj(run.config).layers;
  return loss.x.map((x, i) => {
    const hook = Array.isArray(hooks) && typeof hooks[x] === 'string' ? (hooks[x] as string) : undefined;
    const layer = (hook ? layerOfHook(hook) : null) ?? (Array.isArray(layers) ? num(layers[x]) : null) ?? x;
    return {
      layer, hook: hook ?? `blocks.${layer}.${point}`, lossNats: finiteOrNull(loss.values[i]!), stderrNats: seAt.get(x) ?? null,
      deltaNats: dAt.get(x) ?? null, deltaStderrNats: dSeAt.get(x) ?? null, pooledNats: pooledAt.get(x) ?? null,
    };
  });
}

/** The base model's loss of a bias-sweep: result.base when done, else the `base_loss` curve. */
export function sweepBase(run: RunLike, curves: readonly Curve[]): { lossNats: number; stderrNats: number | null; pooledNats: number | null } | undefined {
  const b = obj(obj(run.result).base);
  const first = (name: string): number | null => {
    const c = curves.find((x) => x.name === name);
    return c?.values.length ? finiteOrNull(c.values[0]!) : null;
  };
  const pooledNats = num(b.pooledNats) ?? first('base_pooled_loss');
  const fromResult = num(b.lossNats);
  if (fromResult !== null) return { lossNats: fromResult, stderrNats: num(b.stderrNats), pooledNats };
  const v = first('base_loss');
  return v === null ? undefined : { lossNats: v, stderrNats: null, pooledNats };
}

export interface LossRow {
  name: string;
  lossNats: number | null;
  stderrNats: number | null;
  samples: number | null;
  tokens: number | null;
  /** the loss pooled over tokens (as a training loss averages; null for runs from before it was recorded) */
  pooledNats: number | null;
  /** the paired difference from the first row ± its stderr (null: row 0, or a run from before it was recorded) */
  deltaNats: number | null;
  deltaStderrNats: number | null;
  /** the tokens that carry this row's difference from the first row (null: row 0, or a run from before it was recorded) */
  carriers: Carriers | null;
}

export interface Carrier {
  id: number;
  text: string;
  count: number;
  totalDiffNats: number;
  meanDiffNats: number;
  /** divergence-token occurrences of this token (null: not recorded) */
  divergent: number | null;
}

/** lab/token-carriers.ts's result, read defensively */
export interface Carriers {
  tokens: number;
  samples: number;
  mismatchedSamples: number;
  /** occurrences left out for a non-finite d (0 for runs from before it was recorded) */
  nonFiniteTokens: number;
  meanDiffNats: number | null;
  gainNats: number | null;
  top1PctShare: number | null;
  top10PctShare: number | null;
  top: Carrier[];
  bottom: Carrier[];
  /** occurrences greedy under this row's configuration only (divergence tokens), under the first row's only, under both; null: not recorded */
  divergence: { otherOnly: number; refOnly: number; both: number; otherOnlyGainShare: number | null } | null;
}

function divergenceOf(v: unknown): Carriers['divergence'] {
  const d = obj(v);
  const [otherOnly, refOnly, both] = [num(d.otherOnly), num(d.refOnly), num(d.both)];
  return otherOnly === null || refOnly === null || both === null ? null : { otherOnly, refOnly, both, otherOnlyGainShare: num(d.otherOnlyGainShare) };
}

function carriersOf(v: unknown): Carriers | null {
  const o = obj(v);
  if (!Array.isArray(o.top) || !Array.isArray(o.bottom)) return null;
  const list = (xs: unknown[]): Carrier[] => xs.map((x) => {
    const c = obj(x);
    return { id: num(c.id) ?? -1, text: str(c.text) ?? '', count: num(c.count) ?? 0, totalDiffNats: num(c.totalDiffNats) ?? NaN, meanDiffNats: num(c.meanDiffNats) ?? NaN, divergent: num(c.divergent) };
  });
  return {
    tokens: num(o.tokens) ?? 0, samples: num(o.samples) ?? 0, mismatchedSamples: num(o.mismatchedSamples) ?? 0, nonFiniteTokens: num(o.nonFiniteTokens) ?? 0,
    meanDiffNats: num(o.meanDiffNats), gainNats: num(o.gainNats), top1PctShare: num(o.top1PctShare), top10PctShare: num(o.top10PctShare),
    top: list(o.top), bottom: list(o.bottom),
    divergence: divergenceOf(o.divergence),
  };
}

/** A loss-table run's rows: result.table when done, else its `loss/<name>` and `stderr/<name>` curves. */
export function lossTableRows(run: RunLike, curves: readonly Curve[] = []): LossRow[] {
  const table = obj(run.result).table;
  if (Array.isArray(table)) {
    return table.map((r) => {
      const o = obj(r);
      return {
        name: str(o.name) ?? '?', lossNats: num(o.lossNats), stderrNats: num(o.stderrNats), samples: num(o.samples), tokens: num(o.tokens),
        pooledNats: num(o.pooledNats), deltaNats: num(o.deltaNats), deltaStderrNats: num(o.deltaStderrNats), carriers: carriersOf(o.carriers),
      };
    });
  }
  return curves
    .filter((c) => c.name.startsWith('loss/'))
    .map((c) => {
      const name = c.name.slice('loss/'.length);
      const se = curves.find((x) => x.name === `stderr/${name}`);
      return { name, lossNats: c.values.length ? finiteOrNull(c.values[0]!) : null, stderrNats: se?.values.length ? finiteOrNull(se.values[0]!) : null, samples: null, tokens: null, pooledNats: null, deltaNats: null, deltaStderrNats: null, carriers: null };
    });
}

/** The SAE of a train-bias run's feature-bias item, if it trained one (for read-outs). */
export function trainedSae(run: RunLike): string | undefined {
  const items = obj(obj(run.config).set).items;
  if (!Array.isArray(items)) return undefined;
  for (const it of items) {
    const o = obj(it);
    if (o.kind === 'feature_bias' && typeof o.sae === 'string') return o.sae;
  }
  return undefined;
}

/** A one-line description of what a lab run trains or scores, for lists. */
export function describeRun(run: RunLike): string {
  const c = obj(run.config);
  if (run.kind === 'bias-sweep') {
    const layers = Array.isArray(c.layers) ? `layers ${(c.layers as unknown[]).join(', ')}` : 'every layer';
    return `residual bias at ${sweepPointName(run)}, ${layers}`;
  }
  if (run.kind === 'loss-table') {
    const configs = Array.isArray(c.configs) ? (c.configs as unknown[]).map((x) => str(obj(x).name) ?? '?') : [];
    return `${configs.length} configuration${configs.length === 1 ? '' : 's'}: ${configs.join(', ')}`;
  }
  const items = obj(c.set).items;
  const parts = (Array.isArray(items) ? items : []).map((it) => {
    const o = obj(it);
    if (o.kind === 'resid_bias') return `residual bias at ${str(o.hook) ?? '?'}`;
    if (o.kind === 'feature_bias') return `feature bias (${str(o.mode) ?? '?'})`;
    if (o.kind === 'lora') return 'LoRA';
    return str(o.kind) ?? '?';
  });
  return parts.join(' + ') || 'trained set';
}

export interface ScanSide {
  trainSamples: number | null;
  heldOutSamples: number | null;
  baseLossNats: number | null;
  biasedLossNats: number | null;
  /** held-out loss drop (base − biased) ± its standard error, nats/token */
  dropNats: number | null;
  dropStderrNats: number | null;
}

export interface ScanResult {
  hook: string | null;
  /** drop(suspect) − drop(control) ± stderr, nats/token */
  signalNats: number | null;
  signalStderrNats: number | null;
  z: number | null;
  /** cosine between the suspect's and the control's trained biases */
  biasCosine: number | null;
  /** held-out samples paired by prompt (the error is the per-pair differences'); 0 = unpaired, null = not recorded */
  pairs: number | null;
  suspect: ScanSide;
  control: ScanSide;
  vectorIds: { suspect: string | null; control: string | null };
  /** a scan by layer: every layer's signal (the fields above are the layer with the largest z), else null */
  byLayer: { layers: LayerScan[]; bonferroniZ: number | null } | null;
}

export interface LayerScan {
  hook: string | null;
  signalNats: number | null;
  signalStderrNats: number | null;
  z: number | null;
  pairs: number | null;
  biasCosine: number | null;
  suspectDropNats: number | null;
  controlDropNats: number | null;
}

/** A signal-scan run's result, or null before it has one. */
export function scanResult(run: RunLike): ScanResult | null {
  const r = obj(run.result);
  if (!('signalNats' in r)) return null;
  const side = (v: unknown): ScanSide => {
    const o = obj(v);
    return {
      trainSamples: num(o.trainSamples), heldOutSamples: num(o.heldOutSamples), baseLossNats: num(o.baseLossNats),
      biasedLossNats: num(o.biasedLossNats), dropNats: num(o.dropNats), dropStderrNats: num(o.dropStderrNats),
    };
  };
  const ids = obj(r.vectorIds);
  return {
    hook: str(r.hook), signalNats: num(r.signalNats), signalStderrNats: num(r.signalStderrNats), z: num(r.z), biasCosine: num(r.biasCosine), pairs: num(r.pairs),
    suspect: side(r.suspect), control: side(r.control), vectorIds: { suspect: str(ids.suspect), control: str(ids.control) },
    byLayer: Array.isArray(r.layers)
      ? {
          bonferroniZ: num(r.bonferroniZ),
          layers: r.layers.map((l): LayerScan => {
            const o = obj(l);
            return {
              hook: str(o.hook), signalNats: num(o.signalNats), signalStderrNats: num(o.signalStderrNats), z: num(o.z), pairs: num(o.pairs),
              biasCosine: num(o.biasCosine), suspectDropNats: num(o.suspectDropNats), controlDropNats: num(o.controlDropNats),
            };
          }),
        }
      : null,
  };
}

export interface MeanActivationResult {
  hook: string | null;
  dataset: { tokens: number | null; samples: number | null; normL2: number | null };
  control: { tokens: number | null; samples: number | null; normL2: number | null } | null;
  /** ‖dataset − control‖₂ and the cosine between the two means */
  difference: { normL2: number | null; cosineOfMeans: number | null } | null;
  /** the cosine with a stored vector (of the difference, or of the dataset mean without a control) */
  compared: { vectorId: string | null; name: string | null; cosine: number | null; with: string | null; warning: string | null } | null;
}

/** A mean-activation run's result, or null before it has one. */
export function meanActivationResult(run: RunLike): MeanActivationResult | null {
  const r = obj(run.result);
  if (!('dataset' in r)) return null;
  const side = (v: unknown) => {
    const o = obj(v);
    return { tokens: num(o.tokens), samples: num(o.samples), normL2: num(o.normL2) };
  };
  const d = r.difference == null ? null : obj(r.difference);
  const c = r.compared == null ? null : obj(r.compared);
  return {
    hook: str(r.hook),
    dataset: side(r.dataset),
    control: r.control == null ? null : side(r.control),
    difference: d && { normL2: num(d.normL2), cosineOfMeans: num(d.cosineOfMeans) },
    compared: c && { vectorId: str(c.vectorId), name: str(c.name), cosine: num(c.cosine), with: str(c.with), warning: str(c.warning) },
  };
}

/**
 * How a scan's error was computed, for its headline. When only some held-out samples pair (a control
 * filtered apart, samples without completion tokens), the signal is the mean of the per-pair
 * differences over those prompts, not the difference of the two bars (each side's mean drop over all
 * its held-out samples): say so, with the counts.
 */
export function scanPairingNote(s: { pairs: number | null; suspect: { heldOutSamples: number | null }; control: { heldOutSamples: number | null } }): string | null {
  if (s.pairs === null) return null;
  if (s.pairs <= 0) return 'Fewer than half of the held-out samples share a prompt with the other dataset: the two sides count as independent samples.';
  const base = `Standard error of ${formatInt(s.pairs)} held-out pairs (same prompt in both datasets).`;
  const [hs, hc] = [s.suspect.heldOutSamples, s.control.heldOutSamples];
  if (hs === null || hc === null || (s.pairs >= hs && s.pairs >= hc)) return base;
  return `${base} The signal is the mean difference over these ${formatInt(s.pairs)} prompts, not the difference of the bars (each side's mean over all its held-out samples: ${formatInt(hs)} suspect, ${formatInt(hc)} control).`;
}

/**
 * A one-line reading of a scan's z (signal / stderr): ≥ 3 strong, ≥ 2 some evidence, |z| < 2 none,
 * ≤ −2 the control's data is the more learnable. A guide for reading, not a test with a set α.
 * For the largest z of a scan by layer, pass its Bonferroni threshold (`bonferroniZ`): the largest of
 * many z's passes 2 by chance far more often than one z does (about one time in three for 18 layers),
 * so there the reading is whether it passes the threshold.
 */
export function scanVerdict(z: number | null, bonferroniZ: number | null = null): string {
  if (z === null) return 'no z (too few held-out samples)';
  if (bonferroniZ !== null) {
    if (z >= bonferroniZ) return 'evidence of a learnable signal beyond the control (it passes the Bonferroni threshold)';
    if (z <= -bonferroniZ) return 'the control is the more learnable dataset';
    return 'no evidence of a signal beyond the control (the largest z does not pass the Bonferroni threshold)';
  }
  if (z >= 3) return 'strong evidence of a learnable signal beyond the control';
  if (z >= 2) return 'some evidence of a learnable signal beyond the control';
  if (z <= -2) return 'the control is the more learnable dataset';
  return 'no evidence of a signal beyond the control';
}

/**
 * Residual biases a set can add (train-bias, bias-sweep and signal-scan outputs: meta.input
 * `add:<hook>`; older sweep and scan vectors have a hook and no input), newest first. Feature biases
 * and LoRA factors (other inputs) are left out.
 */
export function residualBiases<V extends { meta: unknown; hook?: string | null }>(vectors: readonly V[]): V[] {
  return vectors.filter((v) => {
    const input = (v.meta as { input?: unknown } | null)?.input;
    return typeof input === 'string' ? input.startsWith('add:') : !!v.hook;
  }).reverse();
}
