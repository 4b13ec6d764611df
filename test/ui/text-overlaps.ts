// Text in figures checked against what it must not cover (screen boxes in Chromium): a horizontal
// bar's value label against its own bar's fill and any axis text (row names, tick labels, axis titles);
// and any two texts of a figure's SVG against each other.
import type { Locator } from 'playwright-core';

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface LabelOverlap {
  label: string;
  covers: string;
}

const meet = (a: Box, b: Box): boolean => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;

export async function barLabelOverlaps(fig: Locator): Promise<LabelOverlap[]> {
  // only plain data comes out of the page (no helper functions inside evaluate)
  const boxes = await fig.evaluate((root) => {
    type R = { getBoundingClientRect(): Box; textContent: string | null };
    const el = root as unknown as { querySelectorAll(s: string): ArrayLike<R & { querySelector(s: string): R | null }> };
    const axis = Array.from(el.querySelectorAll('.axis text')).map((t) => ({ text: t.textContent ?? '', box: t.getBoundingClientRect() }));
    const rows = Array.from(el.querySelectorAll('g.bar-row')).map((row) => {
      const t = row.querySelector('text');
      const bar = row.querySelector('rect.bar');
      return t ? { label: t.textContent ?? '', box: t.getBoundingClientRect(), bar: bar ? bar.getBoundingClientRect() : null } : null;
    });
    return { axis: axis.map((a) => ({ text: a.text, box: { left: a.box.left, right: a.box.right, top: a.box.top, bottom: a.box.bottom } })),
      rows: rows.flatMap((r) => r ? [{ label: r.label, box: { left: r.box.left, right: r.box.right, top: r.box.top, bottom: r.box.bottom }, bar: r.bar ? { left: r.bar.left, right: r.bar.right, top: r.bar.top, bottom: r.bar.bottom } : null }] : []) };
  });
  const found: LabelOverlap[] = [];
  for (const r of boxes.rows) {
    if (r.bar && meet(r.box, r.bar)) found.push({ label: r.label, covers: 'its bar' });
    for (const a of boxes.axis) if (meet(r.box, a.box)) found.push({ label: r.label, covers: `axis text '${a.text}'` });
  }
  return found;
}

/** Pairs of texts in the figure's SVG whose boxes overlap (by more than 1 px each way). */
export async function svgTextOverlaps(fig: Locator): Promise<string[]> {
  const boxes = await fig.evaluate((root) => {
    const el = root as unknown as { querySelectorAll(s: string): ArrayLike<{ getBoundingClientRect(): Box; textContent: string | null }> };
    return Array.from(el.querySelectorAll('svg text')).map((t) => {
      const r = t.getBoundingClientRect();
      return { text: t.textContent ?? '', box: { left: r.left, right: r.right, top: r.top, bottom: r.bottom } };
    });
  });
  const found: string[] = [];
  const drawn = boxes.filter((b) => b.box.right > b.box.left);
  for (let i = 0; i < drawn.length; i++) {
    for (let j = i + 1; j < drawn.length; j++) {
      const a = drawn[i]!.box;
      const b = drawn[j]!.box;
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) found.push(`'${drawn[i]!.text}' × '${drawn[j]!.text}'`);
    }
  }
  return found;
}
