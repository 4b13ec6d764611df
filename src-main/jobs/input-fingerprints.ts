/**
 * The files a run reads (a JSONL dataset, a control dataset, a corpus), fingerprinted when it starts
 * and kept with every checkpoint, so that a resume on changed inputs is refused: steps trained on the
 * old file and steps on the new one would make one result whose provenance names only the new file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Checkpoint } from '../store/index.js';

const hashes = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

/**
 * The sha256 of a file's bytes, hex; read once per worker while its size and mtime stay the same
 * (the fingerprint at start and the dataset provenance at the end name the same bytes).
 */
export function fileSha256(path: string): string {
  const st = statSync(path);
  const had = hashes.get(path);
  if (had && had.size === st.size && had.mtimeMs === st.mtimeMs) return had.sha256;
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  hashes.set(path, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return sha256;
}

/** Top-level params naming files a job reads as data. */
const FILE_KEYS = ['datasetFile', 'controlDatasetFile', 'corpusFile'] as const;

export type InputFingerprints = Record<string, { path: string; sha256: string }>;

export function inputFingerprints(params: unknown): InputFingerprints {
  const out: InputFingerprints = {};
  if (!params || typeof params !== 'object') return out;
  for (const k of FILE_KEYS) {
    const p = (params as Record<string, unknown>)[k];
    if (typeof p !== 'string') continue;
    let sha256: string;
    try {
      sha256 = fileSha256(p);
    } catch {
      continue; // a missing file is the job's own error, with its own message
    }
    out[k] = { path: p, sha256 };
  }
  return out;
}

const INPUTS = '$undertoneInputs';
const STATE = '$state';

/** The state to store: the job's own, with the fingerprints beside it (unchanged when there are none). */
export function wrapState(state: unknown, inputs: InputFingerprints): unknown {
  return Object.keys(inputs).length ? { [INPUTS]: inputs, [STATE]: state } : state;
}

/** A stored checkpoint as the job wrote it, and the fingerprints it was taken with (none for older checkpoints). */
export function unwrapCheckpoint(ck: Checkpoint | null): { checkpoint: Checkpoint | null; inputs: InputFingerprints | null } {
  const s = ck?.state as Record<string, unknown> | null | undefined;
  if (!ck || !s || typeof s !== 'object' || Array.isArray(s) || !(INPUTS in s)) return { checkpoint: ck, inputs: null };
  return { checkpoint: { ...ck, state: s[STATE] }, inputs: s[INPUTS] as InputFingerprints };
}

/** An error message when a file changed since the checkpoint; null when the inputs are the same. */
export function changedInputs(were: InputFingerprints, now: InputFingerprints): string | null {
  for (const [k, w] of Object.entries(were)) {
    const n = now[k];
    if (!n || n.sha256 !== w.sha256) {
      return `${k} '${w.path}' changed since the run's last checkpoint (sha256 ${w.sha256.slice(0, 12)}… → ${n ? `${n.sha256.slice(0, 12)}…` : 'unreadable'}); resuming would mix steps on two different files. Restore the file or start a new run`;
    }
  }
  return null;
}
