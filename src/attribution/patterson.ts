/**
 * Gauss–Patterson points and weights, computed here rather than tabulated (docs/method.md,
 * "Discretisation"). The family starts from the 1-point Gauss rule and extends each rule
 * of n points by n + 1 new points placed so that the 2n + 1 points together integrate as
 * many polynomial degrees as possible: 1, 3, 7, 15, 31, 63 points, exact for degrees
 * 1, 5, 11, 23, 47, 95. Each rule keeps every point of the one before, so a run that
 * refines reuses all its evaluations, and for the same points it integrates about half
 * again as many degrees as Clenshaw–Curtis.
 *
 * Construction on [−1, 1]. Let π be the monic polynomial with the n old points as roots
 * and q the one with the n + 1 new points. The combined rule is exact to degree 3n + 1
 * exactly when π·q (degree 2n + 1) is orthogonal to every polynomial of degree ≤ n, that
 * is, when its Legendre series starts at degree n + 1. Since the points are symmetric
 * about 0, π·q is odd, so π·q = Σ d_k P_k over odd k from n + 2 to 2n + 1; fixing the top
 * coefficient, the other (n − 1)/2 follow from π·q vanishing at the positive old points.
 * The new points are the other roots: one in each gap between consecutive old points
 * (and the ends), found by bisection. Weights are those of the polynomial interpolating
 * all the points (moments of Legendre polynomials). Beyond 63 points this float64
 * construction loses the roots' signs, so the family stops there; the tests check each
 * rule's degree of exactness, which is what the construction promises.
 */

import { PATTERSON_MAX_LEVEL } from './parameters.ts';

/** Levels of the family: level k has 2^(k+1) − 1 points. */
export const PATTERSON_LEVELS = PATTERSON_MAX_LEVEL + 1;

/** Points of level k. */
export function pattersonPoints(k: number): number {
  return 2 ** (k + 1) - 1;
}

/** Degree of polynomials level k integrates exactly. */
export function pattersonDegree(k: number): number {
  return k === 0 ? 1 : 3 * 2 ** k - 1;
}

export interface PattersonFamily {
  /** The points each level adds on [0, 1]: level 0 is ½, level k ≥ 1 adds 2^k points in mirrored pairs (α, 1 − α). */
  readonly added: readonly (readonly number[])[];
  /** weights[k][m]: the level-k rule's weights on the points level m added (m ≤ k), in `added[m]` order. */
  readonly weights: readonly (readonly (readonly number[])[])[];
}

let family: PattersonFamily | undefined;

/** The whole family, computed once (a few tens of milliseconds). */
export function pattersonFamily(): PattersonFamily {
  if (family) return family;
  const added: number[][] = [[0]];
  const all: number[] = [0];
  for (let k = 1; k < PATTERSON_LEVELS; k++) {
    const positive = extension(all);
    added.push(positive.flatMap((x) => [x, -x]));
    all.push(...added[k]);
  }
  const weights = added.map((_, k) => {
    const points = added.slice(0, k + 1).flat();
    const w = interpolatoryWeights(points);
    let at = 0;
    return added.slice(0, k + 1).map((level) => level.map(() => w[at++] / 2));
  });
  family = { added: added.map((level) => level.map((x) => (1 + x) / 2)), weights };
  return family;
}

/** √((2j + 1)/2) P_j(x) for j = 0..n, Legendre polynomials normalised to unit norm on [−1, 1]. */
function legendre(n: number, x: number, out: Float64Array): Float64Array {
  let previous = 1;
  let current = x;
  out[0] = Math.SQRT1_2;
  if (n >= 1) out[1] = Math.sqrt(1.5) * x;
  for (let j = 1; j < n; j++) {
    const next = ((2 * j + 1) * x * current - j * previous) / (j + 1);
    previous = current;
    current = next;
    out[j + 1] = Math.sqrt((2 * j + 3) / 2) * next;
  }
  return out;
}

/**
 * The positive new points of the extension of the symmetric rule `old` (odd count n,
 * including 0), in increasing order.
 */
function extension(old: readonly number[]): number[] {
  const n = old.length;
  const positive = old.filter((x) => x > 0).sort((a, b) => a - b);
  const top = 2 * n + 1;
  const degrees: number[] = [];
  for (let k = n + 2; k < top; k += 2) degrees.push(k);
  const p = new Float64Array(top + 1);
  const rows = positive.map((x) => {
    legendre(top, x, p);
    return { row: degrees.map((k) => p[k]), rhs: -p[top] };
  });
  const d = solve(
    rows.map((r) => r.row),
    rows.map((r) => r.rhs),
  );
  const f = (x: number) => {
    legendre(top, x, p);
    return degrees.reduce((s, k, j) => s + d[j] * p[k], p[top]);
  };
  // π·q vanishes at both ends of each gap (except x = 1); its new root lies strictly inside.
  const ends = [0, ...positive, 1];
  const roots: number[] = [];
  for (let i = 0; i + 1 < ends.length; i++) {
    const inset = 1e-9 * (ends[i + 1] - ends[i]);
    let lo = ends[i] + inset;
    let hi = i + 2 === ends.length ? 1 : ends[i + 1] - inset;
    const signLo = Math.sign(f(lo));
    if (signLo === Math.sign(f(hi)) || signLo === 0) throw new Error(`Gauss–Patterson extension of ${n} points: no root in (${lo}, ${hi})`);
    while (hi - lo > 4 * Number.EPSILON * hi) {
      const mid = (lo + hi) / 2;
      if (Math.sign(f(mid)) === signLo) lo = mid;
      else hi = mid;
    }
    roots.push((lo + hi) / 2);
  }
  return roots;
}

/** Weights on [−1, 1] of the rule interpolating at `points`: Σ w_i p_j(x_i) = ∫ p_j for the first n normalised Legendre polynomials. */
function interpolatoryWeights(points: readonly number[]): number[] {
  const n = points.length;
  const p = new Float64Array(n);
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  points.forEach((x, i) => {
    legendre(n - 1, x, p);
    for (let j = 0; j < n; j++) matrix[j][i] = p[j];
  });
  const moments = new Array<number>(n).fill(0);
  moments[0] = Math.SQRT2; // ∫ 1/√2 dx over [−1, 1]
  return solve(matrix, moments);
}

/** x with a·x = b, by Gaussian elimination with partial pivoting (a is square, not modified). */
function solve(a: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    [m[c], m[pivot]] = [m[pivot], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}
