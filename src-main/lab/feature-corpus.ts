/**
 * A text corpus for feature statistics: documents (token ids) cut into fixed-length contexts.
 *
 * Documents come from plain texts (encoded with the tokenizer's special tokens, e.g. BOS first) or
 * from dataset rows (prompt + completion, encoded as for scoring: the chat template when the model
 * has one, else plain text). A corpus file is
 * - `.jsonl`: rows `{"text": "..."}`, or dataset rows (dataset-rows.ts: {prompt, completion}, {messages}, ...)
 * - anything else: plain text, one document per blank-line-separated paragraph.
 *
 * Contexts: a document of at most `contextLen` tokens is one context. A longer one is cut into
 * windows of `contextLen`; every window after the first starts with the tokenizer's prefix ids
 * (BOS) again, so that each context reads like the start of a document. Inserted prefix tokens are
 * never counted; BOS tokens are not counted unless `countBos` (their activations are outliers).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { encodeRow } from '../models/encode-rows.js';
import type { HfTokenizer } from '../models/tokenizer.js';
import { parseRow, type DatasetRow } from './dataset-rows.js';

export interface CorpusDoc {
  ids: readonly number[];
  /** 1 = the token may be counted (e.g. completion tokens only); default all */
  count?: readonly number[];
}

export type CorpusSource = { texts: string[] } | { rows: DatasetRow[] };

/** Read a corpus file (see the module comment). Errors name the file and line. */
export function readCorpusFile(file: string, limit = Infinity): CorpusSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: cannot read the corpus file`);
  }
  if (!file.toLowerCase().endsWith('.jsonl')) {
    const texts = text.split(/\r?\n\s*\r?\n/).map((p) => p.trim()).filter((p) => p.length > 0).slice(0, limit);
    if (!texts.length) throw new Error(`${file}: the corpus has no text`);
    return { texts };
  }
  const texts: string[] = [];
  const rows: DatasetRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && texts.length + rows.length < limit; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const where = `${file}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
    }
    const isText = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { text?: unknown }).text === 'string';
    if (isText) texts.push((v as { text: string }).text);
    else rows.push(parseRow(v, `${where} (or a {"text": ...} row)`));
    if (texts.length && rows.length) throw new Error(`${where}: mixes {"text"} rows with dataset rows; use one kind per file`);
  }
  if (!texts.length && !rows.length) throw new Error(`${file}: the corpus has no rows`);
  return texts.length ? { texts } : { rows };
}

/** Encode a corpus: texts with the tokenizer's special tokens; rows as for scoring (optionally counting completion tokens only). */
export function corpusDocs(tok: HfTokenizer, src: CorpusSource, o: { raw?: boolean; completionOnly?: boolean } = {}): CorpusDoc[] {
  if ('texts' in src) return src.texts.map((t) => ({ ids: tok.encode(t) }));
  return src.rows.map((r) => {
    const it = encodeRow(tok, r.messages, r.completion, { raw: o.raw });
    return o.completionOnly ? { ids: it.ids, count: it.completionMask } : { ids: it.ids };
  });
}

/** Contexts in flat arrays; context c holds ids[offsets[c] .. offsets[c+1]). */
export interface Contexts {
  n: number;
  ids: Int32Array;
  offsets: Int32Array;
  /** 1 where the token is counted */
  count: Uint8Array;
  /** the document of each context */
  doc: Int32Array;
  /** index in the document of the context's first document token */
  docStart: Int32Array;
  /** prefix tokens inserted before the document tokens (0 for a document's first context) */
  inserted: Int32Array;
  /** counted tokens over all contexts */
  countedTokens: number;
}

export interface ContextOptions {
  contextLen: number;
  /** ids put before every continuation window (the tokenizer's prefix ids, e.g. [BOS]) */
  prefixIds?: readonly number[];
  /** token ids never counted (default: none; pass the BOS id to skip it) */
  skipIds?: ReadonlySet<number>;
  /** stop after this many contexts */
  maxContexts?: number;
}

