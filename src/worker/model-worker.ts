/// <reference lib="webworker" />
/**
 * The model worker: owns TF.js and the loaded model, answers jobs from the UI.
 * Nothing here touches the DOM; the UI never imports TF.js.
 */
import * as tf from '@tensorflow/tfjs-core';
import { exactVariantOf } from '../model/catalog.ts';
import type { SentenceEncoder } from '../model/encoder.ts';
import { embedText } from '../model/encoder.ts';
import { blobFiles, httpFiles, type FileProgress, type ModelFiles } from '../model/files.ts';
import { hubFiles } from '../model/hub.ts';
import { parseModelId, type ModelRef } from '../model/model-id.ts';
import { loadModel, modelFiles } from '../model/registry.ts';
import { chooseBackend, whenGpuDeviceLost } from './backend.ts';
import { clearDownloadCache, downloadCache } from './download-cache.ts';
import { defaultTrainPairs } from '../exact/variant.ts';
import { ExactJobs } from './exact-jobs.ts';
import { ModelHost, StaleLoadError, type LoadedModels } from './model-host.ts';
import type { EmbeddedText, ExactVariantInfo, LoadModelRequest, WorkerEvent, WorkerRequest } from './protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let appBaseUrl = '';
/** Resolves once a backend runs (true) or none could start (false); model loads wait for it. */
let backendReady: Promise<boolean> = Promise.resolve(false);

function post(event: WorkerEvent, transfer: Transferable[] = []): void {
  scope.postMessage(event, transfer);
}

const host = new ModelHost(post);
const exactJobs = new ExactJobs(host, post, () => appBaseUrl);

async function init(request: Extract<WorkerRequest, { type: 'init' }>): Promise<void> {
  appBaseUrl = request.baseUrl;
  const chosen = await chooseBackend(new URL('tfjs-wasm/', request.baseUrl).href, request.backend);
  post({ type: 'backend', ...chosen });
  whenGpuDeviceLost()?.then((message) => post({ type: 'device-lost', message }));
}

/** A bundled model's files, served by our own build. */
function servedFiles(id: string): ModelFiles {
  return modelFiles(id, (info) => httpFiles(new URL(info.servedAt, appBaseUrl).href));
}

/** The files of a model and the load's progress reporter. */
function filesOf(ref: ModelRef, request: LoadModelRequest, signal: AbortSignal): ModelFiles {
  const progress = (p: FileProgress, cached = false) => post({ type: 'load-progress', loadId: request.loadId, modelId: ref.id, ...p, cached });
  switch (ref.kind) {
    case 'bundled':
      return servedFiles(ref.id);
    case 'hub':
      return hubFiles(ref, {
        baseUrl: request.hubUrl,
        cache: downloadCache(),
        maxFileBytes: request.maxBytes,
        signal,
        onProgress: (p) => progress(p, p.cached),
      });
    case 'local':
      if (!request.folder) throw new Error(`${ref.id} is a folder opened from disk in another session: open the folder again`);
      return blobFiles(request.folder.name, new Map(request.folder.files), request.maxBytes);
  }
}

async function loadModels(ref: ModelRef, request: LoadModelRequest, signal: AbortSignal): Promise<LoadedModels> {
  const files = filesOf(ref, request, signal);
  // Hub downloads report progress as bytes arrive; other sources as files are read.
  const onProgress = ref.kind === 'hub' ? undefined : (p: FileProgress) => post({ type: 'load-progress', loadId: request.loadId, modelId: ref.id, ...p, cached: false });
  let model: SentenceEncoder;
  try {
    model = await loadModel(ref.id, files, { maxBytes: request.maxBytes, onProgress });
  } catch (error) {
    if (!('usedCache' in files && files.usedCache)) throw error;
    // Files are cached one by one: a copy can be broken, or from before the model changed on the Hub.
    throw new Error(
      `${(error as Error).message} (some of its files came from this browser's cache: "Forget downloaded models" in Download settings, then load it again)`,
      { cause: error },
    );
  }
  const exactVariant = signal.aborted ? null : await loadBundledVariant(model.id, request.loadId);
  return { model, exactVariant, exactInfo: exactVariantInfo(model, exactVariant) };
}

/**
 * The model's bundled exact variant, when it has one. A variant that fails to load is
 * not fatal: Exact mode then shifts the original, and the UI says so.
 */
async function loadBundledVariant(modelId: string, loadId: number): Promise<SentenceEncoder | null> {
  const variant = exactVariantOf(modelId);
  if (!variant) return null;
  try {
    return await loadModel(variant, servedFiles(variant), {
      onProgress: (p) => post({ type: 'load-progress', loadId, modelId, ...p, file: `${variant}/${p.file}`, cached: false }),
    });
  } catch (error) {
    post({ type: 'error', message: `The exact variant ${variant} could not be loaded (${(error as Error).message}); Exact mode shifts the original instead.`, fatal: false });
    return null;
  }
}

