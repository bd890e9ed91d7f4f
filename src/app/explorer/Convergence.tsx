import type { ConvergencePoint } from '../use-attribution.ts';

interface Props {
  stepsDone: number;
  steps: number;
  error: number | null;
  points: ConvergencePoint[];
  running: boolean;
  onCancel: () => void;
}

/** Progress of the integration and a small chart of |error| against steps (log scale). */
export function Convergence({ stepsDone, steps, error, points, running, onCancel }: Props) {
  const width = 180;
  const height = 48;
  const finite = points.filter((p) => Number.isFinite(p.error) && p.error !== 0);
  const logs = finite.map((p) => Math.log10(Math.abs(p.error)));
  const lo = Math.min(...logs, -4);
  const hi = Math.max(...logs, -1);
  const x = (s: number) => (steps > 1 ? (width * Math.log2(Math.max(s, 1))) / Math.log2(steps) : width);
  const y = (l: number) => height - ((l - lo) / (hi - lo || 1)) * height;
  const path = finite.map((p, i) => `${i ? 'L' : 'M'}${x(p.steps).toFixed(1)},${y(logs[i]).toFixed(1)}`).join(' ');
  return (
    <section className="convergence" aria-label="Convergence">
      <progress aria-label="Attribution progress" max={steps} value={stepsDone} />
      <span>
        {stepsDone} of {steps} steps
        {error !== null && ` · integration error ${error.toExponential(2)}`}
      </span>
      <svg width={width} height={height} role="img" aria-label="Integration error chart">
        <path d={path} fill="none" stroke="currentColor" strokeWidth={1.5} />
      </svg>
      <button type="button" onClick={onCancel} disabled={!running}>
        Cancel
      </button>
    </section>
  );
}
