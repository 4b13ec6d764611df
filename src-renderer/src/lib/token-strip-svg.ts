/**
 * The coloured token strip as a standalone SVG (for export): a title, the tokens wrapped into lines
 * as coloured boxes (colours from token-color.ts), and a colour bar with its range and unit.
 * Text widths come from a `measure` function (a canvas in the browser), so the layout matches the font.
 */
import { css, scaleRgb, tokenColor } from './token-color.js';
import { visibleToken } from './token-text.js';

export interface StripToken {
  text: string;
  value: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Words into lines no wider than `max` (a word wider than that gets a line of its own). */
export function wrapText(text: string, max: number, measure: (text: string) => number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && measure(next) > max) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  lines.push(line);
  return lines;
}

export function tokenStripSvg(
  tokens: readonly StripToken[],
  opts: {
    range: number; title: string; unit: string; width?: number; measure: (text: string) => number; background?: string;
    /** width of title text (14px semibold system-ui); default: `measure` */
    measureTitle?: (text: string) => number;
  },
): { markup: string; width: number; height: number } {
  const W = opts.width ?? 860;
  const pad = 16;
  const boxH = 22;
  const gap = 3;
  const font = '13px ui-monospace, SFMono-Regular, Menlo, monospace';
  // the title wraps within the figure (one long line ran past its right edge and was cut off)
  const titleLines = wrapText(opts.title, W - 2 * pad, opts.measureTitle ?? opts.measure);
  const titleLineH = 18;
  const parts: string[] = [];
  let x = pad;
  let y = 44 + (titleLines.length - 1) * titleLineH;
  for (const t of tokens) {
    const label = visibleToken(t.text);
    const w = Math.ceil(opts.measure(label)) + 8;
    if (x + w > W - pad && x > pad) {
      x = pad;
      y += boxH + gap;
    }
    const c = tokenColor(t.value, opts.range);
    parts.push(
      `<rect x="${x}" y="${y}" width="${w}" height="${boxH}" rx="3" fill="${c.background}" stroke="rgba(0,0,0,0.12)"/>` +
        `<text x="${x + 4}" y="${y + 15}" fill="${c.color}" font-family="${font.slice(5)}" font-size="13" xml:space="preserve">${esc(label)}</text>`,
    );
    x += w + gap;
    if (t.text.includes('\n')) {
      x = pad;
      y += boxH + gap;
    }
  }
  // colour bar
  const barY = y + boxH + 22;
  const barW = 240;
  const stops = Array.from({ length: 11 }, (_, i) => {
    const t = -1 + (2 * i) / 10;
    return `<stop offset="${(i / 10).toFixed(2)}" stop-color="${css(scaleRgb(t))}"/>`;
  }).join('');
  const r = opts.range;
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  const H = barY + 44;
  const ink = '#1d2230';
  const muted = '#667085';
  const markup =
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">` +
    `<defs><linearGradient id="diverging" x1="0" x2="1" y1="0" y2="0">${stops}</linearGradient></defs>` +
    `<rect width="100%" height="100%" fill="${opts.background ?? '#ffffff'}"/>` +
    titleLines.map((l, i) => `<text x="${pad}" y="${24 + i * titleLineH}" fill="${ink}" font-family="system-ui, sans-serif" font-size="14" font-weight="600">${esc(l)}</text>`).join('') +
    parts.join('') +
    `<rect x="${pad}" y="${barY}" width="${barW}" height="10" fill="url(#diverging)" stroke="rgba(0,0,0,0.2)"/>` +
    `<text x="${pad}" y="${barY + 24}" fill="${muted}" font-family="system-ui, sans-serif" font-size="11" text-anchor="start">−${fmt(r)}</text>` +
    `<text x="${pad + barW / 2}" y="${barY + 24}" fill="${muted}" font-family="system-ui, sans-serif" font-size="11" text-anchor="middle">0</text>` +
    `<text x="${pad + barW}" y="${barY + 24}" fill="${muted}" font-family="system-ui, sans-serif" font-size="11" text-anchor="end">+${fmt(r)}</text>` +
    `<text x="${pad + barW + 14}" y="${barY + 9}" fill="${ink}" font-family="system-ui, sans-serif" font-size="12">${esc(opts.unit)}</text>` +
    `</svg>\n`;
  return { markup, width: W, height: H };
}

/** A text measurer on a canvas, for the browser. */
export function canvasMeasure(font = '13px ui-monospace, SFMono-Regular, Menlo, monospace'): (text: string) => number {
  const g = document.createElement('canvas').getContext('2d');
  if (!g) return (t) => t.length * 7.8;
  g.font = font;
  return (t) => g.measureText(t).width;
}
