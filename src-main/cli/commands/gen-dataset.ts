/**
 * `gen-dataset --model <dir> [--system "..."] [--with set.json] [--n 100] [--out file.jsonl] [--store path] ...`:
 * a teacher dataset of number answers with the filter's verdicts. With --store it runs as a
 * `generate-dataset` job in that store (progress, checkpoints, resume); --out writes JSONL rows
 * {prompt, completion, passed, reason}.
 */
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { checkOutFile, parseFlags } from '../command.js';
import { Runtime } from '../../engine/runtime.js';
import { LanguageModel } from '../../models/lm.js';
import { EMPTY_SET, parseInterventionSet, type InterventionSet } from '../../models/interventions.js';
import { generateTeacherDataset } from '../../lab/teacher-dataset.js';
import { resolveStorePath, type JsonValue } from '../../store/index.js';
import { JobRunner, dieOfSigint, exitCodeOf } from '../../jobs/index.js';
import { intFlag } from './number-prompts.js';
import { percentText, progressLine } from '../progress-line.js';
import { followRunShown } from '../follow-run.js';

/** The intervention set of `--with <file>` plus `--system "<text>"` (a system_prompt item). */
export function setFromFlags(flags: Record<string, string | boolean>): InterventionSet {
  let set = EMPTY_SET;
  if (typeof flags.with === 'string') {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(flags.with, 'utf8'));
    } catch (e) {
      throw new Error(`${flags.with}: cannot read the intervention set (${(e as Error).message})`);
    }
    set = parseInterventionSet(json, flags.with);
  }
  if (typeof flags.system === 'string') set = { ...set, items: [...set.items, { kind: 'system_prompt', text: flags.system }] };
  return set;
}

const jsonl = (rows: { prompt: string; completion: string; passed: boolean | null; reason: string | null }[]): string =>
  rows.map((r) => JSON.stringify({ prompt: r.prompt, completion: r.completion, passed: r.passed, reason: r.reason })).join('\n') + (rows.length ? '\n' : '');

export const genDatasetCommand: Command = {
  name: 'gen-dataset',
  summary: 'a teacher (model + system prompt / intervention set) answers number prompts; filter verdicts and pass rate',
  usage: 'gen-dataset --model <dir> [--system "..."] [--with set.json] [--n 100] [--batch 16] [--max-new 64] [--seed 0] [--target M] [--passing-only] [--no-filter] [--raw] [--out file.jsonl] [--store path] [--name text]',
  async run(argv) {
    const { flags } = parseFlags(argv, {
      model: 'string', system: 'string', with: 'string', n: 'string', batch: 'string', 'max-new': 'string', seed: 'string',
      target: 'string', 'passing-only': 'boolean', 'no-filter': 'boolean', raw: 'boolean', out: 'string', store: 'string', name: 'string',
    }, 0);
    if (typeof flags.model !== 'string' || (flags.out === undefined && flags.store === undefined)) throw new Error(`usage: ${this.usage}`);
    const set = setFromFlags(flags);
    const cfg = {
      n: intFlag(flags, 'n', 100, 1), batch: intFlag(flags, 'batch', 16, 1), maxNew: intFlag(flags, 'max-new', 64, 1), seed: intFlag(flags, 'seed', 0),
      ...(flags.target !== undefined ? { target: intFlag(flags, 'target', 1, 1) } : {}),
      filter: !flags['no-filter'], keepRejected: !flags['passing-only'], raw: !!flags.raw,
    };
    const out = typeof flags.out === 'string' ? flags.out : null;
    // before generating: a bad --out found after hours of generation would lose them
    if (out) checkOutFile('out', out);
    if (typeof flags.store === 'string') {
      const runner = new JobRunner({ storePath: resolveStorePath(flags.store) });
      try {
        const params = { model: flags.model, set, ...cfg, ...(typeof flags.name === 'string' ? { name: flags.name } : {}) };
        const run = await runner.submit({ kind: 'generate-dataset', params: params as unknown as JsonValue });
        console.log(`run ${run.id} (generate-dataset) in ${runner.store.path}`);
        const end = await followRunShown(runner, run, process.stderr);
        console.log(`run ${end.id} ${end.status}${end.result ? ` ${JSON.stringify(end.result)}` : ''}`);
        if (end.status === 'done' && out) {
          const { datasetId } = end.result as { datasetId: string };
          const rows = [...runner.store.samples.iterate({ datasetId })].map((s) => ({
            prompt: s.prompt, completion: s.completion, passed: s.passed, reason: ((s.meta ?? {}) as { reason?: string | null }).reason ?? null,
          }));
          writeFileSync(out, jsonl(rows));
          console.log(`${rows.length} samples → ${out}`);
        }
        return exitCodeOf(end);
      } finally {
        await runner.close();
      }
    }
    // the rows go to <out>.partial as they come (a Ctrl-C or a crash keeps them), renamed to <out> when done
    const partial = `${out!}.partial`;
    writeFileSync(partial, '');
    let kept = 0;
    const bar = progressLine();
    const onSigint = (): void => {
      bar.say(`stopped: the ${kept} samples generated so far are in ${partial} (gen-dataset writes ${out} when it finishes)`);
      dieOfSigint();
    };
    process.on('SIGINT', onSigint);
    const rt = Runtime.start();
    try {
      const m = LanguageModel.open(rt, flags.model);
      const res = await generateTeacherDataset(m, { set, ...cfg }, {
        samples: (b) => {
          appendFileSync(partial, jsonl(b));
          kept += b.length;
        },
        checkpoint: () => {},
        progress: (f, msg) => bar.update(percentText(f, msg)),
      });
      bar.end();
      renameSync(partial, out!);
      const rate = Number.isNaN(res.passRate) ? 'n/a (filter off)' : res.passRate.toFixed(4);
      console.log(`${res.generated} answers, ${res.passed} passed, pass rate ${rate}; ${kept} samples → ${out}`);
      for (const [reason, n] of Object.entries(res.reasons).sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(7)}  ${reason}`);
      await m.close();
      return 0;
    } finally {
      process.off('SIGINT', onSigint);
      await rt.close();
    }
  },
};
