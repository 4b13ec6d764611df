/**
 * Chat templates and (prompt, completion) token pairs.
 *
 * Rendering: the tokenizer's `chat_template` with @huggingface/jinja, given `messages`,
 * `add_generation_prompt`, `bos_token`, `eos_token` (and pad/unk when set), as HF's
 * apply_chat_template does. The rendered text already holds BOS, so it is tokenized without
 * adding special tokens.
 *
 * System prompts: templates without a system role (Gemma 1/2 raise "System role not supported")
 * get the system text before the first user turn, separated by a blank line: `system + "\n\n" + user`
 * (REFERENCE §1; Gemma 3's own template does the same). In 'auto' mode the template is tried with the
 * system message first; if it throws, or renders without the system text, the system text is merged.
 *
 * Pairs: `ids` = tokenize(prompt + completion) and the completion mask marks the tokens after the
 * prompt's tokens, when tokenize(prompt) is a prefix of it ('joint', the usual case: the prompt ends
 * in a special token or a newline). When it is not (a merge across the boundary, e.g. prompt "x ="
 * + completion " 1" fusing " =" and " 1" differently), the pair is tokenized apart and concatenated
 * ('separate'): tokenize(prompt) ++ tokenize(completion). That keeps the prompt's tokens exactly as
 * the generator saw them and the mask exact, at the price of a completion tokenization that may
 * differ from a joint one at its first token.
 */
import { Template } from '@huggingface/jinja';
import type { HfTokenizer } from './tokenizer.js';

export interface ChatMessage {
  role: string; // 'system' | 'user' | 'assistant' | ...
  content: string;
}

export type SystemMode = 'auto' | 'native' | 'merge';

/** What rendering needs: an HfTokenizer, or just a tokenizer_config.json's template and special-token texts. */
export interface ChatTemplateHost {
  dir: string;
  chatTemplate: string | null;
  bos: { token: string } | null;
  eos: { token: string } | null;
  pad?: { token: string } | null;
  unk?: { token: string } | null;
}

export interface RenderOptions {
  addGenerationPrompt?: boolean;
  /** how a leading system message is handled (default 'auto') */
  systemMode?: SystemMode;
}

export interface Rendered {
  text: string;
  /** true when the system message was merged into the first user turn */
  systemMerged: boolean;
}

export interface TokenPair {
  ids: number[];
  /** 1 for completion tokens, 0 for prompt tokens; same length as ids */
  completionMask: number[];
  /** number of prompt tokens (the mask's leading zeros) */
  promptLength: number;
  boundary: 'joint' | 'separate';
}

export interface ChatPair extends TokenPair {
  promptText: string;
  completionText: string;
  systemMerged: boolean;
}

const templateCache = new Map<string, Template>();

function compile(src: string, dir: string): Template {
  let t = templateCache.get(src);
  if (!t) {
    try {
      t = new Template(src);
    } catch (e) {
      throw new Error(`${dir}: cannot parse the chat template: ${(e as Error).message}`);
    }
    templateCache.set(src, t);
  }
  return t;
}

/** Render, naming the tokenizer folder when the template raises (raise_exception) or fails. */
function renderWith(tpl: Template, vars: Record<string, unknown>, dir: string): string {
  try {
    return tpl.render(vars);
  } catch (e) {
    throw new Error(`${dir}: the chat template raised: ${(e as Error).message}`);
  }
}

/** `[system, user, ...]` → `[user(system + "\n\n" + user), ...]`. */
export function mergeSystemIntoFirstUser(messages: ChatMessage[]): ChatMessage[] {
  if (messages.length === 0 || messages[0]!.role !== 'system') return messages;
  const [sys, first, ...rest] = messages;
  if (!first || first.role !== 'user') throw new Error('a system message must be followed by a user message to merge it into that turn');
  return [{ role: 'user', content: `${sys!.content}\n\n${first.content}` }, ...rest];
}

