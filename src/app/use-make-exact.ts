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
  /** [step, loss] of every training step reported so far. */
  losses: Array<[number, number]>;
  done: VariantRecord | null;
  /** Why the last run stopped short (cancelled or failed), or a note about keeping its result. */
  message: string | null;
  cancelled: boolean;
}

const IDLE: MakeExactState = { running: false, progress: null, losses: [], done: null, message: null, cancelled: false };

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
