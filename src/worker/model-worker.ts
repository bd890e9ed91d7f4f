/// <reference lib="webworker" />
/**
 * The model worker: owns TF.js and the loaded model, answers jobs from the UI.
 * Nothing here touches the DOM; the UI never imports TF.js.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SentenceEncoder } from '../model/encoder.ts';
import { encodeFrom } from '../model/encoder.ts';
import { httpFiles, ModelFileError, type ModelFiles } from '../model/files.ts';
import { exactVariantOf } from '../model/catalog.ts';
import { loadModel, modelFiles } from '../model/registry.ts';
import { AttributionJobs } from './attribution-jobs.ts';
import { chooseBackend, whenGpuDeviceLost } from './backend.ts';
import type { EmbeddedText, WorkerEvent, WorkerRequest } from './protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let model: SentenceEncoder | null = null;
let exactModel: SentenceEncoder | null = null;
let jobs: AttributionJobs | null = null;

function post(event: WorkerEvent, transfer: Transferable[] = []): void {
  scope.postMessage(event, transfer);
}

async function init(request: Extract<WorkerRequest, { type: 'init' }>): Promise<void> {
  try {
    const chosen = await chooseBackend(new URL('tfjs-wasm/', request.baseUrl).href, request.backend);
    post({ type: 'backend', ...chosen });
    whenGpuDeviceLost()?.then((message) => post({ type: 'device-lost', message }));
    const open = (id: string) => modelFiles(id, (info) => httpFiles(new URL(info.servedAt, request.baseUrl).href));
    jobs?.dispose();
    model?.dispose();
    exactModel?.dispose();
    exactModel = null;
    model = await loadModel(request.modelId, open(request.modelId), (p) => post({ type: 'load-progress', ...p }));
    exactModel = await loadExactVariant(request.modelId, open);
    jobs = new AttributionJobs(model, post, exactModel ?? undefined);
    post({ type: 'ready', modelId: model.id, numLayers: model.numLayers, maxTokens: model.maxTokens, exactVariant: exactModel?.id ?? null });
  } catch (error) {
    const message =
      error instanceof ModelFileError
        ? `The model could not be loaded: ${error.message}`
        : `The model could not be loaded: ${(error as Error).message}`;
    post({ type: 'error', message, fatal: true });
  }
}

/**
 * The model's exact variant, when it has one. A variant that fails to load is not
 * fatal: Exact mode then shifts the original, and the UI says so.
 */
async function loadExactVariant(modelId: string, open: (id: string) => ModelFiles): Promise<SentenceEncoder | null> {
  const variant = exactVariantOf(modelId);
  if (!variant) return null;
  try {
    return await loadModel(variant, open(variant), (p) => post({ type: 'load-progress', ...p, file: `${variant}/${p.file}` }));
  } catch (error) {
    post({ type: 'error', message: `The exact variant ${variant} could not be loaded (${(error as Error).message}); Exact mode shifts the original instead.`, fatal: false });
    return null;
  }
}

async function embed(jobId: number, texts: string[], encoder: SentenceEncoder): Promise<void> {
  const started = performance.now();
  const items: EmbeddedText[] = [];
  for (const text of texts) {
    const tokenized = encoder.tokenize(text);
    if (tokenized.ids.length === 0) throw new Error('Cannot embed an empty text.');
    const output = tf.tidy(() => encodeFrom(encoder, 0, encoder.embed(tokenized.ids)));
    const embedding = (await output.data()) as Float32Array;
    output.dispose();
    items.push({ text, tokens: tokenized.pieces, droppedTokens: tokenized.droppedTokens, embedding });
  }
  post(
    { type: 'embedded', jobId, items, ms: performance.now() - started },
    items.map((item) => item.embedding.buffer),
  );
}

scope.onmessage = (message: MessageEvent<WorkerRequest>) => {
  const request = message.data;
  switch (request.type) {
    case 'init':
      void init(request);
      break;
    case 'embed':
      if (!model) {
        post({ type: 'error', jobId: request.jobId, message: 'The model is not loaded yet.', fatal: false });
        return;
      }
      embed(request.jobId, request.texts, model).catch((error: Error) =>
        post({ type: 'error', jobId: request.jobId, message: error.message, fatal: false }),
      );
      break;
    case 'attribute':
      if (!jobs) {
        post({ type: 'error', jobId: request.jobId, message: 'The model is not loaded yet.', fatal: false });
        return;
      }
      jobs.start(request.jobId, request.request);
      break;
    case 'cancel':
      // Embedding jobs are short and run to the end; attribution jobs stop between chunks.
      jobs?.cancel(request.jobId);
      break;
  }
};
