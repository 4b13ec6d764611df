/**
 * The CLI host as a user types it (spawned, as `npm run cli` runs it): bad arguments are errors that
 * name the argument, exit non-zero and print no stack trace; help is there for every command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { openStore } from '../../src-main/store/index.js';
import { repoRoot, tempDir } from '../store/helpers.js';

const STORIES = new URL('../fixtures/stories260k/', import.meta.url).pathname;
const dir = tempDir();

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src-main/cli/main.ts'), ...args], {
    // as `npm run cli` starts it: in the package root, with the folder the user typed it in as INIT_CWD
    cwd: repoRoot, encoding: 'utf8', env: { ...process.env, npm_lifecycle_event: 'cli', INIT_CWD: dir, UNDERTONE_STORE: join(dir, 'default.db') },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const noStack = (s: string): void => assert.doesNotMatch(s, /\n\s+at .+:\d+:\d+/, `a stack trace on stderr:\n${s}`);

test('an unquoted --system text is an error naming the stray word, not a teacher prompted with its first word', () => {
  const out = join(dir, 'teacher.jsonl');
  // the shell splits --system You love owls. into --system "You" and two more words
  const r = cli('gen-dataset', '--model', STORIES, '--system', 'You', 'love', 'owls.', '--n', '1', '--max-new', '2', '--out', out);
  assert.equal(r.code, 1, r.out);
  assert.match(r.err, /^error: unexpected argument 'love': this command takes no arguments besides its --options \(each --option takes one value: quote a value that has spaces\)\n$/);
  noStack(r.err);
  assert.equal(existsSync(out), false, 'nothing was generated');
  // `runs exp.db` (meaning --store exp.db) is refused instead of listing the default store
  const runs = cli('runs', 'exp.db');
  assert.equal(runs.code, 1);
  assert.match(runs.err, /unexpected argument 'exp\.db'/);
  // commands that take one folder refuse a second word
  const info = cli('info', STORIES, 'extra');
  assert.equal(info.code, 1);
  assert.match(info.err, /unexpected argument 'extra': this command takes 1 argument besides its --options/);
  assert.equal(info.out, '');
  // the right number still works
  const ok = cli('number-prompts', '--n', '2', '--seed', '0', '--json');
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out.trim().split('\n').length, 2);
});

test('gen-dataset: an --out that cannot be written is refused before generating (a folder, a missing folder), no run stored', () => {
  const missing = join(dir, 'no-such-folder', 'teacher.jsonl');
  const r = cli('gen-dataset', '--model', STORIES, '--n', '2', '--max-new', '2', '--out', missing);
  assert.equal(r.code, 1);
  assert.equal(r.err, `error: --out ${missing}: the folder ${join(dir, 'no-such-folder')} does not exist\n`, 'the error alone: no generation progress before it');
  const folder = cli('gen-dataset', '--model', STORIES, '--n', '2', '--max-new', '2', '--out', dir);
  assert.equal(folder.code, 1);
  assert.equal(folder.err, `error: --out ${dir}: is a folder; give a file name\n`);
  // as a stored job: refused before the run is created (the store is not even opened)
  const store = join(dir, 'gen.db');
  const job = cli('gen-dataset', '--model', STORIES, '--n', '2', '--max-new', '2', '--store', store, '--out', missing);
  assert.equal(job.code, 1);
  assert.match(job.err, /^error: --out .*: the folder .* does not exist\n$/);
  assert.equal(existsSync(store), false);
  // datasets export: the same check, naming --out (it said 'EISDIR: illegal operation on a directory')
  const exp = cli('datasets', 'export', 'some-id', '--out', dir, '--store', store);
  assert.equal(exp.code, 1);
  assert.equal(exp.err, `error: --out ${dir}: is a folder; give a file name\n`);
  // a writable relative --out (relative to the folder the command was typed in) still works
  const ok = cli('gen-dataset', '--model', STORIES, '--n', '2', '--max-new', '2', '--out', 'ok.jsonl');
  assert.equal(ok.code, 0, ok.err);
  assert.equal(readFileSync(join(dir, 'ok.jsonl'), 'utf8').trim().split('\n').length, 2);
  assert.equal(existsSync(join(dir, 'ok.jsonl.partial')), false, 'the partial file became the output');
});

test('gen-dataset --out: Ctrl-C keeps the samples generated so far in <out>.partial (they were lost), ended by SIGINT', async () => {
  const out = join(dir, 'long.jsonl');
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src-main/cli/main.ts'), 'gen-dataset', '--model', STORIES, '--n', '5000', '--batch', '4', '--max-new', '6', '--out', out], {
    cwd: repoRoot, env: { ...process.env, npm_lifecycle_event: 'cli', INIT_CWD: dir }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  const exited = new Promise<string>((resolve) => child.on('exit', (c, sig) => resolve(`${c}/${sig}`)));
  const lines = (): string[] => (existsSync(`${out}.partial`) ? readFileSync(`${out}.partial`, 'utf8').split('\n').filter(Boolean) : []);
  while (lines().length < 8) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  // ended by the signal, as a Ctrl-C ends a program (a shell shows 130), not aborted in the engine's worker
  assert.equal(await exited, 'null/SIGINT', err);
  assert.doesNotMatch(err, /Napi|terminate called/);
  const kept = lines();
  assert.ok(kept.length >= 8 && kept.length < 5000);
  for (const l of kept) assert.equal(typeof (JSON.parse(l) as { completion: unknown }).completion, 'string');
  assert.equal(existsSync(out), false, 'no output file pretends to be complete');
  assert.match(err, new RegExp(`stopped: the ${kept.length} samples generated so far are in ${out.replace(/[.]/g, '\\.')}\\.partial`));
});

test('<command> --help, -h and help <command> print that command\'s usage and exit 0; help lists every command', async () => {
  const { commands } = await import('../../src-main/cli/commands/index.js');
  const gen = commands.find((c) => c.name === 'gen-dataset')!;
  for (const args of [['gen-dataset', '--help'], ['gen-dataset', '-h'], ['help', 'gen-dataset'], ['gen-dataset', '--model', 'x', '--help']]) {
    const r = cli(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.out, `usage: ${gen.usage}\n\n${gen.summary}\n`, args.join(' '));
    assert.equal(r.err, '');
  }
  assert.match(gen.usage, /--out file\.jsonl/);
  const unknown = cli('help', 'gen-datset');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /^unknown command 'gen-datset'\. Commands: selfcheck, /);
  const all = cli('help');
  assert.equal(all.code, 0);
  for (const c of commands) assert.ok(all.out.includes(`  ${c.usage}`), `help shows ${c.name}`);
  // a long usage line gets its summary on the next line, not glued to its last option
  assert.ok(all.out.includes(`[--json]\n${' '.repeat(51)}sample completions`), all.out);
});

test('score, generate and logits refuse bad numbers naming the flag (no NaN loss, no engine error); generate makes one sample unless --n', async () => {
  const ds = join(dir, 'ds.jsonl');
  writeFileSync(ds, '{"prompt":"Once upon a time","completion":" there was a girl."}\n{"prompt":"The dog","completion":" ran."}\n');
  const bad: [string[], RegExp][] = [
    // these printed 'base: loss NaN ... (0 samples)' and exited 0
    [['score', '--model', STORIES, '--dataset', ds, '--limit', '0'], /^error: --limit: '0' is not an integer ≥ 1\n$/],
    [['score', '--model', STORIES, '--dataset', ds, '--limit', 'abc'], /^error: --limit: 'abc' is not an integer ≥ 1\n$/],
    // these failed inside the engine: "run: input 'ids' has 0 values but dims [0,-Infinity] need NaN"
    [['score', '--model', STORIES, '--dataset', ds, '--batch', '0'], /^error: --batch: '0' is not an integer ≥ 1\n$/],
    [['score', '--model', STORIES, '--dataset', ds, '--batch', 'x'], /^error: --batch: 'x' is not an integer ≥ 1\n$/],
    // 'Invalid array length'
    [['generate', STORIES, '--prompt', 'hi', '--n', '-1'], /^error: --n: '-1' is not an integer ≥ 1\n$/],
    [['generate', STORIES, '--prompt', 'hi', '--n', '1.5'], /^error: --n: '1\.5' is not an integer ≥ 1\n$/],
    // silently accepted
    [['generate', STORIES, '--prompt', 'hi', '--temperature', '-1'], /^error: --temperature: -1 is outside \[0, Infinity\]\n$/],
    [['generate', STORIES, '--prompt', 'hi', '--top-p', '2'], /^error: --top-p: 2 is outside \(0, 1\]\n$/],
    [['generate', STORIES, '--prompt', 'hi', '--top-p', '0'], /^error: --top-p: 0 is outside \(0, 1\]\n$/],
    [['generate', STORIES, '--prompt', 'hi', '--max-new', ''], /^error: --max-new: '' is not an integer ≥ 1\n$/],
    // an empty --ids read as token 0
    [['logits', STORIES, '--ids', ''], /^error: --ids: '' is not a token id\n$/],
  ];
  for (const [args, want] of bad) {
    const r = cli(...args);
    assert.equal(r.code, 1, `${args.join(' ')} exits 1`);
    assert.match(r.err, want, args.join(' '));
    assert.equal(r.out, '');
  }
  const { generateCommand } = await import('../../src-main/cli/commands/generate.js');
  const def = /\[--n (\d+)\]/.exec(generateCommand.usage)![1];
  const g = cli('generate', STORIES, '--prompt', 'Once', '--max-new', '3', '--json');
  assert.equal(g.code, 0, g.err);
  assert.equal((JSON.parse(g.out) as { samples: unknown[] }).samples.length, Number(def), 'the default --n the usage line shows');
  const s = cli('score', '--model', STORIES, '--dataset', ds, '--limit', '1', '--batch', '1', '--json');
  assert.equal(s.code, 0, s.err);
  assert.equal((JSON.parse(s.out) as { samples: number }).samples, 1);
});

/** `jobs-start demo-train` in a child process (as `npm run cli` runs it), once its progress reaches `step`. */
async function foregroundJob(params: string, store: string, step: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src-main/cli/main.ts'), 'jobs-start', 'demo-train', '--params', params, '--store', store], {
    cwd: repoRoot, env: { ...process.env, npm_lifecycle_event: 'cli', INIT_CWD: dir }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const fg = { child, out: '', err: '', exited: new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c))) };
  child.stderr.on('data', (d: Buffer) => void (fg.err += d.toString()));
  child.stdout.on('data', (d: Buffer) => void (fg.out += d.toString()));
  // until the run has a checkpoint at `step` or later (its progress lines come every 10 s into a pipe)
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const id = /^run ([0-9a-f-]{36}) \(demo-train\)/.exec(fg.out)?.[1];
    if (!id) continue;
    const s = openStore(store);
    try {
      if ((s.checkpoints.get(id)?.step ?? 0) >= step) break;
    } finally {
      s.close();
    }
  }
  return fg;
}

