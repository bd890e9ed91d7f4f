/**
 * Embeds the two texts in the worker as the user types (debounced) and keeps only
 * answers for the texts currently in the boxes.
 */
import { useEffect, useRef, useState } from 'react';
import { cosine } from '../shared/vector.ts';
import type { ModelWorkerClient } from './worker-client.ts';

export interface SimilarityResult {
  model: string;
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

const jobKey = (model: string | null, a: string, b: string) => JSON.stringify([model, a, b]);

export function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

/** `model`: the model serving the view, or null while none is ready. */
export function useSimilarity(client: ModelWorkerClient, model: string | null, a: string, b: string) {
  const [result, setResult] = useState<SimilarityResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pendingKey, setPendingKey] = useState<string | null>(null);
  const pending = useRef<{ jobId: number; model: string; a: string; b: string } | null>(null);

  useEffect(() => {
    return client.subscribe((event) => {
      const job = pending.current;
      if (!job || !('jobId' in event) || event.jobId !== job.jobId) return; // stale or unrelated
      pending.current = null;
      setPendingKey(null);
      if (event.type === 'embedded') {
        const [ea, eb] = event.items;
        setError(null);
        setResult({
          model: job.model,
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
    if (model === null || isBlank(a) || isBlank(b)) return;
    const timer = setTimeout(() => {
      pending.current = { jobId: client.embed([a, b]), model, a, b };
      setPendingKey(jobKey(model, a, b));
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [client, model, a, b]);

  // A result is shown only while the boxes still hold the texts, and the model, it was computed for.
  const current = result && result.model === model && result.a === a && result.b === b ? result : null;
  return { result: current, busy: pendingKey === jobKey(model, a, b), error };
}
