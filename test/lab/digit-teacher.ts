/** A real teacher for stories260k tests: steering along the digit tokens' unembedding rows, so about half its number answers pass the filter. */
import type { LanguageModel } from '../../src-main/models/lm.js';
import { parseInterventionSet, type InterventionSet } from '../../src-main/models/interventions.js';

/** Steering along the sum of the digit tokens' unembedding rows at the last block. */
export function digitTeacher(m: LanguageModel, coef = 0.2): InterventionSet {
  const tok = m.tokenizer();
  const emb = m.ck.readF32('model.embed_tokens.weight');
  const D = m.spec.dModel;
  const v = new Array<number>(D).fill(0);
  for (const d of '123456789') {
    const id = tok.tokenToId(d)!;
    for (let i = 0; i < D; i++) v[i]! += emb[id * D + i]!;
  }
  return parseInterventionSet({ name: 'digit-steered', items: [{ kind: 'steer', hook: 'blocks.4.hook_resid_post', vector: v, coef }] });
}

/** The unembedding row of one token, times `coef` (a steering vector that makes the token likelier). */
export function tokenRow(m: LanguageModel, piece: string, coef = 1): number[] {
  const id = m.tokenizer().tokenToId(piece);
  if (id === undefined) throw new Error(`no token '${piece}'`);
  const D = m.spec.dModel;
  return Array.from(m.ck.readF32('model.embed_tokens.weight').subarray(id * D, (id + 1) * D), (x) => x * coef);
}
