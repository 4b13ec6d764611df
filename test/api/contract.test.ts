// The contract's rules hold for every op: strict, bounded inputs; structured errors, never a crash.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { z } from 'zod';
import { createContext } from '../../src-main/api/context.js';
import { nestingDepth, dispatch } from '../../src-main/api/dispatch.js';
import { ApiError } from '../../src-main/api/errors.js';
import { defineOp } from '../../src-main/api/op.js';
import { ops, type OpRegistry } from '../../src-main/api/ops/index.js';
import type { SharedEngine } from '../../src-main/api/services/engine.js';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  maxLength?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
};

/** Every object strict, every free string and every array bounded; returns the offending paths. */
function unboundedParts(s: JsonSchema, path: string): string[] {
  const out: string[] = [];
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.includes('object') && s.additionalProperties !== false) out.push(`${path || '(input)'}: object not strict`);
  if (types.includes('string') && s.maxLength === undefined && !s.enum && s.const === undefined) {
    out.push(`${path}: string without max length`);
  }
  if (types.includes('array') && s.maxItems === undefined && !s.prefixItems) out.push(`${path}: array without max items`);
  for (const [k, v] of Object.entries(s.properties ?? {})) out.push(...unboundedParts(v, path ? `${path}.${k}` : k));
  for (const v of [s.items ?? [], s.prefixItems ?? []].flat()) out.push(...unboundedParts(v, `${path}[]`));
  for (const v of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) out.push(...unboundedParts(v, path));
  return out;
}

const ctx = createContext();
after(() => ctx.close());

test('every op input is a strict object whose strings and arrays are bounded', () => {
  for (const [name, def] of Object.entries(ops as OpRegistry)) {
    const schema = z.toJSONSchema(def.input, { io: 'input' }) as JsonSchema;
    assert.deepEqual(unboundedParts(schema, ''), [], `${name}'s input schema`);
  }
});

test('every op rejects unknown fields and non-object input with invalid_input naming the path', async () => {
  for (const name of Object.keys(ops)) {
    const unknown = await dispatch(ctx, name, { __bogus: 'x'.repeat(10) });
    assert.ok('error' in unknown, `${name} accepted an unknown field`);
    assert.equal(unknown.error.code, 'invalid_input');
    assert.equal(unknown.error.op, name);
    assert.ok(unknown.error.issues?.some((i) => i.path === '__bogus' && i.message === 'unknown field'), JSON.stringify(unknown));
    for (const bad of [42, 'text', [], null, true]) {
      const r = await dispatch(ctx, name, bad);
      assert.ok('error' in r && r.error.code === 'invalid_input', `${name} accepted ${JSON.stringify(bad)}`);
      assert.equal(r.error.issues?.[0]?.path, '');
    }
  }
});

test('engine.status returns what its output schema says', async () => {
  const r = await dispatch(ctx, 'engine.status', {});
  assert.ok('result' in r, JSON.stringify(r));
  const status = ops['engine.status'].output.parse(r.result);
  assert.match(status.ortVersion, /^\d+\.\d+\.\d+/);
  assert.ok(status.providers.includes('cpu'), `providers: ${status.providers.join(', ')}`);
  const runtime = (ctx.engine as SharedEngine).runtime();
  const again = await dispatch(ctx, 'engine.status', undefined);
  assert.ok('result' in again, `no input means {}: ${JSON.stringify(again)}`);
  assert.equal((ctx.engine as SharedEngine).runtime(), runtime, 'one shared engine runtime, not a worker per call');
});

// A registry with richer inputs than today's ops, to pin down the dispatcher's error shapes.
const fixture: OpRegistry = {
  'demo.create': defineOp({
    summary: 'fixture',
    input: z.strictObject({
      name: z.string().min(1).max(8),
      samples: z.array(z.strictObject({ text: z.string().max(16), weight: z.number() })).max(4),
    }),
    output: z.object({ n: z.number() }),
    handler: async (input) => ({ n: input.samples.length }),
  }),
  'demo.missing': defineOp({
    summary: 'fixture',
    input: z.strictObject({}),
    output: z.object({}),
    handler: async () => {
      throw new ApiError('not_found', 'no dataset 7');
    },
  }),
  'demo.crash': defineOp({
    summary: 'fixture',
    input: z.strictObject({}),
    output: z.object({}),
    handler: async () => {
      throw new TypeError('boom');
    },
  }),
};

