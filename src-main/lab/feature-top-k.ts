/**
 * Bounded top-k per feature in flat typed arrays: for each of n features, the k best
 * (value, context, position) entries, kept as a min-heap whose root is the worst kept entry, so an
 * offer costs O(1) when it loses to the root (the common case) and O(log k) otherwise.
 * Memory: n·k·(8 + 4 + 4) bytes + 4n (d_sae 16384, k 10: about 2.7 MB).
 *
 * Order (deterministic, ties included): larger value first, then smaller context id, then smaller
 * position.
 */

export interface TopEntry {
  value: number;
  context: number;
  pos: number;
}

/** a ranks before b */
const better = (va: number, ca: number, pa: number, vb: number, cb: number, pb: number): boolean =>
  va > vb || (va === vb && (ca < cb || (ca === cb && pa < pb)));

export class FeatureTopK {
  readonly vals: Float64Array;
  readonly ctx: Int32Array;
  readonly pos: Int32Array;
  readonly size: Int32Array;

  constructor(
    readonly n: number,
    readonly k: number,
  ) {
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 1) throw new Error(`FeatureTopK: n and k must be positive integers, got ${n}, ${k}`);
    this.vals = new Float64Array(n * k);
    this.ctx = new Int32Array(n * k);
    this.pos = new Int32Array(n * k);
    this.size = new Int32Array(n);
  }

  /** The value an offer must beat to enter feature f's list (-Infinity while it is not full). */
  floor(f: number): number {
    return this.size[f]! < this.k ? -Infinity : this.vals[f * this.k]!;
  }

  /** Offer (value, context, pos) to feature f's list. */
  offer(f: number, value: number, context: number, pos: number): void {
    const k = this.k;
    const base = f * k;
    const n = this.size[f]!;
    const V = this.vals;
    const C = this.ctx;
    const P = this.pos;
    if (n < k) {
      // append and sift up: a parent must be worse than (or equal to) its children
      let i = n;
      this.size[f] = n + 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        const bp = base + p;
        if (!better(V[bp]!, C[bp]!, P[bp]!, value, context, pos)) break;
        V[base + i] = V[bp]!;
        C[base + i] = C[bp]!;
        P[base + i] = P[bp]!;
        i = p;
      }
      V[base + i] = value;
      C[base + i] = context;
      P[base + i] = pos;
      return;
    }
    if (!better(value, context, pos, V[base]!, C[base]!, P[base]!)) return;
    // replace the root (the worst) and sift down
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= k) break;
      const r = l + 1;
      let w = l;
      if (r < k && better(V[base + l]!, C[base + l]!, P[base + l]!, V[base + r]!, C[base + r]!, P[base + r]!)) w = r;
      const bw = base + w;
      if (!better(value, context, pos, V[bw]!, C[bw]!, P[bw]!)) break;
      V[base + i] = V[bw]!;
      C[base + i] = C[bw]!;
      P[base + i] = P[bw]!;
      i = w;
    }
    V[base + i] = value;
    C[base + i] = context;
    P[base + i] = pos;
  }

  /** Feature f's entries, best first. */
  sorted(f: number): TopEntry[] {
    const base = f * this.k;
    const out: TopEntry[] = [];
    for (let i = 0; i < this.size[f]!; i++) out.push({ value: this.vals[base + i]!, context: this.ctx[base + i]!, pos: this.pos[base + i]! });
    return out.sort((a, b) => (better(a.value, a.context, a.pos, b.value, b.context, b.pos) ? -1 : 1));
  }

  /** The arrays as bytes (little-endian host order, as typed arrays are): vals, ctx, pos, size. */
  toBytes(): Uint8Array {
    const parts = [this.vals, this.ctx, this.pos, this.size];
    const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
      at += p.byteLength;
    }
    return out;
  }

  static byteLength(n: number, k: number): number {
    return n * k * 16 + n * 4;
  }

  static fromBytes(n: number, k: number, b: Uint8Array): FeatureTopK {
    if (b.byteLength !== FeatureTopK.byteLength(n, k)) throw new Error(`FeatureTopK: expected ${FeatureTopK.byteLength(n, k)} bytes for n ${n}, k ${k}, got ${b.byteLength}`);
    const t = new FeatureTopK(n, k);
    const copy = Uint8Array.from(b); // aligned
    let at = 0;
    for (const p of [t.vals, t.ctx, t.pos, t.size]) {
      new Uint8Array(p.buffer, p.byteOffset, p.byteLength).set(copy.subarray(at, at + p.byteLength));
      at += p.byteLength;
    }
    for (let f = 0; f < n; f++) if (t.size[f]! < 0 || t.size[f]! > k) throw new Error(`FeatureTopK: corrupt state (feature ${f} holds ${t.size[f]} entries, k ${k})`);
    return t;
  }
}
