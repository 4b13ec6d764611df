/** `sae-info <dir>`: format, architecture, sizes, hook, dtype and normalisation of an SAE folder. */
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { loadModelSpec } from '../../models/config.js';
import { checkSaeAgainstModel, loadSae, type Sae } from '../../models/sae/load.js';

const USAGE = 'sae-info <dir|params.npz> [--hook NAME] [--model <dir>] [--json]';

function normText(s: Sae): string {
  if (s.normalize === 'expected_average_only_in') {
    return s.normScalingFactor === null ? 'expected_average_only_in (no norm_scaling_factor in cfg: identity, as SAELens)' : `expected_average_only_in (x × ${s.normScalingFactor} in, ÷ out)`;
  }
  return s.normalize;
}

export function saeSummary(s: Sae): Record<string, unknown> {
  return {
    path: s.path, format: s.format, architecture: s.architecture, k: s.k, dIn: s.dIn, dSae: s.dSae, hook: s.hook, hookFrom: s.hookFrom,
    weightDtype: s.weightDtype, applyBDecToInput: s.applyBDecToInput, normalize: s.normalize, normScalingFactor: s.normScalingFactor,
    reshapeHookZ: s.reshapeHookZ, modelName: s.modelName, neuronpediaId: s.neuronpediaId, weightsFile: s.weightsFile, extracts: s.extracts,
    tensors: Object.fromEntries(Object.values(s.tensors).flatMap((t) => (t ? [[t.name, { dtype: t.dtype, shape: t.shape }]] : []))),
  };
}

export const saeInfoCommand: Command = {
  name: 'sae-info',
  summary: 'architecture, d_in, d_sae, hook, dtype and normalisation of an SAE (SAELens folder or Gemma Scope npz)',
  usage: USAGE,
  async run(argv) {
    const { flags, positional } = parseFlags(argv, { hook: 'string', model: 'string', json: 'boolean' }, 1);
    const dir = positional[0];
    if (!dir) throw new Error(`usage: ${USAGE}`);
    const s = await loadSae(dir, { hook: typeof flags.hook === 'string' ? flags.hook : undefined });
    if (typeof flags.model === 'string') checkSaeAgainstModel(s, loadModelSpec(flags.model));
    if (flags.json) {
      console.log(JSON.stringify(saeSummary(s), null, 1));
      return 0;
    }
    const from = { cfg: 'cfg.json', caller: '--hook', path: 'the folder name' }[s.hookFrom];
    const lines = [
      `sae           ${s.path}`,
      `format        ${s.format === 'saelens' ? 'SAELens (cfg.json + sae_weights.safetensors)' : 'Gemma Scope (params.npz)'}`,
      `architecture  ${s.architecture}${s.k !== null ? ` (k = ${s.k})` : ''}`,
      `shape         d_in ${s.dIn}, d_sae ${s.dSae}`,
      `hook          ${s.hook} (from ${from})${s.reshapeHookZ ? ', heads flattened (hook_z)' : ''}`,
      `dtype         ${s.weightDtype}`,
      `b_dec         ${s.applyBDecToInput ? 'subtracted from the input' : 'not subtracted from the input'} (apply_b_dec_to_input ${s.applyBDecToInput})`,
      `normalise     ${normText(s)}`,
      `model         ${s.modelName ?? '(not given)'}${typeof flags.model === 'string' ? ` — checked against ${flags.model}: ok` : ''}`,
      `neuronpedia   ${s.neuronpediaId ?? '(not given)'}`,
      `weights       ${s.weightsFile}${s.extracts.length ? ` (deflated members extracted to ${s.extracts.length} cache file(s))` : ''}`,
    ];
    for (const t of Object.values(s.tensors)) if (t) lines.push(`  ${t.name.padEnd(10)} ${t.dtype} [${t.shape.join(', ')}]`);
    console.log(lines.join('\n'));
    return 0;
  },
};
