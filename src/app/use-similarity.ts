/**
 * Embeds the two texts in the worker as the user types (debounced) and keeps only
 * answers for the texts currently in the boxes.
 */
import { useEffect, useRef, useState } from 'react';
import { cosine } from '../shared/vector.ts';
import type { ModelWorkerClient } from './worker-client.ts';

export interface SimilarityResult {
  a: string;
  b: string;
  similarity: number;
  tokensA: string[];
  tokensB: string[];
  droppedA: number;
  droppedB: number;
  ms: number;
}

export const DEBOUNCE_MS = 250;

const textsKey = (a: string, b: string) => JSON.stringify([a, b]);

export function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

export function useSimilarity(client: ModelWorkerClient, ready: boolean, a: string, b: string) {
  const [result, setResult] = useState<SimilarityResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pendingTexts, setPendingTexts] = useState<string | null>(null);
  const pending = useRef<{ jobId: number; a: string; b: string } | null>(null);

  useEffect(() => {
    return client.subscribe((event) => {
      const job = pending.current;
      if (!job || !('jobId' in event) || event.jobId !== job.jobId) return; // stale or unrelated
      pending.current = null;
      setPendingTexts(null);
      if (event.type === 'embedded') {
        const [ea, eb] = event.items;
        setError(null);
        setResult({
          a: job.a,
          b: job.b,
          similarity: cosine(ea.embedding, eb.embedding),
          tokensA: ea.tokens,
          tokensB: eb.tokens,
          droppedA: ea.droppedTokens,
          droppedB: eb.droppedTokens,
          ms: event.ms,
        });
      } else if (event.type === 'error') {
        setError(event.message);
      }
    });
  }, [client]);

  useEffect(() => {
    if (pending.current) client.cancel(pending.current.jobId);
    pending.current = null;
    if (!ready || isBlank(a) || isBlank(b)) return;
    const timer = setTimeout(() => {
      pending.current = { jobId: client.embed([a, b]), a, b };
      setPendingTexts(textsKey(a, b));
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [client, ready, a, b]);

  // A result is shown only while the boxes still hold the texts it was computed for.
  const current = result && result.a === a && result.b === b ? result : null;
  return { result: current, busy: pendingTexts === textsKey(a, b), error };
}
