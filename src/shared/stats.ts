/**
 * Agreement between two lists of numbers (similarities, attribution matrices): linear
 * and rank correlation, absolute and squared differences.
 */

/** Ranks from 1, ties sharing their mean rank (as Spearman's ρ needs). */
export function ranks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((i, j) => values[i] - values[j]);
  const out = new Float64Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const mean = (start + end + 1) / 2; // ranks start+1 .. end
    for (let k = start; k < end; k++) out[order[k]] = mean;
    start = end;
  }
  return out;
}

/**
 * Pearson correlation (1 when one list is a positive multiple of the other). NaN where
 * it is undefined: fewer than two values, or a list without variance.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`pearson needs two lists of the same length, got ${a.length} and ${b.length}`);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= a.length;
  mb /= b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) throw new Error('meanAbsDiff needs two lists of the same length ≥ 1');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** Mean (a − b)²: the distillation loss, from similarities already computed. */
export function meanSquaredDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) throw new Error('meanSquaredDiff needs two lists of the same length ≥ 1');
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export interface Agreement {
  pairs: number;
  spearman: number;
  pearson: number;
  meanAbsDiff: number;
  maxAbsDiff: number;
}

/** How closely `candidate` similarities follow `reference` ones, over the same pairs. */
export function agreement(reference: ArrayLike<number>, candidate: ArrayLike<number>): Agreement {
  return {
    pairs: reference.length,
    spearman: spearman(reference, candidate),
    pearson: pearson(reference, candidate),
    meanAbsDiff: meanAbsDiff(reference, candidate),
    maxAbsDiff: maxAbsDiff(reference, candidate),
  };
}