test('wrong types, oversized strings and nested unknown fields are reported at their paths', async () => {
  const r = await dispatch(
    ctx,
    'demo.create',
    { name: 'x'.repeat(9), samples: [{ text: 'ok', weight: 'heavy' }, { text: 'y'.repeat(17), weight: 1, extra: 1 }] },
    fixture,
  );
  assert.ok('error' in r);
  assert.equal(r.error.code, 'invalid_input');
  const byPath = Object.fromEntries((r.error.issues ?? []).map((i) => [i.path, i.message]));
  assert.deepEqual(Object.keys(byPath).sort(), ['name', 'samples.0.weight', 'samples.1.extra', 'samples.1.text']);
  assert.match(byPath['name']!, /<=8 characters/);
  assert.match(byPath['samples.0.weight']!, /expected number/);
  assert.match(r.error.message, /samples\.1\.text/);
  const ok = await dispatch(ctx, 'demo.create', { name: 'a', samples: [] }, fixture);
  assert.deepEqual(ok, { result: { n: 0 } });
});

test('deeply nested input is invalid_input, not a stack overflow (a 2000-deep set spec was a raw 500)', async () => {
  let spec: unknown = { items: [] };
  for (let i = 0; i < 2000; i++) spec = { nested: spec };
  const r = await dispatch(ctx, 'interventionSets.create', { name: 'deep', spec });
  assert.ok('error' in r);
  assert.equal(r.error.code, 'invalid_input');
  assert.match(r.error.message, /nested deeper than 64 levels/);
  assert.equal(nestingDepth({ a: [1, { b: null }] }, 64), 3);
  assert.equal(nestingDepth('x', 64), 0);
  let at64: unknown = 1;
  for (let i = 0; i < 64; i++) at64 = [at64];
  assert.equal(nestingDepth(at64, 64), 64);
});

test('handler failures and unknown ops become structured errors', async () => {
  assert.deepEqual(await dispatch(ctx, 'demo.missing', {}, fixture), {
    error: { code: 'not_found', op: 'demo.missing', message: 'no dataset 7' },
  });
  assert.deepEqual(await dispatch(ctx, 'demo.crash', {}, fixture), {
    error: { code: 'internal', op: 'demo.crash', message: 'boom' },
  });
  for (const name of ['nope', 'toString', '__proto__']) {
    const r = await dispatch(ctx, name, {}, fixture);
    assert.ok('error' in r && r.error.code === 'unknown_op', name);
  }
});

test('services are created on first use only, and closed with the context', async () => {
  let made = 0;
  let closed = 0;
  const lazy = createContext({
    factories: {
      engine: () => {
        made++;
        return {
          status: async () => ({ ortVersion: 'fake', providers: [], selfcheck: { ok: false, detail: 'fake', ms: 1 } }),
          close: () => void closed++,
        };
      },
    },
  });
  assert.equal(made, 0);
  assert.deepEqual(await dispatch(lazy, 'demo.create', { name: 'a', samples: [] }, fixture), { result: { n: 0 } });
  assert.equal(made, 0, 'an op that does not touch the engine must not create it');
  const r = await dispatch(lazy, 'engine.status', {});
  assert.ok('result' in r && (r.result as { ortVersion: string }).ortVersion === 'fake');
  await dispatch(lazy, 'engine.status', {});
  assert.equal(made, 1);
  await lazy.close();
  assert.equal(closed, 1);
});

/** The JSON types a property schema allows (through anyOf/oneOf), or null for "any JSON" ($ref'd json values). */
function allowedTypes(s: JsonSchema & { $ref?: string }): Set<string> | null {
  if (s.$ref) return null;
  const out = new Set<string>();
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  for (const t of types) out.add(t === 'integer' ? 'number' : t);
  for (const v of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) {
    const inner = allowedTypes(v);
    if (inner === null) return null;
    for (const t of inner) out.add(t);
  }
  return out.size ? out : null;
}

