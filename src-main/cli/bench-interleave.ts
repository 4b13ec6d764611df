/**
 * `npm run bench -- engine-vs-torch --interleave [--rounds 30]`: the engine and the PyTorch reference
 * timed run by run, in turns, instead of as whole processes in turns (bench-pairs.ts).
 *
 * Why: this machine class is shared, and its speed drifts within seconds (a 512×2048×512 MatMul ran at
 * 6.5 ms and then at 9.4 ms in one session, for minutes). A pair of whole processes spans ~20 s, so its
 * two sides can meet different speeds. Here both sides stay loaded (our session in the engine
 * worker, PyTorch in scripts/peer-serve.py, which repeats torch_gpt.py's set-up), and every round
 * runs one grad and one forward on each side back to back, alternating which side goes first, with a
 * pause between runs so that neither side's threads are still busy when the other starts.
 * A round's ratio (PyTorch ÷ ours) compares runs a fraction of a second apart.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Runtime, type SessionOptions } from '../engine/runtime.js';
import type { BenchHost } from './bench-host.js';
import { GRAD_RATIO_GOAL, PEER_SERVE, median, sideEnv, type PeerBlas, type Side } from './bench-pairs.js';

export type RunKind = 'fwd' | 'grad';
/** Time one run of a side: milliseconds. */
export type RunTimer = (kind: RunKind) => Promise<number>;

export interface SideStats {
  grad_ms: number;
  grad_ms_min: number;
  forward_ms: number;
}

export interface InterleaveResult {
  bench: 'engine-vs-torch';
  mode: 'interleaved';
  goal_ratio: number;
  rounds: number;
  /** medians over the rounds (ms) */
  ours: SideStats;
  torch: SideStats;
  /** PyTorch's median grad_ms ÷ ours */
  grad_ratio: number;
  /** the median over rounds of each round's PyTorch grad ÷ our grad, and its spread */
  median_round_grad_ratio: number;
  min_round_grad_ratio: number;
  max_round_grad_ratio: number;
  rounds_meeting_goal: number;
  peer_blas?: PeerBlas;
  host?: BenchHost;
  /** PyTorch's median forward_ms ÷ ours */
  forward_ratio: number;
  /** which side ran first in each round, and each round's grad ratio */
  per_round: { first: 'ours' | 'torch'; ours_grad_ms: number; torch_grad_ms: number; grad_ratio: number }[];
  /** set when a later round failed: why; the figures above are the rounds before it (exit code 1) */
  error?: string;
  rounds_requested?: number;
}

const r3 = (x: number): number => +x.toFixed(3);
const r1 = (x: number): number => +x.toFixed(1);

/**
 * `rounds` rounds after `warmup` untimed ones; round i runs ours first when i is even. In a round each
 * side runs grad, then each side runs forward (same order), with `gapMs` before every run.
 */
