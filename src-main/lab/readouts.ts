/**
 * Read what a trained intervention learned (REFERENCE §1):
 * - a residual-space vector v [D]: its cosine with every SAE decoder row (top features), its encoder
 *   projection v @ W_enc, and its direct logit attribution v @ W_Uᵀ (optionally through the final
 *   norm, up to its per-position scale: v ⊙ w for RMSNorm, v ⊙ (1 + w) for Gemma, (v − mean v) ⊙ w
 *   for LayerNorm, which removes a direction's mean; see models/final-norm-direction);
 * - with an SAE, how much of a residual vector k decoder rows explain (sparse-recon.ts: orthogonal
 *   matching pursuit, the share of ‖v‖² explained for k = 1 … 20);
 * - a feature-space vector b [d_sae] (a feature bias): its largest entries, and the DLA of b @ W_dec.
 * Computed with the engine (W_U and W_dec stay in their files), one session per read-out.
 *
 * Units: cosine in [-1, 1]; DLA in logits per unit of the vector (through the final norm: times the
 * norm's per-position scale, see RankedToken.value); encoder projection in feature units (for SAEs
 * without a per-position input normalisation: constant_norm_rescale and layer_norm SAEs get a warning).
 */
import { compile } from '../engine/onnx-export.js';
import * as o from '../engine/ops.js';
import type { Runtime } from '../engine/runtime.js';
import { Graph, type Tensor } from '../engine/tensor.js';
import type { Checkpoint } from '../models/checkpoint.js';
import { checkpointWeights } from '../models/graph-weights.js';
import { modelIdentityHash } from '../models/identity.js';
import { projectedFeatureBias, saeWeights } from '../models/sae/graph.js';
import type { Sae } from '../models/sae/load.js';
import type { HfTokenizer } from '../models/tokenizer.js';
import { tokenText } from '../models/token-text.js';
import { throughFinalNorm } from '../models/final-norm-direction.js';
import { sparseRecon, type SparseRecon } from './sparse-recon.js';

export interface RankedFeature {
  index: number;
  /** cosine(v, W_dec[index]) for residual vectors; the entry itself for feature vectors */
  score: number;
  cosine: number | null;
  encoderProj: number | null;
  label?: string;
  /** for a feature without a label: the tokens it fires hardest on (feature statistics), strongest first */
  firesOn?: string[];
}

export interface RankedToken {
  id: number;
  token: string | null;
  /**
   * Without the final norm: logits per unit of the vector. Through it: that times the norm's
   * per-position scale it leaves out (the residual's rms for RMSNorm, its standard deviation for
   * LayerNorm); the logit change at a position is this divided by that scale (stories260k: 1.3 to
   * 2.3 at the last layer). The ranking of tokens does not depend on it.
   */
  value: number;
}

export interface Readout {
  space: 'residual' | 'features';
  /** L2 norm of the vector */
  norm: number;
  topFeatures: RankedFeature[];
  bottomFeatures: RankedFeature[];
  dla: { top: RankedToken[]; bottom: RankedToken[]; throughFinalNorm: boolean };
  /** a residual vector's sparse reconstruction from the SAE's decoder rows (null without an SAE or for a feature-space vector) */
  sparse: SparseRecon | null;
  /** things that make the read-out less meaningful (e.g. the SAE reads another hook than the vector's) */
  warnings: string[];
}

export interface ReadoutOptions {
  sae?: Sae;
  /** features / tokens per list (default 20) */
  k?: number;
  /** multiply by the final norm's weight before the unembedding (default true) */
  throughFinalNorm?: boolean;
  tok?: HfTokenizer | null;
  label?: (index: number) => string | undefined;
  /** a feature's strongest activating tokens, asked for features without a label */
  firesOn?: (index: number) => string[] | undefined;
  /** the hook the vector was trained or taken at, to check against the SAE's */
  vectorHook?: string;
  /** the identity hash of the model the vector was trained on (its provenance), to check against this one */
  vectorModelHash?: string;
  /** features in the sparse reconstruction (default 20, at most 64) */
  sparseFeatures?: number;
}

/** A stored vector's model identity hash, from its provenance meta (`modelHash`), if it has one. */
export function modelHashOf(meta: unknown): string | undefined {
  const h = (meta as { modelHash?: unknown } | null)?.modelHash;
  return typeof h === 'string' && /^sha256:[0-9a-f]{64}$/.test(h) ? h : undefined;
}

/** One name per point of the residual stream: blocks.{l}.hook_resid_pre (l ≥ 1) is blocks.{l−1}.hook_resid_post (models/hooks.ts). */
function residPoint(hook: string): string {
  const m = /^blocks\.(\d+)\.hook_resid_pre$/.exec(hook);
  return m && Number(m[1]) >= 1 ? `blocks.${Number(m[1]) - 1}.hook_resid_post` : hook;
}

function ranked(values: ArrayLike<number>, k: number, desc: boolean): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => (desc ? values[b]! - values[a]! : values[a]! - values[b]!) || a - b);
  return idx.slice(0, k);
}

