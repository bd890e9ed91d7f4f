import { describe, expect, it } from 'vitest';
import type { ConcreteRule } from './parameters.ts';
import { bitReversedOrder, quadraturePlan, quadraturePoints, radicalInverse, spreadOrder, vanDerCorputOrder, type QuadraturePlan } from './quadrature.ts';

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

/** The plan's estimate of ∫₀¹ f after level k (or its companion estimate). */
function integrate(plan: QuadraturePlan, k: number, f: (x: number) => number, companion = false): number {
  const weights = companion ? plan.companionWeights!(k) : plan.weights(k);
  let total = 0;
  for (let m = 0; m <= k; m++) total += weights[m] * plan.levels[m].reduce((sum, x) => sum + f(x), 0);
  return total;
}

/** Highest degree d such that the rule integrates 1, x, …, x^d exactly (up to rounding). */
function degreeOfExactness(plan: QuadraturePlan, k: number): number {
  for (let d = 0; d < 40; d++) {
    if (Math.abs(integrate(plan, k, (x) => x ** d) - 1 / (d + 1)) > 1e-12) return d - 1;
  }
  return 40;
}

const SMOOTH: Array<[string, (x: number) => number, number]> = [
  ['exp', Math.exp, Math.E - 1],
  ['1/(1+x²)', (x) => 1 / (1 + x * x), Math.PI / 4],
  ['cos 3x', (x) => Math.cos(3 * x), Math.sin(3) / 3],
];

describe('quadrature plans', () => {
  it('nested levels add new points only, and together form the dyadic grid', () => {
    for (const rule of ['trapezoid', 'romberg'] as const) {
      const plan = quadraturePlan(rule, 64);
      expect(plan.levels).toHaveLength(7);
      const all = plan.levels.flat();
      expect(new Set(all).size).toBe(65);
      expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: 65 }, (_, i) => i / 64));
      plan.levels.forEach((_, k) => expect(plan.evaluations(k)).toBe(plan.levels.slice(0, k + 1).flat().length));
    }
    const fixed = quadraturePlan('midpoint', 64);
    expect(fixed.levels).toHaveLength(1);
    expect(fixed.evaluations(0)).toBe(64);
  });

  it('has the degree of exactness each rule promises', () => {
    expect(degreeOfExactness(quadraturePlan('right', 16), 0)).toBe(0);
    expect(degreeOfExactness(quadraturePlan('midpoint', 16), 0)).toBe(1);
    const trapezoid = quadraturePlan('trapezoid', 256);
    for (let k = 0; k <= 8; k++) expect(degreeOfExactness(trapezoid, k)).toBe(1);
    const romberg = quadraturePlan('romberg', 256);
    // R(k, k) is exact for degree 2k + 1 (Boole's rule at k = 2, degree 5).
    for (let k = 0; k <= 4; k++) expect(degreeOfExactness(romberg, k)).toBe(2 * k + 1);
  });

  it('weights of every level estimate are positive and sum to 1', () => {
    for (const rule of ['trapezoid', 'romberg', 'midpoint', 'right'] as ConcreteRule[]) {
      const plan = quadraturePlan(rule, 512);
      plan.levels.forEach((_, k) => {
        const w = plan.weights(k);
        expect(w.every((x) => x > 0)).toBe(true);
        expect(integrate(plan, k, () => 1)).toBeCloseTo(1, 12);
      });
    }
  });

  it('converges on smooth functions at each rule\'s order', () => {
    for (const [name, f, exact] of SMOOTH) {
      const error = (rule: ConcreteRule, n: number, k: number) => Math.abs(integrate(quadraturePlan(rule, n), k, f) - exact);
      // Second order: halving h divides the error by about 4.
      const ratio = error('trapezoid', 64, 5) / error('trapezoid', 64, 6);
      expect(ratio, name).toBeGreaterThan(3.9);
      expect(ratio, name).toBeLessThan(4.1);
      const midRatio = error('midpoint', 32, 0) / error('midpoint', 64, 0);
      expect(midRatio, name).toBeGreaterThan(3.9);
      expect(midRatio, name).toBeLessThan(4.1);
      // Romberg: near double precision from 33 points.
      expect(error('romberg', 32, 5), name).toBeLessThan(1e-10);
      expect(error('romberg', 32, 3), name).toBeLessThan(1e-5);
    }
  });

  it('the companion estimate bounds the error of smooth integrands from above', () => {
    for (const [name, f, exact] of SMOOTH) {
      for (const rule of ['trapezoid', 'romberg'] as const) {
        const plan = quadraturePlan(rule, 64);
        for (let k = 2; k <= 4; k++) {
          const estimate = integrate(plan, k, f);
          const gap = Math.abs(estimate - integrate(plan, k, f, true));
          expect(Math.abs(estimate - exact), `${name} ${rule} level ${k}`).toBeLessThanOrEqual(gap);
        }
      }
    }
  });

  it('refuses levels and sizes it does not have', () => {
    expect(() => quadraturePlan('trapezoid', 48)).toThrow(/power of two/);
    expect(() => quadraturePlan('romberg', 8).weights(4)).toThrow(/outside/);
    expect(() => quadraturePlan('trapezoid', 8).companionWeights!(0)).toThrow(/outside/);
  });
});
