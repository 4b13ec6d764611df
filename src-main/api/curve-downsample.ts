/**
 * Which points of a long metric curve to draw: the first and last, and in each of ⌊(max − 2)/2⌋
 * equal buckets of the rest, the point with the smallest and the one with the largest value (a
 * non-finite value counts as an extreme: a NaN step stays visible). A one-step spike therefore
 * survives, where keeping every k-th point drops it unless it falls on a kept step. At most `max`
 * indices, ascending; all of them when the curve is short enough.
 */
export function minMaxKeep(values: ArrayLike<number>, max: number): number[] {
  const n = values.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.floor((max - 2) / 2);
  if (buckets < 1) return max >= 2 ? [0, n - 1] : [0];
  const keep: number[] = [0];
  const inner = n - 2; // points 1 … n−2
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor((b * inner) / buckets);
    const hi = 1 + Math.floor(((b + 1) * inner) / buckets); // exclusive
    if (lo >= hi) continue;
    let iMin = lo;
    let iMax = lo;
    let bad = -1;
    for (let i = lo; i < hi; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) {
        if (bad < 0) bad = i;
        continue;
      }
      if (!(values[iMin]! <= v)) iMin = i; // also moves off a non-finite start
      if (!(values[iMax]! >= v)) iMax = i;
    }
    // with a non-finite point: it and the largest finite value (spikes in a loss go up)
    const picks = bad >= 0 ? [bad, iMax] : [iMin, iMax];
    for (const i of [...new Set(picks)].sort((a, c) => a - c)) keep.push(i);
  }
  keep.push(n - 1);
  return keep;
}
