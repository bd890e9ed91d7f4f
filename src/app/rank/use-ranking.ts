/**
 * Runs a ranking in the worker for the Rank view: scores first (from the embeddings),
 * then each passage's attribution in rank order. Debounced while the user types; any
 * change cancels the job under way, and results are only ever shown for the request
 * they belong to. While the page is hidden nothing runs (the worker serves the
 * explorer), but a finished ranking stays: coming back shows it as it was; an
 * unfinished one resumes, its finished passages served from the engine's cache.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AttributionResult, RankedScore, RankProgress, RankRequest } from '../../worker/protocol.ts';
import { DEBOUNCE_MS, sortedFields } from '../use-attribution.ts';
import type { ModelWorkerClient } from '../worker-client.ts';

export interface RankingState {
  key: string;
  request: RankRequest | null;
  /** Every passage by rank; null until the embeddings are in. */
  scores: RankedScore[] | null;
  /** Final attributions by passage index (query = A). */
  results: Map<number, AttributionResult>;
  progress: RankProgress | null;
  running: boolean;
  cancelled: boolean;
  error: string | null;
  /** Set when every passage is attributed: what it cost. */
  done: { textsComputed: number; ms: number; queryTokens: string[] } | null;
}

const IDLE: RankingState = { key: '', request: null, scores: null, results: new Map(), progress: null, running: false, cancelled: false, error: null, done: null };

/** What a ranking depends on: the request and the models behind it (`context`). */
export function rankKey(request: RankRequest | null, context: string): string {
  return request
    ? JSON.stringify([context, sortedFields(request)])
    : '';
}

export function useRanking(client: ModelWorkerClient, request: RankRequest | null, context: string, active: boolean) {
  const [state, setState] = useState<RankingState>(IDLE);
  const job = useRef<{ id: number; key: string } | null>(null);
  const lastTexts = useRef('');
  const key = rankKey(request, context);
  const latest = useRef(state);
  useEffect(() => {
    latest.current = state;
  }, [state]);

  useEffect(() => {
    return client.subscribe((event) => {
      const current = job.current;
      if (!current || !('jobId' in event) || event.jobId !== current.id) return; // stale or unrelated
      const mine = (update: (s: RankingState) => RankingState) => setState((s) => (s.key === current.key ? update(s) : s));
      switch (event.type) {
        case 'rank-scores':
          mine((s) => ({ ...s, scores: event.scores }));
          break;
        case 'rank-passage':
          mine((s) => ({ ...s, results: new Map(s.results).set(event.rank.index, event.result) }));
          break;
        case 'rank-progress':
          mine((s) => ({ ...s, progress: event.progress }));
          break;
        case 'rank-done':
          job.current = null;
          mine((s) => ({ ...s, running: false, done: { textsComputed: event.textsComputed, ms: event.ms, queryTokens: event.queryTokens } }));
          break;
        case 'cancelled':
          job.current = null;
          mine((s) => ({ ...s, running: false, cancelled: true }));
          break;
        case 'error':
          job.current = null;
          mine((s) => ({ ...s, running: false, error: event.message }));
          break;
      }
    });
  }, [client]);

  useEffect(() => {
    if (job.current) client.cancel(job.current.id);
    job.current = null;
    // Hidden: a finished ranking is kept; an unfinished one resumes when shown again.
    if (!request || !active) return;
    const texts = JSON.stringify([request.query, request.passages]);
    const delay = texts === lastTexts.current ? 0 : DEBOUNCE_MS;
    lastTexts.current = texts;
    const start = setTimeout(() => {
      const shown = latest.current;
      if (shown.key === key && shown.done !== null) return; // shown again, already complete
      job.current = { id: client.rank(request), key };
      // A resumed ranking keeps what it had; its finished passages return from the cache.
      const resumed = shown.key === key && !shown.error;
      setState(resumed ? { ...shown, running: true, cancelled: false } : { ...IDLE, key, request, running: true });
    }, delay);
    return () => clearTimeout(start);
    // The key captures every field of the request that matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, key, active]);

  const cancel = useCallback(() => {
    if (job.current) client.cancel(job.current.id);
  }, [client]);

  const shown = state.key === key ? state : IDLE;
  return { ...shown, running: shown.running && active, cancel };
}
