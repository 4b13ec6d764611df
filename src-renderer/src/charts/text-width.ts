/**
 * An upper estimate of a chart text's width, for layout decided before the text is drawn (bar value
 * labels, the y axis's room for its tick labels): 0.64 em per character (DejaVu Sans digits are 0.636 em,
 * most letters narrower).
 */
export function noteWidthPx(text: string, fontPx = 11): number {
  return [...text].length * 0.64 * fontPx;
}
