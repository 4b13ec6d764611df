/**
 * Token-by-token log-probability differences of the same text under two configurations (e.g. a
 * steered and a prompted teacher, or base and biased): for each completion token, logp_A − logp_B
 * in nats. Each configuration's system prompt goes into its own context, so the compared tokens are
 * the completion's, aligned by position in the completion.
 */
import type { ChatMessage } from '../models/chat.js';
import { encodeRow } from '../models/encode-rows.js';
import { systemPromptOf, type InterventionSet } from '../models/interventions.js';
import type { LanguageModel } from '../models/lm.js';
import { scoreItems } from '../models/score.js';
import { tokenText } from '../models/token-text.js';
import { completionLogprobs } from './token-carriers.js';

export interface TokenDiff {
  /** completion tokens: id and decoded text */
  tokens: { id: number; text: string }[];
  /** logprob of each completion token (nats) under A and B */
  logprobA: number[];
  logprobB: number[];
  /** A − B (nats) */
  diff: number[];
  lossA: number;
  lossB: number;
}

export async function tokenDiff(
  model: LanguageModel,
  messages: readonly ChatMessage[],
  completion: string,
  a: InterventionSet,
  b: InterventionSet,
  opts: { raw?: boolean } = {},
): Promise<TokenDiff> {
  const tok = model.tokenizer();
  const side = async (set: InterventionSet) => {
    const it = encodeRow(tok, messages, completion, { system: systemPromptOf(set), raw: opts.raw });
    const [r] = await scoreItems(model, [it], { set });
    const { ids, lp } = completionLogprobs(it, r!);
    return { ids, lp, loss: r!.lossNats };
  };
  const A = await side(a);
  const B = await side(b);
  if (A.ids.length !== B.ids.length || A.ids.some((x, i) => x !== B.ids[i])) {
    throw new Error('token-diff: the completion tokenises differently under the two configurations (their contexts change the token boundary)');
  }
  return {
    tokens: A.ids.map((id) => ({ id, text: tokenText(tok, id) })),
    logprobA: A.lp, logprobB: B.lp, diff: A.lp.map((x, i) => x - B.lp[i]!), lossA: A.loss, lossB: B.loss,
  };
}
