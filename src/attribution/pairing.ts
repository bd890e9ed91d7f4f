/**
 * From two texts' P (and their embeddings) to the pair's attribution matrix and the
 * terms of the sum rule (docs/method.md, "The attribution matrix", "Sum rule", "Exact and
 * approximate"). Plain JS on small arrays: P has left TF.js by now.
 */

import { cosine, dot } from '../shared/vector.ts';
import type { PairMode, Similarity } from './parameters.ts';

/** One text's share of a pair: Pᵀ as [S, D] row-major (row i = P[:, i]), f(x), f(r). */
export interface SideValues {
  pt: Float32Array;
  tokens: number;
  embedding: Float32Array;
  referenceEmbedding: Float32Array;
}

export interface ReferenceTerms {
  aRb: number;
  rAb: number;
  rArB: number;
}

export interface PairValues {
  matrix: Float32Array; // row-major S_a × S_b
  sum: number;
  prediction: number;
  shiftedPrediction: number;
  referenceTerms: ReferenceTerms;
  target: number;
  integrationError: number;
}

function difference(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] - b[i];
  return out;
}

/** s(u, v) = u·v / scale, with scale = ‖u‖‖v‖ for cosine and 1 for dot. */
function scaleFor(sim: Similarity, u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (sim === 'dot') return 1;
  const norms = Math.sqrt(dot(u, u) * dot(v, v));
  return norms > 0 ? norms : 1;
}

/** s(u, v): the cosine, or the dot product. */
export function similarity(u: ArrayLike<number>, v: ArrayLike<number>, sim: Similarity): number {
  return sim === 'dot' ? dot(u, v) : cosine(u, v);
}

/** A = P_aᵀ P_b / scale, accumulated in double precision. */
export function pairMatrix(a: SideValues, b: SideValues, scale: number): { matrix: Float32Array; sum: number } {
  const d = a.embedding.length;
  const matrix = new Float32Array(a.tokens * b.tokens);
  let sum = 0;
  for (let i = 0; i < a.tokens; i++) {
    const rowA = a.pt.subarray(i * d, (i + 1) * d);
    for (let j = 0; j < b.tokens; j++) {
      const v = dot(rowA, b.pt.subarray(j * d, (j + 1) * d)) / scale;
      matrix[i * b.tokens + j] = v;
      sum += v;
    }
  }
  return { matrix, sum };
}

export function pairValues(a: SideValues, b: SideValues, mode: PairMode, sim: Similarity): PairValues {
  const ea = a.embedding;
  const eb = b.embedding;
  const shiftedA = difference(ea, a.referenceEmbedding);
  const shiftedB = difference(eb, b.referenceEmbedding);
  const prediction = dot(ea, eb) / scaleFor(sim, ea, eb);
  const shiftedPrediction = dot(shiftedA, shiftedB) / scaleFor(sim, shiftedA, shiftedB);

  // Approximate: the unmodified model, so A and the reference terms share ‖e_a‖‖e_b‖.
  // Exact: the shifted model ẽ = f − f(r), whose reference maps to 0.
  const scale = mode === 'approx' ? scaleFor(sim, ea, eb) : scaleFor(sim, shiftedA, shiftedB);
  const referenceTerms: ReferenceTerms =
    mode === 'approx'
      ? {
          aRb: dot(ea, b.referenceEmbedding) / scale,
          rAb: dot(a.referenceEmbedding, eb) / scale,
          rArB: dot(a.referenceEmbedding, b.referenceEmbedding) / scale,
        }
      : { aRb: 0, rAb: 0, rArB: 0 };
  const target =
    mode === 'approx'
      ? prediction - referenceTerms.aRb - referenceTerms.rAb + referenceTerms.rArB
      : shiftedPrediction;
  const { matrix, sum } = pairMatrix(a, b, scale);
  return { matrix, sum, prediction, shiftedPrediction, referenceTerms, target, integrationError: sum - target };
}
