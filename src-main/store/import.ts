/**
 * Import a portable experiment folder (see export.ts) into a store, in one transaction. Every file
 * is checked against the manifest's sha256 first. Rows keep their ids; a row whose key already
 * exists is skipped when identical and is a conflict when it differs (nothing is then imported).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { Store } from './store.js';
import { conflict, invalid, StoreError } from './errors.js';
import { SCHEMA_VERSION } from './migrations.js';
import { requireExisting, resolveInside } from './paths.js';
import { importInputSchema, parseInput, type ImportInput } from './schemas.js';
import { columnsOf, decodeF64, FORMAT, FORMAT_VERSION, jsonlFile, MANIFEST, TABLES, TENSORS, type SqlValue } from './portable.js';
import { readSafetensorsHeader, readTensorBytes, type StFile } from '../engine/safetensors.js';

const manifestSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(FORMAT_VERSION),
  schemaVersion: z.int().min(1).max(SCHEMA_VERSION),
  createdAt: z.string().max(64),
  selection: z.unknown(),
  counts: z.record(z.string(), z.int().min(0)),
  files: z.record(z.string().max(256), z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.int().min(0) })),
});

export type ImportCounts = Record<string, { added: number; skipped: number }>;

function sameValue(a: SqlValue, b: SqlValue): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return Object.is(a, b) || (typeof a === 'number' && a === b);
}

/**
 * A run exported while queued or running belongs to a process of another store (or machine): here
 * it is interrupted, with no owner, so that it can be resumed, cancelled or deleted (a foreign
 * owner pid could be alive here and keep it "running" for good).
 */
function settleImportedRun(names: string[], values: SqlValue[]): void {
  const at = (n: string): number => names.indexOf(n);
  const status = values[at('status')];
  if (status !== 'queued' && status !== 'running') return;
  values[at('status')] = 'interrupted';
  if (at('message') >= 0) values[at('message')] = `interrupted: exported while ${status}`;
  if (at('owner_pid') >= 0) values[at('owner_pid')] = null;
  if (at('owner_token') >= 0) values[at('owner_token')] = null;
}

const MAX_MANIFEST_BYTES = 16 * 2 ** 20;

/** The file's size; an error naming it when it is not a regular file (FIFO, device, folder) or over `max` bytes. */
function requireRegularFile(p: string, what: string, max = Infinity): number {
  const s = statSync(p);
  if (!s.isFile()) throw invalid(`${what} ${p} is not a regular file`);
  if (s.size > max) throw invalid(`${what} ${p} is ${s.size} bytes (at most ${max})`);
  return s.size;
}

