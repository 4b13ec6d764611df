/**
 * `npm run bench -- engine-vs-torch [--pairs N | --interleave [--rounds N]] [--peer torch_gpt.py] [--python /usr/bin/python3] [--peer-blas as-set|native] [--prepack] [--no-arena]`:
 * the engine bench and the PyTorch reference (../shared/peers/torch_gpt.py) run in pairs in one
 * sitting, each a fresh process, alternating which goes first (this machine class is shared and
 * noisy, so only same-sitting pairs compare). Prints one JSON line: every pair's grad_ms and
 * forward_ms on both sides with its ratio (PyTorch ÷ ours, so > 1 means we are faster), and the
 * median, min and max ratio against the 1.3× goal of the engine issue. Where our side reports
 * gemm_floor_ms, gemm_floor_ratio = PyTorch's grad_ms ÷ it: the ratio if the grad run took only the
 * time of its weight GEMMs.
 *
 * PyTorch multiplies through OpenBLAS, whose kernel this environment may pin with OPENBLAS_CORETYPE
 * (on this machine class: Haswell, an AVX2 kernel, on a CPU with AVX-512). The reference is run as its
 * README says, in the environment as set (--peer-blas as-set, the default); --peer-blas native removes
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE from its environment, so OpenBLAS picks its own kernel for
 * this CPU. Either way the JSON line's peer_blas names the kernel the reference ran with.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchHost, type BenchHost } from './bench-host.js';
import type { InterleaveResult } from './bench-interleave.js';

export const GRAD_RATIO_GOAL = 1.3;

export interface Timing {
  forward_ms: number;
  grad_ms: number;
  gemm_floor_ms?: number;
}

export interface PairsResult {
  bench: 'engine-vs-torch';
  goal_ratio: number;
  /** gemm_floor_ratio: PyTorch's grad_ms ÷ our gemm_floor_ms, the ratio a grad run of its weight GEMMs alone would reach */
  pairs: { first: 'ours' | 'torch'; ours: Timing; torch: Timing; grad_ratio: number; forward_ratio: number; gemm_floor_ratio: number | null }[];
  median_grad_ratio: number;
  min_grad_ratio: number;
  max_grad_ratio: number;
  median_forward_ratio: number;
  median_gemm_floor_ratio: number | null;
  /** pairs whose grad ratio reaches the goal */
  pairs_meeting_goal: number;
  peer_blas?: PeerBlas;
  host?: BenchHost;
  /** set when a later pair failed: why; the figures above are the pairs before it (exit code 1) */
  error?: string;
  pairs_requested?: number;
}

/** One side's command: a program and its arguments, plus extra environment and variables it must not see. */
export interface Side {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  unsetEnv?: string[];
}

/** The environment a side runs in: this process's, plus its own variables, less the ones it unsets. */
export function sideEnv(side: Pick<Side, 'env' | 'unsetEnv'>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...side.env };
  for (const k of side.unsetEnv ?? []) delete env[k];
  return env;
}

/** How the reference's OpenBLAS picks its kernel: as this environment sets it, or its own choice for this CPU. */
export type PeerBlasMode = 'as-set' | 'native';
/** The variables that --peer-blas native removes: they pin OpenBLAS's kernel and its L2 size. */
export const OPENBLAS_PINS = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

/** What the reference multiplied with: the OpenBLAS kernel (corename) torch loaded in the reference's environment. */
export interface PeerBlas {
  mode: PeerBlasMode;
  /** OPENBLAS_CORETYPE as the reference saw it (null: unset) */
  coretype_env: string | null;
  /** OpenBLAS's kernel, e.g. 'Haswell' (AVX2) or 'Cooperlake' (AVX-512); null when it could not be read (see error) */
  corename: string | null;
  config: string | null;
  error?: string;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Run a side and read the last line of its stdout that is a JSON object with forward_ms and grad_ms. */
export function runSide(name: string, side: Side): Promise<Timing> {
  return new Promise((res, rej) => {
    execFile(side.cmd, side.args, { env: sideEnv(side), maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) {
        // how it ended: an exit code, a signal (e.g. SIGKILL from the OOM killer), or a spawn error (ENOENT)
        const ended = typeof err.code === 'number' ? `exit code ${err.code}` : err.signal ? `killed by ${err.signal}` : err.message;
        const tail = stderr.trim().split('\n').slice(-3).join(' / ');
        return rej(new Error(`${name}: '${[side.cmd, ...side.args].join(' ')}' failed: ${ended}${tail ? `: ${tail}` : typeof err.code === 'string' ? '' : ', nothing on stderr'}`));
      }
      const lines = stdout.trim().split('\n').reverse();
      for (const l of lines) {
        if (!l.trim().startsWith('{')) continue;
        try {
          const j = JSON.parse(l) as Record<string, unknown>;
          if (typeof j.forward_ms === 'number' && typeof j.grad_ms === 'number') {
            return res({ forward_ms: j.forward_ms, grad_ms: j.grad_ms, ...(typeof j.gemm_floor_ms === 'number' ? { gemm_floor_ms: j.gemm_floor_ms } : {}) });
          }
        } catch {
          // not JSON: keep looking
        }
      }
      rej(new Error(`${name}: no JSON line with forward_ms and grad_ms in its output (last line: ${JSON.stringify(lines[0] ?? '')})`));
    });
  });
}

