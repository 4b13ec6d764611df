// `bench engine-vs-torch --interleave` (src-main/cli/bench-interleave.ts): the run-by-run turns with
// stand-in timers whose timings are fixed, checked against a hand computation; and the line protocol
// of the long-lived PyTorch side with stand-in Node programs.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inTempDir } from './temp-dir.js';
import { interleave, LinePeer, type RunKind } from '../../src-main/cli/bench-interleave.js';

test('interleave: warm-up untimed, sides alternate who goes first, ratios = PyTorch ÷ ours per round and of the medians', async () => {
  const log: string[] = [];
  // the i-th call of a kind returns the i-th value (warm-up calls included)
  const side = (name: string, t: Record<RunKind, number[]>) => {
    const n = { fwd: 0, grad: 0 };
    return async (k: RunKind) => {
      log.push(`${name} ${k}`);
      return t[k][n[k]++]!;
    };
  };
  const ours = side('ours', { grad: [999, 100, 200, 300], fwd: [999, 60, 70, 80] });
  const torch = side('torch', { grad: [999, 140, 220, 330], fwd: [999, 90, 77, 88] });
  const r = await interleave(ours, torch, 3, { warmup: 1, gapMs: 0 });
  assert.deepEqual(log, [
    'ours grad', 'torch grad', 'ours fwd', 'torch fwd', // warm-up
    'ours grad', 'torch grad', 'ours fwd', 'torch fwd', // round 1: ours first
    'torch grad', 'ours grad', 'torch fwd', 'ours fwd', // round 2: PyTorch first
    'ours grad', 'torch grad', 'ours fwd', 'torch fwd',
  ]);
  assert.deepEqual(r.per_round.map((x) => x.first), ['ours', 'torch', 'ours']);
  assert.deepEqual(r.per_round.map((x) => x.grad_ratio), [1.4, 1.1, 1.1]);
  assert.deepEqual(r.ours, { grad_ms: 200, grad_ms_min: 100, forward_ms: 70 });
  assert.deepEqual(r.torch, { grad_ms: 220, grad_ms_min: 140, forward_ms: 88 });
  assert.equal(r.grad_ratio, 1.1, 'median 220 ÷ median 200');
  assert.equal(r.median_round_grad_ratio, 1.1);
  assert.deepEqual([r.min_round_grad_ratio, r.max_round_grad_ratio], [1.1, 1.4]);
  assert.equal(r.rounds_meeting_goal, 1, 'only 140/100 reaches 1.3');
  assert.equal(r.forward_ratio, +(88 / 70).toFixed(3));
  await assert.rejects(interleave(ours, torch, 0), /--rounds must be a positive integer, got 0/);
});

test('LinePeer: one number per request after a ready line; a peer that dies or answers nonsense is an error naming it and its stderr', async () => {
  return inTempDir('undertone-interleave-', async (dir) => {
    const good = join(dir, 'good.cjs');
    writeFileSync(good, `
console.log('ready ' + JSON.stringify({ torch: 'stand-in' }));
require('readline').createInterface({ input: process.stdin }).on('line', (l) => console.log(l === 'grad' ? '321.5' : l === 'fwd' ? '123.25' : 'error: ' + l));
`);
    const p = await LinePeer.start(process.execPath, [good]);
    try {
      assert.equal(p.readyInfo, '{"torch":"stand-in"}');
      assert.equal(await p.run('grad'), 321.5);
      assert.equal(await p.run('fwd'), 123.25);
      assert.equal(await p.run('grad'), 321.5);
    } finally {
      p.close();
    }

    const dies = join(dir, 'dies.cjs');
    writeFileSync(dies, 'console.error("Traceback ...\\nModuleNotFoundError: No module named \'torch\'"); process.exit(1)\n');
    await assert.rejects(LinePeer.start(process.execPath, [dies]), /torch: '.*dies\.cjs' ended while starting \(exit code 1\): Traceback \.\.\. \/ ModuleNotFoundError: No module named 'torch'/);

    const chatty = join(dir, 'chatty.cjs');
    writeFileSync(chatty, 'console.log("hello")\n');
    await assert.rejects(LinePeer.start(process.execPath, [chatty]), /expected a 'ready' line first, got "hello"/);

    const odd = join(dir, 'odd.cjs');
    writeFileSync(odd, `console.log('ready'); require('readline').createInterface({ input: process.stdin }).on('line', () => console.log('soon'));\n`);
    const q = await LinePeer.start(process.execPath, [odd]);
    try {
      await assert.rejects(q.run('grad'), /answered 'grad' with "soon", not milliseconds/);
    } finally {
      q.close();
    }

    const once = join(dir, 'once.cjs');
    writeFileSync(once, `console.log('ready'); require('readline').createInterface({ input: process.stdin }).on('line', () => { console.error('out of memory'); process.exit(9); });\n`);
    const e = await LinePeer.start(process.execPath, [once]);
    try {
      await assert.rejects(e.run('grad'), /ended while running 'grad' \(exit code 9\): out of memory/);
    } finally {
      e.close();
    }
  });
});

test('engine-vs-torch: --rounds goes with --interleave and --pairs without it', async () => {
  const { benchEngineVsTorch } = await import('../../src-main/cli/bench-pairs.js');
  return inTempDir('undertone-interleave-', async (dir) => {
    const peer = join(dir, 'torch_gpt.py');
    writeFileSync(peer, '');
    const base = { peer, python: process.execPath };
    await assert.rejects(benchEngineVsTorch({ ...base, interleave: true, pairs: '3' }), /--pairs is for whole-process pairs; with --interleave give --rounds/);
    await assert.rejects(benchEngineVsTorch({ ...base, rounds: '5' }), /--rounds goes with --interleave/);
  });
});

test('interleave: a run that fails after the first round reports the rounds before it with the error; in the first round it throws', async () => {
  let calls = 0;
  const ours = async (): Promise<number> => 100;
  // warm-up 1 (2 calls), round 1 (2 calls), then the PyTorch side dies in round 2
  const torch = async (): Promise<number> => {
    if (++calls > 4) throw new Error('torch: ended while running');
    return 150;
  };
  const r = await interleave(ours, torch, 5, { warmup: 1, gapMs: 0 });
  assert.equal(r.rounds, 1);
  assert.equal(r.rounds_requested, 5);
  assert.match(r.error ?? '', /^round 2 of 5: torch: ended while running/);
  assert.equal(r.grad_ratio, 1.5);
  assert.deepEqual(r.per_round.map((x) => x.grad_ratio), [1.5]);
  calls = 2; // the warm-up passes, round 1 fails
  await assert.rejects(interleave(ours, torch, 5, { warmup: 1, gapMs: 0 }), /torch: ended while running/);
});
