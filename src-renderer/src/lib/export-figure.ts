/**
 * Exporting a chart: standalone SVG (computed styles inlined, so it looks the same outside the app),
 * PNG (that SVG drawn on a canvas at 2x), and CSV of the data. Files are offered as downloads.
 * Works under the app's CSP: the SVG goes into an <img> as a data: URL (img-src allows data:).
 */
import type { Series } from '../charts/chart-context.js';

const STYLE_PROPS = ['fill', 'fill-opacity', 'stroke', 'stroke-opacity', 'stroke-width', 'stroke-linejoin', 'stroke-linecap', 'stroke-dasharray', 'opacity', 'font-family', 'font-size', 'font-weight'];

/** The SVG as a standalone document, with a background and every element's look as attributes. */
export function svgMarkup(svg: SVGSVGElement, background: string): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const src = [svg, ...svg.querySelectorAll('*')];
  const dst = [clone, ...clone.querySelectorAll('*')];
  src.forEach((el, i) => {
    const style = getComputedStyle(el);
    const target = dst[i]!;
    for (const p of STYLE_PROPS) {
      const v = style.getPropertyValue(p);
      if (v) target.setAttribute(p, v);
    }
    target.removeAttribute('class');
  });
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', background);
  clone.insertBefore(bg, clone.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}\n`;
}

/** The page's background colour (for exports to match what is on screen). */
export function pageBackground(el: Element): string {
  for (let e: Element | null = el; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor;
    if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c;
  }
  return '#ffffff';
}

export async function pngBlob(markup: string, width: number, height: number, scale = 2): Promise<Blob> {
  const img = new Image();
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('no 2D canvas');
  g.drawImage(img, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}

// a CR alone ends a record too (RFC 4180; Python's csv, Excel): a token such as '\r' must be quoted
const csvCell = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** One row per x (sorted, across all series), one column per series; an empty cell where a series has no point. */
export function seriesCsv(series: readonly Series[], xLabel: string, raw?: readonly (readonly (number | string)[])[]): string {
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const cols = series.map((s, i) => {
    const m = new Map<number, string>();
    s.x.forEach((x, j) => m.set(x, String(raw?.[i]?.[j] ?? s.y[j] ?? 'NaN')));
    return m;
  });
  const lines = [[xLabel, ...series.map((s) => s.name)].map(csvCell).join(',')];
  for (const x of xs) lines.push([String(x), ...cols.map((c) => c.get(x) ?? '')].join(','));
  return lines.join('\n') + '\n';
}

export function download(filename: string, data: Blob | string, type = 'text/plain'): void {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A moment for a file name, in UTC (ISO 8601 basic format): `20250301T142305Z`. For exports of
 * something computed on the spot (no run id to name it by), so two exports do not share a name.
 */
export const fileTime = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');

/** A file-name-safe stem, e.g. `demo-train-1a2b3c4d-loss`. */
export const fileStem = (...parts: string[]): string =>
  parts.join('-').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);

/** A CSV from a header and rows (numbers as JS prints them, full precision; null → empty cell). */
export function tableCsv(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  const cell = (v: string | number | null | undefined): string => (v === null || v === undefined ? '' : csvCell(String(v)));
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}
