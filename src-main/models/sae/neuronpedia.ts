/**
 * Neuronpedia exports (JSONL batches, plain or gzipped) → typed records keyed by
 * (modelId, layer, index), and the mapping from a Neuronpedia source (`gemma-2b-it/12-res-jb`)
 * to a loaded SAE (REFERENCE §3).
 *
 * A line is classified by its fields: `description` → explanation; `tokens` + `values` →
 * activation record; anything else with a key → feature (pos_str/pos_values, neg_str/neg_values,
 * frac_nonzero). Files are read line by line (streaming); a bad line is recorded with file:line
 * and the import goes on.
 */
import { closeSync, createReadStream, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SaeError } from './errors.js';
import type { Sae } from './load.js';

export interface NpKey {
  modelId: string;
  /** the SAE id within the model, e.g. `12-res-jb` */
  layer: string;
  index: number;
}

export interface NpFeature extends NpKey {
  posStr: string[];
  posValues: number[];
  negStr: string[];
  negValues: number[];
  /** fraction of tokens on which the feature fires (density), if given */
  fracNonzero: number | null;
  maxActApprox: number | null;
}

export interface NpExplanation extends NpKey {
  description: string;
  explanationModelName: string | null;
  typeName: string | null;
}

export interface NpActivation extends NpKey {
  tokens: string[];
  values: number[];
  maxValue: number;
}

export interface NpRecord {
  key: NpKey;
  feature: NpFeature | null;
  explanations: NpExplanation[];
  activations: NpActivation[];
}

export interface NpBadLine {
  file: string;
  line: number;
  error: string;
}

export type NpLine = { kind: 'feature'; value: NpFeature } | { kind: 'explanation'; value: NpExplanation } | { kind: 'activation'; value: NpActivation };

export function npKeyString(modelId: string, layer: string, index: number): string {
  return `${modelId}\u0000${layer}\u0000${index}`;
}

/** Records by (modelId, layer, index), plus the lines that could not be read. */
export class NeuronpediaIndex {
  readonly records = new Map<string, NpRecord>();
  readonly bad: NpBadLine[] = [];
  readonly files: string[] = [];
  lines = 0;

  get(modelId: string, layer: string, index: number): NpRecord | undefined {
    return this.records.get(npKeyString(modelId, layer, index));
  }

  add(l: NpLine): void {
    const k = l.value;
    const id = npKeyString(k.modelId, k.layer, k.index);
    let r = this.records.get(id);
    if (!r) this.records.set(id, (r = { key: { modelId: k.modelId, layer: k.layer, index: k.index }, feature: null, explanations: [], activations: [] }));
    if (l.kind === 'feature') r.feature = l.value;
    else if (l.kind === 'explanation') r.explanations.push(l.value);
    else r.activations.push(l.value);
  }

  /** Distinct (modelId, layer) sources with their record counts. */
  sources(): { modelId: string; layer: string; count: number }[] {
    const m = new Map<string, { modelId: string; layer: string; count: number }>();
    for (const r of this.records.values()) {
      const s = `${r.key.modelId}/${r.key.layer}`;
      const e = m.get(s);
      if (e) e.count++;
      else m.set(s, { modelId: r.key.modelId, layer: r.key.layer, count: 1 });
    }
    return [...m.values()];
  }

  /** The records of one source, by feature index. */
  forSource(modelId: string, layer: string): Map<number, NpRecord> {
    const out = new Map<number, NpRecord>();
    for (const r of this.records.values()) if (r.key.modelId === modelId && r.key.layer === layer) out.set(r.key.index, r);
    return out;
  }
}

// ---------------------------------------------------------------- one line

type Json = Record<string, unknown>;

