/**
 * The UI's handle on the model worker: starts it, forwards its events, and numbers
 * jobs so that the UI can tell a current answer from a stale one.
 */
import type {
  AttributionRequest,
  AttributionResult,
  BackendName,
  BatchPair,
  BatchSettings,
  LoadModelRequest,
  MakeExactSettings,
  RankRequest,
  WorkerEvent,
  WorkerRequest,
} from '../worker/protocol.ts';

export type WorkerListener = (event: WorkerEvent) => void;

export class ModelWorkerClient {
  private worker: Worker | null = null;
  private nextJobId = 1;
  private readonly listeners = new Set<WorkerListener>();

  /** Starts a fresh worker on `backend` (default: the fastest available); models are loaded with loadModel. */
  start(backend?: BackendName): void {
    this.worker?.terminate();
    this.worker = new Worker(new URL('../worker/model-worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (message: MessageEvent<WorkerEvent>) => this.emit(message.data);
    this.worker.onerror = (event) =>
      this.emit({ type: 'error', message: `The model worker failed: ${event.message || 'unknown error'}`, fatal: true });
    this.send({ type: 'init', baseUrl: new URL('./', document.baseURI).href, backend });
  }

  /** Asks the worker to switch to a model; progress, 'ready' or 'load-failed' events carry the returned id. */
  loadModel(request: Omit<LoadModelRequest, 'type' | 'loadId'>): number {
    const loadId = this.nextJobId++;
    this.send({ type: 'load-model', loadId, ...request });
    return loadId;
  }

  clearDownloadCache(): void {
    this.send({ type: 'clear-download-cache' });
  }

  /** Starts fine-tuning the served model's exact variant; returns the job id its events carry. */
  makeExact(settings: MakeExactSettings): number {
    const jobId = this.nextJobId++;
    this.send({ type: 'make-exact', jobId, settings });
    return jobId;
  }

  cancelExact(jobId: number): void {
    this.send({ type: 'cancel-exact', jobId });
  }

  useStoredExact(): void {
    this.send({ type: 'use-stored-exact' });
  }

  forgetStoredExact(): void {
    this.send({ type: 'forget-stored-exact' });
  }

  subscribe(listener: WorkerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts an embedding job and returns its id. */
  embed(texts: string[]): number {
    const jobId = this.nextJobId++;
    this.send({ type: 'embed', jobId, texts });
    return jobId;
  }

  /** Starts an attribution job (partial results stream in as 'attribution' events). */
  attribute(request: AttributionRequest): number {
    const jobId = this.nextJobId++;
    this.send({ type: 'attribute', jobId, request });
    return jobId;
  }

  /** Starts attributing a list of pairs ('batch-*' events carry the returned id). */
  batch(pairs: BatchPair[], settings: BatchSettings): number {
    const jobId = this.nextJobId++;
    this.send({ type: 'batch', jobId, pairs, settings });
    return jobId;
  }

  /** Starts ranking passages against a query ('rank-*' events carry the returned id). */
  rank(request: RankRequest): number {
    const jobId = this.nextJobId++;
    this.send({ type: 'rank', jobId, request });
    return jobId;
  }

  /** One attribution to its end: resolves with the final result, rejects if cancelled or failed. */
  attributeToEnd(request: AttributionRequest): Promise<AttributionResult> {
    const jobId = this.attribute(request);
    return new Promise((resolve, reject) => {
      const unsubscribe = this.subscribe((event) => {
        if (!('jobId' in event) || event.jobId !== jobId) return;
        if (event.type === 'attribution' && event.final) resolve(event.result);
        else if (event.type === 'cancelled') reject(new Error('cancelled'));
        else if (event.type === 'error') reject(new Error(event.message));
        else return;
        unsubscribe();
      });
    });
  }

  cancel(jobId: number): void {
    this.send({ type: 'cancel', jobId });
  }

  stop(): void {
    this.worker?.terminate();
    this.worker = null;
  }

  private send(request: WorkerRequest): void {
    this.worker?.postMessage(request);
  }

  private emit(event: WorkerEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
