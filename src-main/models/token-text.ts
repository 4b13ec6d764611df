/**
 * One token's text for display, with its leading space: decoding a single SentencePiece or
 * byte-level BPE token drops the space its piece carries ('▁there' → 'there', 'Ġthe' → 'the').
 */
import type { HfTokenizer } from './tokenizer.js';

export function tokenText(tok: HfTokenizer, id: number): string {
  const text = tok.decode([id]);
  const piece = tok.idToToken(id) ?? '';
  if ((piece.startsWith('▁') || piece.startsWith('Ġ')) && !text.startsWith(' ')) return ` ${text}`;
  return text;
}
