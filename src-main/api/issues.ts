/** zod issues as the API's issues: a dotted path per offending field. */
import type { z } from 'zod';
import type { ApiIssue } from './errors.js';

/** One issue per offending field; an unknown key is reported at its own path; `prefix` nests them (e.g. under `params`). */
export function toIssues(zodIssues: z.core.$ZodIssue[], prefix: string[] = []): ApiIssue[] {
  const out: ApiIssue[] = [];
  for (const issue of zodIssues) {
    const base = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...base, key].join('.'), message: 'unknown field' });
    } else {
      out.push({ path: base.join('.'), message: issue.message });
    }
  }
  return out;
}


/**
 * The issues as one line. Issues whose paths differ only in array indices and that share a message
 * are told once ('samples.0.idx … samples.119.idx (120 fields): …'), and at most `max` such groups are
 * listed ('; and 3 more (see issues)'), so that 120 rows missing one field make one readable line
 * (the error's `issues` keeps every one).
 */
export function issuesMessage(issues: readonly ApiIssue[], max = 5): string {
  const groups = new Map<string, ApiIssue[]>();
  for (const i of issues) {
    const key = `${i.path.replace(/(^|\.)\d+(?=\.|$)/g, '$1#')}\u0000${i.message}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  }
  const told = [...groups.values()].map((g) => {
    const where = g.length === 1 ? g[0]!.path : `${g[0]!.path} … ${g[g.length - 1]!.path} (${g.length} fields)`;
    return where ? `${where}: ${g[0]!.message}` : g[0]!.message;
  });
  return told.length > max ? `${told.slice(0, max).join('; ')}; and ${told.length - max} more (see issues)` : told.join('; ');
}
