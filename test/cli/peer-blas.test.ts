// Which BLAS kernel the PyTorch reference of `bench engine-vs-torch` multiplies with, and the
// --peer-blas switch (src-main/cli/bench-pairs.ts; scripts/peer-serve.py --blas-info). This machine
// class pins OpenBLAS to its AVX2 'Haswell' kernel (OPENBLAS_CORETYPE) on a CPU with AVX-512, which
// roughly halves the reference's GEMM rate, so a ratio means little without the kernel beside it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inTempDir } from './temp-dir.js';
import { engineVsTorchSides, OPENBLAS_PINS, PEER_SERVE, probePeerBlas, runSide, sideEnv } from '../../src-main/cli/bench-pairs.js';

const PYTHON = '/usr/bin/python3';
const hasPython = spawnSync(PYTHON, ['-c', 'pass']).status === 0;
const hasTorch = hasPython && spawnSync(PYTHON, ['-c', 'import torch']).status === 0;

test('engine-vs-torch --peer-blas: as-set (default) keeps the environment; native removes OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE; anything else is refused', () => {
  return inTempDir('undertone-peerblas-', (dir) => {
    const peer = join(dir, 'torch_gpt.py');
    writeFileSync(peer, '');
    const base = { peer, python: process.execPath };
    const asSet = engineVsTorchSides(base);
    assert.equal(asSet.peerBlas, 'as-set');
    assert.equal(asSet.torch.unsetEnv, undefined);
    assert.deepEqual(engineVsTorchSides({ ...base, 'peer-blas': 'as-set' }).torch, asSet.torch);
    const native = engineVsTorchSides({ ...base, 'peer-blas': 'native' });
    assert.equal(native.peerBlas, 'native');
    assert.deepEqual(native.torch.unsetEnv, ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']);
    assert.deepEqual(native.torch.env, asSet.torch.env);
    assert.throws(() => engineVsTorchSides({ ...base, 'peer-blas': 'zen' }), /--peer-blas zen: give 'as-set' .* or 'native'/);
  });
});

test('sideEnv: a side sees this process\'s environment plus its own variables, less the ones it unsets (unset wins)', () => {
  const saved = { a: process.env.OPENBLAS_CORETYPE, b: process.env.OPENBLAS_L2_SIZE };
  process.env.OPENBLAS_CORETYPE = 'Haswell';
  process.env.OPENBLAS_L2_SIZE = '512';
  try {
    const kept = sideEnv({ env: { OPENBLAS_NUM_THREADS: '2' } });
    assert.equal(kept.OPENBLAS_CORETYPE, 'Haswell');
    assert.equal(kept.OPENBLAS_NUM_THREADS, '2');
    assert.equal(kept.PATH, process.env.PATH);
    const cut = sideEnv({ env: { OPENBLAS_NUM_THREADS: '2', OPENBLAS_CORETYPE: 'SkylakeX' }, unsetEnv: [...OPENBLAS_PINS] });
    assert.equal('OPENBLAS_CORETYPE' in cut, false);
    assert.equal('OPENBLAS_L2_SIZE' in cut, false);
    assert.equal(cut.OPENBLAS_NUM_THREADS, '2');
    // this process's own environment is untouched
    assert.equal(process.env.OPENBLAS_CORETYPE, 'Haswell');
  } finally {
    for (const [k, v] of [['OPENBLAS_CORETYPE', saved.a], ['OPENBLAS_L2_SIZE', saved.b]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('runSide runs a side in its environment: the variables it unsets do not reach it', () => {
  return inTempDir('undertone-peerblas-', async (dir) => {
    const script = join(dir, 'side.cjs');
    // grad_ms says whether the side saw OPENBLAS_CORETYPE: 1 yes, 2 no
    writeFileSync(script, 'console.log(JSON.stringify({ forward_ms: 1, grad_ms: process.env.OPENBLAS_CORETYPE ? 1 : 2 }))\n');
    const side = { cmd: process.execPath, args: [script], env: { OPENBLAS_CORETYPE: 'Haswell' } };
    assert.equal((await runSide('torch', side)).grad_ms, 1);
    assert.equal((await runSide('torch', { ...side, unsetEnv: ['OPENBLAS_CORETYPE'] })).grad_ms, 2);
  });
});

test('probePeerBlas reads the kernel from the probe\'s JSON, and says why when it cannot (no torch, not OpenBLAS, no output)', () => {
  return inTempDir('undertone-peerblas-', async (dir) => {
    // stand-in probes, run by Node in place of `python peer-serve.py --blas-info`
    const probe = (name: string, body: string): string => {
      const f = join(dir, `${name}.cjs`);
      writeFileSync(f, body);
      return f;
    };
    const side = { cmd: process.execPath, args: [], env: { OPENBLAS_CORETYPE: 'Haswell' } };
    const ok = probe('ok', `if (process.argv[2] !== '--blas-info') process.exit(9);
console.log(JSON.stringify({ lib: '/x/libopenblas.so', corename: process.env.OPENBLAS_CORETYPE ?? 'Cooperlake', config: 'OpenBLAS 0.3.21 DYNAMIC_ARCH' }))\n`);
    assert.deepEqual(await probePeerBlas(side, 'as-set', ok),
      { mode: 'as-set', coretype_env: 'Haswell', corename: 'Haswell', config: 'OpenBLAS 0.3.21 DYNAMIC_ARCH' });
    assert.deepEqual(await probePeerBlas({ ...side, unsetEnv: [...OPENBLAS_PINS] }, 'native', ok),
      { mode: 'native', coretype_env: null, corename: 'Cooperlake', config: 'OpenBLAS 0.3.21 DYNAMIC_ARCH' });
    const noTorch = probe('notorch', `console.log(JSON.stringify({ error: "cannot import torch: No module named 'torch'" })); process.exit(1)\n`);
    assert.equal((await probePeerBlas(side, 'as-set', noTorch)).error, "cannot import torch: No module named 'torch'");
    const refBlas = probe('ref', `console.log(JSON.stringify({ lib: '/usr/lib/libblas.so.3', corename: null, config: null }))\n`);
    const r = await probePeerBlas(side, 'as-set', refBlas);
    assert.equal(r.corename, null);
    assert.equal(r.error, '/usr/lib/libblas.so.3 is not OpenBLAS');
    const none = probe('none', `console.log(JSON.stringify({ lib: null, corename: null, config: null }))\n`);
    assert.equal((await probePeerBlas(side, 'as-set', none)).error, 'torch loaded no BLAS library');
    const crash = probe('crash', `process.stderr.write('Segmentation fault\\n'); process.exit(139)\n`);
    assert.match((await probePeerBlas(side, 'as-set', crash)).error!, /Command failed: .*crash\.cjs --blas-info: Segmentation fault$/);
  });
});

test('peer-serve.py --blas-info: says so when torch cannot be imported, and reports no BLAS when the torch it imports loads none', { skip: !hasPython && `no ${PYTHON}` }, () => {
  return inTempDir('undertone-peerblas-', (dir) => {
    // stand-in torch packages, found first on PYTHONPATH
    const fake = (name: string, body: string): string => {
      mkdirSync(join(dir, name, 'torch'), { recursive: true });
      writeFileSync(join(dir, name, 'torch', '__init__.py'), body);
      return join(dir, name);
    };
    const broken = spawnSync(PYTHON, [PEER_SERVE, '--blas-info'], { env: { ...process.env, PYTHONPATH: fake('broken', 'raise ImportError("stand-in: no torch here")\n') }, encoding: 'utf8' });
    assert.equal(broken.status, 1);
    assert.deepEqual(JSON.parse(broken.stdout), { error: 'cannot import torch: stand-in: no torch here' });
    const bare = execFileSync(PYTHON, [PEER_SERVE, '--blas-info'], { env: { ...process.env, PYTHONPATH: fake('bare', ''), OPENBLAS_CORETYPE: 'Haswell' }, encoding: 'utf8' });
    const j = JSON.parse(bare) as { lib: unknown; corename: unknown; env: Record<string, unknown> };
    assert.equal(j.lib, null);
    assert.equal(j.corename, null);
    assert.equal(j.env.OPENBLAS_CORETYPE, 'Haswell');
  });
});

test('peer-serve.py --blas-info with the real torch: OpenBLAS follows OPENBLAS_CORETYPE, and without it picks its own kernel', { skip: !hasTorch && `${PYTHON} cannot import torch (../shared/peers/setup-peers.sh installs it)` }, () => {
  const run = (env: NodeJS.ProcessEnv): { corename: string | null; config: string | null; env: Record<string, string | null> } =>
    JSON.parse(execFileSync(PYTHON, [PEER_SERVE, '--blas-info'], { env, encoding: 'utf8' })) as never;
  const pinned = run({ ...sideEnv({ unsetEnv: [...OPENBLAS_PINS] }), OPENBLAS_CORETYPE: 'Haswell' });
  assert.equal(pinned.corename, 'Haswell');
  assert.match(pinned.config!, /^OpenBLAS /);
  assert.equal(pinned.env.OPENBLAS_CORETYPE, 'Haswell');
  const own = run(sideEnv({ unsetEnv: [...OPENBLAS_PINS] }));
  assert.equal(own.env.OPENBLAS_CORETYPE, null);
  assert.equal(typeof own.corename, 'string');
});
