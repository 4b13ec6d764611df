/** Test helpers for store/ and jobs/ tests: temp folders, table dumps, child processes. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import type { Database } from 'better-sqlite3';
import { TABLES } from '../../src-main/store/portable.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A temp folder removed after the file's tests. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'undertone-test-'));
  after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Every row of every table, in key order: the thing a bit-for-bit comparison compares. */
export function dumpTables(db: Database): Record<string, Record<string, unknown>[]> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const t of TABLES) out[t.name] = db.prepare(`SELECT * FROM ${t.name} ORDER BY ${t.key.join(', ')}`).all() as Record<string, unknown>[];
  return out;
}

/** Start a TypeScript script (through tsx) in a child process. */
export function spawnTs(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Resolve with the first stdout line matching `re` (rejects if the child exits first). */
export function waitForLine(child: ChildProcess, re: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const m = buf.match(re);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing ${re}: ${buf}${err}`)));
  });
}

export const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