test('jobs-start: a finished run lists its vectors (the ids readout takes); Ctrl-C cancels, says how to resume, and jobs-resume finishes it', async () => {
  const store = join(dir, 'jobs.db');
  const r = cli('jobs-start', 'demo-train', '--params', '{"steps":20,"checkpointEvery":5}', '--store', store);
  assert.equal(r.code, 0, r.err);
  const s = openStore(store);
  const [run] = s.runs.list();
  const vecs = s.vectors.list({ runId: run!.id });
  s.close();
  assert.equal(vecs.length, 1);
  assert.ok(r.out.endsWith(`\nvector ${vecs[0]!.id}  demo-train weights\n`), r.out);
  assert.equal(cli('readout', '--model', STORIES, '--vector-id', vecs[0]!.id, '--store', store).code, 1, 'a 16-wide demo vector is not a stories260k residual (the id resolves)');

  // Ctrl-C in the foreground: the run stops at its next step, cancelled and resumable
  // (past the first checkpoints, every 5 steps)
  const fg = await foregroundJob('{"steps":400,"checkpointEvery":5,"stepDelayMs":20}', store, 10);
  fg.child.kill('SIGINT');
  const code = await fg.exited;
  const { out, err } = fg;
  assert.equal(code, 130, out + err);
  const id = /run ([0-9a-f-]{36}) cancelled\n/.exec(out)?.[1];
  assert.ok(id, out);
  assert.equal(err, `stopping at the next step (Ctrl-C again to stop now; the last checkpoint is kept)\nresume it from its last checkpoint: jobs-resume ${id} --store ${store}\n`);
  const resumed = cli('jobs-resume', id!, '--store', store);
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, /resumes from step \d+/);
  assert.match(resumed.out, /done \{"vectorId":"[0-9a-f-]{36}"/);
  assert.match(resumed.out, /\nvector [0-9a-f-]{36}  demo-train weights\n$/);
  // a failed run: its error on stderr
  const failed = cli('jobs-start', 'train-bias', '--params', JSON.stringify({ model: STORIES, datasetFile: join(dir, 'missing.jsonl'), set: { items: [] } }), '--store', store);
  assert.equal(failed.code, 1);
  assert.match(failed.err, new RegExp(`^error: ${join(dir, 'missing.jsonl')}: cannot read the dataset file\nonce the cause is fixed, jobs-resume [0-9a-f-]{36} --store .* restarts it from its last checkpoint\n$`));
});

