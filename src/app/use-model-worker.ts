/**
 * Starts the model worker for the page, keeps it serving the model the view asks
 * for, and tracks its state: which backend runs, which model is served, how far a
 * new one has loaded, why a load failed. A failed load leaves the previous model
 * served (the worker only switches once the new one is ready). A lost GPU device
 * restarts the worker on WASM and reloads the model, keeping everything typed.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { BACKENDS, type BackendName, type PickedFolder, type ServedModel } from '../worker/protocol.ts';
import type { ModelSettings } from './model-settings.ts';
import { ModelWorkerClient } from './worker-client.ts';

export interface LoadProgress {
  file: string;
  loadedBytes: number;
  totalBytes: number;
  cached: boolean;
}

export interface LoadFailure {
  modelId: string;
  message: string;
  /** The model still served, or null when none is. */
  current: string | null;
}

export interface ModelStatus extends Omit<ServedModel, 'modelId'> {
  /** 'failed': nothing can run (no backend, the worker crashed); a failed model load is `loadFailure`. */
  phase: 'starting' | 'loading' | 'ready' | 'failed';
  /** The backend as people read it, and why it runs (e.g. "wasm (SIMD, 2 threads): faster than webgpu (software adapter) here …"). */
  backend: string | null;
  /** The backend's name as reports carry it ("webgpu", "wasm", "cpu"). */
  backendName: BackendName | null;
  /** The model the worker serves. */
  modelId: string | null;
  /** The model being loaded, while phase is 'loading'. */
  loadingId: string | null;
  progress: LoadProgress | null;
  loadFailure: LoadFailure | null;
  error: string | null;
  notice: string | null;
}

/** What the worker has told us; the status the UI sees is derived from it and the model asked for. */
interface WorkerState {
  backend: string | null;
  backendName: BackendName | null;
  served: ServedModel | null;
  progress: (LoadProgress & { modelId: string }) | null;
  loadFailure: LoadFailure | null;
  error: string | null;
  notice: string | null;
}

const INITIAL: WorkerState = { backend: null, backendName: null, served: null, progress: null, loadFailure: null, error: null, notice: null };

function deriveStatus(state: WorkerState, wanted: string): ModelStatus {
  const served = state.served;
  // Nothing to fall back on: the model asked for failed and no other is served.
  const stranded = state.loadFailure?.modelId === wanted && state.loadFailure.current === null ? state.loadFailure.message : null;
  const error = state.error ?? stranded;
  const phase = error ? 'failed' : served?.modelId === wanted ? 'ready' : state.backend ? 'loading' : 'starting';
  return {
    phase,
    backend: state.backend,
    backendName: state.backendName,
    modelId: served?.modelId ?? null,
    loadingId: phase === 'loading' ? wanted : null,
    progress: state.progress?.modelId === wanted ? state.progress : null,
    loadFailure: state.loadFailure,
    error,
    notice: state.notice,
    numLayers: served?.numLayers ?? 0,
    maxTokens: served?.maxTokens ?? 0,
    unverified: served?.unverified ?? null,
    prompts: served?.prompts ?? null,
    exactVariant: served?.exactVariant ?? null,
    storedVariant: served?.storedVariant ?? null,
    variantTrainPairs: served?.variantTrainPairs ?? null,
    numTensors: served?.numTensors ?? 0,
  };
}

/**
 * `?backend=webgpu|wasm|cpu` in the link's query string: this machine's choice for this
 * page, over the remembered setting (it is not part of the view, so links made here do
 * not carry it). Tests force WASM with it.
 */
export function linkBackend(search: string = window.location.search): BackendName | undefined {
  const value = new URLSearchParams(search).get('backend');
  return BACKENDS.find((b) => b === value);
}

/** The backend to start and who asked for it; none: the worker measures and picks. */
function requestedBackend(settings: ModelSettings): { backend?: BackendName; why: string } {
  const fromLink = linkBackend();
  if (fromLink) return { backend: fromLink, why: 'set by backend= in the link' };
  if (settings.backend !== 'auto') return { backend: settings.backend, why: 'set in Download settings' };
  return { why: '' };
}

export interface ModelSource {
  settings: ModelSettings;
  /** The files of a `local:` model, when this tab has them. */
  folderOf: (modelId: string) => PickedFolder | undefined;
  onReady?: (modelId: string) => void;
  /** A model asked for could not be loaded (the worker still serves `failure.current`). */
  onLoadFailed?: (failure: LoadFailure) => void;
}

