/**
 * Where a horizontal bar's value label goes (BarsH.svg.svelte). Its first choice is past the end of the
 * bar and its whisker, on the side away from zero (right of a positive bar, left of a negative one), so
 * it is never printed over the bar's fill. When that side lacks room for the text inside the plot area,
 * it goes on the other side of zero, past the bar's and whisker's other end, if that side has more room.
 * Without this, a negative bar whose whisker reaches the plot's left edge printed its value over the
 * row's name in the axis margin.
 */

export interface BarLabelGeometry {
  /** pixel x of value 0 (or of the domain's edge when 0 is outside it) */
  x0: number;
  /** pixel x of the bar's end */
  xv: number;
  /** pixel x of the whisker's ends (NaN when the row has none) */
  xlo: number;
  xhi: number;
  /** the plot area's pixel range */
  left: number;
  right: number;
  /** the label's width in pixels */
  textPx: number;
  /** gap between the label and what it stands next to */
  gap?: number;
}

export interface BarLabelPlace {
  x: number;
  anchor: 'start' | 'end';
}

export function barLabelPlace(g: BarLabelGeometry): BarLabelPlace {
  const gap = g.gap ?? 6;
  const ends = [g.x0, g.xv, ...[g.xlo, g.xhi].filter(Number.isFinite)];
  const rightOf: BarLabelPlace = { x: Math.max(...ends) + gap, anchor: 'start' };
  const leftOf: BarLabelPlace = { x: Math.min(...ends) - gap, anchor: 'end' };
  const roomRight = g.right - rightOf.x;
  const roomLeft = leftOf.x - g.left;
  const negative = g.xv < g.x0;
  const [first, firstRoom, other, otherRoom] = negative ? [leftOf, roomLeft, rightOf, roomRight] : [rightOf, roomRight, leftOf, roomLeft];
  return firstRoom >= g.textPx || firstRoom >= otherRoom ? first : other;
}

/**
 * The right padding a chart of horizontal bars needs so that the value labels printed right of their
 * bars end inside the figure (its exported SVG and PNG cut off anything past its width). A row's label
 * starts `gap` px right of its far end, at fraction `end` of the plot's width (0 at the plot's left,
 * 1 at its right); the plot runs from `left` to width − padding, so with padding P that is
 * left + end · (width − P − left), and the label ends inside (by `margin` px) when
 * P ≥ width − left − (width − margin − left − gap − textPx) / end. Rows at or left of the plot's left
 * (end ≤ 0) need none; a label wider than the whole figure asks for Infinity (the chart caps it).
 */
export function barLabelRightPad(rows: readonly { end: number; textPx: number }[], width: number, left: number, gap = 6, margin = 2): number {
  let pad = 0;
  for (const { end, textPx } of rows) {
    if (!(end > 0)) continue;
    const room = width - margin - left - gap - textPx;
    pad = Math.max(pad, room <= 0 ? Infinity : width - left - room / Math.min(1, end));
  }
  return pad;
}
