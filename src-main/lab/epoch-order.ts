/**
 * Seeded, resumable sample order for training loops: an LCG whose whole state is one uint32 (so a
 * checkpoint stores it as a number) and Fisher-Yates epochs drawn from it.
 */

/** One LCG step: the next state and a uniform draw in [0, 1). */
export function nextRand(state: number): [number, number] {
  const s = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return [s, s / 4294967296];
}

/** A shuffled order of 0..n−1 and the LCG state after drawing it. */
export function shuffled(n: number, rng: number): [number[], number] {
  const order = Array.from({ length: n }, (_, i) => i);
  let r = rng;
  for (let i = n - 1; i > 0; i--) {
    let u: number;
    [r, u] = nextRand(r);
    const j = Math.floor(u * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return [order, r];
}
