/**
 * The Runs list's filter: by kind, by status, and by text. The text matches, case-insensitively, the
 * run's id, its kind, its code version, its message and any value in its config (a dataset id, a model
 * path, a hook name, a run name), so a researcher finds "the scans on that dataset" among hundreds.
 * Several words must all match (AND), each anywhere. `names` maps ids (datasets, vectors) to their
 * names, so that a config naming a dataset by id is found by the dataset's name too.
 */
import type { JobStatus } from '../../../src-main/api/contract-types.js';

export interface RunLike {
  id: string;
  kind: string;
  status: JobStatus;
  codeVersion?: string | null;
  message?: string | null;
  config?: unknown;
}

export interface RunFilter {
  /** '' : every kind */
  kind: string;
  /** '' : every status */
  status: '' | JobStatus;
  text: string;
}

export const NO_FILTER: RunFilter = { kind: '', status: '', text: '' };

/** Every string and number inside a config, lower-cased (keys are left out); an id in `names` adds its name. */
export function configText(v: unknown, names?: ReadonlyMap<string, string>, out: string[] = []): string[] {
  if (typeof v === 'string') {
    out.push(v.toLowerCase());
    const n = names?.get(v);
    if (n) out.push(n.toLowerCase());
  } else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) configText(x, names, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) configText(x, names, out);
  return out;
}

export function runMatches(r: RunLike, f: RunFilter, names?: ReadonlyMap<string, string>): boolean {
  if (f.kind && r.kind !== f.kind) return false;
  if (f.status && r.status !== f.status) return false;
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const hay = [r.id.toLowerCase(), r.kind.toLowerCase(), (r.codeVersion ?? '').toLowerCase(), (r.message ?? '').toLowerCase(), ...configText(r.config, names)].join('\n');
  return words.every((w) => hay.includes(w));
}

export function filterRuns<R extends RunLike>(runs: readonly R[], f: RunFilter, names?: ReadonlyMap<string, string>): R[] {
  return runs.filter((r) => runMatches(r, f, names));
}

export function isFiltered(f: RunFilter): boolean {
  return !!(f.kind || f.status || f.text.trim());
}

/**
 * How many runs of each value of a field, sorted by value: the filter menus' options. `selected` (the
 * menu's current value, '' for all) is always listed, with count 0 when no run has it (its runs were
 * deleted): a menu without its value's option would show another one while the list stays filtered.
 */
export function countsBy<R extends RunLike>(runs: readonly R[], key: 'kind' | 'status', selected = ''): { value: string; count: number }[] {
  const m = new Map<string, number>();
  if (selected) m.set(selected, 0);
  for (const r of runs) m.set(r[key], (m.get(r[key]) ?? 0) + 1);
  return [...m].sort(([a], [b]) => a.localeCompare(b)).map(([value, count]) => ({ value, count }));
}