export async function readVector(rt: Runtime, ck: Checkpoint, vector: Float32Array, opts: ReadoutOptions = {}): Promise<Readout> {
  const spec = ck.spec;
  const k = opts.k ?? 20;
  const sae = opts.sae;
  const D = spec.dModel;
  let space: Readout['space'];
  if (vector.length === D) space = 'residual';
  else if (sae && vector.length === sae.dSae) space = 'features';
  else throw new Error(`read-out: a vector of ${vector.length} values is neither residual (d_model ${D})${sae ? ` nor feature space (d_sae ${sae.dSae})` : ' (give an SAE for a feature-space vector)'}`);
  if (sae && sae.dIn !== D) throw new Error(`read-out: SAE ${sae.path} has d_in ${sae.dIn}, the model's d_model is ${D}`);

  const g = new Graph();
  const W = checkpointWeights(g, ck, 'float32');
  const v = g.input('v', 'float32', [1, vector.length]);
  const outputs: Record<string, Tensor> = {};
  let resid = v; // [1, D]
  if (sae) {
    const sw = saeWeights(g, sae, 'float32');
    if (space === 'features') resid = projectedFeatureBias(sae, v); // [1, d_in]: what the feature values add to the residual
    else {
      const dots = o.matmul(v, sw.W_dec, { transB: true }); // [1, d_sae]
      const rowNorms = o.sqrt(o.sum(o.mul(sw.W_dec, sw.W_dec), [-1])); // [d_sae]
      const vNorm = o.sqrt(o.sum(o.mul(v, v), [-1], true)); // [1, 1]
      outputs.cosine = o.div(dots, o.add(o.mul(rowNorms, vNorm), 1e-12));
      // what the vector adds to each feature's pre-activation: the SAE reads its input × the norm
      // scaling factor when it was trained on scaled activations
      const s = sae.normalize === 'expected_average_only_in' && sae.normScalingFactor !== null ? sae.normScalingFactor : 1;
      outputs.encoder = o.matmul(s === 1 ? v : o.mul(v, s), sw.W_enc); // [1, d_sae]
    }
  }
  const through = opts.throughFinalNorm ?? true;
  let x = resid;
  if (through) x = throughFinalNorm(x, spec.norm, W('final_norm.w', null)!); // [1, D]
  const head = spec.tiedHead ? W('embed', null)! : W('lm_head.w', null)!;
  outputs.dla = o.matmul(x, head, { transB: true }); // [1, V]
  const s = await rt.load(compile({ outputs, name: 'readout' }));
  let r;
  try {
    r = await s.run({ v: { dtype: 'float32', dims: [1, vector.length], data: vector } });
  } finally {
    await s.release();
  }
  const dla = r.dla!.data as Float32Array;
  const tokenOf = (id: number): RankedToken => ({ id, token: opts.tok ? tokenText(opts.tok, id) : null, value: dla[id]! });
  let norm = 0;
  for (const x0 of vector) norm += x0 * x0;
  const feat = (scoreArr: ArrayLike<number>, cos: ArrayLike<number> | null, enc: ArrayLike<number> | null, i: number): RankedFeature => {
    const label = opts.label?.(i);
    const firesOn = label === undefined ? opts.firesOn?.(i) : undefined;
    return { index: i, score: scoreArr[i]!, cosine: cos ? cos[i]! : null, encoderProj: enc ? enc[i]! : null, ...(label !== undefined ? { label } : {}), ...(firesOn ? { firesOn } : {}) };
  };
  let topFeatures: RankedFeature[] = [];
  let bottomFeatures: RankedFeature[] = [];
  if (space === 'features') {
    topFeatures = ranked(vector, k, true).map((i) => feat(vector, null, null, i));
    bottomFeatures = ranked(vector, k, false).map((i) => feat(vector, null, null, i));
  } else if (sae) {
    const cos = r.cosine!.data as Float32Array;
    const enc = r.encoder!.data as Float32Array;
    topFeatures = ranked(cos, k, true).map((i) => feat(cos, cos, enc, i));
    bottomFeatures = ranked(cos, k, false).map((i) => feat(cos, cos, enc, i));
  }
  const warnings: string[] = [];
  if (sae && (sae.normalize === 'constant_norm_rescale' || sae.normalize === 'layer_norm')) {
    // the SAE scales (and, for layer_norm, centres) each position's input by statistics of that input
    warnings.push(`the SAE normalises its input per position (normalize_activations ${sae.normalize}${sae.normalize === 'layer_norm' ? ', which also removes the mean' : ''}): ${space === 'residual'
      ? "the encoder projections are v @ W_enc without that input-dependent factor, not the change of a feature's pre-activation"
      : "the feature vector's residual direction (b @ W_dec) and its DLA leave out the input-dependent decode scale"}`);
  }
  if (sae && opts.vectorHook && space === 'residual' && residPoint(opts.vectorHook) !== residPoint(sae.hook)) {
    warnings.push(`the vector is at ${opts.vectorHook} and the SAE reads ${sae.hook}: its feature cosines compare directions at different points of the model`);
  }
  if (opts.vectorModelHash) {
    const here = modelIdentityHash(ck);
    if (here !== opts.vectorModelHash) warnings.push(`the vector was trained on model ${opts.vectorModelHash.slice(0, 19)}… and is read with ${here.slice(0, 19)}… (${ck.dir}): another model or a changed checkpoint`);
  }
  const sparse = sae && space === 'residual' ? await sparseRecon(rt, sae, vector, opts.sparseFeatures ?? 20) : null;
  return {
    space, norm: Math.sqrt(norm), topFeatures, bottomFeatures, sparse, warnings,
    dla: { top: ranked(dla, k, true).map(tokenOf), bottom: ranked(dla, k, false).map(tokenOf), throughFinalNorm: through },
  };
}
