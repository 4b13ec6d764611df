/**
 * Tokenizer of a Hugging Face model folder: tokenizer.json + tokenizer_config.json through
 * @huggingface/tokenizers (pure JS), with HF's special-token policy:
 * - if tokenizer_config.json sets `add_bos_token` / `add_eos_token`, those decide (as HF's
 *   Llama/Gemma fast tokenizers do, overriding the post-processor);
 * - otherwise the tokenizer.json post-processor decides (measured once by encoding "a" with and
 *   without special tokens).
 * The chat template comes from a `chat_template.jinja` file in the folder (which wins, as in
 * transformers), tokenizer_config.json `chat_template` (a string, or a list of named templates with a
 * "default"), or a legacy `chat_template.json`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { checkTokenizerFiles } from './checkpoint.js';
import { ModelFileError } from './errors.js';

export interface SpecialToken {
  id: number;
  token: string;
}

export interface HfTokenizer {
  dir: string;
  /** token ids; addSpecialTokens (default true) adds `prefixIds` and `suffixIds` */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** the vocabulary piece of each id (e.g. '▁Once', 'Ġworld', '<0x0A>') */
  pieces(ids: number[]): string[];
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  bos: SpecialToken | null;
  eos: SpecialToken | null;
  pad: SpecialToken | null;
  unk: SpecialToken | null;
  /** ids added before / after the text when special tokens are on (e.g. [BOS] / []) */
  prefixIds: number[];
  suffixIds: number[];
  /** ids of all special added tokens */
  specialIds: Set<number>;
  /** size of the vocabulary including added tokens */
  vocabSize: number;
  chatTemplate: string | null;
  config: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function readJson(file: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ModelFileError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ModelFileError(file, 'not a JSON object');
  return v as Json;
}

/** The text of a special-token entry in tokenizer_config.json: a string or an AddedToken-like {content}. */
function tokenText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return null;
}

export function loadTokenizer(dir: string): HfTokenizer {
  checkTokenizerFiles(dir);
  const tjFile = join(dir, 'tokenizer.json');
  const tcFile = join(dir, 'tokenizer_config.json');
  const tj = readJson(tjFile);
  const tc = readJson(tcFile);
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(tj, tc);
  } catch (e) {
    throw new ModelFileError(tjFile, `cannot build tokenizer: ${(e as Error).message}`);
  }

  const special = (key: string): SpecialToken | null => {
    const t = tokenText(tc[key]);
    if (t === null) return null;
    const id = tok.token_to_id(t);
    if (id === undefined) throw new ModelFileError(tcFile, `${key} ${JSON.stringify(t)} is not in the vocabulary of tokenizer.json`);
    return { id, token: t };
  };
  const bos = special('bos_token');
  const eos = special('eos_token');
  const pad = special('pad_token');
  const unk = special('unk_token');

  const raw = (text: string): number[] => tok.encode(text, { add_special_tokens: false }).ids;
  let prefixIds: number[];
  let suffixIds: number[];
  if (typeof tc.add_bos_token === 'boolean' || typeof tc.add_eos_token === 'boolean') {
    if (tc.add_bos_token === true && !bos) throw new ModelFileError(tcFile, 'add_bos_token is true but bos_token is not set');
    if (tc.add_eos_token === true && !eos) throw new ModelFileError(tcFile, 'add_eos_token is true but eos_token is not set');
    prefixIds = tc.add_bos_token === true ? [bos!.id] : [];
    suffixIds = tc.add_eos_token === true ? [eos!.id] : [];
  } else {
    const withS = tok.encode('a', { add_special_tokens: true }).ids;
    const without = raw('a');
    const at = indexOfSub(withS, without);
    if (at < 0) throw new ModelFileError(tjFile, 'post-processor output does not contain the encoded text; cannot tell its special tokens');
    prefixIds = withS.slice(0, at);
    suffixIds = withS.slice(at + without.length);
  }

  const specialIds = new Set<number>();
  for (const [id, t] of tok.get_added_tokens_decoder()) if (t.special) specialIds.add(id);

  return {
    dir,
    encode: (text, opts = {}) => ((opts.addSpecialTokens ?? true) ? [...prefixIds, ...raw(text), ...suffixIds] : raw(text)),
    decode: (ids, opts = {}) => tok.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? false }),
    pieces: (ids) => ids.map((id) => tok.id_to_token(id) ?? `<id ${id}?>`),
    tokenToId: (t) => tok.token_to_id(t),
    idToToken: (id) => tok.id_to_token(id),
    bos,
    eos,
    pad,
    unk,
    prefixIds,
    suffixIds,
    specialIds,
    vocabSize: tok.get_vocab(true).size,
    chatTemplate: findChatTemplate(dir, tc, tcFile),
    config: tc,
  };
}

/**
 * The chat template, chosen as transformers does: a `chat_template.jinja` file wins over the config's
 * `chat_template` ("takes priority over template entries in the tokenizer config"); a list of named
 * templates must have a "default" entry; then a legacy `chat_template.json`. Null when there is none.
 */
function findChatTemplate(dir: string, tc: Json, tcFile: string): string | null {
  const jinja = join(dir, 'chat_template.jinja');
  if (existsSync(jinja)) return readFileSync(jinja, 'utf8');
  const ct = tc.chat_template;
  if (typeof ct === 'string') return ct;
  if (Array.isArray(ct)) {
    const named = ct.map((t, i) => {
      const e = t as { name?: unknown; template?: unknown } | null;
      if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || typeof e.template !== 'string') {
        throw new ModelFileError(tcFile, `chat_template[${i}] must be {"name", "template"} with string values, got ${JSON.stringify(t)?.slice(0, 80)}`);
      }
      return { name: e.name, template: e.template };
    });
    const def = named.find((t) => t.name === 'default');
    if (!def) throw new ModelFileError(tcFile, `chat_template list has no "default" template (names: ${named.map((t) => t.name).join(', ') || 'none'})`);
    return def.template;
  }
  if (ct !== undefined && ct !== null) {
    throw new ModelFileError(tcFile, `chat_template must be a string or a list of {"name", "template"}, got ${JSON.stringify(ct)?.slice(0, 80)}`);
  }
  const js = join(dir, 'chat_template.json');
  if (existsSync(js)) {
    const v = readJson(js).chat_template;
    if (typeof v === 'string') return v;
  }
  return null;
}

function indexOfSub(a: number[], b: number[]): number {
  outer: for (let i = 0; i + b.length <= a.length; i++) {
    for (let j = 0; j < b.length; j++) if (a[i + j] !== b[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Only the chat template and special-token texts, from tokenizer_config.json (+ chat_template.jinja):
 * enough to render a chat without building the tokenizer.
 */
export function loadChatTemplateHost(dir: string): {
  dir: string;
  chatTemplate: string | null;
  bos: { token: string } | null;
  eos: { token: string } | null;
  pad: { token: string } | null;
  unk: { token: string } | null;
} {
  const tcFile = join(dir, 'tokenizer_config.json');
  if (!existsSync(tcFile)) throw new ModelFileError(tcFile, 'missing tokenizer file (tokenizer_config.json holds the chat template)');
  const tc = readJson(tcFile);
  const sp = (k: string): { token: string } | null => {
    const t = tokenText(tc[k]);
    return t === null ? null : { token: t };
  };
  return { dir, chatTemplate: findChatTemplate(dir, tc, tcFile), bos: sp('bos_token'), eos: sp('eos_token'), pad: sp('pad_token'), unk: sp('unk_token') };
}
