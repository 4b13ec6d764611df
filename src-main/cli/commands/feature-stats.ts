/**
 * `feature-stats --model <dir> --sae <dir> --corpus <file> [--store path] [--top 10] [--context 64] ...`:
 * every SAE feature's density, mean activation and top activating contexts over a corpus, and a
 * summary (dead features, the density histogram, the strongest features' top contexts). With
 * --store it runs as a `feature-stats` job (resumable, results stored); without, in this process.
 */
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { Runtime } from '../../engine/runtime.js';
import { LanguageModel } from '../../models/lm.js';
import { loadSae } from '../../models/sae/load.js';
import { corpusContexts, readCorpusFile } from '../../lab/feature-corpus.js';
import { DENSITY_BUCKETS, densityHistogram, featureRecords, featureStats, type FeatureStat } from '../../lab/feature-stats.js';
import { resolveStorePath } from '../../store/index.js';
import { JobRunner, exitCodeOf } from '../../jobs/index.js';
import { percentText, progressLine } from '../progress-line.js';
import { followRunShown } from '../follow-run.js';

const USAGE = 'feature-stats --model <dir> --sae <dir> --corpus <file> [--store path] [--top 10] [--context 64] [--batch 8] [--max-contexts N] '
  + '[--window 8] [--hook NAME] [--raw] [--completion-only] [--count-bos] [--show 5] [--dtype float32|float64] [--threads N] [--json]';

function posInt(flags: Record<string, string | boolean>, key: string, def: number | undefined): number | undefined {
  const v = flags[key];
  if (v === undefined) return def;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < 1) throw new Error(`--${key} must be a positive integer, got '${String(v)}'`);
  return Number(v);
}

const fmt = (x: number | null, d = 3): string => (x === null ? '-' : x === 0 ? '0' : Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(d));

interface Summary {
  sae: string;
  hook: string;
  dSae: number;
  nContexts: number;
  nTokens: number;
  dead: number;
  histogram: Record<string, number>;
  medianLiveDensity: number | null;
  runId?: string;
  store?: string;
}

function summarize(records: readonly FeatureStat[], head: Omit<Summary, 'dead' | 'histogram' | 'medianLiveDensity' | 'dSae' | 'nTokens'>): Summary {
  const histogram = densityHistogram(records.map((r) => r.density));
  const live = records.filter((r) => r.nActive > 0).map((r) => r.density).sort((a, b) => a - b);
  return {
    ...head, dSae: records.length, nTokens: records[0]?.nTokens ?? 0, dead: histogram.dead, histogram,
    medianLiveDensity: live.length ? live[Math.floor(live.length / 2)]! : null,
  };
}

/** The density histogram in words, e.g. "3 dead, 2 rare (< 1e-3), 10 sparse (1e-3..1e-2), 33 dense (≥ 0.1)". */
export function histogramInWords(h: Record<string, number>): string {
  const words: Record<(typeof DENSITY_BUCKETS)[number], string> = {
    dead: 'dead', '<1e-4': 'very rare (< 1e-4)', '1e-4..1e-3': 'rare (1e-4..1e-3)', '1e-3..1e-2': 'sparse (1e-3..1e-2)',
    '1e-2..0.1': 'common (1e-2..0.1)', '>=0.1': 'dense (≥ 0.1)',
  };
  const parts = DENSITY_BUCKETS.filter((b) => (h[b] ?? 0) > 0).map((b) => `${h[b]} ${words[b]}`);
  return parts.length ? parts.join(', ') : 'no features';
}

