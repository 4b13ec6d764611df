// A temporary folder for one test: made, handed to `fn`, and removed when `fn` ends (or its promise settles).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function inTempDir<T>(prefix: string, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const clean = (): void => rmSync(dir, { recursive: true, force: true });
  let r: T;
  try {
    r = fn(dir);
  } catch (e) {
    clean();
    throw e;
  }
  if (r instanceof Promise) return r.finally(clean) as T;
  clean();
  return r;
}
