// What a bench line says it ran on (src-main/cli/bench-host.ts): the widest vector set read from
// /proc/cpuinfo flags, checked on hand-written cpuinfo texts, and the host record on this machine
// checked against /proc/cpuinfo read here by a separate path (grep-style line scan).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { benchHost, widestSimd } from '../../src-main/cli/bench-host.js';

test('widestSimd: the widest of avx512f, avx2, avx, sse4_2 in the first flags line; null without one', () => {
  const info = (flags: string): string => `processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: ${flags}\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: avx512f\n`;
  assert.equal(widestSimd(info('fpu sse4_2 avx fma avx2 avx512f avx512bw avx512_bf16')), 'avx512f');
  assert.equal(widestSimd(info('fpu sse4_2 avx fma avx2')), 'avx2');
  // avx512bw alone is not avx512f; flags are whole words
  assert.equal(widestSimd(info('sse4_2 avx avx512bw avx2x')), 'avx');
  assert.equal(widestSimd(info('fpu vme')), null);
  assert.equal(widestSimd('Processor\t: AArch64\nFeatures\t: fp asimd\n'), null);
  assert.equal(widestSimd(''), null);
});

test('benchHost on this machine: its CPU name, usable cores, widest vector set and code version', () => {
  const h = benchHost();
  assert.equal(h.cores, availableParallelism());
  assert.match(h.code_version, /^undertone@\d+\.\d+\.\d+/);
  if (!existsSync('/proc/cpuinfo')) return assert.equal(h.simd, null);
  const lines = readFileSync('/proc/cpuinfo', 'utf8').split('\n');
  const flags = (lines.find((l) => l.startsWith('flags')) ?? '').split(':')[1]?.trim().split(' ') ?? [];
  const expected = flags.includes('avx512f') ? 'avx512f' : flags.includes('avx2') ? 'avx2' : flags.includes('avx') ? 'avx' : flags.includes('sse4_2') ? 'sse4_2' : null;
  assert.equal(h.simd, expected);
  const model = lines.find((l) => l.startsWith('model name'))?.split(':')[1]?.trim();
  if (model) assert.equal(h.cpu, model);
});