/** `pairs` same-sitting pairs; pair i runs ours first when i is even, PyTorch first when odd. */
export async function benchPairs(ours: Side, torch: Side, pairs: number, onPair?: (i: number, p: PairsResult['pairs'][number]) => void): Promise<PairsResult> {
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`--pairs must be a positive integer, got ${pairs}`);
  const out: PairsResult['pairs'] = [];
  let error: string | undefined;
  for (let i = 0; i < pairs; i++) {
    const first = i % 2 === 0 ? 'ours' : 'torch';
    let o: Timing;
    let t: Timing;
    try {
      if (first === 'ours') {
        o = await runSide('ours', ours);
        t = await runSide('torch', torch);
      } else {
        t = await runSide('torch', torch);
        o = await runSide('ours', ours);
      }
    } catch (e) {
      // the pairs already run are reported with the error; a first pair that fails has nothing to report
      if (!out.length) throw e;
      error = `pair ${i + 1} of ${pairs}: ${(e as Error).message}`;
      break;
    }
    const p = {
      first, ours: o, torch: t, grad_ratio: +(t.grad_ms / o.grad_ms).toFixed(3), forward_ratio: +(t.forward_ms / o.forward_ms).toFixed(3),
      gemm_floor_ratio: o.gemm_floor_ms === undefined ? null : +(t.grad_ms / o.gemm_floor_ms).toFixed(3),
    } as const;
    out.push(p);
    onPair?.(i, p);
  }
  const g = out.map((p) => p.grad_ratio);
  return {
    bench: 'engine-vs-torch', goal_ratio: GRAD_RATIO_GOAL, pairs: out,
    median_grad_ratio: +median(g).toFixed(3), min_grad_ratio: Math.min(...g), max_grad_ratio: Math.max(...g),
    median_forward_ratio: +median(out.map((p) => p.forward_ratio)).toFixed(3),
    median_gemm_floor_ratio: out.every((p) => p.gemm_floor_ratio !== null) ? +median(out.map((p) => p.gemm_floor_ratio!)).toFixed(3) : null,
    pairs_meeting_goal: g.filter((r) => r >= GRAD_RATIO_GOAL).length,
    ...(error ? { error, pairs_requested: pairs } : {}),
  };
}

/** The two sides of the CLI suite and its pair count, from its flags. */
export function engineVsTorchSides(f: Record<string, string | boolean>): { ours: Side; torch: Side; pairs: number; peerBlas: PeerBlasMode } {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const peer = resolve(typeof f.peer === 'string' ? f.peer : resolve(root, '../shared/peers/torch_gpt.py'));
  const python = typeof f.python === 'string' ? f.python : '/usr/bin/python3';
  if (!existsSync(peer)) throw new Error(`engine-vs-torch: the PyTorch reference is not at ${peer} (pass --peer path/to/torch_gpt.py)`);
  if (!existsSync(python)) throw new Error(`engine-vs-torch: no Python at ${python} (pass --python; the reference needs Debian's PyTorch: see peers/README.md)`);
  // the engine options go to our side; the reference's thread count is fixed (torch_gpt.py sets 2), so ours is too
  if (f.threads !== undefined && Number(f.threads) !== 2) throw new Error(`engine-vs-torch: --threads ${String(f.threads)}: the PyTorch reference runs on 2 threads, so our side does too (leave --threads out)`);
  const engineFlags = [...(f.prepack ? ['--prepack'] : []), ...(f['no-arena'] ? ['--no-arena'] : [])];
  const ours: Side = { cmd: process.execPath, args: [...process.execArgv, fileURLToPath(new URL('./bench.ts', import.meta.url)), 'engine', ...engineFlags] };
  const peerBlas = f['peer-blas'] === undefined ? 'as-set' : f['peer-blas'];
  if (peerBlas !== 'as-set' && peerBlas !== 'native') throw new Error(`engine-vs-torch: --peer-blas ${String(peerBlas)}: give 'as-set' (the environment's OPENBLAS_CORETYPE, the default) or 'native' (OpenBLAS picks its kernel for this CPU)`);
  const torch: Side = { cmd: python, args: [peer], env: { OPENBLAS_NUM_THREADS: '2', OMP_WAIT_POLICY: 'PASSIVE' }, ...(peerBlas === 'native' ? { unsetEnv: [...OPENBLAS_PINS] } : {}) };
  return { ours, torch, pairs: f.pairs === undefined ? 5 : Number(f.pairs), peerBlas };
}