export async function interleave(ours: RunTimer, torch: RunTimer, rounds: number,
  o: { warmup?: number; gapMs?: number; onRound?: (i: number, r: InterleaveResult['per_round'][number]) => void } = {}): Promise<InterleaveResult> {
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got ${rounds}`);
  const gap = o.gapMs ?? 50;
  const pause = (): Promise<void> => new Promise((res) => setTimeout(res, gap));
  for (let i = 0; i < (o.warmup ?? 2); i++) for (const k of ['grad', 'fwd'] as const) { await ours(k); await torch(k); }
  const t = { ours: { grad: [] as number[], fwd: [] as number[] }, torch: { grad: [] as number[], fwd: [] as number[] } };
  const perRound: InterleaveResult['per_round'] = [];
  let error: string | undefined;
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? (['ours', 'torch'] as const) : (['torch', 'ours'] as const);
    const got = { ours: { grad: NaN, fwd: NaN }, torch: { grad: NaN, fwd: NaN } };
    try {
      for (const k of ['grad', 'fwd'] as const) {
        for (const side of order) {
          await pause();
          got[side][k] = await (side === 'ours' ? ours : torch)(k);
        }
      }
    } catch (e) {
      // the rounds already run are reported with the error; a first round that fails has nothing to report
      if (!perRound.length) throw e;
      error = `round ${i + 1} of ${rounds}: ${(e as Error).message}`;
      break;
    }
    for (const side of ['ours', 'torch'] as const) for (const k of ['grad', 'fwd'] as const) t[side][k].push(got[side][k]);
    const r = { first: order[0], ours_grad_ms: r1(t.ours.grad[i]!), torch_grad_ms: r1(t.torch.grad[i]!), grad_ratio: r3(t.torch.grad[i]! / t.ours.grad[i]!) };
    perRound.push(r);
    o.onRound?.(i, r);
  }
  const stats = (s: { grad: number[]; fwd: number[] }): SideStats => ({ grad_ms: r1(median(s.grad)), grad_ms_min: r1(Math.min(...s.grad)), forward_ms: r1(median(s.fwd)) });
  const ratios = perRound.map((r) => r.grad_ratio);
  return {
    bench: 'engine-vs-torch', mode: 'interleaved', goal_ratio: GRAD_RATIO_GOAL, rounds: perRound.length,
    ours: stats(t.ours), torch: stats(t.torch),
    grad_ratio: r3(median(t.torch.grad) / median(t.ours.grad)),
    median_round_grad_ratio: r3(median(ratios)), min_round_grad_ratio: Math.min(...ratios), max_round_grad_ratio: Math.max(...ratios),
    rounds_meeting_goal: ratios.filter((x) => x >= GRAD_RATIO_GOAL).length,
    forward_ratio: r3(median(t.torch.fwd) / median(t.ours.fwd)),
    per_round: perRound,
    ...(error ? { error, rounds_requested: rounds } : {}),
  };
}

/**
 * A long-lived side speaking peer-serve.py's line protocol: `ready …` once, then one number (ms) per
 * request line. Errors name the command and the last lines of its stderr.
 */
export class LinePeer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';
  private exited: string | null = null;
  readonly what: string;
  /** what followed `ready` on its first line */
  readyInfo = '';

  private constructor(cmd: string, args: string[], env: Record<string, string>, unsetEnv: string[]) {
    this.what = [cmd, ...args].join(' ');
    this.proc = spawn(cmd, args, { env: sideEnv({ env, unsetEnv }), stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.proc.on('exit', (code, sig) => (this.exited = code !== null ? `exit code ${code}` : `killed by ${sig}`));
    this.proc.on('error', (e) => (this.exited = e.message));
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  static async start(cmd: string, args: string[], env: Record<string, string> = {}, unsetEnv: string[] = []): Promise<LinePeer> {
    const p = new LinePeer(cmd, args, env, unsetEnv);
    const first = await p.nextLine('starting');
    if (!first.startsWith('ready')) throw p.fail(`expected a 'ready' line first, got ${JSON.stringify(first)}`);
    p.readyInfo = first.slice(5).trim();
    return p;
  }

  private fail(why: string): Error {
    const tail = this.stderr.trim().split('\n').slice(-3).join(' / ');
    return new Error(`torch: '${this.what}' ${why}${this.exited ? ` (${this.exited})` : ''}${tail ? `: ${tail}` : ''}`);
  }

  private async nextLine(doing: string): Promise<string> {
    const r = await this.lines.next();
    if (r.done) {
      // let the exit event land, so the message can say how it ended
      await new Promise((res) => setTimeout(res, 50));
      throw this.fail(`ended while ${doing}`);
    }
    return r.value;
  }

  readonly run: RunTimer = async (kind) => {
    if (this.exited) throw this.fail(`has ended`);
    this.proc.stdin.write(`${kind}\n`);
    const line = await this.nextLine(`running '${kind}'`);
    const ms = Number(line);
    if (!Number.isFinite(ms)) throw this.fail(`answered '${kind}' with ${JSON.stringify(line)}, not milliseconds`);
    return ms;
  };

  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

/** The CLI suite: our bench session and peer-serve.py on the reference (`side`: its Python, script and environment), interleaved. */
export async function benchInterleaved(side: Side, rounds: number, opts: SessionOptions = {}): Promise<InterleaveResult & { torch_info: unknown }> {
  const torch = await LinePeer.start(side.cmd, [PEER_SERVE, ...side.args], side.env, side.unsetEnv);
  const dir = mkdtempSync(join(tmpdir(), 'undertone-bench-'));
  const rt = Runtime.start();
  try {
    const { writeBenchWeightsApart, benchGradSession } = await import('./bench-engine.js');
    const file = join(dir, 'model.safetensors');
    writeBenchWeightsApart(file);
    const { session, feeds } = await benchGradSession(rt, file, opts);
    const ours: RunTimer = async (kind) => {
      const t0 = performance.now();
      await session.run(feeds, { grad: kind === 'grad' });
      return performance.now() - t0;
    };
    const r = await interleave(ours, torch.run, rounds, {
      onRound: (i, x) => process.stderr.write(`round ${i + 1}/${rounds} (${x.first} first): ours ${x.ours_grad_ms} ms, torch ${x.torch_grad_ms} ms, ratio ${x.grad_ratio}\n`),
    });
    await session.release();
    let info: unknown = torch.readyInfo;
    try {
      info = JSON.parse(torch.readyInfo);
    } catch {
      // keep the raw text
    }
    return { ...r, torch_info: info };
  } finally {
    torch.close();
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
