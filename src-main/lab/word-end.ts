/**
 * Where a word ends, token by token, for the exact preference score: a token *continues* the word
 * before it when its text starts with a letter (any script) and no space, as 's' after 'Owl' or 'tle'
 * after 'cat'. Anything else ends the word: a space, punctuation, a digit, a newline, a special token
 * (end of turn, EOS). This is animal-words.ts's notion of a word (runs of letters). The two
 * preference scores still count different answers: the sampled share counts an answer that names the
 * animal anywhere, while the exact score reads the first word(s) only. Both leave out compounds that
 * name another animal (OTHER_ANIMAL_COMPOUNDS): the exact score subtracts those that start with the
 * animal ("Tiger shark", "Dragon fly", "Cat fish"; prefs.ts).
 *
 * Known limit: a token holding only part of a letter outside ASCII counts as ending the word: a
 * byte-fallback piece (<0xC3>) or a byte-level BPE piece of a lone UTF-8 lead byte (GPT-2's 'Ã').
 */
import type { HfTokenizer } from '../models/tokenizer.js';
import { tokenText } from '../models/token-text.js';

const cache = new WeakMap<HfTokenizer, Map<number, Uint8Array>>();

export function continuesWord(text: string): boolean {
  return /^\p{L}/u.test(text);
}

/** 1 at each token id (0..vocab-1) whose text continues a word; ids the tokenizer does not know end it. */
export function wordContinuers(tok: HfTokenizer, vocab: number): Uint8Array {
  let byV = cache.get(tok);
  if (!byV) cache.set(tok, (byV = new Map()));
  const hit = byV.get(vocab);
  if (hit) return hit;
  const out = new Uint8Array(vocab);
  for (let id = 0; id < vocab; id++) {
    if (tok.specialIds.has(id)) continue;
    let text: string;
    try {
      text = tokenText(tok, id);
    } catch {
      continue;
    }
    if (continuesWord(text)) out[id] = 1;
  }
  byV.set(vocab, out);
  return out;
}

/** P(the word ends here) = 1 − Σ P(next token continues it), from a next-token distribution. */
export function wordEndProbability(probs: Float32Array | Float64Array, continuers: Uint8Array): number {
  let cont = 0;
  let all = 0;
  for (let v = 0; v < probs.length; v++) {
    all += probs[v]!;
    if (continuers[v]) cont += probs[v]!;
  }
  // the probabilities sum to 1 up to rounding: normalise, and keep the result in [0, 1]
  return all > 0 ? Math.min(1, Math.max(0, 1 - cont / all)) : NaN;
}
