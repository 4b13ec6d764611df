// Text in figures checked against what it must not cover (screen boxes in Chromium): a horizontal
// bar's value label against its own bar's fill and any axis text (row names, tick labels, axis titles);
// any two texts of a figure's SVG against each other; and each text against its SVG's own box (what an
// export keeps).
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

type Pt = [number, number];
interface TextQuad {
  text: string;
  /** the text's box corners (its own glyph box, through its transforms, e.g. a slanted label's rotation) */
  quad: Pt[];
}

/** The figure's SVG texts as quads: in page pixels (screen), or in their <svg>'s own user units with its width and height (user). */
async function textQuads(fig: Locator, space: 'screen' | 'user'): Promise<{ width: number; height: number; texts: TextQuad[] }[]> {
  return fig.evaluate((root, space) => {
    type M = { a: number; b: number; c: number; d: number; e: number; f: number };
    type T = { textContent: string | null; getBBox(): { x: number; y: number; width: number; height: number }; getScreenCTM(): M | null; getCTM(): M | null };
    type S = { width: { baseVal: { value: number } }; height: { baseVal: { value: number } }; querySelectorAll(s: string): ArrayLike<T> };
    const el = root as unknown as { querySelectorAll(s: string): ArrayLike<S> };
    return Array.from(el.querySelectorAll('svg')).map((svg) => ({
      width: svg.width.baseVal.value,
      height: svg.height.baseVal.value,
      texts: Array.from(svg.querySelectorAll('text')).flatMap((t) => {
        const b = t.getBBox();
        const m = space === 'screen' ? t.getScreenCTM() : t.getCTM();
        if (!m || b.width <= 0) return [];
        // (no named helper inside evaluate: the test's TypeScript build would wrap it in a helper the page lacks)
        const corners: [number, number][] = [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]];
        return [{ text: t.textContent ?? '', quad: corners.map(([x, y]): [number, number] => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]) }];
      }),
    }));
  }, space);
}

/** Whether two convex quads overlap by more than `by` px along every separating axis (their edges' normals). */
function quadsMeet(p: Pt[], q: Pt[], by: number): boolean {
  for (const poly of [p, q]) {
    for (let i = 0; i < poly.length; i++) {
      const [x1, y1] = poly[i]!;
      const [x2, y2] = poly[(i + 1) % poly.length]!;
      const len = Math.hypot(x2 - x1, y2 - y1);
      if (len === 0) continue;
      const [nx, ny] = [-(y2 - y1) / len, (x2 - x1) / len];
      const proj = (pts: Pt[]) => pts.map(([x, y]) => x * nx + y * ny);
      const a = proj(p);
      const b = proj(q);
      if (Math.min(Math.max(...a), Math.max(...b)) - Math.max(Math.min(...a), Math.min(...b)) <= by) return false;
    }
  }
  return true;
}

/** Pairs of texts in the figure's SVG whose boxes overlap (by more than 1 px each way; a rotated text by its rotated box). */
export async function svgTextOverlaps(fig: Locator): Promise<string[]> {
  const found: string[] = [];
  for (const { texts } of await textQuads(fig, 'screen')) {
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        if (quadsMeet(texts[i]!.quad, texts[j]!.quad, 1)) found.push(`'${texts[i]!.text}' × '${texts[j]!.text}'`);
      }
    }
  }
  return found;
}

/**
 * Texts that reach outside their <svg>'s width × height (by more than 0.5 px): the exported SVG and
 * PNG (ExportButtons: the svg's own box) cut them off, though the page (overflow: visible) shows them.
 */
export async function svgTextOutside(fig: Locator): Promise<string[]> {
  const found: string[] = [];
  for (const { width, height, texts } of await textQuads(fig, 'user')) {
    for (const t of texts) {
      const xs = t.quad.map((p) => p[0]);
      const ys = t.quad.map((p) => p[1]);
      const [l, r, top, bottom] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
      if (l < -0.5 || r > width + 0.5 || top < -0.5 || bottom > height + 0.5) found.push(`'${t.text}' x ${Math.round(l)}..${Math.round(r)} y ${Math.round(top)}..${Math.round(bottom)} outside ${width}×${height}`);
    }
  }
  return found;
}
