/**
 * "Make exact" in the worker: fine-tunes the served model's exact variant
 * (src/exact/variant.ts) on the sentence corpus our build serves, streams progress
 * and the loss of every step, and on success serves the variant for Exact mode and
 * keeps it in IndexedDB to offer on the next visit. A cancelled or failed run leaves
 * the served model and its current variant untouched.
 */
import { embedIds, type SentenceEncoder } from '../model/encoder.ts';
import { parseSentenceCorpus, SENTENCE_CORPUS_URL, type SentenceCorpus } from '../exact/corpus-asset.ts';
import { isAbortError } from '../attribution/errors.ts';
import { makeExactVariant, type VariantProgress } from '../exact/variant.ts';
import { restoreVariant, serializeVariant } from '../exact/variant-store.ts';
import type { VariantRecord } from '../exact/variant-record.ts';
import type { ModelHost } from './model-host.ts';
import type { ExactVariantInfo, MakeExactSettings, WorkerEvent } from './protocol.ts';
import { deleteVariant, findVariant, saveVariant } from './variant-db.ts';

type Post = (event: WorkerEvent, transfer?: Transferable[]) => void;

/** Progress messages at most this often (a tiny model trains hundreds of steps a second). */
const PROGRESS_INTERVAL_MS = 50;

const FINGERPRINT_TEXT = 'PairLens fingerprint: the quick brown fox jumps over the lazy dog.';

/**
 * What a model computes, in a few numbers: its depth, width and the first embedding
 * values of a fixed text. Tells a stored variant's original from another model under
 * the same id (variant-db.ts compares them with a tolerance, as backends differ in the
 * last digits).
 */
export async function modelFingerprint(model: SentenceEncoder): Promise<number[]> {
  const values = Array.from((await embedIds(model, model.tokenize(FINGERPRINT_TEXT).ids)).slice(0, 16));
  return [model.numLayers, model.outputSize, ...values];
}

export class ExactJobs {
  private running: { jobId: number; controller: AbortController; done: Promise<void> } | null = null;
  private corpus: Promise<SentenceCorpus> | null = null;
  /** Fingerprint of the served model, by id. */
  private fingerprints = new Map<string, number[]>();

  constructor(
    private readonly host: ModelHost,
    private readonly post: Post,
    private readonly appBaseUrl: () => string,
  ) {}

  /** Called when a model is served: remembers its fingerprint and returns the stored variant on offer. */
  async offered(model: SentenceEncoder): Promise<VariantRecord | null> {
    try {
      const fingerprint = await modelFingerprint(model);
      this.fingerprints.set(model.id, fingerprint);
      return (await findVariant(model.id, fingerprint))?.variant.record ?? null;
    } catch {
      return null; // no storage, or a model that cannot embed the probe: nothing to offer
    }
  }

  start(jobId: number, settings: MakeExactSettings): void {
    if (this.running) {
      this.post({ type: 'exact-failed', jobId, message: 'An exact variant is already being made; cancel it first.', cancelled: false });
      return;
    }
    const controller = new AbortController();
    const running = { jobId, controller, done: Promise.resolve() };
    this.running = running;
    running.done = this.run(jobId, settings, controller).finally(() => {
      if (this.running === running) this.running = null;
    });
  }

  private async run(jobId: number, settings: MakeExactSettings, controller: AbortController): Promise<void> {
    const model = this.host.model;
    const fail = (message: string, cancelled = false) => this.post({ type: 'exact-failed', jobId, message, cancelled });
    if (!model) return fail('No model is loaded.');
    let lastPost = 0;
    const onProgress = (progress: VariantProgress) => {
      const now = performance.now();
      const last = progress.step === progress.steps;
      if (!last && now - lastPost < PROGRESS_INTERVAL_MS) return;
      lastPost = now;
      this.post({ type: 'exact-progress', jobId, progress });
    };
    try {
      const corpus = await this.loadCorpus();
      const variant = await makeExactVariant(model, corpus.documents, { trainPairs: settings.trainPairs }, { onProgress, signal: controller.signal });
      if (this.host.model !== model) {
        variant.model.dispose();
        return fail('The model was switched while its exact variant was being made; nothing was kept.');
      }
      await this.host.setExactVariant(variant.model, madeHere(variant.record));
      let note: string | null = null;
      try {
        const fingerprint = await this.fingerprintOf(model);
        await saveVariant({ originalId: model.id, fingerprint, variant: await serializeVariant(variant) });
      } catch (error) {
        note = `It is used now but could not be kept for the next visit (${(error as Error).message}).`;
      }
      this.post({ type: 'exact-done', jobId, record: variant.record, exactVariant: madeHere(variant.record), note });
    } catch (error) {
      if (isAbortError(error)) fail('Cancelled: the model and its exact variant are unchanged.', true);
      else fail(`The exact variant could not be made: ${(error as Error).message}`);
    }
  }

  cancel(jobId: number): void {
    if (this.running?.jobId === jobId) this.running.controller.abort();
  }

  /** Cancels any run and resolves once it has stopped using the model (before the model is freed). */
  async stop(): Promise<void> {
    const running = this.running;
    running?.controller.abort();
    await running?.done;
  }

  /** Serves the stored variant of the served model for Exact mode. */
  async useStored(): Promise<void> {
    const model = this.host.model;
    try {
      if (!model) throw new Error('no model is loaded');
      const entry = await findVariant(model.id, await this.fingerprintOf(model));
      if (!entry) throw new Error(`no exact variant of ${model.id} is stored in this browser`);
      const variant = restoreVariant(model, entry.variant);
      if (this.host.model !== model) {
        variant.model.dispose();
        return;
      }
      await this.host.setExactVariant(variant.model, madeHere(variant.record));
      this.post({ type: 'exact-variant', modelId: model.id, exactVariant: madeHere(variant.record), stored: variant.record });
    } catch (error) {
      this.post({ type: 'error', message: `The stored exact variant could not be used: ${(error as Error).message}`, fatal: false });
    }
  }

  /** Deletes the served model's stored variant (one in use stays in use until the model is switched). */
  async forgetStored(): Promise<void> {
    const id = this.host.id;
    if (!id) return;
    try {
      await deleteVariant(id);
      this.post({ type: 'exact-variant', modelId: id, stored: null });
    } catch (error) {
      this.post({ type: 'error', message: `The stored exact variant could not be deleted: ${(error as Error).message}`, fatal: false });
    }
  }

  /** The fingerprint taken when the model was served (offered), or a new one. */
  private async fingerprintOf(model: SentenceEncoder): Promise<number[]> {
    return this.fingerprints.get(model.id) ?? modelFingerprint(model);
  }

  private loadCorpus(): Promise<SentenceCorpus> {
    this.corpus ??= (async () => {
      const url = new URL(SENTENCE_CORPUS_URL, this.appBaseUrl()).href;
      let response: Response;
      try {
        response = await fetch(url);
      } catch (error) {
        throw new Error(`the training sentences (${SENTENCE_CORPUS_URL}) could not be downloaded: ${(error as Error).message}`, { cause: error });
      }
      if (!response.ok) throw new Error(`the training sentences (${SENTENCE_CORPUS_URL}) could not be downloaded (HTTP ${response.status})`);
      return parseSentenceCorpus(await response.json());
    })();
    // A failed download is tried again next time.
    this.corpus.catch(() => (this.corpus = null));
    return this.corpus;
  }
}

function madeHere(record: VariantRecord): ExactVariantInfo {
  return { id: record.id, source: 'made-here', record };
}
