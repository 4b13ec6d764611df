/**
 * A finished run's result as a few readable lines for the terminal (the JSON line above them holds
 * everything): the signal scan's signal ± stderr and z (and, by layer, a row per layer with the
 * Bonferroni threshold), the bias sweep's loss by layer, and the loss table's rows with the tokens
 * that carry each row's difference from the first. Other kinds: none.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const n = (v: unknown, digits: number, signed = false): string =>
  typeof v === 'number' && Number.isFinite(v) ? `${signed && v >= 0 ? '+' : ''}${v.toFixed(digits)}` : '—';

export function resultSummary(kind: string, result: unknown): string[] {
  const r = obj(result);
  if (kind === 'signal-scan' && 'signalNats' in r) {
    const out: string[] = [];
    if (Array.isArray(r.layers) && r.layers.length > 1) {
      const bz = typeof r.bonferroniZ === 'number' ? r.bonferroniZ : null;
      out.push(`signal by layer (suspect drop − control drop, nats/token)${bz !== null ? `; |z| must pass ${bz.toFixed(2)} (two-sided 5%, Bonferroni over ${r.layers.length} layers)` : ''}:`);
      const width = Math.max(...r.layers.map((l) => String(obj(l).hook ?? '').length));
      const passes = (l: Obj): boolean => bz !== null && typeof l.z === 'number' && Math.abs(l.z) >= bz;
      for (const l of r.layers.map(obj)) out.push(`  ${String(l.hook ?? '?').padEnd(width)}  ${n(l.signalNats, 4, true)} ± ${n(l.signalStderrNats, 4)}  z ${n(l.z, 2, true)}${passes(l) ? '  *' : ''}`);
      const passing = r.layers.map(obj).filter(passes).length;
      out.push(`largest z at ${String(r.hook)}${bz === null ? '' : passing ? `; * passes the threshold (${passing} of ${r.layers.length})` : '; no layer passes the threshold'}`);
    } else {
      out.push(`signal at ${String(r.hook)}: ${n(r.signalNats, 4, true)} ± ${n(r.signalStderrNats, 4)} nats/token, z ${n(r.z, 2, true)}${typeof r.pairs === 'number' ? (r.pairs > 0 ? ` (${r.pairs} held-out pairs)` : ' (unpaired)') : ''}`);
    }
    return out;
  }
  if (kind === 'bias-sweep' && Array.isArray(r.points)) {
    const base = obj(r.base);
    const pts = r.points.map(obj);
    const width = Math.max(...pts.map((p) => String(p.hook ?? '').length), 4);
    const out = [`loss by layer (nats/token${r.heldOut ? ', held-out samples' : ', the samples trained on'}); base ${n(base.lossNats, 4)}:`];
    for (const p of pts) out.push(`  ${String(p.hook ?? '?').padEnd(width)}  ${n(p.lossNats, 4)} ± ${n(p.stderrNats, 4)}  Δ ${n(p.deltaNats, 4, true)} ± ${n(p.deltaStderrNats, 4)}`);
    const best = pts.reduce<Obj | null>((a, p) => (typeof p.lossNats === 'number' && (a === null || p.lossNats < (a.lossNats as number)) ? p : a), null);
    if (best) out.push(`lowest at ${String(best.hook)}`);
    return out;
  }
  if (kind === 'loss-table' && Array.isArray(r.table)) {
    const rows = r.table.map(obj);
    const width = Math.max(...rows.map((x) => String(x.name ?? '').length), 4);
    const out = [`loss by configuration (nats/token, mean over samples ± stderr; Δ vs ${String(rows[0]?.name ?? 'the first')}, paired):`];
    for (const x of rows) out.push(`  ${String(x.name ?? '?').padEnd(width)}  ${n(x.lossNats, 4)} ± ${n(x.stderrNats, 4)}${x.deltaNats === null || x.deltaNats === undefined ? '' : `  Δ ${n(x.deltaNats, 4, true)} ± ${n(x.deltaStderrNats, 4)}`}`);
    for (const x of rows.slice(1)) {
      const c = obj(x.carriers);
      if (!Array.isArray(c.top) || !Array.isArray(c.bottom)) continue;
      const toks = (l: unknown[]) => l.slice(0, 5).map(obj).map((t) => `${JSON.stringify(t.text)} ${n(t.totalDiffNats, 2, true)}`).join(', ') || '—';
      out.push(`tokens carrying ${String(x.name)} − ${String(rows[0]!.name)} (Σ logp difference, nats): top 1% of occurrences carry ${typeof c.top1PctShare === 'number' ? `${(100 * c.top1PctShare).toFixed(0)}%` : '—'} of the gain`);
      const dv = obj(c.divergence);
      if (typeof dv.otherOnly === 'number' && typeof c.tokens === 'number' && c.tokens > 0) {
        out.push(`  divergence tokens (greedy under ${String(x.name)}, not under ${String(rows[0]!.name)}): ${(100 * dv.otherOnly / c.tokens).toFixed(1)}% of ${c.tokens} tokens, carrying ${typeof dv.otherOnlyGainShare === 'number' ? `${(100 * dv.otherOnlyGainShare).toFixed(0)}%` : '—'} of the gain`);
      }
      out.push(`  likelier: ${toks(c.top)}`);
      out.push(`  less likely: ${toks(c.bottom)}`);
      const left = [
        typeof c.mismatchedSamples === 'number' && c.mismatchedSamples > 0 ? `${c.mismatchedSamples} samples (completion tokenised differently)` : '',
        typeof c.nonFiniteTokens === 'number' && c.nonFiniteTokens > 0 ? `${c.nonFiniteTokens} token occurrences (log-probability not finite)` : '',
      ].filter(Boolean);
      if (left.length) out.push(`  left out: ${left.join(', ')}; compared: ${String(c.tokens)} tokens in ${String(c.samples)} samples`);
    }
    return out;
  }
  return [];
}
