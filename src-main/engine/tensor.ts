/**
 * Symbolic tensors and the hash-consed graph that owns them.
 *
 * A Tensor is one node of a dataflow graph: an op name (ONNX-like, see ops.ts), its input tensors,
 * attributes, and an inferred dtype and shape. Dims are numbers or symbols ('batch', 'seq').
 * Building the same op on the same inputs with the same attributes returns the same Tensor
 * (hash-consing), so graphs built twice share nodes and the exported graph has no duplicates.
 */
import { createHash } from 'node:crypto';

export type DType = 'float32' | 'float16' | 'float64' | 'bfloat16' | 'int64' | 'int32' | 'bool';
export const DTYPES: readonly DType[] = ['float32', 'float16', 'float64', 'bfloat16', 'int64', 'int32', 'bool'];
export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float16', 'float64', 'bfloat16'];

export function checkDtype(d: unknown, where: string): DType {
  if (typeof d !== 'string' || !(DTYPES as readonly string[]).includes(d)) {
    throw new EngineError(`${where}: unknown dtype ${JSON.stringify(d)} (known: ${DTYPES.join(', ')})`);
  }
  return d as DType;
}

export type Dim = number | string;
export type Shape = readonly Dim[];

export type AttrValue = number | string | readonly number[] | Graph | boolean;
export type Attrs = Readonly<Record<string, AttrValue>>;

/** Where an initializer's bytes live. */
export type InitSource =
  | { kind: 'inline'; data: ArrayBufferView }
  | { kind: 'external'; file: string; offset: number; byteLength: number };

export class EngineError extends Error {
  override name = 'EngineError';
}

export function fmtShape(s: Shape): string {
  return `[${s.join(',')}]`;
}

export class Tensor {
  constructor(
    readonly g: Graph,
    readonly id: number,
    readonly op: string,
    readonly inputs: readonly Tensor[],
    readonly attrs: Attrs,
    readonly dtype: DType,
    readonly shape: Shape,
    /** leaf payload: input/initializer name, constant bytes */
    readonly leaf?: { name: string; source?: InitSource; trainable?: boolean },
  ) {}

  get rank(): number {
    return this.shape.length;
  }
  get isLeaf(): boolean {
    return this.op === 'Input' || this.op === 'Initializer' || this.op === 'Constant';
  }
  toString(): string {
    return `${this.op}#${this.id}${this.leaf ? `(${this.leaf.name})` : ''}:${this.dtype}${fmtShape(this.shape)}`;
  }
}

/** Graph: owns tensors, hash-conses op nodes, tracks named inputs and initializers. */
export class Graph {
  private nextId = 0;
  private readonly memo = new Map<string, Tensor>();
  readonly inputs = new Map<string, Tensor>();
  readonly initializers = new Map<string, Tensor>();

  /** Create (or fetch the existing identical) op node. Shape inference is done by the caller (ops.ts). */
  node(op: string, inputs: readonly Tensor[], attrs: Attrs, dtype: DType, shape: Shape): Tensor {
    for (const t of inputs) if (t.g !== this) throw new EngineError(`${op}: input ${t} belongs to another graph`);
    const key = `${op}|${inputs.map((t) => t.id).join(',')}|${attrKey(attrs)}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    const t = new Tensor(this, this.nextId++, op, inputs, attrs, dtype, shape);
    this.memo.set(key, t);
    return t;
  }

  /**
   * A graph input. With `defaultValue` (static shape only) the input may be left out of the feeds:
   * the runtime feeds the default.
   */
  input(name: string, dtype: DType, shape: Shape, defaultValue?: ArrayBufferView): Tensor {
    checkDtype(dtype, `input '${name}'`);
    if (defaultValue && !shape.every((d) => typeof d === 'number')) throw new EngineError(`input '${name}': a default needs a static shape, got ${fmtShape(shape)}`);
    const prev = this.inputs.get(name);
    if (prev) {
      if (prev.dtype !== dtype || fmtShape(prev.shape) !== fmtShape(shape)) {
        throw new EngineError(`input '${name}' redeclared as ${dtype}${fmtShape(shape)} (was ${prev.dtype}${fmtShape(prev.shape)})`);
      }
      return prev;
    }
    const t = new Tensor(this, this.nextId++, 'Input', [], {}, dtype, shape, defaultValue ? { name, source: { kind: 'inline', data: defaultValue } } : { name });
    this.inputs.set(name, t);
    return t;
  }

  initializer(name: string, dtype: DType, shape: readonly number[], source: InitSource): Tensor {
    checkDtype(dtype, `initializer '${name}'`);
    if (this.initializers.has(name)) throw new EngineError(`initializer '${name}' declared twice`);
    const t = new Tensor(this, this.nextId++, 'Initializer', [], {}, dtype, shape, { name, source });
    this.initializers.set(name, t);
    return t;
  }

  /** Small constant, hash-consed by content. */
  constant(data: Float64Array | Float32Array | BigInt64Array | Int32Array | Uint8Array, dtype: DType, shape: readonly number[]): Tensor {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const h = createHash('sha1').update(`${dtype}|${shape.join(',')}|`).update(bytes).digest('hex').slice(0, 16);
    const key = `Constant|${dtype}|${shape.join(',')}|${h}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    const t = new Tensor(this, this.nextId++, 'Constant', [], {}, dtype, shape, {
      name: `const_${h}`,
      source: { kind: 'inline', data },
    });
    this.memo.set(key, t);
    return t;
  }
}

function attrKey(a: Attrs): string {
  const keys = Object.keys(a).sort();
  return keys
    .map((k) => {
      const v = a[k];
      if (v instanceof Graph) throw new EngineError('graph attributes are not hash-consed');
      return `${k}=${JSON.stringify(v)}`;
    })
    .join(';');
}

/** Topological order of every tensor reachable from `outputs` (inputs before users). */
export function topo(outputs: readonly Tensor[]): Tensor[] {
  const seen = new Set<number>();
  const order: Tensor[] = [];
  const stack: [Tensor, boolean][] = outputs.map((t) => [t, false]);
  while (stack.length) {
    const [t, done] = stack.pop()!;
    if (done) {
      order.push(t);
      continue;
    }
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    stack.push([t, true]);
    for (let i = t.inputs.length - 1; i >= 0; i--) if (!seen.has(t.inputs[i]!.id)) stack.push([t.inputs[i]!, false]);
  }
  return order;
}

export function numel(shape: Shape): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}
