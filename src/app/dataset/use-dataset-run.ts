/**
 * Runs a dataset's pairs in the worker for the Dataset page: one batch job, each pair's
 * result turned into the same record the CLI's `batch` writes (shared/batch-record.ts).
 * Cancel stops it; Resume sends only the pairs not yet done with the same settings and
 * model; a new run (other pairs or settings) starts from nothing. Events of any other
 * job are ignored, so nothing stale is kept.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { batchRecord, type BatchRecord } from '../../shared/batch-record.ts';
import type { TextPair } from '../../shared/pairs.ts';
import type { AttributionProgress, BatchSettings } from '../../worker/protocol.ts';
import type { ModelWorkerClient } from '../worker-client.ts';

export interface DatasetRunState {
  /** What the records were computed with: the settings and the models behind them. */
  key: string;
  records: Map<string, BatchRecord>;
  failed: Map<string, string>;
  total: number;
  running: boolean;
  cancelled: boolean;
  error: string | null;
  within: AttributionProgress | null;
  /** When the run (or its resumption) started, and how many records it had then: for the rate. */
  started: { at: number; records: number } | null;
  /** Pairs per minute since the run started, as of the last pair done (null before the first). */
  rate: number | null;
  done: { textsComputed: number; ms: number } | null;
}

const EMPTY: DatasetRunState = { key: '', records: new Map(), failed: new Map(), total: 0, running: false, cancelled: false, error: null, within: null, started: null, rate: null, done: null };

export function datasetKey(pairs: readonly TextPair[], settings: BatchSettings, context: string): string {
  return JSON.stringify([context, settings, pairs.map((p) => [p.id, p.a, p.b])]);
}

export function useDatasetRun(client: ModelWorkerClient, modelId: string, backend: string) {
  const [state, setState] = useState<DatasetRunState>(EMPTY);
  const job = useRef<{ id: number; key: string; pairs: Map<string, TextPair> } | null>(null);
  const latest = useRef(state);
  useEffect(() => {
    latest.current = state;
  }, [state]);
  const describe = useRef({ modelId, backend });
  useEffect(() => {
    describe.current = { modelId, backend };
  }, [modelId, backend]);

  useEffect(() => {
    return client.subscribe((event) => {
      const current = job.current;
      if (!current || !('jobId' in event) || event.jobId !== current.id) return;
      const mine = (update: (s: DatasetRunState) => DatasetRunState) => setState((s) => (s.key === current.key ? update(s) : s));
      switch (event.type) {
        case 'batch-pair': {
          const pair = current.pairs.get(event.id);
          if (!pair) return;
          const record = batchRecord(pair, describe.current.modelId, event.result, { backend: describe.current.backend });
          const now = performance.now();
          mine((s) => {
            const records = new Map(s.records).set(event.id, record);
            const rate = s.started ? (records.size - s.started.records) / ((now - s.started.at) / 60_000) : null;
            return { ...s, records, rate };
          });
          break;
        }
        case 'batch-pair-failed':
          mine((s) => ({ ...s, failed: new Map(s.failed).set(event.id, event.message) }));
          break;
        case 'batch-progress':
          mine((s) => ({ ...s, within: event.within }));
          break;
        case 'batch-done':
          job.current = null;
          mine((s) => ({ ...s, running: false, within: null, done: { textsComputed: event.textsComputed, ms: event.ms } }));
          break;
        case 'cancelled':
          job.current = null;
          mine((s) => ({ ...s, running: false, cancelled: true, within: null }));
          break;
        case 'error':
          job.current = null;
          mine((s) => ({ ...s, running: false, error: event.message, within: null }));
          break;
      }
    });
  }, [client]);

  /** Runs `pairs` (only those not done yet when `resume` and the key is the same). */
  const run = useCallback(
    (pairs: readonly TextPair[], settings: BatchSettings, context: string, resume: boolean) => {
      if (job.current) client.cancel(job.current.id);
      const key = datasetKey(pairs, settings, context);
      const shown = latest.current;
      const records = resume && shown.key === key ? shown.records : new Map<string, BatchRecord>();
      const todo = pairs.filter((p) => !records.has(p.id));
      job.current = { id: client.batch(todo.map(({ id, a, b }) => ({ id, a, b })), settings), key, pairs: new Map(todo.map((p) => [p.id, p])) };
      setState({ ...EMPTY, key, records, total: pairs.length, running: true, started: { at: performance.now(), records: records.size } });
    },
    [client],
  );

  const cancel = useCallback(() => {
    if (job.current) client.cancel(job.current.id);
  }, [client]);

  /** Forgets the records (a new file was loaded). */
  const reset = useCallback(() => {
    if (job.current) client.cancel(job.current.id);
    job.current = null;
    setState(EMPTY);
  }, [client]);

  return { ...state, run, cancel, reset };
}