/** Cut documents into contexts (see the module comment). Contexts with no counted token are left out. */
export function buildContexts(docs: readonly CorpusDoc[], o: ContextOptions): Contexts {
  const L = o.contextLen;
  const pre = o.prefixIds ?? [];
  if (!Number.isInteger(L) || L < 2) throw new Error(`contextLen must be an integer ≥ 2, got ${L}`);
  if (pre.length >= L) throw new Error(`contextLen ${L} leaves no room after the ${pre.length} prefix token(s)`);
  const max = o.maxContexts ?? Infinity;
  const skip = o.skipIds ?? new Set<number>();
  const ids: number[] = [];
  const count: number[] = [];
  const offsets: number[] = [0];
  const doc: number[] = [];
  const docStart: number[] = [];
  const inserted: number[] = [];
  let counted = 0;
  outer: for (let d = 0; d < docs.length; d++) {
    const D = docs[d]!;
    if (D.count && D.count.length !== D.ids.length) throw new Error(`document ${d}: ${D.ids.length} ids but ${D.count.length} count flags`);
    for (let s = 0; s < D.ids.length; ) {
      if (doc.length >= max) break outer;
      const ins = s === 0 ? 0 : pre.length;
      const take = Math.min(L - ins, D.ids.length - s);
      const cIds: number[] = [...(ins ? pre : []), ...D.ids.slice(s, s + take)];
      const cCount: number[] = cIds.map((id, t) => (t < ins || skip.has(id) || (D.count && !D.count[s + t - ins]) ? 0 : 1));
      const n = cCount.reduce((a, b) => a + b, 0);
      if (n > 0) {
        ids.push(...cIds);
        count.push(...cCount);
        offsets.push(ids.length);
        doc.push(d);
        docStart.push(s);
        inserted.push(ins);
        counted += n;
      }
      s += take;
    }
  }
  return {
    n: doc.length, ids: Int32Array.from(ids), offsets: Int32Array.from(offsets), count: Uint8Array.from(count),
    doc: Int32Array.from(doc), docStart: Int32Array.from(docStart), inserted: Int32Array.from(inserted), countedTokens: counted,
  };
}

/** The ids of context c. */
export function contextIds(c: Contexts, i: number): Int32Array {
  return c.ids.subarray(c.offsets[i]!, c.offsets[i + 1]!);
}

/** Throws, naming `who` and the context, when a context holds an id outside 0..vocab−1. */
export function checkContextIds(c: Contexts, vocab: number, who: string): void {
  for (let i = 0; i < c.n; i++) {
    for (const id of contextIds(c, i)) if (id < 0 || id >= vocab) throw new Error(`${who}: context ${i} has token id ${id}, outside the vocabulary (0..${vocab - 1})`);
  }
}

/** sha256 of the contexts (ids, boundaries, counted flags, documents): a resume must see the same corpus. */
export function contextsFingerprint(c: Contexts): string {
  const h = createHash('sha256');
  for (const a of [c.ids, c.offsets, c.count, c.doc, c.docStart, c.inserted]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return `sha256:${h.digest('hex')}`;
}

export interface CorpusContextOptions {
  contextLen: number;
  maxContexts?: number;
  /** count BOS tokens too (default false) */
  countBos?: boolean;
  /** dataset rows as plain text even when the model has a chat template */
  raw?: boolean;
  /** dataset rows: count completion tokens only */
  completionOnly?: boolean;
}

/** Encode a corpus and cut it into contexts, with the tokenizer's prefix ids (BOS) before continuation windows. */
export function corpusContexts(tok: HfTokenizer, src: CorpusSource, o: CorpusContextOptions): Contexts {
  const docs = corpusDocs(tok, src, { raw: o.raw, completionOnly: o.completionOnly });
  const skip = new Set<number>(!o.countBos && tok.bos ? [tok.bos.id] : []);
  return buildContexts(docs, { contextLen: o.contextLen, prefixIds: tok.prefixIds, skipIds: skip, maxContexts: o.maxContexts });
}