function printSummary(s: Summary, records: readonly FeatureStat[], show: number): void {
  const lines = [
    `feature stats ${s.sae} at ${s.hook}: d_sae ${s.dSae}, ${s.nContexts} contexts, ${s.nTokens} counted tokens`,
    `dead          ${s.dead} of ${s.dSae} features (${((100 * s.dead) / Math.max(1, s.dSae)).toFixed(1)}%) never activate`,
    `density       ${histogramInWords(s.histogram)}`,
  ];
  if (s.medianLiveDensity !== null) lines.push(`              median density of live features ${fmt(s.medianLiveDensity, 4)}`);
  const live = records.filter((r) => r.nActive > 0);
  const densest = [...live].sort((a, b) => b.density - a.density || a.index - b.index).slice(0, 5);
  if (densest.length) lines.push(`densest       ${densest.map((r) => `#${r.index} ${fmt(r.density, 4)}`).join(', ')}`);
  const strongest = [...live].sort((a, b) => (b.maxAct ?? 0) - (a.maxAct ?? 0) || a.index - b.index).slice(0, show);
  if (strongest.length) lines.push(`strongest ${strongest.length} features, with their top contexts ([token] is the activating one):`);
  for (const r of strongest) {
    lines.push(`  #${r.index}  max ${fmt(r.maxAct)}  mean when active ${fmt(r.meanAct)}  density ${fmt(r.density, 4)}`);
    for (const t of r.top.slice(0, 3)) {
      const text = `${t.text.left}[${t.text.token}]${t.text.right}`.replace(/\s+/g, ' ');
      lines.push(`     ${fmt(t.value)}  doc ${t.doc} tok ${t.docPos}  ${JSON.stringify(text)}`);
    }
  }
  if (s.runId) lines.push(`stored        run ${s.runId} in ${s.store}`);
  console.log(lines.join('\n'));
}

export const featureStatsCommand: Command = {
  name: 'feature-stats',
  summary: "each SAE feature's density, mean activation and top activating contexts over a corpus (--store: as a stored, resumable job)",
  usage: USAGE,
  async run(argv) {
    const { flags } = parseFlags(argv, {
      model: 'string', sae: 'string', corpus: 'string', store: 'string', top: 'string', context: 'string', batch: 'string', 'max-contexts': 'string',
      window: 'string', hook: 'string', raw: 'boolean', 'completion-only': 'boolean', 'count-bos': 'boolean', show: 'string', dtype: 'string',
      threads: 'string', json: 'boolean',
    }, 0);
    if (typeof flags.model !== 'string' || typeof flags.sae !== 'string' || typeof flags.corpus !== 'string') throw new Error(`usage: ${USAGE}`);
    const dtype = flags.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`--dtype must be float32 or float64, got '${String(dtype)}'`);
    const window = flags.window === undefined ? 8 : Number(flags.window);
    if (!Number.isInteger(window) || window < 0) throw new Error(`--window must be a non-negative integer, got '${String(flags.window)}'`);
    const o = {
      topK: posInt(flags, 'top', 10)!, contextLen: posInt(flags, 'context', 64)!, batch: posInt(flags, 'batch', 8)!,
      maxContexts: posInt(flags, 'max-contexts', undefined), threads: posInt(flags, 'threads', 2)!, show: posInt(flags, 'show', 5)!,
      hook: typeof flags.hook === 'string' ? flags.hook : undefined, raw: !!flags.raw, completionOnly: !!flags['completion-only'], countBos: !!flags['count-bos'],
    };
    let records: FeatureStat[];
    let summary: Summary;

    if (typeof flags.store === 'string') {
      const runner = new JobRunner({ storePath: resolveStorePath(flags.store) });
      try {
        const run = await runner.submit({
          kind: 'feature-stats',
          params: {
            model: resolve(flags.model), sae: resolve(flags.sae), corpusFile: resolve(flags.corpus), dtype, threads: o.threads,
            contextLen: o.contextLen, batch: o.batch, topK: o.topK, window, raw: o.raw, completionOnly: o.completionOnly, countBos: o.countBos,
            ...(o.hook ? { hook: o.hook } : {}), ...(o.maxContexts ? { maxContexts: o.maxContexts } : {}),
          },
        });
        console.error(`run ${run.id} (feature-stats) in ${runner.store.path}`);
        const end = await followRunShown(runner, run, process.stderr);
        if (end.status !== 'done') {
          console.error(`run ${end.id} ${end.status}${end.error ? `: ${end.error}` : ''}${end.status === 'cancelled' ? ` (resume with: jobs-resume ${end.id})` : ''}`);
          return exitCodeOf(end);
        }
        const res = end.result as { saeId: string; nContexts: number };
        records = runner.store.featureStats.list({ runId: end.id, withTop: true }).map((r) => ({
          index: r.featureIndex, nTokens: r.nTokens, nActive: r.nActive, density: r.density, meanAct: r.meanAct, maxAct: r.maxAct, top: r.top,
        }));
        const sae = runner.store.saes.get(res.saeId);
        summary = summarize(records, { sae: sae.path, hook: sae.hook ?? '?', nContexts: res.nContexts, runId: end.id, store: runner.store.path });
      } finally {
        await runner.close();
      }
    } else {
      const sae = await loadSae(flags.sae, { hook: o.hook });
      const rt = Runtime.start();
      try {
        const model = LanguageModel.open(rt, flags.model, { dtype });
        const tok = model.tokenizer();
        const ctx = corpusContexts(tok, readCorpusFile(flags.corpus), o);
        const bar = progressLine();
        const res = await featureStats(model, sae, ctx, { batch: o.batch, topK: o.topK }, {
          progress: (f, m) => bar.update(percentText(f, m)),
        }, { session: { threads: o.threads } });
        bar.end();
        records = featureRecords(res, ctx, { tok, window });
        summary = summarize(records, { sae: sae.path, hook: sae.hook, nContexts: res.nContexts });
        await model.close();
      } finally {
        await rt.close();
      }
    }
    if (flags.json) {
      const shown = [...records].filter((r) => r.nActive > 0).sort((a, b) => (b.maxAct ?? 0) - (a.maxAct ?? 0) || a.index - b.index).slice(0, o.show);
      console.log(JSON.stringify({ ...summary, deadFeatures: records.filter((r) => r.nActive === 0).map((r) => r.index), strongest: shown }));
    } else printSummary(summary, records, o.show);
    return 0;
  },
};
