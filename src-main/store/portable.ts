/**
 * The portable experiment folder's format, shared by export and import: which tables travel (in
 * foreign-key order), how a row becomes a JSONL line and back, and where blobs go in the safetensors file.
 * Rows travel as raw column values (JSON columns as their exact text), so a round trip is bit for bit.
 */
import type { Db } from './db.js';
import { invalid } from './errors.js';

export const FORMAT = 'undertone-experiment';
export const FORMAT_VERSION = 1;
export const MANIFEST = 'manifest.json';
export const TENSORS = 'tensors.safetensors';

export interface TableSpec {
  name: string;
  /** primary-key columns */
  key: string[];
}

/** Every table, parents before children. */
export const TABLES: readonly TableSpec[] = [
  { name: 'models', key: ['id'] },
  { name: 'saes', key: ['id'] },
  { name: 'feature_annotations', key: ['sae_id', 'feature_index', 'source'] },
  { name: 'intervention_sets', key: ['id'] },
  { name: 'runs', key: ['id'] },
  { name: 'datasets', key: ['id'] },
  { name: 'samples', key: ['dataset_id', 'idx'] },
  { name: 'checkpoints', key: ['run_id'] },
  { name: 'metrics', key: ['id'] },
  { name: 'metric_points', key: ['metric_id', 'x'] },
  { name: 'vectors', key: ['id'] },
  { name: 'figures', key: ['id'] },
  { name: 'figure_files', key: ['figure_id', 'path'] },
  { name: 'feature_stats', key: ['sae_id', 'feature_index', 'run_id'] },
];

export const jsonlFile = (table: string): string => `${table}.jsonl`;

export type ColumnType = 'INTEGER' | 'REAL' | 'TEXT' | 'BLOB';
export interface Column { name: string; type: ColumnType }

export function columnsOf(db: Db, table: string): Column[] {
  return (db.pragma(`table_info(${table})`) as { name: string; type: string }[]).map((c) => ({ name: c.name, type: c.type as ColumnType }));
}

export type SqlValue = string | number | Buffer | null;

/**
 * A float64 as JSON: a number (JS prints the shortest text that parses back to the same double),
 * or a string for what JSON cannot hold (±Infinity, NaN). SQLite itself stores -0 as 0.
 */
export function encodeF64(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

export function decodeF64(v: unknown, where: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v in SPECIAL) return SPECIAL[v]!;
  throw invalid(`${where}: expected a number or one of ${Object.keys(SPECIAL).join(', ')}, got ${JSON.stringify(v)}`);
}

/** The safetensors name a row's blob travels under. Vectors keep their own id so the file reads naturally. */
export function tensorName(table: string, row: Record<string, SqlValue>, key: string[], column: string): string {
  if (table === 'vectors' && column === 'data') return `vectors/${String(row.id)}`;
  return `${table}/${key.map((k) => String(row[k])).join('/')}/${column}`;
}
