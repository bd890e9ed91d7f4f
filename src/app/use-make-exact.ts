/**
 * One "Make exact" run in the worker at a time: its phase and progress, the loss of
 * every training step (for the live curve), and how it ended.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { MakeExactSettings, VariantProgress, VariantRecord } from '../worker/protocol.ts';
import type { ModelWorkerClient } from './worker-client.ts';

export interface MakeExactState {
  running: boolean;
  progress: VariantProgress | null;
  /** The first progress of the current phase (its elapsedMs and step): what the time left is estimated from. */
  phaseStart: { ms: number; step: number };
  /** [step, loss] of every training step reported so far. */
  losses: Array<[number, number]>;
  done: VariantRecord | null;
  /** Why the last run stopped short (cancelled or failed), or a note about keeping its result. */
  message: string | null;
  cancelled: boolean;
}

const IDLE: MakeExactState = { running: false, progress: null, phaseStart: { ms: 0, step: 0 }, losses: [], done: null, message: null, cancelled: false };

/**
 * Milliseconds left in the current phase at the pace of its steps since its first
 * report (which may include one-off set-up work), or null before two more steps.
 */
export function phaseMsLeft(state: Pick<MakeExactState, 'progress' | 'phaseStart'>): number | null {
  const p = state.progress;
  const stepsTimed = p ? p.step - state.phaseStart.step : 0;
  if (!p || stepsTimed < 2 || p.step >= p.steps) return null;
  return ((p.elapsedMs - state.phaseStart.ms) / stepsTimed) * (p.steps - p.step);
}

export function useMakeExact(client: ModelWorkerClient) {
  const [state, setState] = useState<MakeExactState>(IDLE);
  const job = useRef<number | null>(null);

  useEffect(
    () =>
      client.subscribe((event) => {
        // A run belongs to its model and its worker: another model served, or a worker
        // restarted after losing the GPU, ends it (the worker cancels a run before switching).
        if (event.type === 'ready' || event.type === 'device-lost') {
          job.current = null;
          setState(IDLE);
          return;
        }
        if (!('jobId' in event) || event.jobId !== job.current) return;
        switch (event.type) {
          case 'exact-progress': {
            const p = event.progress;
            setState((s) => ({
              ...s,
              progress: p,
              phaseStart: s.progress?.phase === p.phase ? s.phaseStart : { ms: p.elapsedMs, step: p.step },
              losses: p.phase === 'training' && p.loss !== undefined ? [...s.losses, [p.step, p.loss]] : s.losses,
            }));
            break;
          }
          case 'exact-done':
            job.current = null;
            setState((s) => ({ ...s, running: false, done: event.record, message: event.note }));
            break;
          case 'exact-failed':
            job.current = null;
            setState((s) => ({ ...s, running: false, message: event.message, cancelled: event.cancelled }));
            break;
        }
      }),
    [client],
  );

  const start = useCallback(
    (settings: MakeExactSettings) => {
      if (job.current !== null) return;
      job.current = client.makeExact(settings);
      setState({ ...IDLE, running: true });
    },
    [client],
  );

  const cancel = useCallback(() => {
    if (job.current !== null) client.cancelExact(job.current);
  }, [client]);

  return { ...state, start, cancel };
}
