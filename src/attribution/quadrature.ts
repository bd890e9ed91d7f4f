/**
 * Quadrature along the path (docs/method.md, "Discretisation" and "Computing
 * incrementally"). A rule is planned as levels: the α points each level adds, the
 * weighted sums ("channels") a text keeps of each level's points, and the weights that
 * turn those sums into the rule's estimate after each level. Fixed rules (midpoint,
 * right) have one level. Nested rules reuse every earlier evaluation:
 *
 *  - trapezoid and Romberg refine one dyadic grid on [0, 1]: the trapezoid rule (first
 *    order where the integrand has kinks, second where it is smooth) and its Richardson
 *    extrapolation (exact for degree 2k + 1 after level k);
 *  - Clenshaw–Curtis on the Chebyshev points x_j = (1 − cos(jπ/n))/2, n = 2^k: exact for
 *    degree n (n + 1 for even n), spectrally convergent on smooth integrands;
 *  - Gauss–Patterson (patterson.ts): 1, 3, 7, 15, 31, 63 points, exact for degrees 1, 5,
 *    11, 23, 47, 95: about half again as many as Clenshaw–Curtis on as many points;
 *  - nested midpoint triples the cells (1, 3, 9, … points; each level's midpoints
 *    include the last level's), so every level is exactly the midpoint rule of that size.
 *
 * Every intermediate estimate is itself a proper rule, so partial results never flicker.
 */

import { AUTO_MAX_EVALUATIONS, isNestedRule, isPowerOfTwo, largestPowerOfThree, PARAMETERS, pattersonLevelFor, type ConcreteRule, type Steps } from './parameters.ts';
import { PATTERSON_LEVELS, pattersonFamily, pattersonPoints } from './patterson.ts';

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
   * What a text keeps of level m: one sum over the level's points per channel, each
   * channel a weight per point (in `levels[m]` order). Rules whose points of one level
   * share their weight in every estimate have a single channel of ones (the plain level
   * sum); Clenshaw–Curtis keeps one channel per level it can reach, since its weights
   * change with the level.
   */
  channels(m: number): readonly (readonly number[])[];
  /** The estimate after level k: weights(k)[m][c] on channel c of level m's sums, m ≤ k. */
  weights(k: number): number[][];
  /**
   * A lower-order estimate from the same points after level k ≥ 1 (nested rules only):
   * trapezoid T_{k−1}, Romberg R(k, k−1), Clenshaw–Curtis and nested midpoint their
   * level k − 1. Its distance from the estimate is the error estimate's level term
   * (docs/method.md, "Discretisation").
   */
  companionWeights?(k: number): number[][];
  /** Points evaluated through level k. */
  evaluations(k: number): number;
}

/** The nested rules: those that refine level by level (parameters.ts knows which). */
export type NestedRule = 'gauss-patterson' | 'clenshaw-curtis' | 'romberg' | 'trapezoid' | 'nested-midpoint';

/** Whether the rule refines level by level, reusing earlier points (parameters.ts knows which). */
export function isNested(rule: ConcreteRule): rule is NestedRule {
  return isNestedRule(rule);
}

/**
 * The points a text's cached levels belong to: rules on one grid with the same channels
 * share their levels for every N and tolerance (trapezoid and Romberg: 'dyadic'); a
 * fixed rule's points depend on N.
 */
export function gridKey(rule: ConcreteRule, steps: Steps): string | [ConcreteRule, Steps] {
  if (!isNested(rule)) return [rule, steps];
  return rule === 'trapezoid' || rule === 'romberg' ? 'dyadic' : rule === 'nested-midpoint' ? 'tripling' : rule;
}

/** Deepest Clenshaw–Curtis level any plan reaches (n = the largest steps): its channels run this far. */
const CC_DEPTH = Math.round(Math.log2(PARAMETERS.steps.max));

/**
 * The plan for `rule` with `steps`: n points for a fixed rule; n intervals (n + 1 points,
 * log₂ n + 1 levels) for a dyadic or Clenshaw–Curtis one; the largest 3^k ≤ n points
 * for nested midpoint. With 'auto', the deepest nested plan within AUTO_MAX_EVALUATIONS.
 */
