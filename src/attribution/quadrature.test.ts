import { describe, expect, it } from 'vitest';
import type { ConcreteRule } from './parameters.ts';
import {
  bitReversedOrder,
  chebyshevPoint,
  clenshawCurtisWeights,
  gridKey,
  quadraturePlan,
  quadraturePoints,
  radicalInverse,
  spreadOrder,
  vanDerCorputOrder,
  type QuadraturePlan,
} from './quadrature.ts';

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

/** Each point's weight in the estimate after level k (or its companion): Σ_c weights[m][c] · channel c. */
function pointWeights(plan: QuadraturePlan, k: number, companion = false): Array<[number, number]> {
  const weights = companion ? plan.companionWeights!(k) : plan.weights(k);
  const out: Array<[number, number]> = [];
  for (let m = 0; m <= k; m++) {
    const channels = plan.channels(m);
    plan.levels[m].forEach((x, i) => out.push([x, channels.reduce((w, channel, c) => w + weights[m][c] * channel[i], 0)]));
  }
  return out;
}

/** The plan's estimate of ∫₀¹ f after level k (or its companion estimate), summed as a text's channels are. */
function integrate(plan: QuadraturePlan, k: number, f: (x: number) => number, companion = false): number {
  const weights = companion ? plan.companionWeights!(k) : plan.weights(k);
  let total = 0;
  for (let m = 0; m <= k; m++) {
    plan.channels(m).forEach((channel, c) => {
      total += weights[m][c] * plan.levels[m].reduce((sum, x, i) => sum + channel[i] * f(x), 0);
    });
  }
  return total;
}

/**
 * Highest degree d such that the rule integrates 1, t, …, t^d exactly (up to rounding),
 * t = 2x − 1: monomials centred on the interval, whose errors are not hidden by 2^−d.
 */
/**
 * The highest d such that the estimate after level k integrates the Legendre polynomials
 * P_0 … P_d (on [0, 1]) exactly: each is orthogonal to the ones below, so the first one
 * missed is missed by O(1), unlike monomials, whose errors beyond the degree can be tiny.
 */
