/**
 * The allowed-paths rule (allowed-paths.ts) applied to everything an API call would open: every
 * path field of job params or an intervention set, at any depth (an SAE inside a set item, a
 * control dataset file, a training run's output folder), and the paths inside stored intervention
 * sets that params name by id. Checked when a job starts and again when it resumes (a run's
 * config may come from an imported experiment), and on intervention sets given to lab calls.
 */
import type { Store } from '../store/index.js';
import { checkAllowedPath } from './allowed-paths.js';

/** Keys whose string values name files or folders: read (models, SAEs, corpora, datasets) or written (`out`). */
export const PATH_KEYS: ReadonlySet<string> = new Set(['model', 'sae', 'datasetFile', 'controlDatasetFile', 'corpusFile', 'out']);

/** Keys whose values are ids of stored intervention sets; their specs are checked too. */
const SET_ID_KEYS: ReadonlySet<string> = new Set(['interventionSetId']);

export function checkParamPaths(v: unknown, roots: string[], at: string, store?: Store, seen = new Set<string>()): void {
  if (Array.isArray(v)) v.forEach((x, i) => checkParamPaths(x, roots, `${at}.${i}`, store, seen));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (PATH_KEYS.has(k) && typeof x === 'string') checkAllowedPath(x, roots, `${at}.${k}`);
      else if (SET_ID_KEYS.has(k) && typeof x === 'string' && store && !seen.has(x)) {
        seen.add(x);
        const spec = storedSpec(store, x);
        if (spec !== undefined) checkParamPaths(spec, roots, `${at}.${k} (intervention set '${x}')`, store, seen);
      } else checkParamPaths(x, roots, `${at}.${k}`, store, seen);
    }
  }
}

/** A stored set's spec; undefined when there is no such set (the job reports that itself). */
function storedSpec(store: Store, id: string): unknown {
  try {
    return store.interventionSets.get(id).spec;
  } catch {
    return undefined;
  }
}
