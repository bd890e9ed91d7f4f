/**
 * The model the worker serves, and the switch to another one. A new model is loaded
 * beside the current one and swapped in only once it is ready, so a load that fails
 * (missing file, network, too big) leaves the current model in use; the old model's
 * tensors are freed at the swap. A newer load request makes an older one stale: its
 * downloads are aborted and whatever it loaded is freed.
 *
 * No DOM: Node tests drive it with models from disk.
 */
import type { SentenceEncoder } from '../model/encoder.ts';
import { AttributionJobs } from './attribution-jobs.ts';
import type { ExactVariantInfo, WorkerEvent } from './protocol.ts';

type Post = (event: WorkerEvent, transfer?: Transferable[]) => void;

export interface LoadedModels {
  model: SentenceEncoder;
  /** Its exact variant, when it has one (Exact mode attributes it). */
  exactVariant: SentenceEncoder | null;
  /** What Exact mode explains, for the UI. */
  exactInfo?: ExactVariantInfo | null;
}

/** Loads a model; `signal` fires when a newer load makes this one stale. */
export type ModelLoader = (signal: AbortSignal) => Promise<LoadedModels>;

export interface LoadOptions {
  /** Runs once the new model is ready, just before it replaces the current one (e.g. stop work that uses it). */
  beforeSwap?: () => Promise<void>;
}

export class StaleLoadError extends Error {
  constructor() {
    super('a newer model was asked for');
    this.name = 'AbortError';
  }
}

interface Serving extends LoadedModels {
  id: string;
  jobs: AttributionJobs;
}

export class ModelHost {
  private serving: Serving | null = null;
  private loading: AbortController | null = null;

  constructor(private readonly post: Post) {}

  get id(): string | null {
    return this.serving?.id ?? null;
  }

  get model(): SentenceEncoder | null {
    return this.serving?.model ?? null;
  }

  get exactVariant(): SentenceEncoder | null {
    return this.serving?.exactVariant ?? null;
  }

  get jobs(): AttributionJobs | null {
    return this.serving?.jobs ?? null;
  }

  get exactInfo(): ExactVariantInfo | null {
    return this.serving?.exactInfo ?? null;
  }

  /**
   * Loads `id` with `loader` and serves it. Rejects with the loader's error (the
   * current model stays) or with StaleLoadError when a newer load began meanwhile.
   */
  async load(id: string, loader: ModelLoader, options: LoadOptions = {}): Promise<LoadedModels> {
    this.loading?.abort();
    const controller = new AbortController();
    this.loading = controller;
    let loaded: LoadedModels;
    try {
      loaded = await loader(controller.signal);
    } catch (error) {
      if (this.loading === controller) this.loading = null;
      throw controller.signal.aborted ? new StaleLoadError() : error;
    }
    if (!controller.signal.aborted) await options.beforeSwap?.();
    if (controller.signal.aborted) {
      disposeAll(loaded);
      throw new StaleLoadError();
    }
    this.loading = null;
    const old = this.serving;
    this.serving = { id, ...loaded, jobs: new AttributionJobs(loaded.model, this.post, loaded.exactVariant ?? undefined) };
    await retire(old);
    return loaded;
  }

  /** Stops a load in progress (the current model stays served). */
  cancelLoading(): void {
    this.loading?.abort();
    this.loading = null;
  }

  /**
   * Replaces the served model's exact variant (one made or restored in the browser);
   * the old variant is freed once the attribution using it has stopped.
   */
  async setExactVariant(exactVariant: SentenceEncoder | null, exactInfo: ExactVariantInfo | null): Promise<void> {
    const serving = this.serving;
    if (!serving) throw new Error('no model is loaded');
    this.serving = { ...serving, exactVariant, exactInfo, jobs: new AttributionJobs(serving.model, this.post, exactVariant ?? undefined) };
    await serving.jobs.stop();
    if (serving.exactVariant !== exactVariant) serving.exactVariant?.dispose();
  }

  /** Stops any load in progress and frees the served model. */
  async dispose(): Promise<void> {
    this.cancelLoading();
    const old = this.serving;
    this.serving = null;
    await retire(old);
  }
}

/** Stops the jobs of a model no longer served, then frees its tensors. */
async function retire(serving: Serving | null): Promise<void> {
  if (!serving) return;
  await serving.jobs.stop();
  disposeAll(serving);
}

function disposeAll({ model, exactVariant }: LoadedModels): void {
  model.dispose();
  exactVariant?.dispose();
}
