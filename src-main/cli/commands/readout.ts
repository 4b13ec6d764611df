/** `readout --model <dir> (--vector-id ID | --vector-file v.json|v.safetensors) [--store path] [--sae <dir>] [--k 20] [--no-norm] [--json]`: with a store, its labels of the SAE's features and, for the rest, the tokens they fire on */
import { readFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { parseFlags } from '../command.js';
import { Runtime } from '../../engine/runtime.js';
import { readSafetensorsHeader, readTensorF32 } from '../../engine/safetensors.js';
import { openCheckpoint } from '../../models/checkpoint.js';
import { loadSae } from '../../models/sae/load.js';
import { loadTokenizer } from '../../models/tokenizer.js';
import { modelHashOf, readVector } from '../../lab/readouts.js';
import { openStore, existingStorePath, type Store } from '../../store/index.js';
import { featureNotes } from '../../api/feature-notes.js';
import { bytesToF32 } from '../../engine/safetensors.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

function vectorFromFile(file: string): Float32Array {
  if (file.endsWith('.safetensors')) {
    const st = readSafetensorsHeader(file);
    const names = [...st.tensors.keys()];
    if (names.length !== 1) throw new Error(`${file}: expected one tensor, found ${names.length} (${names.slice(0, 5).join(', ')})`);
    return readTensorF32(st, names[0]!);
  }
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`--vector-file ${file}: cannot read a JSON array of numbers (${(e as Error).message})`);
  }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new Error(`${file}: expected a JSON array of numbers`);
  return Float32Array.from(v as number[]);
}

export const readoutCommand: Command = {
  name: 'readout',
  summary: 'what a vector learned: top SAE features (decoder cosine), direct logit attribution',
  usage: 'readout --model <dir> (--vector-id ID | --vector-file F) [--store path] [--sae <dir>] [--k 20] [--no-norm] [--json]',
  async run(argv) {
    const { flags } = parseFlags(argv, { model: 'string', 'vector-id': 'string', 'vector-file': 'string', store: 'string', sae: 'string', k: 'string', 'no-norm': 'boolean', json: 'boolean' }, 0);
    if (typeof flags.model !== 'string' || (!flags['vector-id'] === !flags['vector-file'])) throw new Error(`usage: ${this.usage}`);
    let v: Float32Array;
    let vectorHook: string | undefined;
    let vectorModelHash: string | undefined;
    let store: Store | undefined;
    if (typeof flags['vector-file'] === 'string') {
      v = vectorFromFile(flags['vector-file']);
      // a store given with a vector file: its labels and feature statistics of the SAE
      if (typeof flags.store === 'string') store = openStore(existingStorePath(flags.store));
    } else {
      store = openStore(existingStorePath(typeof flags.store === 'string' ? flags.store : undefined));
      try {
        const meta = store.vectors.get(String(flags['vector-id']));
        vectorHook = meta.hook ?? undefined;
        vectorModelHash = modelHashOf(meta.meta);
        v = meta.dtype === 'F64' ? Float32Array.from(new Float64Array(new Uint8Array(store.vectors.bytes(meta.id)).buffer)) : Float32Array.from(bytesToF32(store.vectors.bytes(meta.id), meta.dtype, meta.id));
      } catch (e) {
        store.close();
        throw e;
      }
    }
    const rt = Runtime.start();
    try {
      const ck = openCheckpoint(flags.model);
      const sae = typeof flags.sae === 'string' ? await loadSae(flags.sae) : undefined;
      const tok = existsSync(join(flags.model, 'tokenizer.json')) ? loadTokenizer(flags.model) : null;
      const k = flags.k === undefined ? 20 : Number(flags.k);
      if (!Number.isInteger(k) || k < 1 || k > 500) throw new Error(`--k must be an integer from 1 to 500, got '${flags.k}'`);
      // the store's labels of the SAE's features, and for the rest the tokens they fire on (feature statistics)
      const notes = store && typeof flags.sae === 'string' ? featureNotes(store, flags.sae) : undefined;
      const r = { ...(await readVector(rt, ck, v, { sae, tok, k, throughFinalNorm: !flags['no-norm'], vectorHook, vectorModelHash, label: notes?.label, firesOn: notes?.firesOn })), firesOnRun: notes?.statsRun ?? null };
      if (flags.json) console.log(JSON.stringify(r));
      else {
        for (const w of r.warnings) console.error(`warning: ${w}`);
        console.log(`${r.space} vector, L2 norm ${r.norm.toFixed(4)}`);
        if (r.firesOnRun) console.log(`features without a label: the tokens they fire hardest on, from feature-stats run ${r.firesOnRun.runId} (${r.firesOnRun.nTokens} tokens)`);
        if (r.topFeatures.length) {
          console.log(`top SAE features (${r.space === 'residual' ? 'cosine with W_dec rows' : 'entries'}):`);
          for (const f of r.topFeatures) console.log(`  #${f.index}  ${f.score.toFixed(4)}${f.encoderProj !== null ? `  enc ${f.encoderProj.toFixed(3)}` : ''}${f.label ? `  ${f.label}` : f.firesOn ? `  fires on ${f.firesOn.map((t) => JSON.stringify(t)).join(' ')}` : ''}`);
        }
        if (r.sparse?.explained.length) {
          const ex = r.sparse.explained;
          console.log(`sparse reconstruction (orthogonal matching pursuit over W_dec rows), share of ‖v‖² explained by k features: ${[1, 2, 5, 10, 20].filter((k) => k <= ex.length).map((k) => `${k}: ${(ex[k - 1]! * 100).toFixed(1)}%`).join('  ')}`);
          console.log(`  chosen: ${r.sparse.features.slice(0, 10).map((f) => `#${f.index} (${f.coef.toFixed(3)})`).join('  ')}`);
        }
        const fmt = (t: { id: number; token: string | null; value: number }) => `${t.token !== null ? JSON.stringify(t.token) : t.id} ${t.value.toFixed(3)}`;
        console.log(`DLA${r.dla.throughFinalNorm ? ' (through the final norm weight)' : ''}, logits per unit:`);
        console.log(`  top:    ${r.dla.top.map(fmt).join('  ')}`);
        console.log(`  bottom: ${r.dla.bottom.map(fmt).join('  ')}`);
      }
      return 0;
    } finally {
      store?.close();
      await rt.close();
    }
  },
};