function exactVariantInfo(model: SentenceEncoder, exactVariant: SentenceEncoder | null): ExactVariantInfo | null {
  if (exactVariant) return { id: exactVariant.id, source: 'bundled' };
  if (model.exact) return { id: model.id, source: 'checkpoint' };
  return null;
}

/** Tells the UI which model is served now (after a load, or when the served one was asked for again). */
async function postReady(loadId: number, model: SentenceEncoder): Promise<void> {
  const storedVariant = await exactJobs.offered(model);
  if (host.model !== model) return; // another model took its place meanwhile; its own ready follows
  post({
    type: 'ready',
    loadId,
    modelId: model.id,
    numLayers: model.numLayers,
    maxTokens: model.maxTokens,
    unverified: model.unverified ?? null,
    prompts: model.prompts ? { ...model.prompts } : null,
    exactVariant: host.exactInfo,
    storedVariant,
    variantTrainPairs: defaultTrainPairs(model),
    numTensors: tf.memory().numTensors,
  });
}

async function loadRequested(request: LoadModelRequest): Promise<void> {
  const fail = (message: string) => post({ type: 'load-failed', loadId: request.loadId, modelId: request.modelId, message, current: host.id });
  const ref = parseModelId(request.modelId);
  if (!ref) {
    fail(`"${request.modelId}" is not a model id.`);
    return;
  }
  try {
    if (!(await backendReady)) return; // the fatal error is already reported
    if (ref.id === host.id && host.model) {
      // Asked for the model already served (Back during another load): keep it, drop the other load.
      host.cancelLoading();
      await postReady(request.loadId, host.model);
      return;
    }
    // Fine-tuning needs the model it started from: it stops only when another is about to take its place.
    const loaded = await host.load(ref.id, (signal) => loadModels(ref, request, signal), { beforeSwap: () => exactJobs.stop() });
    await postReady(request.loadId, loaded.model);
  } catch (error) {
    if (error instanceof StaleLoadError) return;
    fail(`${ref.id} could not be loaded: ${(error as Error).message}`);
  }
}

async function embed(jobId: number, texts: string[], encoder: SentenceEncoder): Promise<void> {
  const started = performance.now();
  const items: EmbeddedText[] = [];
  for (const text of texts) items.push(await embedText(encoder, text));
  post(
    { type: 'embedded', jobId, items, ms: performance.now() - started },
    items.map((item) => item.embedding.buffer),
  );
}

function notLoaded(jobId: number): void {
  post({ type: 'error', jobId, message: 'The model is not loaded yet.', fatal: false });
}

scope.onmessage = (message: MessageEvent<WorkerRequest>) => {
  const request = message.data;
  switch (request.type) {
    case 'init':
      backendReady = init(request).then(
        () => true,
        (error: Error) => {
          post({ type: 'error', message: `No TF.js backend could start: ${error.message}`, fatal: true });
          return false;
        },
      );
      break;
    case 'load-model':
      void loadRequested(request);
      break;
    case 'embed': {
      const model = host.model;
      if (!model) return notLoaded(request.jobId);
      embed(request.jobId, request.texts, model).catch((error: Error) =>
        post({ type: 'error', jobId: request.jobId, message: error.message, fatal: false }),
      );
      break;
    }
    case 'attribute':
    case 'batch':
    case 'rank': {
      // One engine per served model runs these, one at a time (attribution-jobs.ts).
      const jobs = host.jobs;
      if (!jobs) return notLoaded(request.jobId);
      if (request.type === 'attribute') jobs.start(request.jobId, request.request);
      else if (request.type === 'batch') jobs.startBatch(request.jobId, request.pairs, request.settings);
      else jobs.startRank(request.jobId, request.request);
      break;
    }
    case 'cancel':
      // Embedding jobs are short and run to the end; attribution and ranking jobs stop between chunks.
      host.jobs?.cancel(request.jobId);
      break;
    case 'make-exact':
      void exactJobs.start(request.jobId, request.settings);
      break;
    case 'cancel-exact':
      exactJobs.cancel(request.jobId);
      break;
    case 'use-stored-exact':
      void exactJobs.useStored();
      break;
    case 'forget-stored-exact':
      void exactJobs.forgetStored();
      break;
    case 'clear-download-cache':
      clearDownloadCache().then(
        (n) => post({ type: 'download-cache-cleared', message: `Forgot ${n} downloaded file${n === 1 ? '' : 's'}.` }),
        (error: Error) => post({ type: 'error', message: `The download cache could not be cleared: ${error.message}`, fatal: false }),
      );
      break;
  }
};
