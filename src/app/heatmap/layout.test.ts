import { describe, expect, it } from 'vitest';
import { cellSizeFor, computeLayout, hitTest, labelStride, plotRoom, truncateLabel } from './layout.ts';
import { matrix } from './matrix.test-support.ts';

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

describe('plotRoom', () => {
  it('gives a wide host a larger plot and larger cells, a narrow one the minimum', () => {
    expect(plotRoom(0)).toEqual({});
    expect(plotRoom(375)).toEqual({ maxPlot: 300, maxCell: 36 });
    expect(plotRoom(900)).toEqual({ maxPlot: 600, maxCell: 50 });
    expect(plotRoom(1100)).toEqual({ maxPlot: 800, maxCell: 64 });
    // Wider hosts draw short texts with larger cells than the old fixed 600 px plot did.
    expect(cellSizeFor(12, plotRoom(1100))).toBeGreaterThan(cellSizeFor(12));
  });
});