function str(o: Json, k: string): string {
  const v = o[k];
  if (typeof v !== 'string' || !v.length) throw new Error(`'${k}' must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function optStr(o: Json, k: string): string | null {
  const v = o[k];
  return typeof v === 'string' ? v : null;
}

function optNum(o: Json, k: string): number | null {
  const v = o[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`'${k}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function strArr(o: Json, k: string): string[] {
  const v = o[k] ?? [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`'${k}' must be an array of strings`);
  return v as string[];
}

function numArr(o: Json, k: string): number[] {
  const v = o[k] ?? [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new Error(`'${k}' must be an array of numbers`);
  return v as number[];
}

function key(o: Json): NpKey {
  const iv = o.index;
  const index = typeof iv === 'string' && /^\d+$/.test(iv) ? Number(iv) : iv;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) throw new Error(`'index' must be a non-negative integer, got ${JSON.stringify(iv)}`);
  return { modelId: str(o, 'modelId'), layer: str(o, 'layer'), index };
}

/** Parse one export object. Throws with a reason when a field is missing or of the wrong type. */
export function parseNeuronpediaObject(v: unknown): NpLine {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
  const o = v as Json;
  const k = key(o);
  if ('description' in o) {
    return { kind: 'explanation', value: { ...k, description: str(o, 'description'), explanationModelName: optStr(o, 'explanationModelName'), typeName: optStr(o, 'typeName') } };
  }
  if ('tokens' in o || 'values' in o) {
    const tokens = strArr(o, 'tokens');
    const values = numArr(o, 'values');
    if (tokens.length !== values.length) throw new Error(`'tokens' has ${tokens.length} entries but 'values' has ${values.length}`);
    const mv = optNum(o, 'maxValue');
    return { kind: 'activation', value: { ...k, tokens, values, maxValue: mv ?? Math.max(...values) } };
  }
  const posStr = strArr(o, 'pos_str');
  const posValues = numArr(o, 'pos_values');
  const negStr = strArr(o, 'neg_str');
  const negValues = numArr(o, 'neg_values');
  if (posStr.length !== posValues.length) throw new Error(`'pos_str' has ${posStr.length} entries but 'pos_values' has ${posValues.length}`);
  if (negStr.length !== negValues.length) throw new Error(`'neg_str' has ${negStr.length} entries but 'neg_values' has ${negValues.length}`);
  return { kind: 'feature', value: { ...k, posStr, posValues, negStr, negValues, fracNonzero: optNum(o, 'frac_nonzero'), maxActApprox: optNum(o, 'maxActApprox') } };
}

// ---------------------------------------------------------------- files

/** .jsonl / .jsonl.gz files under a path (a file, or a folder searched recursively), sorted. */
export function neuronpediaFiles(path: string): string[] {
  if (!existsSync(path)) throw new SaeError(path, 'Neuronpedia export not found');
  if (!statSync(path).isDirectory()) return [path];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.jsonl(\.gz)?$/.test(n)) out.push(p);
    }
  };
  walk(path);
  return out;
}

/** Stream one file into `index` (gzip by extension or magic bytes); bad lines go to `index.bad`. */
async function importFile(file: string, index: NeuronpediaIndex): Promise<void> {
  const gz = file.endsWith('.gz') || isGzip(file);
  let src: Readable = createReadStream(file);
  if (gz) src = src.pipe(createGunzip());
  let streamErr: Error | null = null;
  const rl = createInterface({ input: src, crlfDelay: Infinity });
  src.on('error', (e) => {
    streamErr ??= e;
    rl.close();
  });
  let n = 0;
  try {
    for await (const line of rl) {
      n++;
      if (!line.trim()) continue;
      index.lines++;
      try {
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch (e) {
          throw new Error(`not valid JSON (${(e as Error).message})`);
        }
        index.add(parseNeuronpediaObject(v));
      } catch (e) {
        index.bad.push({ file, line: n, error: (e as Error).message });
      }
    }
  } catch (e) {
    streamErr ??= e as Error;
  }
  if (streamErr) throw new SaeError(file, `cannot read${gz ? ' (gzip)' : ''} after line ${n}: ${(streamErr as Error).message}`);
  index.files.push(file);
}

