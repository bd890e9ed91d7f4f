import { describe, expect, it } from 'vitest';
import {
  NEGATIVE_END_COLOR,
  NEUTRAL_COLOR,
  POSITIVE_END_COLOR,
  cellSizeFor,
  computeLayout,
  describeCell,
  dynamicScene,
  escapeXml,
  formatShare,
  formatValue,
  heatmapSvgString,
  hitTest,
  labelStride,
  makeColorScale,
  matrixStats,
  navigate,
  shareOfTotal,
  truncateLabel,
  validateHeatmapData,
  type HeatmapData,
} from './heatmap.ts';

function matrix(rows: number, cols: number, f: (r: number, c: number) => number = (r, c) => r - c): HeatmapData {
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[r * cols + c] = f(r, c);
  return {
    rows,
    cols,
    values,
    rowLabels: Array.from({ length: rows }, (_, i) => `a${i}`),
    colLabels: Array.from({ length: cols }, (_, i) => `b${i}`),
  };
}

describe('colour scale', () => {
  it('is symmetric around 0 with the neutral colour in the middle', () => {
    const color = makeColorScale(0.5);
    expect(color(0)).toBe(NEUTRAL_COLOR);
    expect(color(-0)).toBe(NEUTRAL_COLOR);
    expect(color(0.5)).toBe(POSITIVE_END_COLOR);
    expect(color(-0.5)).toBe(NEGATIVE_END_COLOR);
    expect(POSITIVE_END_COLOR).not.toBe(NEGATIVE_END_COLOR);
  });

  it('maps positive to red and negative to blue (RdBu reversed)', () => {
    const rgb = (s: string) => s.match(/\d+/g)!.map(Number);
    const [pr, , pb] = rgb(POSITIVE_END_COLOR);
    const [nr, , nb] = rgb(NEGATIVE_END_COLOR);
    expect(pr).toBeGreaterThan(pb);
    expect(nb).toBeGreaterThan(nr);
  });

  it('clamps out-of-domain values and survives m = 0 and NaN', () => {
    const color = makeColorScale(1);
    expect(color(5)).toBe(POSITIVE_END_COLOR);
    expect(color(-5)).toBe(NEGATIVE_END_COLOR);
    expect(makeColorScale(0)(0.3)).toBe(NEUTRAL_COLOR);
    expect(color(Number.NaN)).not.toBe(NEUTRAL_COLOR);
  });

  it('gives mirrored values mirrored positions (same distance from the middle)', () => {
    const color = makeColorScale(2);
    expect(color(1)).not.toBe(color(-1));
    expect(color(1)).toBe(makeColorScale(4)(2));
  });
});