export function quadraturePlan(rule: ConcreteRule, steps: Steps): QuadraturePlan {
  if (steps === 'auto') {
    if (!isNested(rule)) throw new Error(`steps auto needs a nested rule, got ${rule}`);
    steps = rule === 'nested-midpoint' ? AUTO_MAX_EVALUATIONS : 2 ** Math.floor(Math.log2(AUTO_MAX_EVALUATIONS - 1));
  }
  const n = steps;
  if (!isPowerOfTwo(n)) throw new Error(`quadrature needs a power of two, got ${n}`);
  if (!isNested(rule)) {
    return { rule, levels: [quadraturePoints(n, rule)], channels: () => [ones(n)], weights: () => [[1 / n]], evaluations: () => n };
  }
  if (rule === 'nested-midpoint') return triplingPlan(largestPowerOfThree(n));
  if (rule === 'gauss-patterson') return pattersonPlan(pattersonLevelFor(n));
  const depth = Math.round(Math.log2(n));
  const checked = levelCheck(depth);
  const evaluations = (k: number) => (k === 0 ? 2 : 2 ** k + 1);
  if (rule === 'clenshaw-curtis') return clenshawCurtisPlan(depth, checked, evaluations);
  const levels: number[][] = [[0, 1]];
  for (let k = 1; k <= depth; k++) {
    const h = 2 ** -k;
    levels.push(spreadOrder(2 ** (k - 1)).map((i) => (2 * i + 1) * h));
  }
  const trapezoid = rule === 'trapezoid';
  const column = (w: number[]) => w.map((x) => [x]);
  return {
    rule,
    levels,
    channels: (m) => [ones(levels[m].length)],
    weights: (k) => column(trapezoid ? trapezoidWeights(checked(k, 0)) : rombergRow(checked(k, 0))[k]),
    companionWeights: (k) =>
      column(trapezoid ? [...trapezoidWeights(checked(k, 1) - 1), 0] : rombergRow(checked(k, 1))[k - 1]),
    evaluations,
  };
}

/** k itself, if it is a level from `min` to `depth`; else an error. */
function levelCheck(depth: number): (k: number, min: number) => number {
  return (k, min) => {
    if (!(Number.isInteger(k) && k >= min && k <= depth)) throw new Error(`level ${k} is outside ${min}..${depth}`);
    return k;
  };
}

function ones(n: number): number[] {
  return new Array<number>(n).fill(1);
}

/** Weights that pick channel k − m of every level m ≤ k up to `upTo`, 0 for the rest: one level's estimate of a rule kept per level. */
function pick(k: number, upTo: number, channelsOf: (m: number) => number): number[][] {
  return Array.from({ length: k + 1 }, (_, m) => {
    const w = new Array<number>(channelsOf(m)).fill(0);
    if (m <= upTo) w[upTo - m] = 1;
    return w;
  });
}

/**
 * Clenshaw–Curtis on 2^k intervals at level k. Level 0 is j = 0, 1 of n = 1 (the ends),
 * level 1 the centre, level k ≥ 2 the odd j of n = 2^k in mirrored pairs (j, n − j),
 * which share their weight at every level. Channel t − m of level m holds the level-t
 * weights of its points, for every t up to CC_DEPTH, so any later level's estimate is
 * one channel of each level.
 */
function clenshawCurtisPlan(depth: number, checked: (k: number, min: number) => number, evaluations: (k: number) => number): QuadraturePlan {
  const indices: number[][] = [[0, 1], [1]];
  for (let m = 2; m <= CC_DEPTH; m++) {
    const n = 2 ** m;
    indices.push(spreadOrder(n / 4).flatMap((i) => [2 * i + 1, n - 2 * i - 1]));
  }
  const levels = indices.slice(0, depth + 1).map((js, m) => js.map((j) => chebyshevPoint(j, 2 ** m)));
  const channels = indices.map((js, m) =>
    Array.from({ length: CC_DEPTH - m + 1 }, (_, c) => {
      const w = clenshawCurtisWeights(2 ** (m + c));
      return js.map((j) => w[j * 2 ** c]);
    }),
  );
  return reweightedPlan('clenshaw-curtis', levels, channels, checked, evaluations);
}

/**
 * Gauss–Patterson through level `depth` (2^(depth+1) − 1 points). Level k ≥ 1 adds 2^k
 * points in mirrored pairs, spread like Clenshaw–Curtis's; as there, a point's weight
 * changes with the level, so channel t − m of level m holds its weights in the level-t
 * rule for every t the family reaches.
 */
