import { exactModelLabel as explainedModel, referenceLabel, statusDescription } from '../../shared/report.ts';
import type { AttributionResult } from '../../worker/protocol.ts';
import { toleranceLabel } from './Controls.tsx';
import { formatError } from './Convergence.tsx';

const fmt = (v: number) => (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4));

export const ERROR_ESTIMATE_EXPLAINED =
  'Estimated relative error of the matrix, ‖ΔA‖/‖A‖: the larger of a third of the change from the lower-order estimate on the same points and the mean completeness residual of the two texts (measured: within 3× of the true error at 83% of the levels checked, never below a third of it).';

/** "romberg (auto: smooth model)", "trapezoid (auto: model with kinks)", or the rule asked for. */
export function ruleDescription(result: Pick<AttributionResult, 'rule' | 'ruleRequested'>): string {
  if (result.ruleRequested !== 'auto') return result.rule;
  // auto takes Romberg where the path integrand is smooth, the trapezoid rule where it has kinks.
  const why = result.rule === 'romberg' ? 'smooth model' : result.rule === 'trapezoid' ? 'model with kinks' : 'auto';
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
      ERROR_ESTIMATE_EXPLAINED,
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
      <p className="muted">Error estimate: {ERROR_ESTIMATE_EXPLAINED}</p>
      <p className="muted">
        {exact
          ? 'Exact: a model shifted so the reference input maps to zero (and, where the model has an exact variant, fine-tuned to keep the original\'s similarities); the cells sum to its similarity, up to the integration error.'
          : 'Approximate: the unmodified model; the cells sum to its similarity minus the reference terms, so they explain most, not all, of the score.'}
      </p>
    </section>
  );
}
