/** Figures by genre for exact variants (issue 14): plain arithmetic, checked on small hand-made lists. */
import { describe, expect, it } from 'vitest';
import { genreFigures, meetsGoals, qualityByGenre, roundedFigures, UNRELATED_BELOW } from './quality-by-genre.ts';

describe('figures by genre', () => {
  it('measures rank agreement, mean |Δ| and the signed error on unrelated pairs only', () => {
    const original = [0.1, 0.2, 0.5, 0.9];
    const candidate = [0.2, 0.25, 0.45, 0.9];
    const f = genreFigures(original, candidate);
    expect(f.spearman).toBeCloseTo(1, 12);
    expect(f.meanAbsDiff).toBeCloseTo((0.1 + 0.05 + 0.05) / 4, 12);
    expect(f.unrelatedPairs).toBe(original.filter((x) => x < UNRELATED_BELOW).length);
    expect(f.unrelatedBias).toBeCloseTo((0.1 + 0.05) / 2, 12);
    expect(f.meanSignedDiff).toBeCloseTo((0.1 + 0.05 - 0.05) / 4, 12);
    expect(f.meetsGoals).toBe(false); // bias 0.075 > 0.03
    expect(genreFigures([0.5, 0.9], [0.5, 0.9]).unrelatedBias).toBeNull();
    expect(() => genreFigures([0.1], [0.1])).toThrow(/at least 2/);
  });

  it('applies every goal', () => {
    const good = { spearman: 0.99, meanAbsDiff: 0.02, unrelatedBias: -0.02 };
    expect(meetsGoals(good)).toBe(true);
    expect(meetsGoals({ ...good, spearman: 0.98 })).toBe(false);
    expect(meetsGoals({ ...good, meanAbsDiff: 0.031 })).toBe(false);
    expect(meetsGoals({ ...good, unrelatedBias: -0.031 })).toBe(false);
    expect(meetsGoals({ ...good, unrelatedBias: null })).toBe(true);
  });

  it('groups pairs by genre in order of first appearance', () => {
    const q = qualityByGenre(['b', 'a', 'b', 'a', 'b'], [0.1, 0.2, 0.5, 0.8, 0.9], [0.1, 0.2, 0.5, 0.8, 0.9]);
    expect(Object.keys(q)).toEqual(['b', 'a']);
    expect(q.b.pairs).toBe(3);
    expect(q.a.meanAbsDiff).toBe(0);
    expect(roundedFigures({ ...q.b, spearman: 0.123456 }).spearman).toBe(0.1235);
  });
});