describe('layout', () => {
  it('clamps the cell size between 4 and 36 px', () => {
    expect(cellSizeFor(2)).toBe(36);
    expect(cellSizeFor(128)).toBe(4);
    expect(cellSizeFor(1000)).toBe(4);
    expect(cellSizeFor(40)).toBe(15);
  });

  it('shows every label for 2 tokens and thins them for 128', () => {
    const small = computeLayout(matrix(2, 2));
    expect(small.cell).toBe(36);
    expect(small.rowLabels.map((l) => l.text)).toEqual(['a0', 'a1']);
    expect(small.colLabels).toHaveLength(2);

    const big = computeLayout(matrix(128, 128));
    expect(big.cell).toBe(4);
    const stride = labelStride(big.cell, big.fontSize);
    expect(stride).toBeGreaterThan(1);
    expect(big.rowLabels.length).toBe(Math.ceil(128 / stride));
    // Labels drawn never overlap: their centres are at least a font size apart.
    for (let k = 1; k < big.rowLabels.length; k++) {
      expect(big.rowLabels[k].y - big.rowLabels[k - 1].y).toBeGreaterThanOrEqual(big.fontSize);
    }
    expect(big.plotW).toBe(512);
  });

  it('truncates long labels by code point', () => {
    expect(truncateLabel('short')).toBe('short');
    expect(truncateLabel('abcdefghijklmnopqrstuvwxyz', 6)).toBe('abcde…');
    expect(truncateLabel('😀😀😀😀', 3)).toBe('😀😀…');
  });

  it('leaves hidden rows and columns out of the grid', () => {
    const d = { ...matrix(4, 3), hiddenRows: [true, false, false, true], hiddenCols: [false, true] };
    const L = computeLayout(d);
    expect(L.visRows).toEqual([1, 2]);
    expect(L.visCols).toEqual([0, 2]);
    expect(L.rowLabels.map((l) => l.index)).toEqual([1, 2]);
  });

  it('hit-tests cells and sum bars in full-matrix indices', () => {
    const d = { ...matrix(4, 3), hiddenRows: [true, false, false, false] };
    const L = computeLayout(d);
    const mid = (k: number) => k * L.cell + L.cell / 2;
    expect(hitTest(L, L.plotX + mid(2), L.plotY + mid(0))).toEqual({ kind: 'cell', row: 1, col: 2 });
    expect(hitTest(L, L.rowSumX + 5, L.plotY + mid(2))).toEqual({ kind: 'row-sum', row: 3 });
    expect(hitTest(L, L.plotX + mid(1), L.colSumY + 5)).toEqual({ kind: 'col-sum', col: 1 });
    expect(hitTest(L, L.plotX - 1, L.plotY + 1)).toBeNull();
    expect(hitTest(L, L.plotX + L.plotW, L.plotY + 1)).toBeNull();
  });
});

describe('sums and shares', () => {
  it('sums rows and columns over the full matrix, hidden cells included', () => {
    const d = matrix(2, 3, (r, c) => r * 3 + c + 1); // 1 2 3 / 4 5 6
    const s = matrixStats(d.values, 2, 3, [1], [0, 1]);
    expect(Array.from(s.rowSums)).toEqual([6, 15]);
    expect(Array.from(s.colSums)).toEqual([5, 7, 9]);
    expect(s.total).toBe(21);
    expect(s.maxAbs).toBe(5); // visible cells only
    expect(s.sumMaxAbs).toBe(15);
  });

  it('computes value / ΣA as a percent, and n/a when ΣA is 0', () => {
    expect(shareOfTotal(0.25, 0.5)).toBe(50);
    expect(shareOfTotal(-0.1, 0.4)).toBeCloseTo(-25);
    expect(shareOfTotal(1, 0)).toBeNull();
    expect(formatShare(shareOfTotal(0.1, 0.3))).toBe('33.3%');
    expect(formatShare(null)).toMatch(/n\/a/);
  });

  it('formats values to 4 significant digits', () => {
    expect(formatValue(0.123456)).toBe('0.1235');
    expect(formatValue(-12.3456)).toBe('−12.35');
    expect(describeCell('cat', 'dog', 0.05, 0.2)).toBe('cat × dog: 0.05000, 25%');
  });

  it('draws sum bars to the right of / above the zero line for positive sums', () => {
    const d = matrix(2, 2, (r, c) => (r === 0 ? 1 : -1) * (c + 1)); // row sums 3, −3
    const L = computeLayout(d);
    const s = matrixStats(d.values, 2, 2, L.visRows, L.visCols);
    const bars = dynamicScene(L, s).rects;
    const x0 = L.rowSumX + L.rowSumW / 2;
    const r0 = bars.find((b) => b.key === 'rs0')!;
    const r1 = bars.find((b) => b.key === 'rs1')!;
    expect(r0.x).toBe(x0);
    expect(r1.x + r1.width).toBeCloseTo(x0);
    expect(r0.width).toBeCloseTo(r1.width);
    expect(r0.fill).toBe(POSITIVE_END_COLOR);
    expect(r1.fill).toBe(NEGATIVE_END_COLOR);
  });
});

