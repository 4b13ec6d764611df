// Word ends for the exact preference score (src-main/lab/word-end.ts): which tokens continue a
// word, on the real stories260k (SentencePiece) and tiny-random-gpt2 (byte-level BPE) tokenizers and by hand;
// and P(word ends) from a distribution.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { continuesWord, wordContinuers, wordEndProbability } from '../../src-main/lab/word-end.js';

const MODEL = new URL('../fixtures/stories260k/', import.meta.url).pathname;
const GPT2 = new URL('../fixtures/tiny-random-gpt2/', import.meta.url).pathname;

test('continuesWord: a letter first, no space; punctuation, digits, spaces and empty text end the word', () => {
  for (const t of ['s', 'tle', 'erpillar', 'É', 'ß', 'я']) assert.equal(continuesWord(t), true, t);
  for (const t of [' cat', '.', ',', '!', '\n', '7', '-', "'s", '', '<end_of_turn>']) assert.equal(continuesWord(t), false, JSON.stringify(t));
});

test('wordContinuers on a real tokenizer: pieces with ▁ and special tokens end the word, bare letters continue it', () => {
  const rt = Runtime.start();
  try {
    const m = LanguageModel.open(rt, MODEL);
    const tok = m.tokenizer();
    const V = m.spec.vocab;
    const c = wordContinuers(tok, V);
    assert.equal(c.length, V);
    assert.equal(wordContinuers(tok, V), c, 'cached per tokenizer');
    const id = (piece: string) => {
      const i = tok.tokenToId(piece);
      assert.ok(i !== undefined, piece);
      return i;
    };
    for (const p of ['▁big', '▁the', '.', ',', '<0x0A>']) assert.equal(c[id(p)], 0, p);
    for (const p of ['s', 'e', 'ed']) assert.equal(c[id(p)], 1, p);
    for (const sid of tok.specialIds) if (sid < V) assert.equal(c[sid], 0, `special ${sid}`);
    // by hand: pieces with no ▁ that start with a letter, and the byte pieces of ASCII letters (<0x41> is 'A')
    let want = 0;
    for (let v = 0; v < V; v++) {
      const piece = tok.idToToken(v) ?? '';
      const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
      const text = byte ? (parseInt(byte[1]!, 16) < 0x80 ? String.fromCharCode(parseInt(byte[1]!, 16)) : piece) : piece;
      if (!tok.specialIds.has(v) && !text.startsWith('▁') && /^\p{L}/u.test(text)) want++;
    }
    assert.equal(c[id('<0x41>')], 1, "the byte piece of 'A' continues a word");
    assert.equal(c.reduce((a, x) => a + x, 0), want);
  } finally {
    void rt.close();
  }
});

test('wordContinuers on a byte-level BPE vocabulary (tiny-random-gpt2): Ġ pieces end the word, bare letters continue it', () => {
  const rt = Runtime.start();
  try {
    const m = LanguageModel.open(rt, GPT2);
    const tok = m.tokenizer();
    const V = m.spec.vocab;
    const c = wordContinuers(tok, V);
    const id = (piece: string) => {
      const i = tok.tokenToId(piece);
      assert.ok(i !== undefined, piece);
      return i;
    };
    // 'Ġthe' is ' the' (a new word), 'Ġ' a space, 'Ċ' a newline, 'Ã' a lone UTF-8 lead byte (the known limit)
    for (const p of ['Ġthe', 'Ġ', 'Ċ', '.', 'Ã']) assert.equal(c[id(p)], 0, p);
    assert.equal(c[id('s')], 1, 's');
    // by hand: GPT-2's byte↔unicode table inverted, each piece's bytes decoded as UTF-8, a letter first
    const bs: number[] = [];
    for (const [lo, hi] of [[33, 126], [161, 172], [174, 255]] as const) for (let b = lo; b <= hi; b++) bs.push(b);
    const cs = [...bs];
    let extra = 0;
    for (let b = 0; b < 256; b++) if (!bs.includes(b)) (bs.push(b), cs.push(256 + extra++));
    const byteOf = new Map(cs.map((u, i) => [String.fromCodePoint(u), bs[i]!]));
    let want = 0;
    for (let v = 0; v < V; v++) {
      const piece = tok.idToToken(v);
      if (piece === undefined || tok.specialIds.has(v)) continue;
      const bytes = [...piece].map((ch) => byteOf.get(ch));
      if (bytes.some((b) => b === undefined)) continue;
      const text = new TextDecoder().decode(Uint8Array.from(bytes as number[]));
      const cont = /^\p{L}/u.test(text) ? 1 : 0;
      assert.equal(c[v], cont, `${v} ${JSON.stringify(piece)} → ${JSON.stringify(text)}`);
      want += cont;
    }
    assert.ok(want > 100, `${want} continuing pieces`);
    assert.equal(c.reduce((a, x) => a + x, 0), want);
  } finally {
    void rt.close();
  }
});

test('wordEndProbability: 1 − the continuing mass, normalised, clamped; NaN for an empty distribution', () => {
  const cont = Uint8Array.of(1, 0, 1, 0);
  assert.ok(Math.abs(wordEndProbability(Float32Array.of(0.1, 0.2, 0.3, 0.4), cont) - 0.6) < 1e-7);
  assert.ok(Math.abs(wordEndProbability(Float64Array.of(0.2, 0.4, 0.6, 0.8), cont) - 0.6) < 1e-12, 'unnormalised input');
  assert.equal(wordEndProbability(Float64Array.of(1, 0, 0, 0), cont), 0);
  assert.ok(Number.isNaN(wordEndProbability(Float64Array.of(0, 0, 0, 0), cont)));
});
