/**
 * Every colour the heatmap uses: the diverging scale for values (cells, sum bars, legend,
 * and the layer strip elsewhere in the app) and the fixed inks for text, grid and marks.
 *
 * Separate because the choice of palette is a decision of its own (see `divergingColor`),
 * and so that the screen and the SVG export cannot drift apart in colour.
 */
import * as d3 from 'd3';

export const INK = '#1d232a';
export const MUTED = '#5b6670';
export const GRID = '#e3e7eb';
export const ZERO_LINE = '#7d8791';
const NAN_FILL = '#b9c2cc';

/**
 * ColorBrewer RdBu, reversed so that positive attributions are red and negative ones blue
 * (the convention of SHAP and Captum plots, which PairLens users will know). ColorBrewer
 * marks RdBu colour-blind safe: its hues split along the blue–yellow axis that protan and
 * deutan vision keeps, and lightness falls symmetrically with |value|, so magnitude still
 * reads in greyscale. PuOr would do as well; RdBu wins on familiarity.
 */
export function divergingColor(t: number): string {
  return d3.interpolateRdBu(1 - t);
}

export const NEUTRAL_COLOR = divergingColor(0.5);
export const NEGATIVE_END_COLOR = divergingColor(0);
export const POSITIVE_END_COLOR = divergingColor(1);

/** Odd, so that 0 falls exactly on the middle entry; 257 steps are finer than the eye sees. */
const LUT_SIZE = 257;
// A lookup table makes a 16k-cell recolour cheap, and equal colours come back as the same
// string, so unchanged cells are found with one comparison and their DOM left alone.
const LUT: readonly string[] = Array.from({ length: LUT_SIZE }, (_, k) => divergingColor(k / (LUT_SIZE - 1)));

/** Colour for a value on the symmetric domain [-m, m]; values outside are clamped. */
export function makeColorScale(m: number): (v: number) => string {
  const half = (LUT_SIZE - 1) / 2;
  const k = m > 0 && Number.isFinite(m) ? half / m : 0;
  return (v: number) => {
    if (!Number.isFinite(v)) return NAN_FILL;
    const idx = Math.round(half + v * k);
    return LUT[idx < 0 ? 0 : idx > LUT_SIZE - 1 ? LUT_SIZE - 1 : idx];
  };
}

export function legendStops(n = 11): { offset: number; color: string }[] {
  return Array.from({ length: n }, (_, k) => ({ offset: k / (n - 1), color: divergingColor(k / (n - 1)) }));
}

/**
 * Text colour on a background of the diverging scale ("rgb(r, g, b)"): white on the
 * dark ends, INK elsewhere (relative luminance below 0.3 counts as dark).
 */
export function inkOn(background: string): string {
  const match = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(background);
  if (!match) return INK;
  const linear = (c: string) => {
    const v = Number(c) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * linear(match[1]) + 0.7152 * linear(match[2]) + 0.0722 * linear(match[3]);
  return luminance < 0.3 ? '#ffffff' : INK;
}
