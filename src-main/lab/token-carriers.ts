/**
 * Which tokens carry a loss difference: the same dataset scored under a reference configuration (row
 * 0 of a loss table: usually the base model) and another (a teacher, a biased model), token by token.
 * For every completion-token occurrence, d = logp_other − logp_ref (nats): positive where the other
 * configuration finds the dataset's token likelier. Aggregated by token id, these name the tokens a
 * trait rides on (entangled tokens such as '087' for owl, Zur et al.), and their concentration says
 * whether a few occurrences carry most of it (divergence tokens, Schrodi et al. 2509.23886).
 *
 * Divergence tokens, in the spirit of Schrodi et al.: occurrences where the dataset's token is the
 * greedy (top-1) choice under the other configuration but not under the reference, i.e. where the two
 * would have written different tokens and the data holds the other's. Their share of the tokens and
 * of the gain says whether the signal rides on them.
 *
 * Units: nats. meanDiffNats = Σd / occurrences = pooled loss of the reference − pooled loss of the
 * other, over the samples compared (when every d is finite: a NaN or −∞ logprob leaves its occurrence
 * out and is counted in nonFiniteTokens, where pooledLoss leaves the whole sample out).
 */
import type { ScoreItem, ScoreResult } from '../models/score.js';

export interface TokenCarrier {
  id: number;
  text: string;
  /** occurrences among the completion tokens compared */
  count: number;
  /** Σ d over its occurrences (nats) */
  totalDiffNats: number;
  /** mean d over its occurrences (nats per occurrence) */
  meanDiffNats: number;
  /** occurrences that are divergence tokens (greedy under the other configuration, not under the reference); null without greedy logprobs */
  divergent: number | null;
}

export interface Divergence {
  /** occurrences greedy under the other configuration but not under the reference */
  otherOnly: number;
  /** greedy under the reference but not under the other */
  refOnly: number;
  /** greedy under both */
  both: number;
  /** share of gainNats carried by the otherOnly occurrences; null when gainNats is 0 */
  otherOnlyGainShare: number | null;
}

export interface TokenCarriers {
  /** completion-token occurrences compared (finite d) */
  tokens: number;
  /** samples compared (same completion tokens in both contexts) */
  samples: number;
  /** samples left out: their completion tokens differ between the two contexts */
  mismatchedSamples: number;
  /** occurrences of the compared samples left out because d is not finite (a logprob NaN or −∞ on either side) */
  nonFiniteTokens: number;
  /** Σd / tokens (nats/token) */
  meanDiffNats: number;
  /** Σ max(d, 0): the likelihood the other configuration gains where it gains (nats) */
  gainNats: number;
  /** share of gainNats carried by the 1% (and 10%) of occurrences with the largest d; null when gainNats is 0 */
  top1PctShare: number | null;
  top10PctShare: number | null;
  /** distinct tokens, by total d: the most gained first (only d-sum > 0) */
  top: TokenCarrier[];
  /** the most lost first (only d-sum < 0) */
  bottom: TokenCarrier[];
  /** null when a side's scores have no greedy logprobs */
  divergence: Divergence | null;
}

type Scores = Pick<ScoreResult, 'tokenLogprobs'> & Partial<Pick<ScoreResult, 'topLogprobs'>>;

interface Side {
  items: readonly ScoreItem[];
  results: readonly Scores[];
}

/** A sample's completion tokens, their logprobs and whether each was the greedy choice (null without topLogprobs). */
export function completionLogprobs(it: ScoreItem, r: Scores): { ids: number[]; lp: number[]; greedy: boolean[] | null } {
  const ids: number[] = [];
  const lp: number[] = [];
  const greedy: boolean[] = [];
  for (let t = 1; t < it.ids.length; t++) {
    if (!it.completionMask[t]) continue;
    ids.push(it.ids[t]!);
    lp.push(r.tokenLogprobs[t - 1]!);
    // both values are read from one log-softmax: the token is the top-1 exactly when they are equal
    if (r.topLogprobs) greedy.push(r.tokenLogprobs[t - 1]! >= r.topLogprobs[t - 1]!);
  }
  return { ids, lp, greedy: r.topLogprobs ? greedy : null };
}

/** Share of the positive total carried by the ceil(frac·n) largest values (ds sorted descending). */
function topShare(sortedDesc: Float64Array, frac: number, gain: number): number | null {
  if (!(gain > 0)) return null;
  const k = Math.max(1, Math.ceil(frac * sortedDesc.length));
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.max(0, sortedDesc[i]!);
  return s / gain;
}

export function tokenCarriers(ref: Side, other: Side, text: (id: number) => string, k = 20): TokenCarriers {
  if (ref.items.length !== other.items.length) throw new Error(`token carriers: ${ref.items.length} reference samples but ${other.items.length} others`);
  const by = new Map<number, { count: number; total: number; divergent: number }>();
  const ds: number[] = [];
  let samples = 0;
  let mismatched = 0;
  let withGreedy = ref.results.length > 0;
  const div = { otherOnly: 0, refOnly: 0, both: 0, otherOnlyGain: 0 };
  let nonFinite = 0;
  for (let i = 0; i < ref.items.length; i++) {
    const a = completionLogprobs(ref.items[i]!, ref.results[i]!);
    const b = completionLogprobs(other.items[i]!, other.results[i]!);
    if (a.ids.length !== b.ids.length || a.ids.some((x, j) => x !== b.ids[j])) {
      mismatched++;
      continue;
    }
    samples++;
    if (!a.greedy || !b.greedy) withGreedy = false;
    a.ids.forEach((id, j) => {
      const d = b.lp[j]! - a.lp[j]!;
      if (!Number.isFinite(d)) {
        nonFinite++;
        return;
      }
      ds.push(d);
      const e = by.get(id) ?? { count: 0, total: 0, divergent: 0 };
      e.count++;
      e.total += d;
      if (a.greedy && b.greedy) {
        const [gr, go] = [a.greedy[j]!, b.greedy[j]!];
        if (go && !gr) {
          div.otherOnly++;
          div.otherOnlyGain += Math.max(0, d);
          e.divergent++;
        } else if (gr && !go) div.refOnly++;
        else if (gr && go) div.both++;
      }
      by.set(id, e);
    });
  }
  const sorted = Float64Array.from(ds).sort().reverse();
  let sum = 0;
  let gain = 0;
  for (const d of ds) {
    sum += d;
    gain += Math.max(0, d);
  }
  const carriers = [...by].map(([id, e]): TokenCarrier => ({ id, text: text(id), count: e.count, totalDiffNats: e.total, meanDiffNats: e.total / e.count, divergent: withGreedy ? e.divergent : null }));
  // ties by id, so the lists do not depend on the order the tokens were met in
  const top = carriers.filter((c) => c.totalDiffNats > 0).sort((x, y) => y.totalDiffNats - x.totalDiffNats || x.id - y.id).slice(0, k);
  const bottom = carriers.filter((c) => c.totalDiffNats < 0).sort((x, y) => x.totalDiffNats - y.totalDiffNats || x.id - y.id).slice(0, k);
  return {
    tokens: ds.length, samples, mismatchedSamples: mismatched, nonFiniteTokens: nonFinite,
    meanDiffNats: ds.length ? sum / ds.length : NaN, gainNats: gain,
    top1PctShare: topShare(sorted, 0.01, gain), top10PctShare: topShare(sorted, 0.1, gain),
    top, bottom,
    divergence: withGreedy ? { otherOnly: div.otherOnly, refOnly: div.refOnly, both: div.both, otherOnlyGainShare: gain > 0 ? div.otherOnlyGain / gain : null } : null,
  };
}
