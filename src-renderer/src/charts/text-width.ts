/**
 * An estimate of a chart text's width, for layout decided before the text is drawn (bar value labels,
 * the y axis's room for its tick labels): 0.64 em per character. It is an upper bound for numbers
 * (DejaVu Sans digits are 0.636 em) and most letters; 'W', 'M' and '−' are wider, which the gaps
 * around the text absorb for tick labels and values.
 */
export function noteWidthPx(text: string, fontPx = 11): number {
  return [...text].length * 0.64 * fontPx;
}
