/**
 * How far an attribution is from its integral, from what a run has anyway
 * (docs/method.md, "Discretisation"): the completeness residual of each text, and, for
 * nested rules, how far the estimate moved from the lower-order companion estimate on
 * the same points. Plain JS on small arrays.
 */
import { relativeDifference } from '../shared/vector.ts';
import type { SideValues } from './pairing.ts';
import type { ConcreteRule } from './parameters.ts';
import { isNested, type NestedRule } from './quadrature.ts';

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
 * How each nested rule's error follows from its level change: the level term is
 * change^power / divisor. Trapezoid and Romberg: Richardson's factor, a trapezoid
 * level's error is about a third of its change from the level before on a smooth
 * integrand. Nested midpoint: a third too; measured, the change was 8× the error on
 * smooth integrands (a second-order rule on tripled points: 9 − 1) and 1.5–7× on
 * kinked ones. Clenshaw–Curtis: the square of the change, since on a smooth integrand
 * each level about squares the last one's error (the change is the last level's error);
 * measured, the change was 6–1,700× the error wherever the error was above float32's
 * floor. Gauss–Patterson: the same, for the same reason; measured, the estimate was
 * 0.63–8.7× the true error, within 3× at 81% of levels. `npm run bench:convergence`
 * (README, "Quadrature, and the error estimate").
 */
export const LEVEL_CHANGE_CALIBRATION: Readonly<Record<NestedRule, { power: number; divisor: number }>> = {
  trapezoid: { power: 1, divisor: 3 },
  romberg: { power: 1, divisor: 3 },
  'nested-midpoint': { power: 1, divisor: 3 },
  'clenshaw-curtis': { power: 2, divisor: 1 },
  'gauss-patterson': { power: 2, divisor: 1 },
};

/** The calibration of `rule`'s level term; null for fixed rules (they have no level change). */
export function levelCalibration(rule: ConcreteRule): { power: number; divisor: number } | null {
  return isNested(rule) ? LEVEL_CHANGE_CALIBRATION[rule] : null;
}

/** The error estimate's level term for `rule`: change^power / divisor (0 for fixed rules). */
export function levelTerm(rule: ConcreteRule, change: number | null): number {
  const calibration = levelCalibration(rule);
  if (change === null || !calibration) return 0;
  return change ** calibration.power / calibration.divisor;
}

/**
 * The estimate of ‖A − A_exact‖ / ‖A_exact‖: the larger of the level term (nested rules:
 * levelTerm) and the mean of the two texts' completeness residuals. Either term alone
 * can be fooled: the level change by levels that happen to agree (Romberg's companion
 * on a kinked integrand does), the residual by errors that cancel in the sum over
 * tokens. Calibrated by `npm run bench:convergence` (README, "Quadrature, and the
 * error estimate").
 */
export function errorEstimate(rule: ConcreteRule, change: number | null, residuals: readonly [number, number]): number {
  return Math.max(levelTerm(rule, change), (residuals[0] + residuals[1]) / 2);
}
