/**
 * Runs attribution jobs in the worker, one at a time: a new job or a cancel aborts
 * the running one between chunks, so stale work stops as soon as possible. Results
 * come after complete quadrature levels ('attribution'), progress between them
 * ('attribution-progress', throttled).
 */
import {
  AttributionEngine,
  type AttributionProgress,
  type AttributionRequest,
  type AttributionResult,
} from '../attribution/engine.ts';
import { isAbortError } from '../attribution/errors.ts';
import type { SentenceEncoder } from '../model/encoder.ts';
import type { WorkerEvent } from './protocol.ts';

type Post = (event: WorkerEvent, transfer?: Transferable[]) => void;

/** Shortest interval between two progress messages of a job, in ms (about 20 a second). */
export const PROGRESS_INTERVAL_MS = 50;

/**
 * Whether a progress report should be posted: the first, any after `interval` ms, and
 * always the one that completes a level (so a bar never stops short of a level's end).
 * Returns a function to call with each report and the time now.
 */
export function progressThrottle(interval = PROGRESS_INTERVAL_MS): (progress: AttributionProgress, now: number) => boolean {
  let last = -Infinity;
  return (progress, now) => {
    const levelDone = progress.stepsDone >= progress.levelEvaluations;
    if (!levelDone && now - last < interval) return false;
    last = now;
    return true;
  };
}

export class AttributionJobs {
  private readonly engine: AttributionEngine;
  private running: { jobId: number; controller: AbortController; done: Promise<void> } | null = null;

  constructor(
    model: SentenceEncoder,
    private readonly post: Post,
    exactVariant?: SentenceEncoder,
  ) {
    this.engine = new AttributionEngine(model, { exactVariant });
  }

  start(jobId: number, request: AttributionRequest): void {
    this.running?.controller.abort();
    const controller = new AbortController();
    const send = (result: AttributionResult, final: boolean) => {
      // Each message gets its own copy of the matrix, handed over without another copy.
      const matrix = result.matrix.slice();
      this.post({ type: 'attribution', jobId, result: { ...result, matrix }, final }, [matrix.buffer]);
    };
    const throttle = progressThrottle();
    const onProgress = (progress: AttributionProgress) => {
      if (throttle(progress, performance.now())) this.post({ type: 'attribution-progress', jobId, progress: { ...progress } });
    };
    const done = this.engine
      .attribute(request, { signal: controller.signal, onPartial: (partial) => send(partial, false), onProgress })
      .then((result) => send(result, true))
      .catch((error: unknown) => {
        if (isAbortError(error)) this.post({ type: 'cancelled', jobId });
        else this.post({ type: 'error', jobId, message: (error as Error).message, fatal: false });
      })
      .finally(() => {
        if (this.running?.jobId === jobId) this.running = null;
      });
    this.running = { jobId, controller, done };
  }

  cancel(jobId: number): void {
    if (this.running?.jobId === jobId) this.running.controller.abort();
  }

  /**
   * Cancels the running job and resolves once it has stopped: only then may the
   * models it uses be freed (on WebGPU a job can be between two awaits of a chunk).
   */
  async stop(): Promise<void> {
    const running = this.running;
    running?.controller.abort();
    this.engine.clearCache();
    await running?.done;
  }
}