export function useModelWorker(
  wanted: string,
  source: ModelSource,
): { client: ModelWorkerClient; status: ModelStatus; retry: () => void } {
  const client = useMemo(() => new ModelWorkerClient(), []);
  const [state, setState] = useState<WorkerState>(INITIAL);
  const [attempt, setAttempt] = useState(0);
  const sourceRef = useRef(source);
  const wantedRef = useRef(wanted);
  /** The model last asked of the current worker (after a failure: the one it still serves). */
  const requestedRef = useRef<string | null>(null);
  /** The id of the last load asked for: answers to older loads are stale. */
  const loadIdRef = useRef(0);

  useEffect(() => {
    sourceRef.current = source;
    wantedRef.current = wanted;
  }, [source, wanted]);

  const request = useCallback(
    (modelId: string, keepNotice = false) => {
      requestedRef.current = modelId;
      const { settings, folderOf } = sourceRef.current;
      loadIdRef.current = client.loadModel({ modelId, hubUrl: settings.hubUrl, maxBytes: settings.maxMegabytes * 1e6, folder: folderOf(modelId) });
      // A notice about the previous model (a variant that failed, a cleared cache) is done with.
      if (!keepNotice) setState((s) => ({ ...s, notice: null }));
    },
    [client],
  );

  const backendSetting = source.settings.backend;
  useEffect(() => {
    const requested = requestedBackend({ ...sourceRef.current.settings, backend: backendSetting });
    let backend = requested.backend;
    let why = requested.why;
    const unsubscribe = client.subscribe((event) => {
      switch (event.type) {
        case 'backend':
          setState((s) => ({ ...s, backend: why ? `${event.detail}: ${why}` : event.detail, backendName: event.backend }));
          break;
        case 'load-progress':
          if (event.loadId !== loadIdRef.current) return;
          setState((s) => ({ ...s, progress: { modelId: event.modelId, file: event.file, loadedBytes: event.loadedBytes, totalBytes: event.totalBytes, cached: event.cached } }));
          break;
        case 'ready': {
          if (event.loadId !== loadIdRef.current) return; // an answer to an older load
          sourceRef.current.onReady?.(event.modelId);
          // The event describes the served model (ServedModel); its type and loadId ride along unread.
          setState((s) => ({ ...s, served: event, progress: null, loadFailure: null }));
          break;
        }
        case 'exact-done':
          setState((s) => (s.served ? { ...s, served: { ...s.served, exactVariant: event.exactVariant, storedVariant: event.note ? s.served.storedVariant : event.record } } : s));
          break;
        case 'exact-variant':
          setState((s) =>
            s.served?.modelId === event.modelId
              ? { ...s, served: { ...s.served, storedVariant: event.stored, ...(event.exactVariant !== undefined ? { exactVariant: event.exactVariant } : {}) } }
              : s,
          );
          break;
        case 'load-failed': {
          if (event.loadId !== loadIdRef.current) return; // an older request
          requestedRef.current = event.current;
          const failure = { modelId: event.modelId, message: event.message, current: event.current };
          setState((s) => ({ ...s, progress: null, loadFailure: failure }));
          sourceRef.current.onLoadFailed?.(failure);
          break;
        }
        case 'device-lost':
          backend = 'wasm';
          why = 'the GPU was lost';
          setState({ ...INITIAL, notice: `The GPU was lost (${event.message}); continuing on WASM.` });
          client.start(backend);
          request(wantedRef.current, true);
          break;
        case 'error':
          if (event.fatal) setState((s) => ({ ...s, error: event.message }));
          else if (event.jobId === undefined) setState((s) => ({ ...s, notice: event.message }));
          break;
        case 'download-cache-cleared':
          setState((s) => ({ ...s, notice: event.message }));
          break;
      }
    });
    client.start(backend);
    request(wantedRef.current);
    return () => {
      unsubscribe();
      client.stop();
    };
    // A new backend setting starts a new worker on it (the model is loaded again).
  }, [client, attempt, request, backendSetting]);

  useEffect(() => {
    if (requestedRef.current !== wanted) request(wanted);
  }, [wanted, request]);

  const retry = () => {
    setState(INITIAL);
    setAttempt((n) => n + 1);
  };
  return { client, status: deriveStatus(state, wanted), retry };
}
