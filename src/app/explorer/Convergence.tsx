import type { AttributionProgress, AttributionResult } from '../../worker/protocol.ts';
import { isNestedRule, plannedPoints } from '../../attribution/parameters.ts';
import { resultStatus } from '../../shared/report.ts';
import type { ViewState } from '../url-state.ts';
import { toleranceLabel } from './Controls.tsx';
import type { ConvergencePoint } from '../use-attribution.ts';

interface Props {
  /** The settings asked for: how far the run goes. */
  settings: Pick<ViewState, 'steps' | 'rule' | 'tol'>;
  /** The newest complete level, or null. */
  result: AttributionResult | null;
  /** Points done in the level under way. */
  progress: AttributionProgress | null;
  points: ConvergencePoint[];
  running: boolean;
  onCancel: () => void;
}

export const formatError = (v: number) => (v === 0 ? '0' : v.toExponential(1));

/**
 * Progress of the integration (points per text, level by level), whether the shown
 * result is partial or final, and a small log–log chart of the error estimate and
 * |integration error| against evaluations per text, one point per level.
 */
export function Convergence({ settings, result, progress, points, running, onCancel }: Props) {
  const auto = settings.steps === 'auto';
  const planned = plannedPoints(settings.steps, settings.rule);
  const fixedRule = !isNestedRule(settings.rule);
  const done = Math.max(progress?.stepsDone ?? 0, result?.evaluations ?? 0);
  const level = Math.max(progress?.level ?? 0, result?.level ?? 0);
  // A finished auto run stops at its last level; until then the bar fills level by level.
  const max = result?.final ? result.evaluations : (planned ?? progress?.levelEvaluations ?? result?.evaluations ?? 1);
  const value = result?.final ? max : Math.min(done, max);

  let text: string;
  if (fixedRule) text = `${value} of ${max} steps`;
  else text = `level ${level}: ${value} of ${max} points`;
  if (result) {
    text += ` · error estimate ${formatError(result.errorEstimate)}`;
    if (auto) text += ` (tolerance ${toleranceLabel(settings.tol)})`;
    text += ` · integration error ${result.integrationError.toExponential(2)}`;
  }

  return (
    <section className="convergence" aria-label="Convergence">
      <progress aria-label="Attribution progress" max={max} value={value} />
      <span data-testid="attribution-progress-text">{text}</span>
      {result ? (
        <span
          className={result.final ? 'badge final' : 'badge partial'}
          data-testid="attribution-status"
          data-final={String(result.final)}
          title={
            result.final
              ? 'The run has ended with this estimate.'
              : 'A complete quadrature level: a proper estimate, refined while the run goes on.'
          }
        >
          {resultStatus(result)}
        </span>
      ) : running ? (
        <span className="badge" data-testid="attribution-status" data-final="false">
          computing
        </span>
      ) : null}
      <button type="button" onClick={onCancel} disabled={!running}>
        Cancel
      </button>
      <ConvergenceChart points={points} tolerance={auto ? settings.tol : null} planned={planned} />
    </section>
  );
}

function ConvergenceChart({ points, tolerance, planned }: { points: ConvergencePoint[]; tolerance: number | null; planned: number | undefined }) {
  const width = 180;
  const height = 48;
  const pad = 3;
  const usable = (v: number) => Number.isFinite(v) && v !== 0;
  const estimates = points.filter((p) => usable(p.errorEstimate));
  const integration = points.filter((p) => usable(p.integrationError));
  const logs = [...estimates.map((p) => Math.log10(p.errorEstimate)), ...integration.map((p) => Math.log10(Math.abs(p.integrationError)))];
  const tolLog = tolerance !== null ? Math.log10(tolerance) : null;
  const lo = Math.min(...logs, tolLog ?? 0, -4);
  const hi = Math.max(...logs, tolLog ?? -1, -1);
  const xMax = Math.log2(Math.max(planned ?? 0, 9, ...points.map((p) => p.evaluations)));
  const x = (evaluations: number) => pad + ((width - 2 * pad) * (Math.log2(Math.max(evaluations, 2)) - 1)) / (xMax - 1 || 1);
  const y = (l: number) => pad + (height - 2 * pad) * (1 - (l - lo) / (hi - lo || 1));
  const line = (ps: ConvergencePoint[], value: (p: ConvergencePoint) => number) =>
    ps.map((p, i) => `${i ? 'L' : 'M'}${x(p.evaluations).toFixed(1)},${y(Math.log10(Math.abs(value(p)))).toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  const label = last
    ? `Convergence chart: error estimate ${formatError(last.errorEstimate)} at ${last.evaluations} evaluations per text (level ${last.level})`
    : 'Convergence chart: no level complete yet';
  return (
    <figure className="convergence-chart">
      <svg width={width} height={height} role="img" aria-label={label}>
        {tolLog !== null && (
          <line x1={0} x2={width} y1={y(tolLog)} y2={y(tolLog)} stroke="#999" strokeDasharray="2 3" strokeWidth={1}>
            <title>tolerance {toleranceLabel(tolerance!)}</title>
          </line>
        )}
        <path d={line(integration, (p) => p.integrationError)} fill="none" stroke="#b2182b" strokeDasharray="4 2" strokeWidth={1.2} />
        <path d={line(estimates, (p) => p.errorEstimate)} fill="none" stroke="currentColor" strokeWidth={1.5} />
        {estimates.map((p) => (
          <circle key={p.evaluations} cx={x(p.evaluations)} cy={y(Math.log10(p.errorEstimate))} r={2} fill="currentColor">
            <title>
              level {p.level}, {p.evaluations} evaluations: error estimate {formatError(p.errorEstimate)}, integration error{' '}
              {p.integrationError.toExponential(2)}
            </title>
          </circle>
        ))}
      </svg>
      <figcaption className="muted">
        Per level: error estimate (solid), |integration error| (dashed){tolerance !== null ? ', tolerance (dotted)' : ''}, against
        evaluations per text; log scales.
      </figcaption>
    </figure>
  );
}
