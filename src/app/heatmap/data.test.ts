import { describe, expect, it } from 'vitest';
import { matrixStats, shareOfTotal, validateHeatmapData } from './data.ts';
import { describeCell, formatShare, formatValue } from './format.ts';
import { matrix } from './matrix.test-support.ts';

describe('data', () => {
  it('rejects data whose shape does not match', () => {
    expect(() => validateHeatmapData({ ...matrix(2, 2), rows: 3 })).toThrow(RangeError);
    expect(() => validateHeatmapData({ ...matrix(2, 2), colLabels: ['x'] })).toThrow(RangeError);
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
});
