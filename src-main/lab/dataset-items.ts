/**
 * Dataset samples (from the store or a JSONL file) → token ids + completion masks for a model,
 * under a teacher's system prompt when given. Samples whose filter verdict is `false` can be skipped.
 */
import type { ChatMessage } from '../models/chat.js';
import { encodeRow } from '../models/encode-rows.js';
import type { HfTokenizer } from '../models/tokenizer.js';
import type { ScoreItem } from '../models/score.js';
import type { DatasetRow } from './dataset-rows.js';

export interface SampleLike {
  prompt: string;
  completion: string;
  messages?: unknown;
  passed?: boolean | null;
  /** the sample's meta (its filter `reason`, when one failed it) */
  meta?: unknown;
}

/**
 * A stored sample → (prompt messages, completion). Stored `messages` are the whole conversation, as
 * the jobs write them ([user, assistant] with the completion as the final assistant turn), so a
 * final assistant turn is dropped: the completion must be encoded once, after the prompt.
 */
export function sampleToRow(s: SampleLike): DatasetRow {
  const all = Array.isArray(s.messages) ? (s.messages as ChatMessage[]) : [];
  const prompt = all.length && all[all.length - 1]!.role === 'assistant' ? all.slice(0, -1) : all;
  return { messages: prompt.length ? prompt : [{ role: 'user', content: s.prompt }], completion: s.completion };
}

export function rowsToItems(tok: HfTokenizer, rows: readonly DatasetRow[], o: { system?: string; raw?: boolean; maxTokens?: number } = {}): ScoreItem[] {
  // the model's context (max positions): beyond it positions have no embedding (GPT-2) or RoPE was never trained
  const max = o.maxTokens ?? 4096;
  return rows.map((r, i) => {
    const it = encodeRow(tok, r.messages, r.completion, { system: o.system, raw: o.raw });
    if (it.ids.length > max) throw new Error(`sample ${i}: ${it.ids.length} tokens (prompt and completion), more than the ${max} the model has positions for; shorten it or leave it out (--limit, or filter the file)`);
    return { ids: it.ids, completionMask: it.completionMask };
  });
}
