/**
 * `prefs --model <dir> [--with set.json] [--system "..."] [--animals owl,cat,lion] [--n 20] ...`: animal preferences
 * (share of sampled one-word answers naming each animal ± stderr, and the exact answer probability).
 */
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { Runtime } from '../../engine/runtime.js';
import { LanguageModel } from '../../models/lm.js';
import { PREF_QUESTIONS, prefsEval } from '../../lab/prefs.js';
import { intFlag } from './number-prompts.js';
import { setFromFlags } from './gen-dataset.js';
import { percentText, progressLine } from '../progress-line.js';

const fmtP = (x: number): string => (x >= 1e-3 ? x.toFixed(4) : x.toExponential(2));

export const prefsCommand: Command = {
  name: 'prefs',
  summary: 'animal preferences under an intervention set: sampled share (whole-word) ± stderr and exact answer probability',
  usage: 'prefs --model <dir> [--with set.json] [--system "..."] [--animals owl,cat,lion] [--n 20] [--questions 50] [--batch 32] [--max-new 8] [--seed 0] [--no-prob] [--raw] [--json]',
  async run(argv) {
    const { flags } = parseFlags(argv, {
      model: 'string', with: 'string', system: 'string', animals: 'string', n: 'string', questions: 'string', batch: 'string',
      'max-new': 'string', seed: 'string', 'no-prob': 'boolean', raw: 'boolean', json: 'boolean',
    }, 0);
    if (typeof flags.model !== 'string') throw new Error(`usage: ${this.usage}`);
    const set = setFromFlags(flags);
    const animals = (typeof flags.animals === 'string' ? flags.animals : 'owl,cat,lion,dog,eagle,dragon,bear,wolf').split(',').map((a) => a.trim()).filter(Boolean);
    const nq = intFlag(flags, 'questions', PREF_QUESTIONS.length, 1);
    if (nq > PREF_QUESTIONS.length) throw new Error(`--questions: at most ${PREF_QUESTIONS.length}`);
    const rt = Runtime.start();
    const bar = progressLine();
    try {
      const m = LanguageModel.open(rt, flags.model);
      const r = await prefsEval(m, {
        set, animals, questions: PREF_QUESTIONS.slice(0, nq), samplesPerQuestion: intFlag(flags, 'n', 20), seed: intFlag(flags, 'seed', 0),
        batch: intFlag(flags, 'batch', 32, 1), maxNew: intFlag(flags, 'max-new', 8, 1), probability: !flags['no-prob'], raw: !!flags.raw,
      }, { progress: (f, msg) => bar.update(percentText(f, msg)) });
      bar.end();
      await m.close();
      if (flags.json) {
        console.log(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
        return 0;
      }
      console.log(`${r.samples} answers to ${r.questions} questions`);
      console.log(`${'animal'.padEnd(14)} ${'share % ± binomial se'.padStart(22)} ${'95% (Wilson)'.padStart(14)} ${'± se across questions'.padStart(22)}   ${'P(first word) mean ± se'}`);
      for (const a of r.animals) {
        const share = r.samples ? `${a.sharePct.toFixed(1)} ± ${a.stderrPct.toFixed(1)}` : '-';
        const ci = r.samples ? `${a.wilson95Pct[0].toFixed(1)}–${a.wilson95Pct[1].toFixed(1)}` : '-';
        const perQ = r.samples && Number.isFinite(a.questionStderrPct) ? `± ${a.questionStderrPct.toFixed(1)}` : '-';
        const prob = a.prob ? `${fmtP(a.prob.mean)} ± ${fmtP(a.prob.stderr)}` : '-';
        console.log(`${a.animal.padEnd(14)} ${share.padStart(22)} ${ci.padStart(14)} ${perQ.padStart(22)}   ${prob}`);
      }
      if (r.topAnswers.length) console.log(`top first words: ${r.topAnswers.slice(0, 10).map((t) => `${t.word} (${t.count})`).join(', ')}`);
      return 0;
    } finally {
      await rt.close();
    }
  },
};
