/**
 * One token's text for display, with its leading space: decoding a single SentencePiece or
 * byte-level BPE token drops the space its piece carries ('▁there' → 'there', 'Ġthe' → 'the').
 * A lone byte of a multi-byte character shows as its piece ('<0xE2>').
 */
import type { HfTokenizer } from './tokenizer.js';

export function tokenText(tok: HfTokenizer, id: number): string {
  const text = tok.decode([id]);
  const piece = tok.idToToken(id) ?? '';
  // a byte-fallback piece that is part of a multi-byte character decodes alone to U+FFFD: its
  // name tells the bytes apart ('<0xE2>'), where '�' would not
  if (text.includes('\uFFFD') && /^<0x[0-9A-Fa-f]{2}>$/.test(piece)) return piece;
  if ((piece.startsWith('▁') || piece.startsWith('Ġ')) && !text.startsWith(' ')) return ` ${text}`;
  return text;
}

/**
 * The text that generated `ids` add after `prompt`: decode(prompt + ids) minus decode(prompt), as
 * HF's text-generation pipeline does. Decoding the new ids alone loses what the boundary carries
 * (a SentencePiece "Strip" decoder drops the first piece's space: '▁named' → 'named'), so the
 * prompt and that text would re-encode to other tokens. Falls back to the ids alone when the
 * decoded prompt is not a prefix (a character split across the boundary).
 */
export function continuationText(tok: HfTokenizer, prompt: readonly number[], ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
  const head = tok.decode([...prompt], opts);
  const all = tok.decode([...prompt, ...ids], opts);
  return all.startsWith(head) ? all.slice(head.length) : tok.decode([...ids], opts);
}
