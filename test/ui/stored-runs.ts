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
