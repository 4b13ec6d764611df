/**
 * The one token-colouring function of the workbench: a value (e.g. logp_A − logp_B in nats) → a
 * background and a readable text colour, on a diverging scale that is symmetric about zero.
 *
 * - zero is exactly white; positive values are blue, negative values red (ColorBrewer RdBu stops,
 *   with the centre made pure white), interpolated linearly in sRGB between the stops;
 * - the scale runs from −range to +range, where range is the largest |value| (symmetricRange) or a
 *   range the user sets; values beyond it are clamped to the end colours;
 * - NaN (no value) is a neutral grey, distinct from every colour of the scale;
 * - the text colour is black or white, whichever has the higher WCAG contrast with the background.
 *
 * Pure functions with no DOM: test/ui/token-color.test.ts imports this file under node.
 */

export type Rgb = readonly [number, number, number];

export interface TokenColor {
  /** CSS colour, `rgb(r, g, b)` */
  background: string;
  /** CSS colour for text on that background: black or white */
  color: string;
  /** the position on the scale, −1 … 1 (clamped); NaN for a missing value */
  t: number;
}

export const WHITE: Rgb = [255, 255, 255];
export const NAN_GREY: Rgb = [200, 200, 200];
const BLACK: Rgb = [0, 0, 0];

/** From zero outwards, at t = 0, 0.25, 0.5, 0.75, 1. */
const POSITIVE: readonly Rgb[] = [WHITE, [209, 229, 240], [146, 197, 222], [67, 147, 195], [33, 102, 172]];
const NEGATIVE: readonly Rgb[] = [WHITE, [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43]];

export const css = (c: Rgb): string => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

/** The largest |value| among finite values; 0 when there are none. */
export function symmetricRange(values: Iterable<number>): number {
  let m = 0;
  for (const v of values) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/** The range to colour with: the user's (when finite and > 0), else the largest |value|. */
export function colorRange(values: Iterable<number>, userRange?: number | null): number {
  return userRange !== undefined && userRange !== null && Number.isFinite(userRange) && userRange > 0 ? userRange : symmetricRange(values);
}

/** value / range, clamped to [−1, 1] (±Infinity → ±1); NaN for NaN; 0 when the range is not a finite positive number. */
export function scalePosition(value: number, range: number): number {
  if (Number.isNaN(value)) return NaN;
  if (!(range > 0) || !Number.isFinite(range)) return 0;
  const t = Math.max(-1, Math.min(1, value / range));
  return t === 0 ? 0 : t; // (no −0)
}

/** The background at position t in [−1, 1] (NaN → grey). */
export function scaleRgb(t: number): Rgb {
  if (Number.isNaN(t)) return NAN_GREY;
  if (t === 0) return WHITE;
  const stops = t > 0 ? POSITIVE : NEGATIVE;
  const a = Math.min(1, Math.abs(t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(a));
  const f = a - i;
  const lo = stops[i]!;
  const hi = stops[i + 1]!;
  return [0, 1, 2].map((k) => Math.round(lo[k]! + (hi[k]! - lo[k]!) * f)) as unknown as Rgb;
}

/** WCAG 2 relative luminance of an sRGB colour. */
export function luminance(c: Rgb): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
}

/** WCAG 2 contrast ratio (1 … 21). */
export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white, whichever reads better on `bg`. */
export function textOn(bg: Rgb): Rgb {
  return contrast(bg, BLACK) >= contrast(bg, WHITE) ? BLACK : WHITE;
}

/** The colours of one token with `value` on a scale from −range to +range. */
export function tokenColor(value: number, range: number): TokenColor {
  const t = scalePosition(value, range);
  const bg = scaleRgb(t);
  return { background: css(bg), color: css(textOn(bg)), t };
}
