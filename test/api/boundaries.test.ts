// The design card's boundaries around the hosts: who may import what.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function files(dir: string, exts: string[]): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) return files(rel, exts);
    return exts.some((e) => name.endsWith(e)) ? [rel] : [];
  });
}

/** Every `import ... from '<spec>'` / `export ... from '<spec>'` / `import('<spec>')`, with whether it is type-only. */
function imports(file: string): { spec: string; typeOnly: boolean }[] {
  const src = readFileSync(join(root, file), 'utf8');
  const out: { spec: string; typeOnly: boolean }[] = [];
  for (const m of src.matchAll(/^\s*(import|export)(\s+type)?\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
    out.push({ spec: m[3]!, typeOnly: Boolean(m[2]) });
  }
  for (const m of src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1]!, typeOnly: false });
  return out;
}

test('the renderer takes only types from src-main, and only from the contract', () => {
  const bad = files('src-renderer/src', ['.ts', '.svelte']).flatMap((f) =>
    imports(f)
      .filter((i) => i.spec.includes('src-main'))
      .filter((i) => !i.typeOnly || !i.spec.endsWith('src-main/api/contract-types.js'))
      .map((i) => `${f}: ${i.spec}`),
  );
  assert.deepEqual(bad, []);
});

test('only src-main/app imports electron at runtime', () => {
  const bad = files('src-main', ['.ts'])
    .filter((f) => relative('src-main/app', f).startsWith('..'))
    .flatMap((f) => imports(f).filter((i) => i.spec === 'electron' && !i.typeOnly).map(() => f));
  assert.deepEqual(bad, []);
});

test('the sandboxed preload bundles only dependency-free api modules (plus contract types)', () => {
  const runtime = imports('src-preload/index.ts').filter((i) => !i.typeOnly && i.spec !== 'electron');
  assert.deepEqual(runtime.map((i) => i.spec).sort(), ['../src-main/api/bridge.js', '../src-main/api/events.js']);
  for (const f of ['src-main/api/bridge.ts', 'src-main/api/events.ts', 'src-main/api/errors.ts']) {
    assert.deepEqual(imports(f), [], `${f} must stay dependency-free`);
  }
});
