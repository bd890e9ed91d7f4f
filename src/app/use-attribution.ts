/**
 * Runs attributions in the worker for the current view: debounced while the user
 * types, the previous job cancelled whenever the inputs change, and nothing shown for
 * inputs that have changed. Results come after complete quadrature levels (each a
 * proper rule, result.final false until the last): the heatmap and diagnostics change
 * only with them, at most ~10 times a second; between them 'attribution-progress'
 * moves the progress bar. Every level's error is recorded for the convergence chart.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AttributionProgress, AttributionRequest, AttributionResult } from '../worker/protocol.ts';
import type { ModelWorkerClient } from './worker-client.ts';

export const DEBOUNCE_MS = 300;
const REDRAW_INTERVAL_MS = 100;

/** One quadrature level's estimate. */
export interface ConvergencePoint {
  level: number;
  /** Integrand points per text behind it. */
  evaluations: number;
  /** Estimated relative error of the matrix. */
  errorEstimate: number;
  /** Σ A − target. */
  integrationError: number;
}

export interface AttributionState {
  /** The request the shown result belongs to, and its requestKey. */
  request: AttributionRequest | null;
  key: string;
  /** The newest complete level (result.final tells whether the run has ended with it). */
  result: AttributionResult | null;
  /** Points done in the level under way; null before the first report (or when all came from the cache). */
  progress: AttributionProgress | null;
  running: boolean;
  cancelled: boolean;
  error: string | null;
  convergence: ConvergencePoint[];
}

const IDLE: AttributionState = {
  request: null,
  key: '',
  result: null,
  progress: null,
  running: false,
  cancelled: false,
  error: null,
  convergence: [],
};

/**
 * What a result depends on: every field of the request (written whole, so a field
 * added to requests can never be left out), and `context`, the models behind it (the
 * served model and its exact variant), which can change while the request stays.
 */
export function requestKey(request: AttributionRequest | null, context = ''): string {
  return request ? JSON.stringify([context, sortedFields(request)]) : '';
}

/** The object's fields in name order, undefined ones left out: equal requests give equal keys however they were built. */
export function sortedFields(object: object): Array<[string, unknown]> {
  return Object.entries(object)
    .filter(([, value]) => value !== undefined)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

export function convergencePoint(result: AttributionResult): ConvergencePoint {
  return { level: result.level, evaluations: result.evaluations, errorEstimate: result.errorEstimate, integrationError: result.integrationError };
}

/** `points` with `point` added, replacing any of the same or more evaluations (levels only grow within a run). */
function withPoint(points: ConvergencePoint[], point: ConvergencePoint): ConvergencePoint[] {
  return [...points.filter((p) => p.evaluations < point.evaluations), point];
}

export function useAttribution(client: ModelWorkerClient, request: AttributionRequest | null, context: string) {
  const [state, setState] = useState<AttributionState>(IDLE);
  const job = useRef<{ id: number; key: string } | null>(null);
  const pendingPartial = useRef<AttributionResult | null>(null);
  const lastDraw = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastTexts = useRef<string>('');

  const flushPartial = useCallback(() => {
    timer.current = null;
    const partial = pendingPartial.current;
    const current = job.current;
    pendingPartial.current = null;
    if (!partial || !current) return;
    lastDraw.current = performance.now();
    setState((s) => ({ ...s, result: partial }));
  }, []);

  useEffect(() => {
    return client.subscribe((event) => {
      const current = job.current;
      if (!current || !('jobId' in event) || event.jobId !== current.id) return; // stale or unrelated
      if (event.type === 'attribution') {
        const point = convergencePoint(event.result);
        if (event.final) {
          if (timer.current) clearTimeout(timer.current);
          timer.current = null;
          pendingPartial.current = null;
          job.current = null;
          const final = event.result;
          setState((s) => ({ ...s, result: final, running: false, convergence: withPoint(s.convergence, point) }));
        } else {
          // Every level goes into the chart; only the newest is drawn, now or when the interval has passed.
          setState((s) => ({ ...s, convergence: withPoint(s.convergence, point) }));
          pendingPartial.current = event.result;
          const wait = REDRAW_INTERVAL_MS - (performance.now() - lastDraw.current);
          if (wait <= 0) flushPartial();
          else if (!timer.current) timer.current = setTimeout(flushPartial, wait);
        }
      } else if (event.type === 'attribution-progress') {
        const progress = event.progress;
        setState((s) => ({ ...s, progress }));
      } else if (event.type === 'cancelled') {
        job.current = null;
        setState((s) => ({ ...s, running: false, cancelled: true }));
      } else if (event.type === 'error') {
        job.current = null;
        setState((s) => ({ ...s, running: false, error: event.message }));
      }
    });
  }, [client, flushPartial]);

  const key = requestKey(request, context);
  useEffect(() => {
    if (job.current) client.cancel(job.current.id);
    job.current = null;
    pendingPartial.current = null;
    if (!request) return;
    // Typing is debounced; a control change (same texts) starts at once, often from the cache.
    const texts = JSON.stringify([request.a, request.b]);
    const delay = texts === lastTexts.current ? 0 : DEBOUNCE_MS;
    lastTexts.current = texts;
    const start = setTimeout(() => {
      job.current = { id: client.attribute(request), key };
      lastDraw.current = 0;
      setState({ ...IDLE, request, key, running: true });
    }, delay);
    return () => clearTimeout(start);
    // The key captures every field of the request that matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, key]);

  const cancel = useCallback(() => {
    if (job.current) client.cancel(job.current.id);
  }, [client]);

  // Results are shown only for the request currently asked for.
  const matches = state.key === key;
  return { ...(matches ? state : { ...IDLE, running: state.running && matches }), cancel };
}
