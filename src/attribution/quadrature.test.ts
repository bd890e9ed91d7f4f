import { describe, expect, it } from 'vitest';
import { bitReversedOrder, quadraturePoints, radicalInverse, spreadOrder, vanDerCorputOrder } from './quadrature.ts';

/** Largest gap in [0, 1] left by a set of points (ends included). */
function largestGap(points: number[]): number {
  const sorted = [0, ...[...points].sort((a, b) => a - b), 1];
  let gap = 0;
  for (let i = 1; i < sorted.length; i++) gap = Math.max(gap, sorted[i] - sorted[i - 1]);
  return gap;
}

describe('quadrature points', () => {
  it('midpoint and right rules give the full grid', () => {
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    expect(sorted(quadraturePoints(8, 'midpoint'))).toEqual([1, 3, 5, 7, 9, 11, 13, 15].map((k) => k / 16));
    expect(sorted(quadraturePoints(8, 'right'))).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((k) => k / 8));
  });

  it('orders powers of two by bit reversal, and van der Corput agrees there', () => {
    expect(bitReversedOrder(8)).toEqual([0, 4, 2, 6, 1, 5, 3, 7]);
    for (const n of [1, 2, 16, 256, 1024]) expect(vanDerCorputOrder(n)).toEqual(bitReversedOrder(n));
    expect(radicalInverse(6)).toBe(0.375);
  });

  it('van der Corput order is a permutation for any n', () => {
    for (const n of [3, 5, 7, 10, 100, 1000]) {
      const order = spreadOrder(n);
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  it('spreads every prefix over [0, 1]', () => {
    for (const n of [64, 100, 1024]) {
      const points = quadraturePoints(n, 'midpoint');
      for (let k = 1; k <= n; k++) {
        // A prefix of k points leaves no gap wider than about 2/k (plus one grid cell).
        expect(largestGap(points.slice(0, k))).toBeLessThanOrEqual(2 / k + 1 / n);
      }
    }
  });
});
