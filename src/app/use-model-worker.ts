/**
 * Starts the model worker for the page and tracks its state: which backend runs,
 * how far the model has loaded, whether it failed. A lost GPU device restarts the
 * worker on WASM, keeping everything the user typed.
 */
import { useEffect, useMemo, useState } from 'react';
import { BACKENDS, type BackendName } from '../worker/protocol.ts';
import { ModelWorkerClient } from './worker-client.ts';

export interface ModelStatus {
  phase: 'starting' | 'loading' | 'ready' | 'failed';
  backend: string | null;
  loadedBytes: number;
  totalBytes: number;
  error: string | null;
  notice: string | null;
  numLayers: number;
  maxTokens: number;
  modelId: string | null;
  exactVariant: string | null;
}

const INITIAL: ModelStatus = {
  phase: 'starting',
  backend: null,
  loadedBytes: 0,
  totalBytes: 0,
  error: null,
  notice: null,
  numLayers: 0,
  maxTokens: 0,
  modelId: null,
  exactVariant: null,
};

/** A test-only switch: `?backend=wasm` forces a backend. */
function forcedBackend(): BackendName | undefined {
  const value = new URLSearchParams(window.location.search).get('backend');
  return BACKENDS.find((b) => b === value);
}

export function useModelWorker(modelId: string): { client: ModelWorkerClient; status: ModelStatus; retry: () => void } {
  const client = useMemo(() => new ModelWorkerClient(), []);
  const [status, setStatus] = useState<ModelStatus>(INITIAL);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let backend = forcedBackend();
    const unsubscribe = client.subscribe((event) => {
      switch (event.type) {
        case 'backend':
          setStatus((s) => ({ ...s, phase: 'loading', backend: event.detail }));
          break;
        case 'load-progress':
          setStatus((s) => ({ ...s, loadedBytes: event.loadedBytes, totalBytes: event.totalBytes }));
          break;
        case 'ready':
          setStatus((s) => ({
            ...s,
            phase: 'ready',
            error: null,
            numLayers: event.numLayers,
            maxTokens: event.maxTokens,
            modelId: event.modelId,
            exactVariant: event.exactVariant,
          }));
          break;
        case 'device-lost':
          backend = 'wasm';
          setStatus({ ...INITIAL, notice: `The GPU was lost (${event.message}); continuing on WASM.` });
          client.start(modelId, backend);
          break;
        case 'error':
          if (event.fatal) setStatus((s) => ({ ...s, phase: 'failed', error: event.message }));
          else if (!('jobId' in event) || event.jobId === undefined) setStatus((s) => ({ ...s, notice: event.message }));
          break;
      }
    });
    client.start(modelId, backend);
    return () => {
      unsubscribe();
      client.stop();
    };
  }, [client, modelId, attempt]);

  const retry = () => {
    setStatus(INITIAL);
    setAttempt((n) => n + 1);
  };
  return { client, status, retry };
}
