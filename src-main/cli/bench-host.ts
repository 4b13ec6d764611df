/**
 * What a bench ran on, printed with its JSON line: the CPU's name, how many cores this process may
 * use, and the widest x86 vector set the CPU reports. GEMM speed follows the vector width (MLAS and
 * OpenBLAS pick AVX-512 kernels where they can), so a timing or a ratio is read beside these.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { codeVersion } from '../jobs/code-version.js';

export interface BenchHost {
  cpu: string;
  cores: number;
  /** the widest of avx512f, avx2, avx, sse4_2 in the CPU's flags; null where none is listed (not x86, or no /proc/cpuinfo) */
  simd: string | null;
  code_version: string;
}

/** The widest vector set named in a /proc/cpuinfo text's first `flags` line. */
export function widestSimd(cpuinfo: string): string | null {
  const flags = new Set((/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '').trim().split(/\s+/));
  return ['avx512f', 'avx2', 'avx', 'sse4_2'].find((f) => flags.has(f)) ?? null;
}

export function benchHost(): BenchHost {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: no flags to read
  }
  return { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: availableParallelism(), simd: widestSimd(info), code_version: codeVersion() };
}
