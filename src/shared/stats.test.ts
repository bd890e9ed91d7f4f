import { describe, expect, it } from 'vitest';
import { agreement, pearson, ranks, spearman } from './stats.ts';

describe('agreement statistics', () => {
  it('computes Pearson against a closed form, and NaN where it is undefined', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // x = 1..4, y = (1, 3, 2, 4): cov 1.0, var_x = var_y = 1.25 → 0.8
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(pearson([1], [2])).toBeNaN();
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => pearson([1, 2], [1])).toThrow(/same length/);
  });

  it('ranks ties by their mean rank', () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toBeCloseTo(1, 12);
  });

  it('reports agreement of two lists', () => {
    const a = agreement([0.1, 0.5, 0.9], [0.2, 0.5, 0.7]);
    expect(a.pairs).toBe(3);
    expect(a.meanAbsDiff).toBeCloseTo(0.1, 12);
    expect(a.maxAbsDiff).toBeCloseTo(0.2, 12);
    expect(a.spearman).toBeCloseTo(1, 12);
  });
});
