/**
 * (messages, completion) rows → token ids + completion masks, with the model's chat template when it
 * has one (a system prompt is merged into the first user turn for templates without a system role),
 * or as plain text (prompt + completion) for base models without a template.
 */
import type { ChatMessage } from './chat.js';
import { chatPair, encodePair } from './chat.js';
import type { HfTokenizer } from './tokenizer.js';
import type { ScoreItem } from './score.js';

export interface EncodeOptions {
  /** a teacher's system prompt, prepended to every row's messages */
  system?: string;
  /** force plain-text encoding even when a chat template exists */
  raw?: boolean;
}

export function encodeRow(tok: HfTokenizer, messages: readonly ChatMessage[], completion: string, o: EncodeOptions = {}): ScoreItem & { boundary: string } {
  const msgs = o.system ? [{ role: 'system', content: o.system }, ...messages] : [...messages];
  if (tok.chatTemplate && !o.raw) return chatPair(tok, msgs, completion);
  const prompt = msgs.map((m) => m.content).join('\n\n');
  return encodePair(tok, prompt, completion);
}

/** The prompt alone (for generation): chat-rendered with the generation prompt, or plain text. */
export function encodePrompt(tok: HfTokenizer, messages: readonly ChatMessage[], o: EncodeOptions = {}): number[] {
  const msgs = o.system ? [{ role: 'system', content: o.system }, ...messages] : [...messages];
  if (tok.chatTemplate && !o.raw) {
    const p = chatPair(tok, msgs, '', { endOfTurn: false });
    return p.ids.slice(0, p.promptLength);
  }
  return tok.encode(msgs.map((m) => m.content).join('\n\n'));
}
