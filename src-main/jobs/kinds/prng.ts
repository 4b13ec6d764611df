/**
 * A small seeded PRNG (sfc32, seeded through splitmix32) whose whole state is four uint32s, so a
 * job can checkpoint it as JSON and continue the exact same stream after a resume.
 */
export type PrngState = [number, number, number, number];

export class Prng {
  private constructor(private s: PrngState) {}

  static fromSeed(seed: number): Prng {
    let x = seed >>> 0;
    const split = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    const p = new Prng([split(), split(), split(), split()]);
    for (let i = 0; i < 12; i++) p.u32();
    return p;
  }

  static fromState(s: PrngState): Prng {
    return new Prng([...s]);
  }

  state(): PrngState {
    return [...this.s];
  }

  u32(): number {
    let [a, b, c, d] = this.s;
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    this.s = [a >>> 0, b, c, d];
    return t;
  }

  /** uniform in [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** uniform integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** standard normal (Box–Muller, no cached spare so the state stays four numbers) */
  normal(): number {
    const u = 1 - this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
}
