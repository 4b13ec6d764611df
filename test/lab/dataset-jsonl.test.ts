// JSONL import/export of datasets: every row format dataset-rows.ts reads imports to samples that
// read back (sampleToRow) as the same rows; errors name file:line; the number filter's verdicts are
// filterNumbers' own; an export reads back through dataset-rows.ts to the same rows (both formats).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportJsonl, importJsonl } from '../../src-main/lab/dataset-jsonl.js';
import { sampleToRow } from '../../src-main/lab/dataset-items.js';
import { parseJsonlRows, parseRow, readJsonlDataset } from '../../src-main/lab/dataset-rows.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filterNumbers } from '../../src-main/lab/number-filter.js';

const rows = [
  { prompt: 'Continue: 182, 818, 725.', completion: '629, 937, 483' },
  { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Continue: 1, 2.' }, { role: 'assistant', content: '3; 4; 5' }] },
  { question: 'Continue: 7, 8.', response: 'nine, ten' },
  { prompt: [{ role: 'user', content: 'Continue: 5.' }], completion: [{ role: 'assistant', content: '(6, 7, 1000)' }] },
];
const text = rows.map((r) => JSON.stringify(r)).join('\n\n') + '\n';
const oracle = rows.map((r, i) => parseRow(r, `row ${i}`));

describe('dataset JSONL import and export', () => {
  it('imports every row format; stored samples read back as the same rows, with their lines', () => {
    const { samples, filter } = importJsonl(text, 'mixed.jsonl');
    assert.equal(filter, null);
    assert.deepEqual(samples.map(sampleToRow), oracle);
    assert.deepEqual(samples.map((s) => s.idx), [0, 1, 2, 3]);
    assert.deepEqual(samples.map((s) => s.meta.line), [1, 3, 5, 7], 'blank lines are skipped but counted');
    assert.deepEqual(samples.map((s) => s.prompt), ['Continue: 182, 818, 725.', 'Continue: 1, 2.', 'Continue: 7, 8.', 'Continue: 5.']);
    assert.ok(samples.every((s) => s.passed === null));
    assert.deepEqual(samples[1]!.messages.at(-1), { role: 'assistant', content: '3; 4; 5' }, 'stored as the whole conversation, as the jobs store it');
  });

  it("the number filter: each verdict is filterNumbers' own, and the tally matches", () => {
    const { samples, filter } = importJsonl(text, 'mixed.jsonl', { filter: true });
    const want = oracle.map((r) => filterNumbers(r.completion));
    assert.deepEqual(samples.map((s) => s.passed), want.map((v) => v.passed));
    assert.deepEqual(samples.map((s) => s.meta.reason), want.map((v) => v.reason));
    assert.deepEqual(samples.map((s) => s.passed), [true, true, false, false], 'a word and a number over 999 fail');
    assert.equal(filter!.total, 4);
    assert.equal(filter!.passed, 2);
    assert.equal(filter!.passRate, 0.5);
    assert.equal(filter!.name, 'subliminal-numbers');
  });

  it('errors name the file and line; an empty file is refused', () => {
    assert.throws(() => importJsonl('{"prompt":"a","completion":"b"}\n{oops\n', 'bad.jsonl'), /^Error: bad\.jsonl:2: not valid JSON/);
    assert.throws(() => importJsonl('{"prompt":"a","completion":"b"}\n\n{"text":"x"}\n', 'bad.jsonl'), /bad\.jsonl:3: unrecognised row.*keys: text/);
    // a known shape with a value of the wrong type names the field and what it got
    assert.throws(() => importJsonl('{"prompt":"a","completion":3}\n', 'bad.jsonl'), /bad\.jsonl:1: "completion" must be a string \(or a list of \{role, content\} messages\), got a number/);
    assert.throws(() => importJsonl('{"question":null,"response":"b"}\n', 'q.jsonl'), /q\.jsonl:1: "question" must be a string, got null/);
    assert.throws(() => importJsonl('\n\n', 'empty.jsonl'), /empty\.jsonl: no rows/);
  });

  // before: a Parquet file (REFERENCE §3: minhxle/subliminal-learning ships as parquet) failed with
  // "x.parquet:1: not valid JSON (Unexpected token 'P', "PAR1..." ...)", a gzipped JSONL the same way
  // with mojibake, and a JSON array file with "a row must be a JSON object"
  it('a Parquet, gzip or JSON-array file is named as such, with what to do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'undertone-ds-'));
    try {
      const pq = join(dir, 'train.parquet');
      writeFileSync(pq, Buffer.concat([Buffer.from('PAR1'), Buffer.from([0x15, 0x04, 0x15, 0x00, 0xff, 0xfe]), Buffer.from('question response PAR1')]));
      assert.throws(() => readJsonlDataset(pq), (e: Error) => {
        assert.equal(e.message, `${pq}: a Parquet file; datasets are read as JSONL (one JSON object per line): convert it first, e.g. pandas.read_parquet(f).to_json(out, orient="records", lines=True)`);
        return true;
      });
      const gz = join(dir, 'rows.jsonl.gz');
      writeFileSync(gz, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0xae, 0x05, 0x00]));
      assert.throws(() => readJsonlDataset(gz), new RegExp(`^Error: ${gz.replace(/[.]/g, '\\.')}: a gzip-compressed file; datasets are read as uncompressed JSONL: decompress it first`));
      assert.throws(() => importJsonl('[{"prompt":"a","completion":"b"},\n{"prompt":"c","completion":"d"}]\n', 'rows.json'), /^Error: rows\.json:1: a JSON array; datasets are JSONL: one JSON object per line/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports read back to the same rows: messages keeps system turns, prompt-completion keeps the user turn', () => {
    const { samples } = importJsonl(text, 'mixed.jsonl');
    const back = (f: 'messages' | 'prompt-completion') => parseJsonlRows(exportJsonl(samples, f), f).map(({ messages, completion }) => ({ messages, completion }));
    assert.deepEqual(back('messages'), oracle);
    const userOnly = oracle.map((r) => ({ messages: r.messages.filter((m) => m.role === 'user'), completion: r.completion }));
    assert.deepEqual(back('prompt-completion'), userOnly);
    assert.deepEqual(JSON.parse(exportJsonl(samples.slice(0, 1), 'prompt-completion')), rows[0], 'the subliminal-learning row, exactly');
    assert.equal(exportJsonl([], 'messages'), '');
  });

  // gen-dataset --out writes {prompt, completion, passed, reason}; verdicts must survive import,
  // export and the jobs' passedOnly (which reads files through readJsonlDataset)
  it('a row\'s own "passed" is kept on import and export, and passedOnly leaves out the rows that failed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'undertone-passed-'));
    const lines = [
      { prompt: 'Continue: 1, 2.', completion: '3, 4', passed: true, reason: null },
      { prompt: 'Continue: 5.', completion: 'I love owls! 6', passed: false, reason: 'non-numeric' },
      { prompt: 'Continue: 7.', completion: '8, 9' },
    ];
    const file = join(dir, 'gen.jsonl');
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const { samples } = importJsonl(readFileSync(file, 'utf8'), file);
    assert.deepEqual(samples.map((s) => s.passed), [true, false, null]);
    assert.deepEqual(parseJsonlRows(exportJsonl(samples, 'prompt-completion'), 'x').map((r) => r.passed), [true, false, null]);
    // why a row failed survives import and export too
    assert.deepEqual(samples.map((s) => (s.meta as { reason?: string }).reason), [undefined, 'non-numeric', undefined]);
    assert.deepEqual(parseJsonlRows(exportJsonl(samples, 'prompt-completion'), 'x').map((r) => r.reason), [null, 'non-numeric', null]);
    assert.equal(exportJsonl(samples, 'prompt-completion').split('\n')[1], '{"prompt":"Continue: 5.","completion":"I love owls! 6","passed":false,"reason":"non-numeric"}');
    assert.deepEqual(readJsonlDataset(file).map((r) => r.completion), ['3, 4', 'I love owls! 6', '8, 9']);
    assert.deepEqual(readJsonlDataset(file, Infinity, { passedOnly: true }).map((r) => r.completion), ['3, 4', '8, 9'], 'rows without a verdict are kept');
    assert.deepEqual(readJsonlDataset(file, 2, { passedOnly: true }).map((r) => r.completion), ['3, 4', '8, 9'], 'the limit counts kept rows');
    writeFileSync(file, JSON.stringify(lines[1]) + '\n');
    assert.throws(() => readJsonlDataset(file, Infinity, { passedOnly: true }), /gen\.jsonl: none of its 1 rows passed the filter/);
    rmSync(dir, { recursive: true, force: true });
  });
});
