/**
 * Quadrature along the path (docs/method.md, "Discretisation" and "Computing
 * incrementally"). A rule is planned as levels: the α points each level adds, and the
 * weights that turn the sums of f over each level's points into the rule's estimate
 * after that level. Fixed rules (midpoint, right) have one level. Nested rules refine
 * a dyadic grid on [0, 1] and reuse every earlier evaluation: the trapezoid rule
 * (first order where the integrand has kinks, second order where it is smooth) and
 * Romberg's rule, Richardson extrapolation of the same trapezoid levels (exact for
 * polynomials of degree 2k + 1 after level k), for smooth integrands. Every
 * intermediate estimate is itself a proper rule, so partial results never flicker.
 */

import { isNestedRule, isPowerOfTwo, type ConcreteRule } from './parameters.ts';

/** Base-2 radical inverse of m: its binary digits mirrored behind the point. */
export function radicalInverse(m: number): number {
  let result = 0;
  let weight = 0.5;
  for (let k = m; k > 0; k = Math.floor(k / 2)) {
    if (k % 2 === 1) result += weight;
    weight /= 2;
  }
  return result;
}

/** 0..n−1 in bit-reversed order (n a power of two). */
export function bitReversedOrder(n: number): number[] {
  if (!isPowerOfTwo(n)) throw new Error(`bit-reversed order needs a power of two, got ${n}`);
  const bits = Math.round(Math.log2(n));
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) if (i & (1 << b)) r |= 1 << (bits - 1 - b);
    order.push(r);
  }
  return order;
}

/**
 * 0..n−1 in van der Corput order: the grid cell of each radical inverse φ(m),
 * m = 0, 1, …, skipping cells already taken. Every cell is reached by m < 2^⌈log₂ n⌉
 * because those φ(m) are all multiples of a step no wider than a cell. For a power of
 * two this is exactly the bit-reversed order.
 */
export function vanDerCorputOrder(n: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`need a positive number of points, got ${n}`);
  const taken = new Uint8Array(n);
  const order: number[] = [];
  for (let m = 0; order.length < n; m++) {
    const cell = Math.min(n - 1, Math.floor(radicalInverse(m) * n));
    if (!taken[cell]) {
      taken[cell] = 1;
      order.push(cell);
    }
  }
  return order;
}

/** Grid index order for n points: bit reversal when n is a power of two, van der Corput otherwise. */
export function spreadOrder(n: number): number[] {
  return isPowerOfTwo(n) ? bitReversedOrder(n) : vanDerCorputOrder(n);
}

/** The fixed rule's n points α_k in spread order: midpoint (k − ½)/n, right Riemann k/n. */
export function quadraturePoints(n: number, rule: 'midpoint' | 'right'): number[] {
  const offset = rule === 'midpoint' ? 0.5 : 1;
  return spreadOrder(n).map((j) => (j + offset) / n);
}

export interface QuadraturePlan {
  readonly rule: ConcreteRule;
  /** The α points each level adds (level 0 first), each level in spread order. */
  readonly levels: readonly (readonly number[])[];
  /**
   * The estimate after level k as weights on the level sums: estimate =
   * Σ_{m ≤ k} w[m] · Σ_{α added at level m} f(α). Every point of one level has the same
   * weight in these rules, so level sums are all a run needs to keep.
   */
  weights(k: number): number[];
  /**
   * A lower-order estimate from the same points after level k ≥ 1 (nested rules only):
   * trapezoid T_{k−1}, Romberg R(k, k−1). Its distance from the estimate is the error
   * estimate's level term (docs/method.md, "Discretisation").
   */
  companionWeights?(k: number): number[];
  /** Points evaluated through level k. */
  evaluations(k: number): number;
}

/** Whether the rule refines level by level, reusing earlier points (parameters.ts knows which). */
export function isNested(rule: ConcreteRule): rule is 'trapezoid' | 'romberg' {
  return isNestedRule(rule);
}

/**
 * The plan for `rule` with `n` steps: n points for a fixed rule; n intervals (n + 1
 * points, log₂ n + 1 levels) for a nested one.
 */
export function quadraturePlan(rule: ConcreteRule, n: number): QuadraturePlan {
  if (!isPowerOfTwo(n)) throw new Error(`quadrature needs a power of two, got ${n}`);
  if (!isNested(rule)) {
    return { rule, levels: [quadraturePoints(n, rule)], weights: () => [1 / n], evaluations: () => n };
  }
  const depth = Math.round(Math.log2(n));
  const levels: number[][] = [[0, 1]];
  for (let k = 1; k <= depth; k++) {
    const h = 2 ** -k;
    levels.push(spreadOrder(2 ** (k - 1)).map((i) => (2 * i + 1) * h));
  }
  const checked = (k: number, min: number) => {
    if (!(Number.isInteger(k) && k >= min && k <= depth)) throw new Error(`level ${k} is outside ${min}..${depth}`);
    return k;
  };
  const trapezoid = rule === 'trapezoid';
  return {
    rule,
    levels,
    weights: (k) => (trapezoid ? trapezoidWeights(checked(k, 0)) : rombergRow(checked(k, 0))[k]),
    companionWeights: (k) => (trapezoid ? [...trapezoidWeights(checked(k, 1) - 1), 0] : rombergRow(checked(k, 1))[k - 1]),
    evaluations: (k) => (k === 0 ? 2 : 2 ** k + 1),
  };
}

/** Trapezoid rule on 2^k intervals: h/2 at the two ends (level 0), h at every other point. */
function trapezoidWeights(k: number): number[] {
  const h = 2 ** -k;
  return Array.from({ length: k + 1 }, (_, m) => (m === 0 ? h / 2 : h));
}

/**
 * Row k of Romberg's table as weight vectors, R(k, 0) … R(k, k): Richardson's
 * extrapolation of the trapezoid levels, R(j, i) = R(j, i−1) + (R(j, i−1) − R(j−1, i−1))
 * / (4^i − 1), carried out on weights since every entry is linear in the level sums.
 */
function rombergRow(k: number): number[][] {
  const padded = (j: number) => [...trapezoidWeights(j), ...new Array<number>(k - j).fill(0)];
  let row: number[][] = [];
  for (let j = 0; j <= k; j++) {
    const current = [padded(j)];
    for (let i = 1; i <= j; i++) current.push(current[i - 1].map((w, m) => w + (w - row[i - 1][m]) / (4 ** i - 1)));
    row = current;
  }
  return row;
}
