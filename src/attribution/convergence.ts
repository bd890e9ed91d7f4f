/**
 * How far an attribution is from its integral, from what a run has anyway
 * (docs/method.md, "Discretisation"): the completeness residual of each text, and, for
 * nested rules, how far the estimate moved from the lower-order companion estimate on
 * the same points. Plain JS on small arrays.
 */
import { relativeDifference } from '../shared/vector.ts';
import type { SideValues } from './pairing.ts';

/**
 * ‖Σ_i P[:, i] − (f(x) − f(r))‖ / ‖f(x) − f(r)‖: the integral satisfies completeness
 * exactly, a quadrature estimate only up to its error. 0 where f(x) = f(r).
 */
export function completenessResidual(side: SideValues): number {
  const d = side.embedding.length;
  let num = 0;
  let den = 0;
  for (let k = 0; k < d; k++) {
    let column = 0;
    for (let i = 0; i < side.tokens; i++) column += side.pt[i * d + k];
    const target = side.embedding[k] - side.referenceEmbedding[k];
    num += (column - target) ** 2;
    den += target ** 2;
  }
  return den > 0 ? Math.sqrt(num / den) : 0;
}

/**
 * ‖A − A'‖ / ‖A‖ between the estimate A and its companion A': 0 when both are zero,
 * Infinity when only A is (nothing converged there).
 */
export function levelChange(matrix: Float32Array, companion: Float32Array): number {
  const change = relativeDifference(companion, matrix);
  return Number.isNaN(change) ? 0 : change;
}

/**
 * The estimate of ‖A − A_exact‖ / ‖A_exact‖: the larger of a third of the level change
 * (nested rules; Richardson's factor: a trapezoid level's error is about a third of
 * its change from the level before on a smooth integrand) and the mean of the two
 * texts' completeness residuals. Either term alone can be fooled: the level change by
 * levels that happen to agree (Romberg's companion on a kinked integrand does), the
 * residual by errors that cancel in the sum over tokens. Calibrated by `npm run
 * bench:convergence` (README, "How far to trust the numbers"): over 576 levels of
 * 36 pair-layers on six models the estimate was 0.55–28× the true error, within 3× in
 * 81%, and never below a third of it.
 */
export function errorEstimate(change: number | null, residuals: readonly [number, number]): number {
  return Math.max((change ?? 0) / 3, (residuals[0] + residuals[1]) / 2);
}