/** Whether `python` can import torch, checked before the first pair (not after our side's first ~11 s run). */
export function checkTorch(python: string): Promise<void> {
  return new Promise((res, rej) => {
    execFile(python, ['-c', 'import torch'], (err, _stdout, stderr) => {
      if (!err) return res();
      const last = (stderr || err.message).trim().split('\n').at(-1) ?? '';
      rej(new Error(`engine-vs-torch: ${python} cannot import torch (${last}); the reference needs Debian's PyTorch: see ../shared/peers/README.md (setup-peers.sh)`));
    });
  });
}

/** peer-serve.py, which also reports the reference's BLAS (--blas-info). */
export const PEER_SERVE = fileURLToPath(new URL('../../scripts/peer-serve.py', import.meta.url));

const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);

/** Why a BLAS probe named no kernel (null when it did): its own error, how it failed, or what it found instead. */
function probeError(j: Record<string, unknown>, err: Error | null, stderr: string, line: string): string | null {
  if (str(j.error)) return str(j.error);
  if (err) {
    const last = stderr.trim().split('\n').at(-1);
    return `${err.message.split('\n')[0]}${last ? `: ${last}` : ''}`;
  }
  if (str(j.corename) !== null) return null;
  if (j.lib) return `${String(j.lib)} is not OpenBLAS`;
  return line ? 'torch loaded no BLAS library' : 'no output';
}

/**
 * Which OpenBLAS kernel the reference runs with in its environment: `python peer-serve.py --blas-info`
 * imports torch there and asks the OpenBLAS it loaded. A probe that fails does not stop the bench:
 * the result says why.
 */
export function probePeerBlas(torch: Side, mode: PeerBlasMode, serve = PEER_SERVE): Promise<PeerBlas> {
  const env = sideEnv(torch);
  const coretype_env = env.OPENBLAS_CORETYPE ?? null;
  return new Promise((res) => {
    execFile(torch.cmd, [serve, '--blas-info'], { env }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      let j: Record<string, unknown> = {};
      try {
        j = JSON.parse(line) as Record<string, unknown>;
      } catch {
        // not JSON: said below
      }
      const why = probeError(j, err, stderr, line);
      res({ mode, coretype_env, corename: str(j.corename), config: str(j.config), ...(why ? { error: why } : {}) });
    });
  });
}

/**
 * The CLI suite: `npm run bench -- engine` against torch_gpt.py as its README says to run it, in
 * whole-process pairs; with --interleave, both sides loaded at once and timed run by run
 * (bench-interleave.ts, --rounds N, default 30).
 */
export async function benchEngineVsTorch(f: Record<string, string | boolean>): Promise<PairsResult | InterleaveResult> {
  const { ours, torch, pairs: n, peerBlas } = engineVsTorchSides(f);
  if (f.interleave && f.pairs !== undefined) throw new Error('engine-vs-torch: --pairs is for whole-process pairs; with --interleave give --rounds');
  if (!f.interleave && f.rounds !== undefined) throw new Error('engine-vs-torch: --rounds goes with --interleave (whole-process pairs take --pairs)');
  await checkTorch(torch.cmd);
  const peer_blas = await probePeerBlas(torch, peerBlas);
  process.stderr.write(`torch multiplies with OpenBLAS's ${peer_blas.corename ?? '?'} kernel (OPENBLAS_CORETYPE ${peer_blas.coretype_env ?? 'unset'}; --peer-blas ${peerBlas})\n`);
  if (f.interleave) {
    const rounds = f.rounds === undefined ? 30 : Number(f.rounds);
    const { benchInterleaved } = await import('./bench-interleave.js');
    return { ...(await benchInterleaved(torch, rounds, { prepack: !!f.prepack, memArena: !f['no-arena'] })), peer_blas, host: benchHost() };
  }
  const r = await benchPairs(ours, torch, n, (i, p) => process.stderr.write(`pair ${i + 1}/${n}: ours ${p.ours.grad_ms} ms, torch ${p.torch.grad_ms} ms, ratio ${p.grad_ratio}\n`));
  return { ...r, peer_blas, host: benchHost() };
}
