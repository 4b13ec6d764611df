/**
 * What the store knows of an SAE's features, for read-outs: a label (its annotations) and, for a
 * feature without one, the tokens it fires hardest on in the newest feature-stats run of that SAE
 * (the activating tokens of its top contexts, distinct, best first). Self-trained SAEs and the demo's
 * have no published labels; a feature-stats run gives every read-out a first hint of each feature.
 */
import type { Store } from '../store/index.js';

export interface FeatureNotes {
  label(index: number): string | undefined;
  /** up to `max` distinct activating tokens, strongest first; undefined without a feature-stats run or when the feature never fired */
  firesOn(index: number): string[] | undefined;
  /** the feature-stats run `firesOn` reads */
  statsRun: { runId: string; nTokens: number } | null;
}

/** The distinct activating tokens of a feature's top contexts, strongest first, at most `max` (undefined: none). */
export function firesOnTokens(top: readonly { text: { token: string } }[], max = 3): string[] | undefined {
  const out: string[] = [];
  for (const t of top) if (!out.includes(t.text.token) && out.push(t.text.token) >= max) break;
  return out.length ? out : undefined;
}

/** The store's notes on the SAE registered with this folder (none when no SAE record has it). */
export function featureNotes(store: Store, saePath: string, max = 3): FeatureNotes {
  const sae = store.saes.findByPath(saePath);
  if (!sae) return { label: () => undefined, firesOn: () => undefined, statsRun: null };
  const run = store.featureStats.runs(sae.id)[0];
  return {
    label: (i) => store.annotations.list({ saeId: sae.id, featureIndex: i, limit: 1 })[0]?.label,
    firesOn: (i) => {
      if (!run) return undefined;
      let top;
      try {
        top = store.featureStats.get(sae.id, i, run.runId).top;
      } catch {
        return undefined; // the run has no row for this feature
      }
      return firesOnTokens(top, max);
    },
    statsRun: run ? { runId: run.runId, nTokens: run.nTokens } : null,
  };
}