/** Render a conversation with the tokenizer's chat template. */
export function renderChat(tok: ChatTemplateHost, messages: ChatMessage[], opts: RenderOptions = {}): Rendered {
  const src = tok.chatTemplate;
  if (src === null) throw new Error(`${tok.dir}: the tokenizer has no chat_template (tokenizer_config.json, chat_template.jinja)`);
  const tpl = compile(src, tok.dir);
  const vars = (msgs: ChatMessage[]): Record<string, unknown> => ({
    messages: msgs.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: opts.addGenerationPrompt ?? false,
    bos_token: tok.bos?.token ?? '',
    eos_token: tok.eos?.token ?? '',
    ...(tok.pad ? { pad_token: tok.pad.token } : {}),
    ...(tok.unk ? { unk_token: tok.unk.token } : {}),
  });
  const mode = opts.systemMode ?? 'auto';
  const hasSystem = messages[0]?.role === 'system';
  if (!hasSystem || mode === 'native') return { text: renderWith(tpl, vars(messages), tok.dir), systemMerged: false };
  if (mode === 'merge') return { text: renderWith(tpl, vars(mergeSystemIntoFirstUser(messages)), tok.dir), systemMerged: true };
  try {
    const text = tpl.render(vars(messages));
    if (text.includes(messages[0]!.content.trim())) return { text, systemMerged: false };
  } catch {
    // template rejects the system role: merge below
  }
  return { text: renderWith(tpl, vars(mergeSystemIntoFirstUser(messages)), tok.dir), systemMerged: true };
}

/**
 * Token ids and completion mask of a text pair. `addSpecialTokens` (default true) adds the
 * tokenizer's BOS/EOS policy around the whole pair; chat-rendered text already has them (use false).
 */
export function encodePair(tok: HfTokenizer, prompt: string, completion: string, opts: { addSpecialTokens?: boolean } = {}): TokenPair {
  const special = opts.addSpecialTokens ?? true;
  const pre = special ? tok.prefixIds : [];
  const suf = special ? tok.suffixIds : [];
  const promptIds = [...pre, ...tok.encode(prompt, { addSpecialTokens: false })];
  const joint = [...pre, ...tok.encode(prompt + completion, { addSpecialTokens: false }), ...suf];
  let ids: number[];
  let boundary: TokenPair['boundary'];
  if (joint.length > promptIds.length && promptIds.every((id, i) => joint[i] === id)) {
    ids = joint;
    boundary = 'joint';
  } else {
    ids = [...promptIds, ...tok.encode(completion, { addSpecialTokens: false }), ...suf];
    boundary = 'separate';
  }
  const completionMask = ids.map((_, i) => (i < promptIds.length ? 0 : 1));
  return { ids, completionMask, promptLength: promptIds.length, boundary };
}

/**
 * A chat (prompt messages, assistant completion) pair. The prompt is the conversation rendered with
 * the generation prompt. With `endOfTurn` (default true) the completion text is what the template
 * renders for the assistant turn after that prompt (e.g. Gemma: `completion<end_of_turn>\n`), so the
 * loss covers the end-of-turn token as in TRL's prompt-completion training; without it, the
 * completion is the raw text.
 */
export function chatPair(
  tok: HfTokenizer,
  messages: ChatMessage[],
  completion: string,
  opts: { endOfTurn?: boolean; systemMode?: SystemMode } = {},
): ChatPair {
  const prompt = renderChat(tok, messages, { addGenerationPrompt: true, systemMode: opts.systemMode });
  const mode: SystemMode = prompt.systemMerged ? 'merge' : 'native';
  let completionText = completion;
  if (opts.endOfTurn ?? true) {
    const full = renderChat(tok, [...messages, { role: 'assistant', content: completion }], { addGenerationPrompt: false, systemMode: mode });
    if (full.text.startsWith(prompt.text) && full.text.length > prompt.text.length) completionText = full.text.slice(prompt.text.length);
  }
  const pair = encodePair(tok, prompt.text, completionText, { addSpecialTokens: false });
  return { ...pair, promptText: prompt.text, completionText, systemMerged: prompt.systemMerged };
}
