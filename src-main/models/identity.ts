/**
 * A model folder's identity for provenance: sha256 over config.json and, for every safetensors
 * file, its header bytes and size. Cheap for multi-GB checkpoints (no full-content hash) and it
 * changes whenever a tensor's name, dtype, shape, offset or the file's size changes.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Checkpoint } from './checkpoint.js';

export function modelIdentityHash(ck: Checkpoint): string {
  const h = createHash('sha256');
  h.update(readFileSync(join(ck.dir, 'config.json')));
  for (const f of [...ck.files].sort()) {
    const size = statSync(f).size;
    const fd = openSync(f, 'r');
    try {
      const len = Buffer.alloc(8);
      readSync(fd, len, 0, 8, 0);
      const n = Math.min(Number(len.readBigUInt64LE(0)), size - 8);
      const hdr = Buffer.alloc(n);
      readSync(fd, hdr, 0, n, 8);
      h.update(`\0${size}\0`).update(hdr);
    } finally {
      closeSync(fd);
    }
  }
  return `sha256:${h.digest('hex')}`;
}