describe('navigate', () => {
  const at = (row: number, col: number) => ({ row, col });

  it('moves with the arrow keys and clamps at the edges', () => {
    expect(navigate(at(0, 0), 'ArrowRight', 3, 4)).toEqual(at(0, 1));
    expect(navigate(at(0, 0), 'ArrowDown', 3, 4)).toEqual(at(1, 0));
    expect(navigate(at(0, 0), 'ArrowUp', 3, 4)).toEqual(at(0, 0));
    expect(navigate(at(0, 0), 'ArrowLeft', 3, 4)).toEqual(at(0, 0));
    expect(navigate(at(2, 3), 'ArrowDown', 3, 4)).toEqual(at(2, 3));
    expect(navigate(at(2, 3), 'ArrowRight', 3, 4)).toEqual(at(2, 3));
  });

  it('goes to the row start and end with Home/End, grid corners with Ctrl', () => {
    expect(navigate(at(1, 2), 'Home', 3, 4)).toEqual(at(1, 0));
    expect(navigate(at(1, 2), 'End', 3, 4)).toEqual(at(1, 3));
    expect(navigate(at(1, 2), 'Home', 3, 4, { ctrlKey: true })).toEqual(at(0, 0));
    expect(navigate(at(1, 2), 'End', 3, 4, { ctrlKey: true })).toEqual(at(2, 3));
  });

  it('pages by rows, ignores other keys and empty grids, and repairs stale positions', () => {
    expect(navigate(at(1, 1), 'PageDown', 20, 2)).toEqual(at(9, 1));
    expect(navigate(at(1, 1), 'PageUp', 20, 2)).toEqual(at(0, 1));
    expect(navigate(at(0, 0), 'a', 3, 3)).toBeNull();
    expect(navigate(at(0, 0), 'ArrowRight', 0, 3)).toBeNull();
    expect(navigate(at(9, 9), 'ArrowLeft', 3, 3)).toEqual(at(2, 1));
  });
});

describe('SVG export', () => {
  it('escapes markup characters and drops characters XML forbids', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
    expect(escapeXml('a\u0000b\u001Fc\tok')).toBe('a\uFFFDb\uFFFDc\tok');
    expect(escapeXml('😀')).toBe('😀');
    expect(escapeXml('x\uD800y')).toBe('x\uFFFDy');
  });

  it('writes a standalone document with escaped labels and title', () => {
    const d = matrix(2, 3);
    d.rowLabels[0] = '<script>alert(1)</script>';
    d.colLabels[1] = `"&'`;
    d.title = 'A & B <test>';
    const svg = heatmapSvgString(d);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toContain('font-family=');
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;alert…');
    expect(svg).toContain('&quot;&amp;&apos;');
    expect(svg).toContain('<title>A &amp; B &lt;test&gt;</title>');
    expect(svg).toContain('<linearGradient');
    expect(svg).toContain('ΣA = ');
    // 6 cells + background + plot background + legend bar + 5 sum bars.
    expect(svg.match(/<rect /g)).toHaveLength(6 + 3 + 5);
    // Every tag that opens also closes (a cheap well-formedness check without a parser).
    const opened = (svg.match(/<(text|g|svg|defs|linearGradient|title)[ >]/g) ?? []).length;
    const closed = (svg.match(/<\/(text|g|svg|defs|linearGradient|title)>/g) ?? []).length;
    expect(opened).toBe(closed);
  });

  it('leaves hidden cells out but keeps them in ΣA', () => {
    const d = { ...matrix(3, 3, () => 1), hiddenRows: [true, false, false] };
    const svg = heatmapSvgString(d);
    expect(svg).toContain('ΣA = 9.000');
    expect(svg).not.toContain('>a0<');
  });

  it('exports a 128×128 matrix in reasonable time', () => {
    const d = matrix(128, 128, (r, c) => Math.sin(r * c));
    const t0 = performance.now();
    const svg = heatmapSvgString(d);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(svg.match(/<rect /g)!.length).toBeGreaterThan(128 * 128);
  });

  it('rejects data whose shape does not match', () => {
    expect(() => validateHeatmapData({ ...matrix(2, 2), rows: 3 })).toThrow(RangeError);
    expect(() => validateHeatmapData({ ...matrix(2, 2), colLabels: ['x'] })).toThrow(RangeError);
  });
});
