// Finished runs written straight into a store (no job runs), for figure tests.
import type { ApiContext } from '../../src-main/api/context.js';

/**
 * A finished bias-sweep over `deltas.length` layers at blocks.ℓ.hook_resid_post: base loss 1.606 ± 0.035
 * nats/token, the biased loss 1.606 + Δ (± 0.036), Δ ± 0.003 (paired), as the sweep job stores its curves.
 */
export function storeSweepRun(ctx: ApiContext, deltas: readonly number[]): string {
  const r = ctx.store.runs.create({ kind: 'bias-sweep', config: { point: 'hook_resid_post' }, codeVersion: 'test' });
  ctx.store.runs.claim(r.id);
  const hooks = deltas.map((_, l) => `blocks.${l}.hook_resid_post`);
  const add = (name: string, values: readonly number[]): unknown => ctx.store.metrics.addPoints({ runId: r.id, name, unit: 'nats', points: values.map((value, x) => ({ x, value })) });
  add('loss_by_layer', deltas.map((d) => 1.606 + d));
  add('loss_by_layer_stderr', deltas.map(() => 0.036));
  add('delta_by_layer', deltas);
  add('delta_by_layer_stderr', deltas.map(() => 0.003));
  ctx.store.runs.finish(r.id, { status: 'done', result: { hooks, base: { lossNats: 1.606, stderrNats: 0.035, pooledNats: 1.6 } } });
  return r.id;
}

/**
 * A finished signal scan: suspect and control held-out drops [drop, stderr] (nats/token; 96 train and
 * 32 held-out samples each, base loss 1.55), and with `layers` > 0 a by-layer scan over
 * blocks.ℓ.hook_resid_post whose signals are 0.01·sin ℓ − 0.002 ± 0.004 (z 1.2 each).
 */
export function storeScanRun(ctx: ApiContext, o: { suspect: [number, number]; control: [number, number]; layers?: number }): string {
  const side = ([d, s]: [number, number]) => ({ trainSamples: 96, heldOutSamples: 32, baseLossNats: 1.55, biasedLossNats: 1.55 - d, dropNats: d, dropStderrNats: s });
  const n = o.layers ?? 0;
  const layers = Array.from({ length: n }, (_, l) => ({ hook: `blocks.${l}.hook_resid_post`, signalNats: 0.01 * Math.sin(l) - 0.002, signalStderrNats: 0.004, z: 1.2, pairs: 32, biasCosine: 0.3, suspectDropNats: 0.02, controlDropNats: 0.01 }));
  const signal = o.suspect[0] - o.control[0];
  const se = Math.hypot(o.suspect[1], o.control[1]);
  const r = ctx.store.runs.create({ kind: 'signal-scan', config: {}, codeVersion: 'test' });
  ctx.store.runs.claim(r.id);
  ctx.store.runs.finish(r.id, {
    status: 'done',
    result: {
      hook: `blocks.${Math.max(0, n - 1)}.hook_resid_post`, signalNats: signal, signalStderrNats: se, z: signal / se, biasCosine: 0.3, pairs: 32,
      ...(n ? { bonferroniZ: 3, layers } : {}),
      suspect: side(o.suspect), control: side(o.control), vectorIds: { suspect: null, control: null },
    },
  });
  return r.id;
}
