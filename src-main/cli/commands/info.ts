/** `info <dir>`: architecture summary, parameter count, dtypes and the canonical hook list of a model folder. */
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { openCheckpoint } from '../../models/checkpoint.js';
import { formatHookShape, hookList } from '../../models/hooks.js';
import type { ModelSpec } from '../../models/config.js';

function ropeText(s: ModelSpec): string {
  if (!s.rope) return 'learned positions';
  const sc = s.rope.scaling;
  const scaling = !sc
    ? 'none'
    : sc.type === 'llama3'
      ? `llama3 factor=${sc.factor} low=${sc.lowFreqFactor} high=${sc.highFreqFactor} original_max=${sc.originalMaxPositionEmbeddings}`
      : `linear factor=${sc.factor}`;
  return `rope theta=${s.rope.theta} scaling=${scaling}`;
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'architecture, parameter count, dtype and hook list of a Hugging Face model folder',
  usage: 'info <dir> [--all-hooks] [--json]',
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { 'all-hooks': 'boolean', json: 'boolean' }, 1);
    const dir = positional[0];
    if (!dir) throw new Error('usage: info <dir> [--all-hooks] [--json]');
    const ck = openCheckpoint(dir);
    const s = ck.spec;
    const hooks = hookList(s);
    if (flags.json) {
      console.log(JSON.stringify({ dir, spec: s, paramCount: ck.paramCount, dtypes: ck.dtypes, files: ck.files, hooks }, null, 1));
      return 0;
    }
    const window = s.slidingWindow.some((w) => w !== null)
      ? `sliding window ${s.slidingWindow.find((w) => w !== null)} on layers ${s.slidingWindow.flatMap((w, l) => (w !== null ? [l] : [])).join(',')}`
      : 'full causal attention';
    const lines = [
      `model       ${dir}`,
      `arch        ${s.arch}${s.hfClass ? ` (${s.hfClass})` : ''}`,
      `shape       layers ${s.nLayers}, d_model ${s.dModel}, heads ${s.nHeads} (kv ${s.nKvHeads}), head_dim ${s.headDim}, d_mlp ${s.dMlp}, vocab ${s.vocab}`,
      `norm/act    ${s.norm} eps=${s.normEps}${s.sandwichNorm ? ' + sandwich norms' : ''}, ${s.act}`,
      `positions   ${ropeText(s)}`,
      `attention   scale ${s.attnScale.toPrecision(6)}${s.attnSoftcap !== null ? `, softcap ${s.attnSoftcap}` : ''}, ${window}`,
      `biases      qkv ${s.bias.qkv}, o ${s.bias.o}, mlp ${s.bias.mlp}`,
      `head        ${s.tiedHead ? 'tied to embedding' : 'lm_head.weight'}${s.finalSoftcap !== null ? `, final softcap ${s.finalSoftcap}` : ''}; embed scale ${s.embedScale}`,
      `params      ${ck.paramCount.toLocaleString('en-US')} (${ck.dtypes.join(', ')}; config dtype ${s.dtype}) in ${ck.files.length} file(s)`,
      `hooks       ${hooks.length}`,
    ];
    console.log(lines.join('\n'));
    if (flags['all-hooks']) {
      for (const h of hooks) console.log(`  ${h.name.padEnd(36)} ${formatHookShape(s, h)}`);
    } else {
      const seen = new Set<string>();
      for (const h of hooks) {
        const key = h.layer === null ? h.name : `blocks.{l}.${h.point}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const range = h.layer === null ? '' : `  l = 0..${s.nLayers - 1}`;
        console.log(`  ${key.padEnd(36)} ${formatHookShape(s, h)}${range}`);
      }
    }
    return 0;
  },
};
