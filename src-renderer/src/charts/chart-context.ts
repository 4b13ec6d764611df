/**
 * The context a chart container (Chart.svelte) gives its layers (*.svg.svelte): scales and sizes,
 * read through getters so layers follow every change.
 */
import { getContext, setContext } from 'svelte';
import type { ScaleLinear } from 'd3';

export interface Padding {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface ChartContext {
  readonly xScale: ScaleLinear<number, number>;
  readonly yScale: ScaleLinear<number, number>;
  readonly width: number;
  readonly height: number;
  readonly padding: Padding;
  /** the y axis asks for this much room left of the plot (the left padding grows to it) */
  reserveLeft(px: number): void;
  /** a legend asks for this much room above the plot (its rows; the top padding grows to it) */
  reserveTop(px: number): void;
  /** bars ask for this much room right of the plot (their value labels; the right padding grows to it) */
  reserveRight(px: number): void;
  /** the x axis asks for this much room below the plot (slanted tick labels; the bottom padding grows to it) */
  reserveBottom(px: number): void;
}

const KEY = Symbol('chart');

export const setChartContext = (c: ChartContext): ChartContext => setContext(KEY, c);

export function chartContext(): ChartContext {
  const c = getContext<ChartContext | undefined>(KEY);
  if (!c) throw new Error('a chart layer must be inside <Chart>');
  return c;
}

/** One curve: x values and y values (null = a gap, e.g. NaN). */
export interface Series {
  name: string;
  x: readonly number[];
  y: readonly (number | null)[];
}

/** One horizontal bar (BarsH.svg.svelte): a value with a whisker from lo to hi. */
export interface BarRow {
  name: string;
  value: number;
  lo: number;
  hi: number;
}

/** One legend entry (Legend.svg.svelte). */
export interface LegendItem {
  label: string;
  /** the swatch: a line, a point on a line, a band, a solid bar, or a dashed reference line */
  kind: 'line' | 'point' | 'band' | 'bar' | 'rule';
  /** colour slot (.series-0, ...) for line, point, band and bar */
  index?: number;
}
