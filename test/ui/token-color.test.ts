// The token-colouring function (src-renderer/src/lib/token-color.ts), under node: zero is white,
// the sign picks the hue, the scale is symmetric and clamps, NaN is grey, and text stays readable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  colorRange, contrast, css, luminance, NAN_GREY, scaleRgb, symmetricRange, tokenColor, type Rgb,
} from '../../src-renderer/src/lib/token-color.js';

const rgb = (s: string): Rgb => {
  const m = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(s);
  assert.ok(m, `not an rgb() colour: ${s}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
};

test('zero is exactly white, whatever the range (also −0 and an empty range)', () => {
  for (const range of [1, 0.001, 1e6, 0, NaN, Infinity]) {
    assert.equal(tokenColor(0, range).background, 'rgb(255, 255, 255)', `range ${range}`);
    assert.equal(tokenColor(-0, range).background, 'rgb(255, 255, 255)');
    assert.ok(Object.is(tokenColor(-0, range).t, 0));
  }
  assert.equal(tokenColor(0, 1).color, 'rgb(0, 0, 0)', 'black text on white');
});

test('the sign picks the hue: positive is blue, negative is red; the end colours are RdBu', () => {
  for (const v of [0.01, 0.3, 0.7, 1]) {
    const [r, , b] = rgb(tokenColor(v, 1).background);
    assert.ok(b > r, `+${v}: blue ${b} > red ${r}`);
    const [r2, , b2] = rgb(tokenColor(-v, 1).background);
    assert.ok(r2 > b2, `−${v}: red ${r2} > blue ${b2}`);
  }
  assert.equal(tokenColor(1, 1).background, 'rgb(33, 102, 172)');
  assert.equal(tokenColor(-1, 1).background, 'rgb(178, 24, 43)');
});

test('symmetric: |v| gives the same distance from white on both sides, and it grows with |v|', () => {
  let prev = 0;
  for (let i = 1; i <= 20; i++) {
    const v = i / 20;
    const pos = tokenColor(v, 1);
    const neg = tokenColor(-v, 1);
    assert.equal(pos.t, -neg.t);
    // the same darkening on both sides, within rounding of the stops
    const dPos = 1 - luminance(rgb(pos.background));
    const dNeg = 1 - luminance(rgb(neg.background));
    assert.ok(dPos > prev, `darker as |v| grows (${v})`);
    prev = dPos;
    assert.ok(Math.abs(dPos - dNeg) < 0.12, `${v}: ${dPos} vs ${dNeg}`);
  }
  // the range comes from the largest |value|, so the extreme of either sign reaches the end colour
  const values = [0.2, -0.5, 0.1];
  const range = symmetricRange(values);
  assert.equal(range, 0.5);
  assert.equal(tokenColor(-0.5, range).t, -1);
  assert.equal(tokenColor(0.5, range).background, 'rgb(33, 102, 172)');
  assert.equal(tokenColor(0.25, range).t, 0.5);
});

test('clamping: values beyond the range (and ±Infinity) take the end colours; a user range overrides', () => {
  assert.equal(tokenColor(5, 1).background, tokenColor(1, 1).background);
  assert.equal(tokenColor(-5, 1).background, tokenColor(-1, 1).background);
  assert.equal(tokenColor(Infinity, 1).t, 1);
  assert.equal(tokenColor(-Infinity, 2).t, -1);
  assert.equal(colorRange([0.1, -3], 1), 1, 'the user range wins');
  assert.equal(colorRange([0.1, -3], null), 3);
  assert.equal(colorRange([0.1, -3], 0), 3, 'a zero user range means automatic');
  assert.equal(colorRange([0.1, -3], NaN), 3);
  assert.equal(tokenColor(-3, colorRange([0.1, -3], 1)).t, -1);
});

test('NaN: grey, distinct from every colour of the scale; NaN and infinities do not set the range', () => {
  const c = tokenColor(NaN, 1);
  assert.equal(c.background, css(NAN_GREY));
  assert.ok(Number.isNaN(c.t));
  for (let i = -20; i <= 20; i++) assert.notEqual(scaleRgb(i / 20).join(), NAN_GREY.join());
  assert.equal(symmetricRange([NaN, Infinity, -Infinity, 0.4, -0.2]), 0.4);
  assert.equal(symmetricRange([NaN]), 0);
  assert.equal(symmetricRange([]), 0);
});

test('text contrast: the text colour is black or white and reads at WCAG AA (4.5:1) everywhere on the scale', () => {
  const seen = new Set<string>();
  for (let i = -100; i <= 100; i++) {
    const c = tokenColor(i / 100, 1);
    assert.ok(c.color === 'rgb(0, 0, 0)' || c.color === 'rgb(255, 255, 255)', c.color);
    seen.add(c.color);
    const ratio = contrast(rgb(c.background), rgb(c.color));
    assert.ok(ratio >= 4.5, `t=${i / 100}: ${c.color} on ${c.background} has contrast ${ratio.toFixed(2)}`);
  }
  assert.equal(seen.size, 2, 'both text colours are used');
  assert.equal(tokenColor(1, 1).color, 'rgb(255, 255, 255)', 'white on dark blue');
  assert.equal(tokenColor(NaN, 1).color, 'rgb(0, 0, 0)');
});
