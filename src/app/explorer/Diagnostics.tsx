import { exactModelLabel as explainedModel } from '../../shared/report.ts';
import type { AttributionResult } from '../../worker/protocol.ts';

const fmt = (v: number) => (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4));


export function Diagnostics({ result }: { result: AttributionResult }) {
  const exact = result.mode === 'exact';
  const rows: Array<[string, number, string]> = [
    ['Prediction', result.prediction, 'similarity of the unmodified model'],
    ['Shifted prediction', result.shiftedPrediction, exact ? `similarity of ${explainedModel(result)}` : 'similarity of this model shifted so the reference maps to zero (not fine-tuned)'],
    ['Σ A', result.sum, 'sum of all cells of the matrix'],
    ['a·R(b)', result.referenceTerms.aRb, 'reference term: text A against the reference of B'],
    ['R(a)·b', result.referenceTerms.rAb, 'reference term: the reference of A against text B'],
    ['R(a)·R(b)', result.referenceTerms.rArB, 'reference term: the two references'],
    ['Target', result.target, exact ? 'the shifted prediction' : 'prediction − a·R(b) − R(a)·b + R(a)·R(b)'],
    ['Integration error', result.integrationError, 'Σ A − target; shrinks as steps grow'],
  ];
  return (
    <section className="diagnostics" aria-labelledby="diagnostics-title">
      <h2 id="diagnostics-title">Diagnostics</h2>
      <p>
        Explaining <strong data-testid="explained-model">{explainedModel(result)}</strong>
      </p>
      <table>
        <tbody>
          {rows.map(([name, value, title]) => (
            <tr key={name} title={title}>
              <th scope="row">{name}</th>
              <td data-testid={`diag-${name}`}>{fmt(value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">
        {exact
          ? 'Exact: a model shifted so the reference input maps to zero (and, where the model has an exact variant, fine-tuned to keep the original\'s similarities); the cells sum to its similarity, up to the integration error.'
          : 'Approximate: the unmodified model; the cells sum to its similarity minus the reference terms, so they explain most, not all, of the score.'}
      </p>
    </section>
  );
}
