// The same-sitting pairs of `bench engine-vs-torch` (src-main/cli/bench-pairs.ts), with two stand-in
// sides: small Node programs that print a fixed sequence of timings and log when they ran. The ratios,
// medians and the alternating order are checked against a hand computation.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inTempDir } from './temp-dir.js';
import { benchPairs, checkTorch, engineVsTorchSides, runSide, type Side } from '../../src-main/cli/bench-pairs.js';

/** A side printing its i-th timing on its i-th run (noise lines first), logging its name to `log`. */
function fakeSide(dir: string, name: string, timings: number[][]): Side {
  const script = join(dir, `${name}.cjs`);
  writeFileSync(script, `
const fs = require('fs');
const n = fs.readFileSync(${JSON.stringify(join(dir, 'log'))}, 'utf8').split('\\n').filter((l) => l === ${JSON.stringify(name)}).length;
fs.appendFileSync(${JSON.stringify(join(dir, 'log'))}, ${JSON.stringify(name)} + '\\n');
const t = ${JSON.stringify(timings)}[n];
console.log('warming up');
console.log(JSON.stringify({ note: 'not this one' }));
console.log(JSON.stringify({ forward_ms: t[0], grad_ms: t[1], ...(t[2] ? { gemm_floor_ms: t[2] } : {}) }));
`);
  return { cmd: process.execPath, args: [script] };
}

test('bench pairs: ratio = PyTorch ÷ ours per pair, sides alternate which runs first, median / min / max / pairs at the goal', async () => {
  return inTempDir('undertone-pairs-', async (dir) => {
    writeFileSync(join(dir, 'log'), '');
    const ours = fakeSide(dir, 'ours', [[160, 250], [170, 280], [165, 300]]);
    const torch = fakeSide(dir, 'torch', [[210, 340], [220, 330], [215, 330]]);
    const r = await benchPairs(ours, torch, 3);
    assert.deepEqual(readFileSync(join(dir, 'log'), 'utf8').trim().split('\n'), ['ours', 'torch', 'torch', 'ours', 'ours', 'torch']);
    assert.deepEqual(r.pairs.map((p) => p.first), ['ours', 'torch', 'ours']);
    assert.deepEqual(r.pairs.map((p) => p.grad_ratio), [+(340 / 250).toFixed(3), +(330 / 280).toFixed(3), +(330 / 300).toFixed(3)]);
    assert.deepEqual(r.pairs.map((p) => p.forward_ratio), [+(210 / 160).toFixed(3), +(220 / 170).toFixed(3), +(215 / 165).toFixed(3)]);
    assert.equal(r.median_grad_ratio, +(330 / 280).toFixed(3));
    assert.equal(r.min_grad_ratio, +(330 / 300).toFixed(3));
    assert.equal(r.max_grad_ratio, 1.36);
    assert.equal(r.pairs_meeting_goal, 1, 'only 340/250 = 1.36 reaches 1.3');
    assert.equal(r.goal_ratio, 1.3);
    assert.deepEqual(r.pairs[0]!.ours, { forward_ms: 160, grad_ms: 250 });
    // the stand-in reports no GEMM floor
    assert.deepEqual([r.pairs[0]!.gemm_floor_ratio, r.median_gemm_floor_ratio], [null, null]);
  });
});

test('bench pairs: a side that fails or prints no timing is an error naming the side and its command', async () => {
  return inTempDir('undertone-pairs-', async (dir) => {
    const quiet = join(dir, 'quiet.cjs');
    writeFileSync(quiet, 'console.log("done")\n');
    await assert.rejects(runSide('torch', { cmd: process.execPath, args: [quiet] }), /torch: no JSON line with forward_ms and grad_ms in its output \(last line: "done"\)/);
    const bad = join(dir, 'bad.cjs');
    writeFileSync(bad, 'console.error("ModuleNotFoundError: No module named torch"); process.exit(1)\n');
    await assert.rejects(runSide('torch', { cmd: process.execPath, args: [bad] }), /torch: '.*bad\.cjs' failed: exit code 1: ModuleNotFoundError: No module named torch/);
    await assert.rejects(benchPairs({ cmd: 'x', args: [] }, { cmd: 'y', args: [] }, 0), /--pairs must be a positive integer, got 0/);
  });
});

test('bench pairs: with our GEMM floor reported, gemm_floor_ratio = PyTorch grad ÷ that floor, and its median', async () => {
  return inTempDir('undertone-pairs-', async (dir) => {
    writeFileSync(join(dir, 'log'), '');
    const r = await benchPairs(fakeSide(dir, 'ours', [[160, 270, 250], [170, 280, 240]]), fakeSide(dir, 'torch', [[210, 330], [220, 336]]), 2);
    assert.deepEqual(r.pairs.map((p) => p.gemm_floor_ratio), [+(330 / 250).toFixed(3), +(336 / 240).toFixed(3)]);
    assert.equal(r.median_gemm_floor_ratio, +((+(330 / 250).toFixed(3) + +(336 / 240).toFixed(3)) / 2).toFixed(3));
    assert.equal(r.pairs[0]!.ours.gemm_floor_ms, 250);
  });
});

