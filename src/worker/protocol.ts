/**
 * The messages between the UI and the model worker. The worker owns TF.js and the
 * model; the UI only sends requests and renders what comes back. Every job carries
 * an id so stale answers can be recognised and dropped.
 */

import type { AttributionRequest, AttributionResult } from '../attribution/engine.ts';

export type { AttributionRequest, AttributionResult };

export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];

export interface EmbeddedText {
  text: string;
  tokens: string[];
  droppedTokens: number;
  embedding: Float32Array;
}

export type WorkerRequest =
  | { type: 'init'; modelId: string; baseUrl: string; backend?: BackendName }
  | { type: 'embed'; jobId: number; texts: string[] }
  /** Starts an attribution; a running one is cancelled first (new input makes old work stale). */
  | { type: 'attribute'; jobId: number; request: AttributionRequest }
  | { type: 'cancel'; jobId: number };

export type WorkerEvent =
  | { type: 'backend'; backend: BackendName; detail: string }
  | { type: 'load-progress'; file: string; loadedBytes: number; totalBytes: number }
  | { type: 'ready'; modelId: string; numLayers: number; maxTokens: number; exactVariant: string | null }
  | { type: 'embedded'; jobId: number; items: EmbeddedText[]; ms: number }
  /** A partial (stepsDone < steps) or final attribution; `matrix` is transferred, not copied. */
  | { type: 'attribution'; jobId: number; result: AttributionResult; final: boolean }
  | { type: 'cancelled'; jobId: number }
  | { type: 'device-lost'; message: string }
  | { type: 'error'; jobId?: number; message: string; fatal: boolean };