function degreeOfExactness(plan: QuadraturePlan, k: number): number {
  const legendre = (d: number, x: number) => {
    const t = 2 * x - 1;
    let [previous, current] = [1, t];
    if (d === 0) return 1;
    for (let j = 1; j < d; j++) [previous, current] = [current, ((2 * j + 1) * t * current - j * previous) / (j + 1)];
    return current;
  };
  for (let d = 0; d < 100; d++) {
    if (Math.abs(integrate(plan, k, (x) => legendre(d, x)) - (d === 0 ? 1 : 0)) > 1e-12) return d - 1;
  }
  return 100;
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

  it('Clenshaw–Curtis levels add the odd Chebyshev points, in mirrored pairs', () => {
    const plan = quadraturePlan('clenshaw-curtis', 64);
    expect(plan.levels).toHaveLength(7);
    const all = plan.levels.flat();
    expect(new Set(all).size).toBe(65);
    const grid = Array.from({ length: 65 }, (_, j) => chebyshevPoint(j, 64));
    const sorted = [...all].sort((a, b) => a - b);
    sorted.forEach((x, j) => expect(x).toBeCloseTo(grid[j], 15));
    plan.levels.forEach((level, k) => {
      expect(plan.evaluations(k)).toBe(plan.levels.slice(0, k + 1).flat().length);
      // Each channel of a level has a weight for each of its points; mirrored pairs share them.
      for (const channel of plan.channels(k)) expect(channel).toHaveLength(level.length);
      if (k >= 2) for (let i = 0; i < level.length; i += 2) expect(level[i] + level[i + 1]).toBeCloseTo(1, 15);
    });
    // The same levels (and channels) whatever N or tolerance: one cache entry serves them all.
    const auto = quadraturePlan('clenshaw-curtis', 'auto');
    expect(auto.levels.slice(0, 7)).toEqual(plan.levels);
    expect(auto.channels(3)).toEqual(plan.channels(3));
    expect(auto.evaluations(auto.levels.length - 1)).toBe(513);
  });

  it('Gauss–Patterson levels: 1, 3, 7, … 63 points in mirrored pairs, level 1 the 3-point Gauss rule', () => {
    const plan = quadraturePlan('gauss-patterson', 'auto');
    expect(plan.levels).toHaveLength(6);
    plan.levels.forEach((level, k) => {
      expect(plan.evaluations(k)).toBe(2 ** (k + 1) - 1);
      expect(plan.evaluations(k)).toBe(plan.levels.slice(0, k + 1).flat().length);
      for (const channel of plan.channels(k)) expect(channel).toHaveLength(level.length);
      if (k >= 1) for (let i = 0; i < level.length; i += 2) expect(level[i] + level[i + 1]).toBeCloseTo(1, 14);
    });
    // New points interlace with the old: every gap between level-k points (and the ends) holds one new point.
    for (let k = 1; k < 6; k++) {
      const old = [0, ...plan.levels.slice(0, k).flat().sort((a, b) => a - b), 1];
      const added = [...plan.levels[k]].sort((a, b) => a - b);
      added.forEach((x, i) => expect(x > old[i] && x < old[i + 1]).toBe(true));
    }
    // Gauss–Legendre with 3 points: ½ ± √(3/5)/2, weights 5/18, 4/9, 5/18.
    const gauss3 = new Map(pointWeights(plan, 1).map(([x, w]) => [x.toFixed(14), w]));
    expect(gauss3.get((0.5 - Math.sqrt(0.6) / 2).toFixed(14))).toBeCloseTo(5 / 18, 14);
    expect(gauss3.get((0.5).toFixed(14))).toBeCloseTo(4 / 9, 14);
    // steps N: N − 1 points, at most 63.
    expect(quadraturePlan('gauss-patterson', 8).evaluations(2)).toBe(7);
    expect(quadraturePlan('gauss-patterson', 64).levels).toHaveLength(6);
    expect(quadraturePlan('gauss-patterson', 1024).levels).toHaveLength(6);
    expect(() => quadraturePlan('gauss-patterson', 8).weights(3)).toThrow(/outside/);
  });

  it('Clenshaw–Curtis weights: the small cases in closed form', () => {
    expect([...clenshawCurtisWeights(1)]).toEqual([0.5, 0.5]);
    // n = 2 is Simpson's rule.
    const simpson = clenshawCurtisWeights(2);
    [1 / 6, 2 / 3, 1 / 6].forEach((w, j) => expect(simpson[j]).toBeCloseTo(w, 15));
    for (const n of [4, 64, 1024]) {
      const w = clenshawCurtisWeights(n);
      expect(w.every((x) => x > 0)).toBe(true);
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 13);
      // The end weights are 1/(2(n² − 1)) for even n.
      expect(w[0]).toBeCloseTo(1 / (2 * (n * n - 1)), 15);
    }
  });

  it('nested midpoint triples the cells: each level is the midpoint rule on 3^k points', () => {
    const plan = quadraturePlan('nested-midpoint', 'auto');
    expect(plan.levels).toHaveLength(7);
    plan.levels.forEach((_, k) => {
      const n = 3 ** k;
      expect(plan.evaluations(k)).toBe(n);
      const points = plan.levels.slice(0, k + 1).flat().sort((a, b) => a - b);
      points.forEach((x, i) => expect(x).toBeCloseTo((i + 0.5) / n, 14));
      for (const [, w] of pointWeights(plan, k)) expect(w).toBeCloseTo(1 / n, 15);
    });
    // With a number of steps: at most that many points, the largest power of three.
    expect(quadraturePlan('nested-midpoint', 64).levels).toHaveLength(4);
    expect(quadraturePlan('nested-midpoint', 8).evaluations(1)).toBe(3);
  });

  it('names the grid a rule caches its levels under', () => {
    expect(gridKey('trapezoid', 64)).toBe('dyadic');
    expect(gridKey('romberg', 'auto')).toBe('dyadic');
    expect(gridKey('clenshaw-curtis', 64)).toBe('clenshaw-curtis');
    expect(gridKey('nested-midpoint', 'auto')).toBe('tripling');
    expect(gridKey('midpoint', 64)).toEqual(['midpoint', 64]);
  });

  it('has the degree of exactness each rule promises', () => {
    expect(degreeOfExactness(quadraturePlan('right', 16), 0)).toBe(0);
    expect(degreeOfExactness(quadraturePlan('midpoint', 16), 0)).toBe(1);
    const trapezoid = quadraturePlan('trapezoid', 256);
    for (let k = 0; k <= 8; k++) expect(degreeOfExactness(trapezoid, k)).toBe(1);
    const romberg = quadraturePlan('romberg', 256);
    // R(k, k) is exact for degree 2k + 1 (Boole's rule at k = 2, degree 5).
    for (let k = 0; k <= 4; k++) expect(degreeOfExactness(romberg, k)).toBe(2 * k + 1);
    // Clenshaw–Curtis on n = 2^k intervals interpolates degree n, and by symmetry integrates degree n + 1 (n even).
    const cc = quadraturePlan('clenshaw-curtis', 256);
    for (let k = 0; k <= 4; k++) expect(degreeOfExactness(cc, k)).toBe(k === 0 ? 1 : 2 ** k + 1);
    const tripling = quadraturePlan('nested-midpoint', 256);
    for (let k = 0; k <= 5; k++) expect(degreeOfExactness(tripling, k)).toBe(1);
    // Gauss–Patterson: 1, 5, 11, 23, 47, 95 (the 3-point Gauss rule, then each extension adds half again).
    const patterson = quadraturePlan('gauss-patterson', 'auto');
    for (let k = 0; k <= 5; k++) expect(degreeOfExactness(patterson, k)).toBe([1, 5, 11, 23, 47, 95][k]);
  });

  it('weights of every level estimate are positive and sum to 1', () => {
    for (const rule of ['gauss-patterson', 'clenshaw-curtis', 'trapezoid', 'romberg', 'nested-midpoint', 'midpoint', 'right'] as ConcreteRule[]) {
      const plan = quadraturePlan(rule, 512);
      plan.levels.forEach((_, k) => {
        expect(pointWeights(plan, k).every(([, w]) => w > 0)).toBe(true);
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
      // Clenshaw–Curtis: spectral, far ahead of Romberg on the same number of points.
      expect(error('clenshaw-curtis', 32, 5), name).toBeLessThan(1e-13);
      expect(error('clenshaw-curtis', 32, 3), name).toBeLessThan(1e-6);
      for (let k = 3; k <= 4; k++) expect(error('clenshaw-curtis', 32, k), name).toBeLessThan(error('romberg', 32, k));
      // Gauss–Patterson: with 7 points ahead of Clenshaw–Curtis's 9 on the entire functions, behind on 1/(1 + x²),
      // whose poles at ±i lie near [0, 1] (the extra degrees pay only where the integrand is analytic far around
      // the path); at double precision from 15 points on all three.
      if (name !== '1/(1+x²)') expect(error('gauss-patterson', 64, 2), name).toBeLessThan(error('clenshaw-curtis', 64, 3));
      expect(error('gauss-patterson', 64, 3), name).toBeLessThan(1e-14);
      // Nested midpoint: second order, so tripling the points divides the error by about 9.
      const tripled = error('nested-midpoint', 256, 3) / error('nested-midpoint', 256, 4);
      expect(tripled, name).toBeGreaterThan(8.9);
      expect(tripled, name).toBeLessThan(9.1);
    }
  });

  it('converges on a kinked integrand (|x − c|), nested midpoint exactly as midpoint of its size', () => {
    const c = 0.3141;
    const f = (x: number) => Math.abs(x - c);
    const exact = (c * c + (1 - c) ** 2) / 2;
    const tripling = quadraturePlan('nested-midpoint', 1024);
    for (let k = 2; k < tripling.levels.length; k++) {
      const n = 3 ** k;
      let midpoint = 0;
      for (let i = 0; i < n; i++) midpoint += f((i + 0.5) / n) / n;
      expect(integrate(tripling, k, f)).toBeCloseTo(midpoint, 13);
      expect(Math.abs(midpoint - exact)).toBeLessThan(1 / (n * n));
    }
    const cc = quadraturePlan('clenshaw-curtis', 1024);
    expect(Math.abs(integrate(cc, 10, f) - exact)).toBeLessThan(1e-5);
  });

  it('the companion estimate bounds the error of smooth integrands from above', () => {
    for (const [name, f, exact] of SMOOTH) {
      for (const rule of ['trapezoid', 'romberg', 'clenshaw-curtis', 'gauss-patterson', 'nested-midpoint'] as const) {
        const plan = quadraturePlan(rule, 'auto');
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
    expect(() => quadraturePlan('clenshaw-curtis', 8).weights(4)).toThrow(/outside/);
    expect(() => quadraturePlan('nested-midpoint', 8).weights(2)).toThrow(/outside/);
    expect(() => quadraturePlan('midpoint', 'auto')).toThrow(/nested/);
  });
});