test('engine-vs-torch: --prepack and --no-arena reach our side; --threads other than 2 is refused (the reference runs on 2)', () => {
  return inTempDir('undertone-pairs-', async (dir) => {
    const peer = join(dir, 'torch_gpt.py');
    writeFileSync(peer, '');
    const base = { peer, python: process.execPath };
    // our side is `bench.ts engine` plus the engine options given to engine-vs-torch
    const plain = engineVsTorchSides(base);
    assert.equal(plain.ours.cmd, process.execPath);
    assert.equal(plain.ours.args.at(-1), 'engine');
    assert.ok(plain.ours.args.at(-2)!.endsWith('/src-main/cli/bench.ts'), plain.ours.args.join(' '));
    assert.equal(plain.pairs, 5);
    const both = engineVsTorchSides({ ...base, prepack: true, 'no-arena': true, pairs: '3' });
    assert.deepEqual(both.ours.args.slice(plain.ours.args.length), ['--prepack', '--no-arena']);
    assert.equal(both.pairs, 3);
    assert.deepEqual(engineVsTorchSides({ ...base, threads: '2' }).ours.args.slice(plain.ours.args.length), []);
    assert.throws(() => engineVsTorchSides({ ...base, threads: '4' }), /engine-vs-torch: --threads 4: the PyTorch reference runs on 2 threads/);
    // the reference side is the given Python on the given script, with 2 OpenBLAS threads
    assert.deepEqual(both.torch, { cmd: process.execPath, args: [peer], env: { OPENBLAS_NUM_THREADS: '2', OMP_WAIT_POLICY: 'PASSIVE' } });
  });
});

test('bench pairs: a side that fails silently says how it ended (exit code or signal), not its command twice', async () => {
  return inTempDir('undertone-pairs-', async (dir) => {
    const silent = join(dir, 'silent.cjs');
    writeFileSync(silent, 'process.exit(3)\n');
    const e1 = await runSide('torch', { cmd: process.execPath, args: [silent] }).then(() => null, (e: Error) => e.message);
    assert.equal(e1, `torch: '${process.execPath} ${silent}' failed: exit code 3, nothing on stderr`);
    const killed = join(dir, 'killed.cjs');
    writeFileSync(killed, 'process.kill(process.pid, "SIGKILL")\n');
    const e2 = await runSide('ours', { cmd: process.execPath, args: [killed] }).then(() => null, (e: Error) => e.message);
    assert.equal(e2, `ours: '${process.execPath} ${killed}' failed: killed by SIGKILL, nothing on stderr`);
    // a side with stderr still shows its last lines, after how it ended
    const bad = join(dir, 'bad.cjs');
    writeFileSync(bad, 'console.error("a\\nb\\nc\\nModuleNotFoundError: No module named torch"); process.exit(1)\n');
    const e3 = await runSide('torch', { cmd: process.execPath, args: [bad] }).then(() => null, (e: Error) => e.message);
    assert.equal(e3, `torch: '${process.execPath} ${bad}' failed: exit code 1: b / c / ModuleNotFoundError: No module named torch`);
    // a program that is not there
    const e4 = await runSide('torch', { cmd: join(dir, 'no-python'), args: [] }).then(() => null, (e: Error) => e.message);
    assert.match(e4 ?? '', /^torch: '.*no-python' failed: spawn .*no-python ENOENT$/);
  });
});

test('bench pairs: an interpreter that cannot import torch is refused before the first pair, naming it and the peers README', async () => {
  // node is no Python: `node -c 'import torch'` fails, as a Python without torch would
  await assert.rejects(checkTorch(process.execPath), (e: Error) => {
    assert.match(e.message, new RegExp(`^engine-vs-torch: ${process.execPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot import torch \\(.+\\); the reference needs Debian's PyTorch: see \\.\\./shared/peers/README\\.md`));
    return true;
  });
});

test('bench pairs: a side that fails after the first pair leaves the pairs before it reported, with the error', async () => {
  return inTempDir('undertone-pairs-', async (dir) => {
    writeFileSync(join(dir, 'log'), '');
    const ours = fakeSide(dir, 'ours', [[160, 250], [170, 280]]);
    // PyTorch's second run exits 1 (its timings list has one entry: t is undefined)
    const torch = fakeSide(dir, 'torch', [[210, 340]]);
    const r = await benchPairs(ours, torch, 3);
    assert.equal(r.pairs.length, 1);
    assert.equal(r.median_grad_ratio, 1.36);
    assert.equal(r.pairs_requested, 3);
    assert.match(r.error ?? '', /^pair 2 of 3: torch: '.*torch\.cjs' failed: exit code 1/);
    // a first pair that fails has nothing to report: an error
    writeFileSync(join(dir, 'log'), '');
    await assert.rejects(benchPairs(fakeSide(dir, 'ours', []), torch, 2), /ours: '.*ours\.cjs' failed: exit code 1/);
  });
});
