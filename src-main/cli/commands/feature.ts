/**
 * `feature --sae <dir> --index N`: one SAE feature's decoder norm; with --model its top and bottom
 * direct logit effects (W_dec[N] through the final norm @ W_Uᵀ) as tokens; with --neuronpedia its label and density from a
 * local export.
 */
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { Runtime } from '../../engine/runtime.js';
import { openCheckpoint } from '../../models/checkpoint.js';
import { loadTokenizer, type HfTokenizer } from '../../models/tokenizer.js';
import { featureLogitEffects, finalNormOf, unembedOf, type TokenEffect } from '../../models/sae/features.js';
import { checkFeatureIndex, checkSaeAgainstModel, loadSae, readDecoderRow } from '../../models/sae/load.js';
import { featureLabel, formatBadLine, importNeuronpedia, neuronpediaForSae } from '../../models/sae/neuronpedia.js';

const USAGE = 'feature --sae <dir> --index N [--model <dir>] [--neuronpedia <file|dir>] [--np-source modelId/layer] [--k 10] [--hook NAME] [--json]';

export const featureCommand: Command = {
  name: 'feature',
  summary: "an SAE feature's decoder norm, top/bottom logit tokens (--model) and Neuronpedia label (--neuronpedia)",
  usage: USAGE,
  async run(argv) {
    const { flags } = parseFlags(argv, { sae: 'string', index: 'string', model: 'string', neuronpedia: 'string', 'np-source': 'string', k: 'string', hook: 'string', json: 'boolean' }, 0);
    if (typeof flags.sae !== 'string' || typeof flags.index !== 'string') throw new Error(`usage: ${USAGE}`);
    if (!/^\d+$/.test(flags.index)) throw new Error(`--index must be a non-negative integer, got '${flags.index}'`);
    const k = typeof flags.k === 'string' ? Number(flags.k) : 10;
    if (!Number.isInteger(k) || k < 1) throw new Error(`--k must be a positive integer, got '${flags.k}'`);
    const index = Number(flags.index);
    const sae = await loadSae(flags.sae, { hook: typeof flags.hook === 'string' ? flags.hook : undefined });
    checkFeatureIndex(sae, index);
    const row = readDecoderRow(sae, index);
    const norm = Math.sqrt(row.reduce((a, v) => a + v * v, 0));
    const out: Record<string, unknown> = { sae: sae.path, hook: sae.hook, index, dSae: sae.dSae, decoderNorm: norm };

    let tok: HfTokenizer | null = null;
    if (typeof flags.model === 'string') {
      const ck = openCheckpoint(flags.model);
      checkSaeAgainstModel(sae, ck.spec);
      try {
        tok = loadTokenizer(flags.model);
      } catch (e) {
        console.error(`warning: no tokenizer (${(e as Error).message}); showing token ids`);
      }
      const rt = Runtime.start();
      try {
        // through the final norm, as the read-outs and the Features view compute it
        const [e] = await featureLogitEffects(rt, sae, unembedOf(ck), { features: [index], k, finalNorm: finalNormOf(ck) });
        out.logitsThroughFinalNorm = true;
        const named = (ts: TokenEffect[]) => ts.map((t) => ({ id: t.id, token: tok ? tok.decode([t.id]) : null, value: t.value }));
        out.topLogits = named(e!.top);
        out.bottomLogits = named(e!.bottom);
      } finally {
        await rt.close();
      }
    }
    if (typeof flags.neuronpedia === 'string') {
      const idx = await importNeuronpedia(flags.neuronpedia);
      for (const b of idx.bad.slice(0, 5)) console.error(`warning: ${formatBadLine(b)}`);
      if (idx.bad.length > 5) console.error(`warning: ... ${idx.bad.length - 5} more bad lines`);
      const rec = neuronpediaForSae(sae, idx, typeof flags['np-source'] === 'string' ? flags['np-source'] : undefined).get(index);
      out.neuronpedia = rec
        ? {
            source: `${rec.key.modelId}/${rec.key.layer}`, label: featureLabel(rec), explanations: rec.explanations.map((e) => e.description),
            fracNonzero: rec.feature?.fracNonzero ?? null, posStr: rec.feature?.posStr ?? [], negStr: rec.feature?.negStr ?? [], activations: rec.activations.length,
          }
        : null;
    }
    if (flags.json) {
      console.log(JSON.stringify(out, null, 1));
      return 0;
    }
    const tokens = (ts: { id: number; token: string | null; value: number }[]) =>
      ts.map((t) => `${t.token !== null ? JSON.stringify(t.token) : `#${t.id}`} ${t.value >= 0 ? '+' : ''}${t.value.toFixed(3)}`).join(', ');
    const lines = [`feature       ${index} of ${sae.dSae} (${sae.hook}, ${sae.path})`, `decoder norm  ${norm.toPrecision(6)}`];
    if (out.topLogits) {
      lines.push(`top logits    ${tokens(out.topLogits as never)}`);
      lines.push(`bottom logits ${tokens(out.bottomLogits as never)}`);
    }
    if ('neuronpedia' in out) {
      const np = out.neuronpedia as { source: string; label: string | null; fracNonzero: number | null; posStr: string[] } | null;
      if (!np) lines.push('neuronpedia   (no record for this feature in the export)');
      else {
        lines.push(`label         ${np.label ?? '(no explanation)'}  [${np.source}]`);
        if (np.fracNonzero !== null) lines.push(`density       ${np.fracNonzero}`);
        if (np.posStr.length) lines.push(`np top tokens ${np.posStr.map((s) => JSON.stringify(s)).join(', ')}`);
      }
    }
    console.log(lines.join('\n'));
    return 0;
  },
};