function isGzip(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** Import Neuronpedia exports (files or folders) into a new or given index. */
export async function importNeuronpedia(paths: string | readonly string[], into = new NeuronpediaIndex()): Promise<NeuronpediaIndex> {
  for (const p of typeof paths === 'string' ? [paths] : paths) for (const f of neuronpediaFiles(p)) await importFile(f, into);
  return into;
}

/** `file:line: error` for reports. */
export function formatBadLine(b: NpBadLine): string {
  return `${b.file}:${b.line}: ${b.error}`;
}

// ---------------------------------------------------------------- SAE ↔ Neuronpedia source

/** The Neuronpedia site word of a hook point: res (residual stream), mlp, att; null otherwise. */
function siteOf(point: string): 'res' | 'mlp' | 'att' | null {
  if (/^hook_resid_(pre|mid|post)$/.test(point)) return 'res';
  if (point === 'hook_mlp_out') return 'mlp';
  if (point === 'attn.hook_z' || point === 'hook_attn_out') return 'att';
  return null;
}

function normModel(s: string): string {
  return s.toLowerCase().replace(/^.*\//, '');
}

/**
 * Does Neuronpedia source (modelId, layer) describe this SAE? With the SAE's own `neuronpedia_id`
 * (SAELens cfg) only an exact match counts. Otherwise: the layer id must start with the hook's
 * block number and name its site (`12-res-jb` ↔ blocks.12.hook_resid_*, `4-…mlp…` ↔ hook_mlp_out,
 * `7-…att…` ↔ attn.hook_z), and the model id must equal the SAE's model_name when that is known.
 */
export function saeMatchesSource(sae: Sae, modelId: string, layer: string): boolean {
  if (sae.neuronpediaId) return sae.neuronpediaId === `${modelId}/${layer}`;
  const m = /^blocks\.(\d+)\.(.+)$/.exec(sae.hook);
  const lm = /^(\d+)-(.+)$/.exec(layer);
  if (!m || !lm || m[1] !== lm[1]) return false;
  const site = siteOf(m[2]!);
  const words = lm[2]!.toLowerCase().split(/[-_]/);
  const named = words.some((w) => w === 'res' || w.startsWith('res')) ? 'res' : words.some((w) => w.startsWith('mlp')) ? 'mlp' : words.some((w) => w.startsWith('att')) ? 'att' : null;
  if (!site || named !== site) return false;
  return !sae.modelName || normModel(sae.modelName) === normModel(modelId);
}

/**
 * The one source in `index` that describes this SAE (or the one named by `explicit`,
 * `modelId/layer`). Errors list the sources seen and say how to choose.
 */
export function neuronpediaSourceFor(sae: Sae, index: NeuronpediaIndex, explicit?: string): { modelId: string; layer: string } {
  const all = index.sources();
  const list = all.map((s) => `${s.modelId}/${s.layer} (${s.count})`).join(', ') || 'none';
  if (explicit) {
    const cut = explicit.indexOf('/');
    const modelId = explicit.slice(0, cut);
    const layer = explicit.slice(cut + 1);
    if (cut <= 0 || !all.some((s) => s.modelId === modelId && s.layer === layer)) {
      throw new SaeError(sae.path, `Neuronpedia source '${explicit}' is not in the export (sources: ${list})`);
    }
    return { modelId, layer };
  }
  const hits = all.filter((s) => saeMatchesSource(sae, s.modelId, s.layer));
  if (hits.length === 1) return { modelId: hits[0]!.modelId, layer: hits[0]!.layer };
  const why = sae.neuronpediaId ? `its neuronpedia_id is '${sae.neuronpediaId}'` : `its hook is ${sae.hook}${sae.modelName ? ` of ${sae.modelName}` : ''}`;
  if (!hits.length) throw new SaeError(sae.path, `no Neuronpedia source in the export matches this SAE (${why}; sources: ${list}); name one as modelId/layer`);
  throw new SaeError(sae.path, `several Neuronpedia sources match this SAE (${hits.map((h) => `${h.modelId}/${h.layer}`).join(', ')}); name one as modelId/layer`);
}

/** The records of the SAE's source by feature index, each checked to lie in 0..d_sae-1. */
export function neuronpediaForSae(sae: Sae, index: NeuronpediaIndex, explicit?: string): Map<number, NpRecord> {
  const { modelId, layer } = neuronpediaSourceFor(sae, index, explicit);
  const recs = index.forSource(modelId, layer);
  for (const i of recs.keys()) {
    if (i >= sae.dSae) throw new SaeError(sae.path, `Neuronpedia ${modelId}/${layer} has feature ${i}, beyond this SAE's d_sae = ${sae.dSae}: wrong SAE for this export?`);
  }
  return recs;
}

/** The label to show for a feature: its first explanation's description, or null. */
export function featureLabel(r: NpRecord | undefined): string | null {
  return r?.explanations[0]?.description ?? null;
}