const SAMPLE_OF_TYPE: [string, unknown][] = [
  ['object', { wrong: true }],
  ['string', 'wrong'],
  ['number', 12.5],
  ['boolean', true],
  ['array', ['wrong']],
];

function props(name: string): Record<string, JsonSchema & { $ref?: string }> {
  const schema = z.toJSONSchema((ops as OpRegistry)[name]!.input, { io: 'input' }) as JsonSchema;
  return (schema.properties ?? {}) as Record<string, JsonSchema & { $ref?: string }>;
}

function stringLimit(s: JsonSchema): number | undefined {
  return s.maxLength ?? (s.anyOf ?? []).map((v) => v.maxLength).find((m) => m !== undefined);
}

async function issuesFor(name: string, input: unknown): Promise<string[]> {
  const r = await dispatch(ctx, name, input);
  assert.ok('error' in r, `${name} accepted ${JSON.stringify(input).slice(0, 200)}`);
  assert.equal(r.error.code, 'invalid_input', JSON.stringify(r.error));
  return (r.error.issues ?? []).map((i) => i.path);
}

test('every op: a wrong type or an oversized string in any field is invalid_input at that field', async () => {
  let checked = 0;
  for (const name of Object.keys(ops)) {
    for (const [key, p] of Object.entries(props(name))) {
      const allowed = allowedTypes(p);
      if (allowed) {
        const [, wrong] = SAMPLE_OF_TYPE.find(([t]) => !allowed.has(t))!;
        assert.ok((await issuesFor(name, { [key]: wrong })).includes(key), `${name}.${key} = ${JSON.stringify(wrong)}`);
        checked++;
      }
      const max = stringLimit(p);
      if (max !== undefined) {
        assert.ok((await issuesFor(name, { [key]: 'x'.repeat(max + 1) })).includes(key), `${name}.${key}: ${max + 1} characters`);
        checked++;
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} field checks`);
});

test("every file-path field refuses a '..' segment (path traversal) before any handler runs", async () => {
  const pathFields = Object.keys(ops).flatMap((name) =>
    Object.entries(props(name))
      .filter(([key, p]) => ['path', 'out', 'dir', 'model', 'sae'].includes(key) && stringLimit(p) === 4096)
      .map(([key]) => [name, key] as const),
  );
  assert.deepEqual(pathFields.map(([n, k]) => `${n}.${k}`).sort(), [
    'experiments.export.out', 'experiments.import.dir', 'lab.readout.model', 'lab.readout.sae', 'lab.tokenDiff.model', 'models.create.path', 'models.inspect.path', 'saes.create.path', 'saes.inspect.path',
  ]);
  for (const [name, key] of pathFields) {
    for (const bad of ['/tmp/../etc/passwd', '../../etc', 'a/../../b', 'C:\\x\\..\\y']) {
      assert.ok((await issuesFor(name, { [key]: bad })).includes(key), `${name}.${key} = ${bad}`);
    }
  }
});

test('an invalid input tells issues that differ only in row index once, and at most five groups; `issues` keeps every one', async () => {
  const samples = Array.from({ length: 120 }, (_, i) => ({ prompt: `p${i}`, completion: `c${i}` }));
  const r = await dispatch(ctx, 'datasets.addSamples', { datasetId: 'x', samples });
  assert.ok('error' in r);
  assert.equal(r.error.issues?.length, 120);
  assert.match(r.error.message, /^samples\.0\.idx … samples\.119\.idx \(120 fields\): [^;]+$/);
  // seven different fields: five told, then a count
  const { issuesMessage } = await import('../../src-main/api/issues.js');
  const seven = Array.from({ length: 7 }, (_, i) => ({ path: `f${i}`, message: 'required' }));
  assert.equal(issuesMessage(seven), 'f0: required; f1: required; f2: required; f3: required; f4: required; and 2 more (see issues)');
  assert.equal(issuesMessage([{ path: '', message: 'not an object' }, { path: 'a.2.b', message: 'm' }, { path: 'a.10.b', message: 'm' }, { path: 'a.3.c', message: 'm' }]),
    'not an object; a.2.b … a.10.b (2 fields): m; a.3.c: m');
});
