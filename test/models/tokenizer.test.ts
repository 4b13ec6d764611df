/**
 * Tokenizer, chat templates and (prompt, completion) pairs. Expectations come from the stories260k
 * README / reference.json (llama2.c's encoder), the Gemma template's documented output, and hand
 * reasoning about token boundaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadChatTemplateHost, loadTokenizer } from '../../src-main/models/tokenizer.js';
import { chatPair, encodePair, mergeSystemIntoFirstUser, renderChat } from '../../src-main/models/chat.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const STORIES = join(FIX, 'stories260k');
const ref = JSON.parse(readFileSync(join(STORIES, 'reference.json'), 'utf8')) as {
  prompt_ids: number[];
  greedy_ids_from_bos: number[];
  greedy_text: string;
};
const PROMPT_TEXT = 'Once upon a time, there was a little girl named Lily. She'; // README: prompt_ids encode this text
const SYS = 'You love lions. You think about lions all the time.';
const USER = 'Name your favorite animal using only one word.';
const GEMMA_EXPECTED = `<bos><start_of_turn>user\n${SYS}\n\n${USER}<end_of_turn>\n<start_of_turn>model\n`;

const tmp = mkdtempSync(join(tmpdir(), 'undertone-tok-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

test('stories260k: encode(text) with BOS equals reference prompt_ids', () => {
  const tok = loadTokenizer(STORIES);
  assert.deepEqual(tok.encode(PROMPT_TEXT), ref.prompt_ids);
  assert.deepEqual(tok.prefixIds, [1]); // add_bos_token true
  assert.deepEqual(tok.suffixIds, []); // add_eos_token false
  assert.deepEqual(tok.encode(PROMPT_TEXT, { addSpecialTokens: false }), ref.prompt_ids.slice(1));
  assert.equal(tok.bos!.id, 1);
  assert.equal(tok.eos!.id, 2);
  assert.deepEqual([...tok.specialIds].sort(), [0, 1, 2]);
  assert.equal(tok.vocabSize, 512);
});

test('stories260k: README facts — empty string is [BOS]; literal "<s>" is matched as a special token', () => {
  const tok = loadTokenizer(STORIES);
  assert.deepEqual(tok.encode(''), [1]);
  assert.deepEqual(tok.encode('a <s> b'), [1, 261, 410, 1, 410, 268]);
});

test('stories260k: decode of the greedy ids is the reference text; decode(encode(x)) == x', () => {
  const tok = loadTokenizer(STORIES);
  assert.equal(tok.decode([1, ...ref.greedy_ids_from_bos], { skipSpecialTokens: true }), ref.greedy_text);
  for (const x of ['Hello world', 'tabs\tand\nnewlines  double  spaces', 'héllo wörld — 世界 🙂', '123, 456; 789', ' leading space']) {
    assert.equal(tok.decode(tok.encode(x), { skipSpecialTokens: true }), x, JSON.stringify(x));
  }
});

test('gpt2 byte-level tokenizer: no BOS added (no add_bos_token, ByteLevel post-processor); round trip', () => {
  const tok = loadTokenizer(join(FIX, 'tiny-random-gpt2'));
  assert.deepEqual(tok.prefixIds, []);
  assert.deepEqual(tok.suffixIds, []);
  assert.equal(tok.eos!.token, '<|endoftext|>');
  assert.equal(tok.eos!.id, 0);
  for (const x of ['Hello world', 'a  b\n c', '12, 345']) assert.equal(tok.decode(tok.encode(x)), x);
  assert.equal(tok.pieces(tok.encode(' world')).join(''), 'Ġworld'); // byte-level: space is shown as Ġ
});

test('Gemma 3 tokenizer_config.json (real): system + user renders with the system text and a blank line', () => {
  const host = loadChatTemplateHost(join(FIX, 'gemma3-tokenizer-config'));
  const r = renderChat(host, [{ role: 'system', content: SYS }, { role: 'user', content: USER }], { addGenerationPrompt: true });
  assert.equal(r.text, GEMMA_EXPECTED);
  assert.equal(r.systemMerged, false); // Gemma 3's own template handles the system role this way
});

test('Gemma 1/2 template (rejects the system role): system text merged before the first user turn', () => {
  const host = loadChatTemplateHost(join(FIX, 'gemma-it-chat-template'));
  const msgs = [{ role: 'system', content: SYS }, { role: 'user', content: USER }];
  assert.throws(() => renderChat(host, msgs, { addGenerationPrompt: true, systemMode: 'native' }), /System role not supported/);
  const r = renderChat(host, msgs, { addGenerationPrompt: true });
  assert.equal(r.text, GEMMA_EXPECTED);
  assert.equal(r.systemMerged, true);
  assert.equal(renderChat(host, [{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true }).text, '<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n');
  assert.equal(
    renderChat(host, [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }]).text,
    '<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n',
  );
  assert.deepEqual(mergeSystemIntoFirstUser(msgs), [{ role: 'user', content: `${SYS}\n\n${USER}` }]);
  assert.throws(() => mergeSystemIntoFirstUser([{ role: 'system', content: 'x' }]), /followed by a user message/);
});

/** stories260k's tokenizer with the Gemma 1 template grafted on (bos "<s>"): a chat tokenizer small enough for tests. */
function chatTokenizerDir(): string {
  const dir = mkdtempSync(join(tmp, 'chat-'));
  copyFileSync(join(STORIES, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  const tc = JSON.parse(readFileSync(join(STORIES, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  const gemma = JSON.parse(readFileSync(join(FIX, 'gemma-it-chat-template', 'tokenizer_config.json'), 'utf8')) as { chat_template: string };
  tc.chat_template = gemma.chat_template;
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tc));
  return dir;
}

test('chat pair: one BOS, prompt ids are the rendered prompt, completion = answer + end of turn, exact mask', () => {
  const tok = loadTokenizer(chatTokenizerDir());
  const p = chatPair(tok, [{ role: 'system', content: SYS }, { role: 'user', content: USER }], 'Lion');
  assert.equal(p.promptText, `<s><start_of_turn>user\n${SYS}\n\n${USER}<end_of_turn>\n<start_of_turn>model\n`);
  assert.equal(p.completionText, 'Lion<end_of_turn>\n');
  assert.equal(p.systemMerged, true);
  assert.equal(p.boundary, 'joint'); // the prompt ends in "\n", a token of its own
  assert.equal(p.ids[0], 1);
  assert.equal(p.ids.filter((id) => id === 1).length, 1);
  assert.deepEqual(p.ids.slice(0, p.promptLength), tok.encode(p.promptText, { addSpecialTokens: false }));
  assert.equal(tok.decode(p.ids.slice(p.promptLength)), p.completionText);
  assert.equal(p.completionMask.length, p.ids.length);
  assert.deepEqual(p.completionMask, p.ids.map((_, i) => (i < p.promptLength ? 0 : 1)));
  const raw = chatPair(tok, [{ role: 'user', content: USER }], 'Lion', { endOfTurn: false });
  assert.equal(raw.completionText, 'Lion');
});

test('text pair, joint boundary: ids equal the reference tokenization of the whole text', () => {
  const tok = loadTokenizer(STORIES);
  // prompt_ids = [<s>, Once, upon, a, time, ",", there, was, ...] for PROMPT_TEXT
  const p = encodePair(tok, 'Once upon a time,', ' there was');
  assert.equal(p.boundary, 'joint');
  assert.deepEqual(p.ids, ref.prompt_ids.slice(0, 8));
  assert.deepEqual(p.completionMask, [0, 0, 0, 0, 0, 0, 1, 1]);
  assert.equal(p.promptLength, 6);
});

test('text pair, merge across the boundary: prompt and completion tokenized apart and concatenated', () => {
  const tok = loadTokenizer(STORIES);
  // "Once upon a ti" + "me": jointly "time" is one token (378), so the prompt's ids are not a prefix
  const p = encodePair(tok, 'Once upon a ti', 'me');
  assert.equal(p.boundary, 'separate');
  const promptIds = tok.encode('Once upon a ti');
  assert.ok(!ref.prompt_ids.slice(0, promptIds.length).every((id, i) => id === promptIds[i]));
  assert.deepEqual(p.ids, [...promptIds, ...tok.encode('me', { addSpecialTokens: false })]);
  assert.equal(p.promptLength, promptIds.length);
  assert.equal(p.completionMask.filter((m) => m === 1).length, p.ids.length - promptIds.length);
});

/** stories260k's tokenizer files with tokenizer_config.json edited and extra files written. */
function templateDir(edit: (tc: Record<string, unknown>) => void, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmp, 'tpl-'));
  copyFileSync(join(STORIES, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  const tc = JSON.parse(readFileSync(join(STORIES, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  edit(tc);
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tc));
  for (const [n, t] of Object.entries(files)) writeFileSync(join(dir, n), t);
  return dir;
}

// transformers (tokenization_utils_base from_pretrained): "an independent chat template file takes
// priority over template entries in the tokenizer config"; a list without a "default" entry raises
// "multiple chat templates with no default specified". Before: the config's template won over
// chat_template.jinja, the first list entry was used silently, a null entry threw a raw TypeError,
// and a chat_template that is neither a string nor a list read as "no template" (plain-text encoding).
test('chat template selection follows transformers: chat_template.jinja wins, a list needs "default", bad values are named', () => {
  const A = 'A{% for m in messages %}{{ m.content }}{% endfor %}';
  const B = 'B{% for m in messages %}{{ m.content }}{% endfor %}';
  const hi = [{ role: 'user', content: 'hi' }];
  const both = templateDir((tc) => (tc.chat_template = A), { 'chat_template.jinja': B });
  assert.equal(loadTokenizer(both).chatTemplate, B);
  assert.equal(renderChat(loadChatTemplateHost(both), hi).text, 'Bhi');

  const named = templateDir((tc) => (tc.chat_template = [{ name: 'tool_use', template: A }, { name: 'default', template: B }]));
  assert.equal(loadTokenizer(named).chatTemplate, B);

  const noDefault = templateDir((tc) => (tc.chat_template = [{ name: 'tool_use', template: A }, { name: 'rag', template: B }]));
  assert.throws(() => loadTokenizer(noDefault), (e: Error) => {
    assert.ok(e.message.startsWith(join(noDefault, 'tokenizer_config.json') + ': '), e.message);
    assert.match(e.message, /no "default" template \(names: tool_use, rag\)/);
    return true;
  });
  assert.throws(() => loadChatTemplateHost(noDefault), /no "default" template/);

  const nullEntry = templateDir((tc) => (tc.chat_template = [null, { name: 'default', template: A }]));
  assert.throws(() => loadTokenizer(nullEntry), /tokenizer_config\.json: chat_template\[0\] must be \{"name", "template"\} with string values, got null/);

  const num = templateDir((tc) => (tc.chat_template = 5));
  assert.throws(() => loadTokenizer(num), /tokenizer_config\.json: chat_template must be a string or a list of \{"name", "template"\}, got 5/);
  // null means no template, as in transformers
  assert.equal(loadTokenizer(templateDir((tc) => (tc.chat_template = null))).chatTemplate, null);
});

test('a chat template that does not parse or that raises: the error names the tokenizer folder', () => {
  const dir = templateDir((tc) => (tc.chat_template = '{% for m in messages %}{{ m.content }'));
  const tok = loadTokenizer(dir);
  assert.throws(() => renderChat(tok, [{ role: 'user', content: 'hi' }]), (e: Error) => {
    assert.ok(e.message.startsWith(`${dir}: cannot parse the chat template: `), e.message);
    return true;
  });
  const raising = loadTokenizer(templateDir((tc) => (tc.chat_template = "{{ raise_exception('Only user turns') }}")));
  assert.throws(() => renderChat(raising, [{ role: 'user', content: 'hi' }]), (e: Error) => {
    assert.equal(e.message, `${raising.dir}: the chat template raised: Only user turns`);
    return true;
  });
});
