/**
 * Runs attribution and ranking jobs in the worker, one at a time: a new job or a
 * cancel aborts the running one between chunks, so stale work stops as soon as possible. Results
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
import { rankPassages, type RankProgress, type RankRequest } from '../attribution/rank.ts';
import type { SentenceEncoder } from '../model/encoder.ts';
import { reuseOrder } from '../shared/pairs.ts';
import type { BatchPair, BatchSettings, WorkerEvent } from './protocol.ts';

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
    const send = (result: AttributionResult, final: boolean) => {
      // Each message gets its own copy of the matrix, handed over without another copy.
      const matrix = result.matrix.slice();
      this.post({ type: 'attribution', jobId, result: { ...result, matrix }, final }, [matrix.buffer]);
    };
    const throttle = progressThrottle();
    const onProgress = (progress: AttributionProgress) => {
      if (throttle(progress, performance.now())) this.post({ type: 'attribution-progress', jobId, progress: { ...progress } });
    };
    this.run(jobId, async (signal) => {
      const result = await this.engine.attribute(request, { signal, onPartial: (partial) => send(partial, false), onProgress });
      send(result, true);
    });
  }

  /**
   * Ranks passages against a query (attribution/rank.ts): 'rank-scores' once, then a
   * 'rank-passage' per attributed passage in rank order, 'rank-done' at the end. The
   * query's P stays in the engine's cache, as do the passages': opening one in the
   * explorer afterwards costs nothing.
   */
  startRank(jobId: number, request: RankRequest): void {
    let last = -Infinity;
    const onProgress = (progress: RankProgress) => {
      const now = performance.now();
      if (progress.within !== null && now - last < PROGRESS_INTERVAL_MS) return;
      last = now;
      this.post({ type: 'rank-progress', jobId, progress: { ...progress, within: progress.within && { ...progress.within } } });
    };
    this.run(jobId, async (signal) => {
      const outcome = await rankPassages(this.engine, this.engine.model, request, {
        signal,
        onProgress,
        onScores: (scores) => this.post({ type: 'rank-scores', jobId, scores }),
        onPassage: (rank, result) => {
          const matrix = result.matrix.slice();
          this.post({ type: 'rank-passage', jobId, rank, result: { ...result, matrix } }, [matrix.buffer]);
        },
      });
      this.post({ type: 'rank-done', jobId, queryTokens: outcome.queryTokens, textsComputed: outcome.textsComputed, ms: outcome.ms });
    });
  }

  /**
   * Attributes pairs one by one (the Dataset page): 'batch-pair' for each, in an order
   * that keeps texts shared by several pairs in the engine's cache, 'batch-done' at
   * the end. A pair that fails is reported and skipped; cancelling stops the batch.
   */
  startBatch(jobId: number, pairs: BatchPair[], settings: BatchSettings): void {
    const throttle = progressThrottle();
    this.run(jobId, async (signal) => {
      const started = performance.now();
      const before = this.engine.stats.textsComputed;
      const total = pairs.length;
      let done = 0;
      for (const pair of reuseOrder(pairs)) {
        const onProgress = (within: AttributionProgress) => {
          if (throttle(within, performance.now())) this.post({ type: 'batch-progress', jobId, done, total, within: { ...within } });
        };
        try {
          const result = await this.engine.attribute({ ...settings, a: pair.a, b: pair.b }, { signal, onProgress });
          const matrix = result.matrix.slice();
          this.post({ type: 'batch-pair', jobId, id: pair.id, result: { ...result, matrix } }, [matrix.buffer]);
        } catch (error) {
          if (isAbortError(error)) throw error;
          this.post({ type: 'batch-pair-failed', jobId, id: pair.id, message: (error as Error).message });
        }
        done++;
        this.post({ type: 'batch-progress', jobId, done, total, within: null });
      }
      this.post({ type: 'batch-done', jobId, textsComputed: this.engine.stats.textsComputed - before, ms: performance.now() - started });
    });
  }

  /** Runs one job, cancelling the one before: stale work stops between chunks. */
  private run(jobId: number, work: (signal: AbortSignal) => Promise<void>): void {
    this.running?.controller.abort();
    const controller = new AbortController();
    const done = work(controller.signal)
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
