/**
 * `npm run demo:sae`: rebuild the embedded demo SAE (resources/demo/sae-blocks.2.hook_resid_post)
 * and its corpus (resources/demo/stories-corpus.txt) from the demo model alone, deterministically:
 * 1. the demo model writes STORIES stories (temperature 1, seeded) from a few openings;
 * 2. a standard SAE (d_sae = 4 × 64) trains on blocks.2.hook_resid_post over those stories, with
 *    5% of the tokens held out for the evaluation recorded in cfg.json.
 * Provenance (code version, model hash, corpus sha256, settings, evaluation) goes into cfg.json.
 */
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Runtime } from '../src-main/engine/runtime.js';
import { codeVersion } from '../src-main/jobs/code-version.js';
import { generate } from '../src-main/models/generate.js';
import { modelIdentityHash } from '../src-main/models/identity.js';
import { LanguageModel } from '../src-main/models/lm.js';
import { corpusContexts } from '../src-main/lab/feature-corpus.js';
import { collectActivations, evaluateSae, trainSae } from '../src-main/lab/train-sae.js';
import { writeSaeLensFolder } from '../src-main/models/sae/write.js';

const DEMO = fileURLToPath(new URL('../resources/demo/', import.meta.url));
const MODEL = join(DEMO, 'stories260k');
const HOOK = 'blocks.2.hook_resid_post';
const OUT = join(DEMO, `sae-${HOOK}`);
const STORIES = 1024;
const OPENINGS = ['Once upon a time', 'One day', 'Lily was', 'Tom and his dog', 'The little bird', 'Mom said', 'Ben had a', 'There was a big'];
const CFG = { dSae: 256, l1: 1, lr: 1e-3, steps: 6000, batch: 1024, seed: 0 };

const code = codeVersion(); // before any file here is rewritten
const rt = Runtime.start();
const model = LanguageModel.open(rt, MODEL);
try {
  const tok = model.tokenizer();
  const stories: string[] = [];
  for (let at = 0; at < STORIES; at += 64) {
    const prompts = Array.from({ length: 64 }, (_, i) => OPENINGS[(at + i) % OPENINGS.length]!);
    const gens = await generate(model, prompts.map((p) => tok.encode(p)), { maxNew: 160, temperature: 1, seed: at });
    gens.forEach((g, i) => stories.push(`${prompts[i]}${g.text ?? ''}`.replace(/\s*\n\s*/g, ' ').trim()));
    process.stdout.write(`\rstories ${stories.length}/${STORIES}`);
  }
  const corpus = stories.join('\n\n') + '\n';
  writeFileSync(join(DEMO, 'stories-corpus.txt'), corpus);
  const ctx = corpusContexts(tok, { texts: stories }, { contextLen: 128 });
  const acts = await collectActivations(model, ctx, HOOK);
  const cut = acts.n - Math.floor(acts.n * 0.05);
  const train = { data: acts.data.subarray(0, cut * acts.dIn), n: cut, dIn: acts.dIn };
  const held = { data: acts.data.subarray(cut * acts.dIn), n: acts.n - cut, dIn: acts.dIn };
  console.log(`\n${acts.n} tokens (${train.n} train, ${held.n} held out)`);
  const t0 = performance.now();
  const res = await trainSae(rt, train, CFG, { progress: (f, m) => process.stdout.write(`\r${m}    `) });
  const evaluation = await evaluateSae(rt, held, res.params, res.scale, CFG.dSae);
  console.log(`\ntrained in ${((performance.now() - t0) / 1000).toFixed(1)} s; held out: ${JSON.stringify(evaluation)}`);
  rmSync(OUT, { recursive: true, force: true });
  writeSaeLensFolder(OUT, res.params, {
    dIn: acts.dIn, dSae: CFG.dSae, hook: HOOK, normScalingFactor: res.scale, modelName: 'stories260k',
    extra: {
      undertone_training: {
        script: 'scripts/demo-sae.ts', code, modelHash: modelIdentityHash(model.ck), hook: HOOK,
        corpus: { file: 'stories-corpus.txt', sha256: createHash('sha256').update(corpus).digest('hex'), stories: STORIES, contextLen: 128 },
        tokens: train.n, heldOutTokens: held.n, ...CFG, evaluation,
      },
    },
  });
  console.log(`wrote ${OUT}`);
} finally {
  await model.close();
  await rt.close();
}
