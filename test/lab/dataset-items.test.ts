// Stored samples → token ids: a sample written by a job (messages = [user, assistant], the
// completion as the final assistant turn) must encode exactly as the same row read from a JSONL
// file as {"prompt", "completion"}: the completion once, after the prompt. The JSONL path
// (dataset-rows.ts) is the oracle.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer, type HfTokenizer } from '../../src-main/models/tokenizer.js';
import { rowsToItems, sampleToRow } from '../../src-main/lab/dataset-items.js';
import { parseJsonlRows, parseRow, readJsonlDataset } from '../../src-main/lab/dataset-rows.js';
import { loadRows } from '../../src-main/jobs/kinds/lab-inputs.js';
import { openStore } from '../../src-main/store/index.js';

const MODEL = new URL('../fixtures/stories260k/', import.meta.url).pathname;
const plain = loadTokenizer(MODEL);
const gemmaTemplate = (JSON.parse(readFileSync(new URL('../fixtures/gemma-it-chat-template/tokenizer_config.json', import.meta.url), 'utf8')) as { chat_template: string }).chat_template;
const chat: HfTokenizer = { ...plain, chatTemplate: gemmaTemplate };

const prompt = 'I give you this sequence of numbers: 182, 818, 725. Say only the numbers.';
const completion = '629, 937, 483';
/** as generate-dataset, prefs-eval and demo-generate store a sample */
const stored = { prompt, completion, messages: [{ role: 'user', content: prompt }, { role: 'assistant', content: completion }] };

describe('stored samples encode like their JSONL rows', () => {
  for (const [name, tok] of [['plain text (no chat template)', plain], ["Gemma's chat template", chat]] as const) {
    it(`${name}: the completion appears once, after the prompt`, () => {
      const [got] = rowsToItems(tok, [sampleToRow(stored)]);
      const [want] = rowsToItems(tok, [parseRow({ prompt, completion }, 'oracle')]);
      assert.deepEqual(got, want);
      const text = tok.decode([...got!.ids]);
      assert.equal(text.split(completion).length - 1, 1, `completion once in ${JSON.stringify(text)}`);
      const masked = got!.ids.filter((_, i) => got!.completionMask[i]);
      assert.ok(tok.decode(masked).startsWith(completion), 'the masked tokens are the completion');
    });
  }

  it('a system turn before the user turn is kept; a sample without messages uses its prompt', () => {
    const sys = { ...stored, messages: [{ role: 'system', content: 'Be brief.' }, ...stored.messages] };
    assert.deepEqual(sampleToRow(sys), { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt }], completion });
    assert.deepEqual(sampleToRow({ prompt, completion }), { messages: [{ role: 'user', content: prompt }], completion });
    assert.deepEqual(sampleToRow({ prompt, completion, messages: [{ role: 'user', content: prompt }] }), { messages: [{ role: 'user', content: prompt }], completion });
  });

  it('loadRows: a store dataset gives the rows of the same data as a JSONL file (passedOnly drops only failed samples)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'undertone-items-'));
    const store = openStore(join(dir, 'store.db'));
    try {
      const rows = [0, 1, 2].map((i) => ({ prompt: `${prompt} (${i})`, completion: `${completion}, ${i}` }));
      const file = join(dir, 'd.jsonl');
      writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const datasetId = store.datasets.create({ name: 'd' }).id;
      store.samples.add({
        datasetId,
        samples: rows.map((r, idx) => ({ idx, ...r, passed: idx === 1 ? false : idx === 2 ? null : true, messages: [{ role: 'user', content: r.prompt }, { role: 'assistant', content: r.completion }] })),
      });
      assert.deepEqual(loadRows(store, { datasetId, passedOnly: false }), readJsonlDataset(file));
      assert.deepEqual(loadRows(store, { datasetId, passedOnly: true }), readJsonlDataset(file).filter((_, i) => i !== 1));
      const failing = store.datasets.create({ name: 'all failed' }).id;
      store.samples.add({ datasetId: failing, samples: rows.map((r, idx) => ({ idx, ...r, passed: false })) });
      assert.throws(() => loadRows(store, { datasetId: failing, passedOnly: true }), /none of its 3 samples passed the filter \(passedOnly: false uses them all\)/);
      assert.equal(loadRows(store, { datasetId: failing, passedOnly: false }).length, 3);
      const empty = store.datasets.create({ name: 'empty' }).id;
      assert.throws(() => loadRows(store, { datasetId: empty, passedOnly: true }), /has no samples/);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('JSONL text', () => {
  it('a lone surrogate reads as one U+FFFD, the same text the store keeps (UTF-8) and gives back', () => {
    const [row] = parseJsonlRows('{"prompt": "x \\ud800 y", "completion": "a\\udc00"}\n', 'lone.jsonl');
    assert.equal(row!.messages[0]!.content, 'x \ufffd y');
    assert.equal(row!.completion, 'a\ufffd');
    // what SQLite stores (UTF-8) and returns
    assert.equal(Buffer.from(row!.completion, 'utf8').toString('utf8'), row!.completion);
  });
});
