/**
 * An estimate of a chart text's width, for layout decided before the text is drawn (bar value labels,
 * the y axis's room for its tick labels): 0.64 em per character. It is an upper bound for numbers
 * (DejaVu Sans digits are 0.636 em) and most letters; 'W', 'M' and '−' are wider, which the gaps
 * around the text absorb for tick labels and values.
 */
export function noteWidthPx(text: string, fontPx = 11): number {
  return [...text].length * 0.64 * fontPx;
}

/**
 * The text cut in the middle with '…' so that its width estimate (noteWidthPx) is at most maxPx (both
 * ends stay: names that differ only at the end stay told apart, a quoted token keeps its quotes); the
 * text itself when it fits. At least one character each side of the '…'.
 */
export function clipText(text: string, maxPx: number, fontPx = 11): string {
  const chars = [...text];
  const fit = Math.floor(maxPx / (0.64 * fontPx));
  if (chars.length <= fit) return text;
  const keep = Math.max(2, fit - 1);
  const head = Math.ceil(keep / 2);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (keep - head)).join('')}`;
}
