/**
 * Which x tick labels an axis prints, and how (AxisX.svg.svelte), so that no two of them overlap. Labels
 * that fit side by side are all printed level. When they do not: on a numeric axis (e.g. 18 layers in a
 * narrow window) every k-th is printed, k the smallest that fits, and every tick mark stays; on a
 * categorical axis (e.g. animal names under grouped bars) the labels are slanted 45° so each keeps its
 * name, and thinned too only when even slanted ones would touch.
 */

/** sin 45° = cos 45° */
export const SLANT = Math.SQRT1_2;
/** a slanted label's line height across its baseline, px (11 px text) */
const LINE_PX = 13;

export interface XTickLayout {
  /** print the label of every step-th tick (from the first) */
  step: number;
  /** slanted 45° (anchored at its end, below its tick) */
  slant: boolean;
}

/**
 * @param xs tick positions in px, ascending
 * @param widths the labels' widths in px (estimates)
 * @param gap the least space between two level labels
 */
export function xTickLayout(xs: readonly number[], widths: readonly number[], mode: 'thin' | 'slant', gap = 6): XTickLayout {
  const fits = (step: number, slant: boolean): boolean => {
    for (let i = 0; i + step < xs.length; i += step) {
      const dx = Math.abs(xs[i + step]! - xs[i]!);
      // level: half of each label's width each side of its tick; slanted: parallel lines dx · sin 45° apart
      if (slant ? dx * SLANT < LINE_PX : dx < (widths[i]! + widths[i + step]!) / 2 + gap) return false;
    }
    return true;
  };
  const slant = mode === 'slant' && !fits(1, false);
  for (let step = 1; step < xs.length; step++) if (fits(step, slant)) return { step, slant };
  return { step: Math.max(1, xs.length), slant };
}
