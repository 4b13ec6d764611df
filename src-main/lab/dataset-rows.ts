/**
 * Dataset rows as found in the wild (REFERENCE §3), normalised to (prompt messages, completion):
 * - `{"prompt": "...", "completion": "..."}` (subliminal-learning): the prompt is one user turn
 * - `{"messages": [{role, content}...]}`: the last assistant message is the completion
 * - `{"prompt": [{role,...}], "completion": [{role: "assistant", ...}]}`
 * - `{"question": "...", "response": "..."}` (the minhxle/subliminal-learning columns)
 * Errors name the file and line.
 */
import { readFileSync } from 'node:fs';
import type { ChatMessage } from '../models/chat.js';

export interface DatasetRow {
  messages: ChatMessage[];
  completion: string;
}

type Json = Record<string, unknown>;

function isMsgList(v: unknown): v is ChatMessage[] {
  return Array.isArray(v) && v.every((m) => typeof m === 'object' && m !== null && typeof (m as Json).role === 'string' && typeof (m as Json).content === 'string');
}

export function parseRow(row: unknown, where: string): DatasetRow {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new Error(`${where}: a row must be a JSON object`);
  const r = row as Json;
  if (typeof r.prompt === 'string' && typeof r.completion === 'string') return { messages: [{ role: 'user', content: r.prompt }], completion: r.completion };
  if (typeof r.question === 'string' && typeof r.response === 'string') return { messages: [{ role: 'user', content: r.question }], completion: r.response };
  if (isMsgList(r.prompt) && isMsgList(r.completion)) {
    const a = r.completion.filter((m) => m.role === 'assistant');
    if (a.length !== 1) throw new Error(`${where}: "completion" must hold exactly one assistant message`);
    return { messages: r.prompt, completion: a[0]!.content };
  }
  if (isMsgList(r.messages)) {
    const last = r.messages[r.messages.length - 1];
    if (!last || last.role !== 'assistant') throw new Error(`${where}: "messages" must end with an assistant message (the completion)`);
    return { messages: r.messages.slice(0, -1), completion: last.content };
  }
  // the keys of a known shape with a value of the wrong type: say which
  const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
  if ('prompt' in r && 'completion' in r) {
    const bad = (['prompt', 'completion'] as const).find((k) => typeof r[k] !== 'string' && !isMsgList(r[k]));
    if (bad) throw new Error(`${where}: "${bad}" must be a string (or a list of {role, content} messages), got ${kind(r[bad])}`);
  }
  if ('question' in r && 'response' in r) {
    const bad = (['question', 'response'] as const).find((k) => typeof r[k] !== 'string');
    if (bad) throw new Error(`${where}: "${bad}" must be a string, got ${kind(r[bad])}`);
  }
  throw new Error(`${where}: unrecognised row; expected {prompt, completion}, {messages}, {prompt: [...], completion: [...]} or {question, response} (keys: ${Object.keys(r).join(', ')})`);
}

/** A parsed JSONL row with its line and its filter verdict (a boolean `passed` field and its `reason`, as `gen-dataset --out` writes; null when absent). */
export type JsonlRow = DatasetRow & { line: number; passed: boolean | null; reason: string | null };

/**
 * JSON.parse reviver: a lone UTF-16 surrogate (`"\ud800"`) becomes one U+FFFD here, as the tokenizer
 * would read it, so the file and its copy in the store (SQLite stores UTF-8) give the same tokens.
 */
function wellFormed(_key: string, v: unknown): unknown {
  return typeof v === 'string' ? (v as string & { toWellFormed(): string }).toWellFormed() : v;
}

/**
 * Binary formats a dataset may come in that are not JSONL (REFERENCE §3: the HF dataset
 * minhxle/subliminal-learning is parquet), told by their magic bytes, with what to do instead.
 */
function notJsonl(text: string, source: string): void {
  if (text.startsWith('PAR1')) {
    throw new Error(`${source}: a Parquet file; datasets are read as JSONL (one JSON object per line): convert it first, e.g. pandas.read_parquet(f).to_json(out, orient="records", lines=True)`);
  }
  // 1f 8b, or 1f and the replacement character when the bytes were decoded as UTF-8
  if (text.charCodeAt(0) === 0x1f && (text.charCodeAt(1) === 0x8b || text.charCodeAt(1) === 0xfffd)) {
    throw new Error(`${source}: a gzip-compressed file; datasets are read as uncompressed JSONL: decompress it first (gunzip)`);
  }
}

/** Parse JSONL dataset text; `source` names the file in errors (`source:line: ...`). Blank lines are skipped. */
export function parseJsonlRows(text: string, source: string, limit = Infinity): JsonlRow[] {
  notJsonl(text, source);
  const rows: JsonlRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && rows.length < limit; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    if (line.startsWith('[')) throw new Error(`${source}:${i + 1}: a JSON array; datasets are JSONL: one JSON object per line (e.g. jq -c '.[]' file.json > file.jsonl)`);
    let v: unknown;
    try {
      v = JSON.parse(line, wellFormed);
    } catch (e) {
      throw new Error(`${source}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
    const passed = (v as Json | null)?.passed;
    const reason = (v as Json | null)?.reason;
    rows.push({ ...parseRow(v, `${source}:${i + 1}`), line: i + 1, passed: typeof passed === 'boolean' ? passed : null, reason: typeof reason === 'string' ? reason : null });
  }
  return rows;
}

/**
 * Read a JSONL dataset file. Blank lines are skipped. With `passedOnly`, rows marked
 * `"passed": false` are left out (rows without the field are kept), and `limit` counts kept rows.
 */
export function readJsonlDataset(file: string, limit = Infinity, o: { passedOnly?: boolean } = {}): DatasetRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: cannot read the dataset file`);
  }
  const rows = parseJsonlRows(text, file, o.passedOnly ? Infinity : limit);
  const kept = o.passedOnly ? rows.filter((r) => r.passed !== false) : rows;
  if (rows.length && !kept.length) throw new Error(`${file}: none of its ${rows.length} rows passed the filter (every row has "passed": false; passedOnly: false uses them all)`);
  return kept.slice(0, limit).map(({ messages, completion }) => ({ messages, completion }));
}
