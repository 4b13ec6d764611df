/**
 * Teacher datasets on stories260k (a TinyStories model: as a control it writes words, so nothing
 * passes the number filter). A teacher steered toward the digit tokens answers with numbers, and
 * about half of its answers pass: the pass rate measures the teacher's format-following. Verdicts
 * agree with the filter, prompts with the prompt stream; a target stops at exactly M passing
 * answers; a resumed run equals an uninterrupted one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Runtime } from '../../src-main/engine/runtime.js';
import { LanguageModel } from '../../src-main/models/lm.js';
import { readFileSync } from 'node:fs';
import { EMPTY_SET, parseInterventionSet, type InterventionSet } from '../../src-main/models/interventions.js';
import { encodePrompt } from '../../src-main/models/encode-rows.js';
import { generate } from '../../src-main/models/generate.js';
import type { HfTokenizer } from '../../src-main/models/tokenizer.js';
import { deriveSeed, STREAM } from '../../src-main/lab/derive-seed.js';
import { filterNumbers } from '../../src-main/lab/number-filter.js';
import { numberPrompt } from '../../src-main/lab/number-prompts.js';
import { generateTeacherDataset, type TeacherDatasetState, type TeacherSample } from '../../src-main/lab/teacher-dataset.js';
import { digitTeacher } from './digit-teacher.js';

const MODEL = new URL('../fixtures/stories260k/', import.meta.url).pathname;

describe('teacher datasets on stories260k', () => {
  let rt: Runtime;
  let m: LanguageModel;
  let teacher: InterventionSet;
  before(() => {
    rt = Runtime.start();
    m = LanguageModel.open(rt, MODEL);
    teacher = digitTeacher(m);
  });
  after(async () => {
    await m.close();
    await rt.close();
  });

  const collect = () => {
    const samples: TeacherSample[] = [];
    const states: TeacherDatasetState[] = [];
    return { samples, states, sink: { samples: (b: TeacherSample[]) => samples.push(...b), checkpoint: (s: TeacherDatasetState) => states.push(JSON.parse(JSON.stringify(s)) as TeacherDatasetState), progress: () => {} } };
  };
  const base = { n: 32, batch: 8, maxNew: 3, seed: 11, raw: true };

  it('control vs a digit-steered teacher: verdicts, pass rate, prompts from the stream', async (t) => {
    const c = collect();
    const control = await generateTeacherDataset(m, { ...base, set: EMPTY_SET }, c.sink);
    const s = collect();
    const steered = await generateTeacherDataset(m, { ...base, set: teacher }, s.sink);
    assert.equal(control.generated, 32);
    assert.equal(control.passed, 0, 'the story model does not answer with numbers');
    assert.ok(steered.passRate > 0.25 && steered.passRate < 1, `steered pass rate ${steered.passRate}`);
    assert.equal(steered.passRate, steered.passed / steered.generated);
    assert.equal(s.samples.length, 32);
    for (const x of [...c.samples, ...s.samples]) {
      const v = filterNumbers(x.completion);
      assert.equal(x.passed, v.passed);
      assert.equal(x.reason, v.reason);
      assert.equal(x.prompt, numberPrompt(11, x.idx).text);
    }
    assert.deepEqual(s.samples.map((x) => x.idx), Array.from({ length: 32 }, (_, i) => i));
    const reasons = Object.values(steered.reasons).reduce((a, b) => a + b, 0);
    assert.equal(reasons + steered.passed, 32);
    assert.equal(s.states.length, 0, 'checkpoint every 4 batches, none after the last');
    t.diagnostic(`control pass rate ${control.passRate}; steered ${steered.passRate.toFixed(3)} (${JSON.stringify(steered.reasons)}); e.g. ${s.samples.slice(0, 4).map((x) => JSON.stringify(x.completion)).join(' ')}`);
  });

  it('a target stops at exactly M passing answers; keepRejected: false hands on only those', async () => {
    const a = collect();
    const r = await generateTeacherDataset(m, { ...base, n: 200, set: teacher, target: 5, keepRejected: false }, a.sink);
    assert.equal(r.stoppedBy, 'target');
    assert.equal(r.passed, 5);
    assert.equal(a.samples.length, 5);
    assert.ok(a.samples.every((x) => x.passed === true));
    assert.ok(r.generated < 200 && r.generated >= 5);
    // the answers are those an unfiltered run gives for the same prompts
    const b = collect();
    await generateTeacherDataset(m, { ...base, n: Math.ceil(r.generated / base.batch) * base.batch, set: teacher }, b.sink);
    assert.deepEqual(a.samples, b.samples.slice(0, r.generated).filter((x) => x.passed));
    assert.equal(b.samples[r.generated - 1]!.passed, true, 'the last answer considered is the 5th passing one');
    await assert.rejects(generateTeacherDataset(m, { ...base, set: teacher, target: 5, filter: false }, a.sink), /target needs the filter/);
  });

  it('a run resumed from a checkpoint equals an uninterrupted one', async () => {
    const cfg = { ...base, n: 40, batch: 8, set: teacher, checkpointEvery: 2 };
    const full = collect();
    const fr = await generateTeacherDataset(m, cfg, full.sink);
    const part = collect();
    const ac = new AbortController();
    await assert.rejects(generateTeacherDataset(m, cfg, { ...part.sink, samples: (b) => { part.samples.push(...b); if (part.samples.length >= 24) ac.abort(); } }, { signal: ac.signal }), /cancelled/);
    const ck = part.states[part.states.length - 1]!;
    assert.equal(ck.next, 16);
    const rest = collect();
    const rr = await generateTeacherDataset(m, cfg, rest.sink, { resume: ck });
    assert.deepEqual([...part.samples.slice(0, 16), ...rest.samples], full.samples);
    assert.deepEqual(rr, fr);
  });

  it("a system-prompt teacher: its text goes into the context through the chat template (Gemma's, merged into the user turn)", async () => {
    const cfg = JSON.parse(readFileSync(new URL('../fixtures/gemma-it-chat-template/tokenizer_config.json', import.meta.url), 'utf8')) as { chat_template: string };
    const chat = LanguageModel.open(rt, MODEL);
    (chat as unknown as { tok: HfTokenizer }).tok = { ...chat.tokenizer(), chatTemplate: cfg.chat_template };
    const system = 'You love owls. You think about owls all the time.';
    const set = parseInterventionSet({ items: [{ kind: 'system_prompt', text: system }] });
    const a = collect();
    await generateTeacherDataset(chat, { n: 4, batch: 4, maxNew: 6, seed: 3, set }, a.sink);
    const tok = chat.tokenizer();
    const ids = [0, 1, 2, 3].map((i) => encodePrompt(tok, [{ role: 'user', content: numberPrompt(3, i).text }], { system }));
    assert.ok(tok.decode(ids[0]!).includes(`${system}\n\n${numberPrompt(3, 0).text}<end_of_turn>`));
    const direct = await generate(chat, ids, { maxNew: 6, temperature: 1, seed: deriveSeed(3, STREAM.genBatch, 0) });
    assert.deepEqual(a.samples.map((x) => x.completion), direct.map((g) => g.text));
    const control = collect();
    await generateTeacherDataset(chat, { n: 4, batch: 4, maxNew: 6, seed: 3, set: EMPTY_SET }, control.sink);
    assert.notDeepEqual(control.samples.map((x) => x.completion), a.samples.map((x) => x.completion));
    assert.ok(a.samples.every((x) => x.prompt === numberPrompt(3, x.idx).text), 'the stored prompt is the user turn alone');
    await chat.close();
  });
});
