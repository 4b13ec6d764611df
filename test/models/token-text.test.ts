/** tokenText keeps the leading space a piece carries (stories260k SentencePiece; GPT-2 byte-level BPE). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../../src-main/models/tokenizer.js';
import { tokenText } from '../../src-main/models/token-text.js';

test('SentencePiece ▁ and byte-level Ġ pieces keep their leading space; others are unchanged', () => {
  const sp = loadTokenizer(new URL('../fixtures/stories260k/', import.meta.url).pathname);
  const ids = sp.encode('Once upon a time', { addSpecialTokens: false });
  assert.equal(ids.map((i) => tokenText(sp, i)).join(''), ' Once upon a time');
  const bpe = loadTokenizer(new URL('../fixtures/tiny-random-gpt2/', import.meta.url).pathname);
  const b = bpe.encode('hello world', { addSpecialTokens: false });
  assert.equal(b.map((i) => tokenText(bpe, i)).join(''), 'hello world');
});

test('a byte-fallback piece of a multi-byte character shows as its name; a whole ASCII byte decodes as itself', () => {
  const sp = loadTokenizer(new URL('../fixtures/stories260k/', import.meta.url).pathname);
  const e2 = sp.tokenToId('<0xE2>')!;
  assert.equal(sp.decode([e2]), '\uFFFD', 'alone, the byte is no character');
  assert.equal(tokenText(sp, e2), '<0xE2>');
  const nl = sp.tokenToId('<0x0A>')!;
  assert.equal(tokenText(sp, nl), '\n');
});
