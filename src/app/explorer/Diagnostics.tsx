import { exactModelLabel as explainedModel, referenceLabel, statusDescription } from '../../shared/report.ts';
import { AUTO_RULE, type ConcreteRule } from '../../attribution/parameters.ts';
import { levelCalibration } from '../../attribution/convergence.ts';
import type { AttributionResult } from '../../worker/protocol.ts';
import { toleranceLabel } from './Controls.tsx';
import { formatError } from './Convergence.tsx';

const fmt = (v: number) => (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4));

/** What the error estimate is for `rule` (its level term as convergence.ts calibrates it), in one sentence. */
export function errorEstimateExplained(rule: ConcreteRule): string {
  const calibration = levelCalibration(rule);
  const levelPart = !calibration
    ? ''
    : calibration.power === 2
      ? 'the square of the change from the previous level (each level about squares the error) and '
      : `${calibration.divisor === 3 ? 'a third of' : `1/${calibration.divisor} of`} the change from the lower-order estimate on the same points and `;
  return `Estimated relative error of the matrix, ‖ΔA‖/‖A‖: the larger of ${levelPart}the mean completeness residual of the two texts (calibrated by npm run bench:convergence against finer reference runs).`;
}

/** "clenshaw-curtis (auto: smooth model)", "nested-midpoint (auto: model with kinks)", or the rule asked for. */
export function ruleDescription(result: Pick<AttributionResult, 'rule' | 'ruleRequested'>): string {
  if (result.ruleRequested !== 'auto') return result.rule;
  const why = result.rule === AUTO_RULE.smooth ? 'smooth model' : result.rule === AUTO_RULE.kinked ? 'model with kinks' : 'auto';
  return `${result.rule} (auto: ${why})`;
}

export function Diagnostics({ result, backend }: { result: AttributionResult; backend: string }) {
  const exact = result.mode === 'exact';
  const auto = result.steps === 'auto';
  const rows: Array<[string, string, string]> = [
    ['Prediction', fmt(result.prediction), 'similarity of the unmodified model'],
    ['Shifted prediction', fmt(result.shiftedPrediction), exact ? `similarity of ${explainedModel(result)}` : 'similarity of this model shifted so the reference maps to zero (not fine-tuned)'],
    ['Σ A', fmt(result.sum), 'sum of all cells of the matrix'],
    ['a·R(b)', fmt(result.referenceTerms.aRb), 'reference term: text A against the reference of B'],
    ['R(a)·b', fmt(result.referenceTerms.rAb), 'reference term: the reference of A against text B'],
    ['R(a)·R(b)', fmt(result.referenceTerms.rArB), 'reference term: the two references'],
    ['Target', fmt(result.target), exact ? 'the shifted prediction' : 'prediction − a·R(b) − R(a)·b + R(a)·R(b)'],
    ['Integration error', fmt(result.integrationError), 'Σ A − target; shrinks as the quadrature is refined'],
    ['Rule', ruleDescription(result), 'the quadrature rule along the path'],
    [
      'Evaluations',
      `${result.evaluations} per text`,
      `integrand points per text behind these numbers (steps ${result.steps === 'auto' ? 'auto' : result.steps}, level ${result.level})`,
    ],
    [
      'Error estimate',
      formatError(result.errorEstimate) + (auto && result.tolerance !== null ? ` (tolerance ${toleranceLabel(result.tolerance)})` : ''),
      errorEstimateExplained(result.rule),
    ],
    [
      'Level change',
      result.levelChange === null ? '—' : formatError(result.levelChange),
      "‖A − A′‖ / ‖A‖ against the rule's lower-order estimate on the same points (nested rules)",
    ],
    [
      'Completeness residual',
      `A ${formatError(result.completeness.a)} · B ${formatError(result.completeness.b)}`,
      'per text: ‖Σᵢ P[:, i] − (f(x) − f(r))‖ / ‖f(x) − f(r)‖, 0 for the exact integral',
    ],
    ['Status', statusDescription(result), 'partial results are complete quadrature levels; the last one is final'],
    ['Reference', referenceLabel(result.reference), 'the neutral input the path starts from'],
    ['Backend', backend, 'the TF.js backend that computed this'],
  ];
  return (
    <section className="diagnostics" aria-labelledby="diagnostics-title">
      <h2 id="diagnostics-title">
        Diagnostics{' '}
        {!result.final && (
          <span className="badge partial" title="A complete quadrature level; the run goes on">
            partial
          </span>
        )}
      </h2>
      <p>
        Explaining <strong data-testid="explained-model">{explainedModel(result)}</strong>
      </p>
      <table>
        <tbody>
          {rows.map(([name, value, title]) => (
            <tr key={name} title={title}>
              <th scope="row">{name}</th>
              <td data-testid={`diag-${name}`}>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Error estimate: {errorEstimateExplained(result.rule)}</p>
      <p className="muted">
        {exact
          ? 'Exact: a model shifted so the reference input maps to zero (and, where the model has an exact variant, fine-tuned to keep the original\'s similarities); the cells sum to its similarity, up to the integration error.'
          : 'Approximate: the unmodified model; the cells sum to its similarity minus the reference terms, so they explain most, not all, of the score.'}
      </p>
    </section>
  );
}
