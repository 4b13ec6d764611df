/**
 * The feature-density histogram's bins: log10 densities of live features in bins of 1/8 decade,
 * from the quarter-decade below the smallest to the quarter-decade above the largest. Every bin
 * has width 1/8 (no zero-width last bin); a value on the upper edge counts in the last bin.
 */
import { bin } from 'd3';

export interface DensityBin {
  /** lower edge, log10 density */
  x0: number;
  /** upper edge, log10 density */
  x1: number;
  /** live features in [x0, x1) ([x0, x1] for the last bin) */
  count: number;
}

export const DENSITY_BIN_WIDTH = 0.125;

export function densityBins(live: readonly number[]): DensityBin[] {
  if (!live.length) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const v of live) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const lo = Math.floor(min * 4) / 4;
  const hi = Math.max(lo + 0.25, Math.ceil(Math.max(max, lo + 0.01) * 4) / 4);
  const n = Math.round((hi - lo) / DENSITY_BIN_WIDTH);
  // thresholds strictly inside (lo, hi): d3 keeps a threshold equal to the domain's end as a zero-width bin
  const thresholds = Array.from({ length: n - 1 }, (_, i) => lo + (i + 1) * DENSITY_BIN_WIDTH);
  return bin()
    .domain([lo, hi])
    .thresholds(thresholds)([...live])
    .map((b) => ({ x0: b.x0!, x1: b.x1!, count: b.length }));
}