function pattersonPlan(depth: number): QuadraturePlan {
  const family = pattersonFamily();
  const order = family.added.map((level) => (level.length === 1 ? [0] : spreadOrder(level.length / 2).flatMap((i) => [2 * i, 2 * i + 1])));
  const levels = order.slice(0, depth + 1).map((idx, m) => idx.map((i) => family.added[m][i]));
  const channels = order.map((idx, m) =>
    Array.from({ length: PATTERSON_LEVELS - m }, (_, c) => idx.map((i) => family.weights[m + c][m][i])),
  );
  const checked = levelCheck(depth);
  return reweightedPlan('gauss-patterson', levels, channels, checked, (k) => pattersonPoints(checked(k, 0)));
}

/**
 * A plan whose points change weight from level to level (Clenshaw–Curtis,
 * Gauss–Patterson): channel t − m of level m holds the level-t weights of its points,
 * so the estimate after level k, and its companion after level k − 1, take one channel
 * of each level.
 */
function reweightedPlan(
  rule: ConcreteRule,
  levels: number[][],
  channels: number[][][],
  checked: (k: number, min: number) => number,
  evaluations: (k: number) => number,
): QuadraturePlan {
  const channelsOf = (m: number) => channels[m].length;
  return {
    rule,
    levels,
    channels: (m) => channels[checked(m, 0)],
    weights: (k) => pick(checked(k, 0), k, channelsOf),
    companionWeights: (k) => pick(checked(k, 1), k - 1, channelsOf),
    evaluations,
  };
}

/** x_j = (1 − cos(jπ/n))/2, written as sin² so points near 0 keep their relative precision. */
export function chebyshevPoint(j: number, n: number): number {
  return j === n ? 1 : Math.sin((j * Math.PI) / (2 * n)) ** 2;
}

const ccWeightCache = new Map<number, Float64Array>();

/**
 * Clenshaw–Curtis weights for n intervals on [0, 1], w_j at chebyshevPoint(j, n): the
 * integral of the polynomial interpolating the n + 1 points, from its cosine series,
 * w_j = (c_j / 2n)(1 − Σ_{k=1}^{⌊n/2⌋} b_k cos(2kjπ/n) / (4k² − 1)), with c_j = 1 at the
 * ends and 2 inside, b_k = 1 for k = n/2 and 2 otherwise. Every term is bounded and the
 * series decays as 1/k², so summing it directly is stable; O(n²) once per n.
 */
export function clenshawCurtisWeights(n: number): Float64Array {
  let w = ccWeightCache.get(n);
  if (w) return w;
  w = new Float64Array(n + 1);
  for (let j = 0; j <= n; j++) {
    let s = 1;
    for (let k = 1; 2 * k <= n; k++) s -= ((2 * k === n ? 1 : 2) * Math.cos((2 * Math.PI * k * j) / n)) / (4 * k * k - 1);
    w[j] = ((j === 0 || j === n ? 1 : 2) / (2 * n)) * s;
  }
  ccWeightCache.set(n, w);
  return w;
}

/**
 * Nested midpoint on 3^depth points: level k is the midpoint rule on 3^k cells; the
 * cells' centres include the last level's (cell i of level k − 1 is the middle third,
 * 3i + 1, of its split), so level k adds the other 2 · 3^(k−1). Every point of the
 * level-k estimate weighs 3^−k: one channel per level.
 */
function triplingPlan(points: number): QuadraturePlan {
  const depth = Math.round(Math.log(points) / Math.log(3));
  const levels: number[][] = [[0.5]];
  for (let k = 1; k <= depth; k++) {
    const cells = 3 ** k;
    const added = Array.from({ length: cells }, (_, i) => i).filter((i) => i % 3 !== 1);
    levels.push(spreadOrder(added.length).map((i) => (added[i] + 0.5) / cells));
  }
  const checked = levelCheck(depth);
  const uniform = (k: number, upTo: number) => Array.from({ length: k + 1 }, (_, m) => [m <= upTo ? 3 ** -upTo : 0]);
  return {
    rule: 'nested-midpoint',
    levels,
    channels: (m) => [ones(levels[m].length)],
    weights: (k) => uniform(checked(k, 0), k),
    companionWeights: (k) => uniform(checked(k, 1), k - 1),
    evaluations: (k) => 3 ** k,
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