export function importExperiment(store: Store, input: ImportInput): ImportCounts {
  const { dir: given } = parseInput(importInputSchema, input, 'import');
  const dir = resolve(given);
  requireExisting(dir, 'import folder');
  if (!statSync(dir).isDirectory()) throw invalid(`import folder ${dir} is not a folder`);
  const manifestPath = requireExisting(resolveInside(dir, MANIFEST, 'manifest'), 'manifest file');
  requireRegularFile(manifestPath, 'manifest file', MAX_MANIFEST_BYTES);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw invalid(`${manifestPath}: not valid JSON (${(e as Error).message})`);
  }
  const manifest = parseInput(manifestSchema, raw, `manifest ${manifestPath}`);

  const expected = new Set([...TABLES.map((t) => jsonlFile(t.name)), TENSORS]);
  for (const name of Object.keys(manifest.files)) {
    if (!expected.has(name)) throw invalid(`${manifestPath}: unexpected file '${name}' (expected ${[...expected].join(', ')})`);
  }
  const files = new Map<string, Buffer>();
  for (const [name, meta] of Object.entries(manifest.files)) {
    const p = requireExisting(resolveInside(dir, name, 'manifest file entry'), 'exported file');
    // a FIFO or device would block (or never end) the read; a size that differs is refused before reading
    const size = requireRegularFile(p, 'exported file');
    if (size !== meta.bytes) throw invalid(`${p}: ${size} bytes, the manifest says ${meta.bytes}; the file was changed or truncated`);
    const b = readFileSync(p);
    const h = createHash('sha256').update(b).digest('hex');
    if (h !== meta.sha256 || b.length !== meta.bytes) {
      throw invalid(`${p}: sha256 ${h} (${b.length} bytes) does not match the manifest (${meta.sha256}, ${meta.bytes} bytes); the file was changed or truncated`);
    }
    files.set(name, b);
  }
  if (!files.has(TENSORS)) throw invalid(`${manifestPath}: lists no ${TENSORS}`);
  const st: StFile = readSafetensorsHeader(resolveInside(dir, TENSORS, 'tensors file'));

  const db = store.db;
  const counts: ImportCounts = {};
  db.transaction(() => {
    // Runs and datasets refer to each other; check foreign keys once, at commit.
    db.pragma('defer_foreign_keys = ON');
    for (const t of TABLES) {
      const file = jsonlFile(t.name);
      const text = files.get(file);
      if (text === undefined) {
        if ((manifest.counts[t.name] ?? 0) > 0) throw invalid(`${manifestPath}: counts ${manifest.counts[t.name]} ${t.name} rows but lists no ${file}`);
        continue;
      }
      const cols = columnsOf(db, t.name);
      const names = cols.map((c) => c.name);
      const insert = db.prepare(`INSERT INTO ${t.name} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`);
      const existing = db.prepare(`SELECT * FROM ${t.name} WHERE ${t.key.map((k) => `${k} = ?`).join(' AND ')}`);
      const c = { added: 0, skipped: 0 };
      const lines = text.toString('utf8').split('\n').filter((l) => l !== '');
      lines.forEach((line, i) => {
        const at = `${file}:${i + 1}`;
        let o: unknown;
        try {
          o = JSON.parse(line);
        } catch (e) {
          throw invalid(`${at}: not valid JSON (${(e as Error).message})`);
        }
        if (typeof o !== 'object' || o === null || Array.isArray(o)) throw invalid(`${at}: a row must be a JSON object`);
        const row = o as Record<string, unknown>;
        const unknown = Object.keys(row).filter((k) => !names.includes(k));
        if (unknown.length) throw invalid(`${at}: unknown column(s) ${unknown.join(', ')} for table ${t.name}`);
        const values: SqlValue[] = cols.map((col) => {
          if (!(col.name in row)) throw invalid(`${at}: missing column ${col.name}`);
          const v = row[col.name];
          if (v === null) return null;
          if (col.type === 'REAL') return decodeF64(v, `${at} column ${col.name}`);
          if (col.type === 'BLOB') {
            const ref = v as { $tensor?: unknown };
            if (typeof ref !== 'object' || typeof ref.$tensor !== 'string' || !st.tensors.has(ref.$tensor)) {
              throw invalid(`${at} column ${col.name}: expected {"$tensor": name} naming a tensor of ${TENSORS}, got ${JSON.stringify(v).slice(0, 200)}`);
            }
            return readTensorBytes(st, ref.$tensor);
          }
          if (typeof v !== 'string' && typeof v !== 'number') throw invalid(`${at} column ${col.name}: expected ${col.type}, got ${JSON.stringify(v).slice(0, 200)}`);
          return v;
        });
        if (t.name === 'runs') settleImportedRun(names, values);
        try {
          if (insert.run(...values).changes === 1) {
            c.added++;
            return;
          }
        } catch (e) {
          if (e instanceof StoreError) throw e;
          throw invalid(`${at}: ${(e as Error).message}`);
        }
        const keyVals = t.key.map((k) => values[names.indexOf(k)]!);
        const have = existing.get(...keyVals) as Record<string, SqlValue> | undefined;
        if (!have) throw conflict(`${at}: conflicts with an existing ${t.name} row on a unique column`);
        const diff = names.filter((n, j) => !sameValue(have[n] ?? null, values[j]!));
        if (diff.length) throw conflict(`${at}: ${t.name} row ${keyVals.join('/')} already exists with different ${diff.join(', ')}`);
        c.skipped++;
      });
      if (lines.length !== (manifest.counts[t.name] ?? 0)) {
        throw invalid(`${file}: has ${lines.length} rows but the manifest counts ${manifest.counts[t.name] ?? 0}`);
      }
      counts[t.name] = c;
    }
    const broken = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    if (broken.length) {
      const b = broken[0]!;
      throw invalid(`import would leave ${broken.length} row(s) pointing at missing rows, e.g. a ${b.table} row refers to a missing ${b.parent} row`);
    }
  }).immediate();
  return counts;
}
