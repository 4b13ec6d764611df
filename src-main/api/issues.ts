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

