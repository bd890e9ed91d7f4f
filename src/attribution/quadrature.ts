/**
 * Quadrature points for the path integral (docs/method.md, "Discretisation" and
 * "Computing incrementally"): the rule fixes the set of α, the order spreads every
 * prefix over [0, 1] so a running mean is a usable estimate after any chunk.
 */

import { isPowerOfTwo, type QuadratureRule } from './parameters.ts';

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

/** The rule's n points α_k in spread order: midpoint (k − ½)/n, right Riemann k/n. */
export function quadraturePoints(n: number, rule: QuadratureRule): number[] {
  const offset = rule === 'midpoint' ? 0.5 : 1;
  return spreadOrder(n).map((j) => (j + offset) / n);
}