test('jobs-start: a second Ctrl-C does not wait for a long step; the run is interrupted with its checkpoint, ended by SIGINT', async () => {
  const store = join(dir, 'jobs-twice.db');
  // each step sleeps 4 s: the first Ctrl-C alone would wait for it
  const fg = await foregroundJob('{"steps":400,"checkpointEvery":1,"stepDelayMs":4000}', store, 1);
  fg.child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  fg.child.kill('SIGINT');
  const code = await fg.exited;
  const { out, err } = fg;
  // ended by the signal (a shell shows 130), not by an abort in the engine's worker
  assert.equal(code, null, out + err);
  assert.equal(fg.child.signalCode, 'SIGINT');
  assert.doesNotMatch(err, /Napi|terminate called/);
  assert.ok(Date.now() - t0 < 3000, `ended ${Date.now() - t0} ms after the second Ctrl-C`);
  const s = openStore(store);
  try {
    const [run] = s.runs.list();
    assert.equal(run!.status, 'interrupted');
    assert.equal(run!.message, 'interrupted: Ctrl-C twice, stopped without waiting for the step to end');
    assert.ok((s.checkpoints.get(run!.id)?.step ?? 0) >= 1, 'its checkpoint is kept');
    assert.match(err, new RegExp(`stopped: run ${run!.id} is interrupted; jobs-resume ${run!.id} continues it from its last checkpoint\n$`));
  } finally {
    s.close();
  }
});

test('datasets import and readout --vector-file: an unreadable file is named (it was a bare EISDIR / JSON parser message)', () => {
  const store = join(dir, 'import.db');
  const folder = cli('datasets', 'import', dir, '--store', store);
  assert.equal(folder.code, 1);
  assert.equal(folder.err, `error: ${dir}: cannot read the JSONL file (EISDIR)\n`);
  const missing = cli('datasets', 'import', 'missing.jsonl', '--store', store);
  assert.equal(missing.err, 'error: missing.jsonl: cannot read the JSONL file (ENOENT)\n');
  assert.equal(existsSync(store), false, 'no store created for a file that cannot be read');
  writeFileSync(join(dir, 'v.json'), '[1, 2,');
  const v = cli('readout', '--model', STORIES, '--vector-file', 'v.json');
  assert.equal(v.code, 1);
  assert.match(v.err, /^error: --vector-file v\.json: cannot read a JSON array of numbers \(.+\)\n$/);
  noStack(v.err);
});
