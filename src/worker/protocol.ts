/**
 * The messages between the UI and the model worker. The worker owns TF.js and the
 * model; the UI only sends requests and renders what comes back. Every job carries
 * an id so stale answers can be recognised and dropped.
 */

import type { AttributionProgress, AttributionRequest, AttributionResult } from '../attribution/engine.ts';
import type { EmbeddedText } from '../model/encoder.ts';
import type { RankedScore, RankProgress, RankRequest } from '../attribution/rank.ts';
import type { HeldOutFigures, VariantProgress, VariantRecord } from '../exact/variant.ts';

export type { AttributionProgress, AttributionRequest, AttributionResult, RankedScore, RankProgress, RankRequest };

export type BackendName = 'webgpu' | 'wasm' | 'cpu';

/** One pair of a batch: its id (as the Dataset page's file names it) and texts. */
export interface BatchPair {
  id: string;
  a: string;
  b: string;
}

/** The settings every pair of a batch is attributed with. */
export type BatchSettings = Omit<AttributionRequest, 'a' | 'b'>;
export const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];

export type { EmbeddedText };

/** A model folder the user opened from disk: files by path relative to the folder. */
export interface PickedFolder {
  name: string;
  files: Array<[path: string, file: File]>;
}

export interface LoadModelRequest {
  type: 'load-model';
  loadId: number;
  modelId: string;
  /** Hub or mirror root for Hub ids. */
  hubUrl: string;
  /** Largest model accepted, in bytes. */
  maxBytes: number;
  /** The files of a `local:` model. */
  folder?: PickedFolder;
}

/**
 * What Exact mode explains for the served model, when not the model shifted (not
 * fine-tuned): its bundled exact variant, one made in this browser, or the model
 * itself when it is an exact checkpoint.
 */
export type ExactVariantSource = 'bundled' | 'made-here' | 'checkpoint';

export interface ExactVariantInfo {
  id: string;
  /** Where it comes from; not to be confused with a result's exactModel (what exact mode attributed). */
  source: ExactVariantSource;
  /** How a variant made in the browser was made (settings, losses, held-out agreement). */
  record?: VariantRecord;
}

export interface MakeExactSettings {
  /** Sentence pairs to fine-tune on. */
  trainPairs: number;
}

export type { HeldOutFigures, VariantProgress, VariantRecord };

export type WorkerRequest =
  | { type: 'init'; baseUrl: string; backend?: BackendName }
  /** Loads a model beside the current one and switches to it once ready; a failure keeps the current one. */
  | LoadModelRequest
  | { type: 'embed'; jobId: number; texts: string[] }
  /** Starts an attribution; a running one is cancelled first (new input makes old work stale). */
  | { type: 'attribute'; jobId: number; request: AttributionRequest }
  /** Attributes a list of pairs one by one with the same settings (the Dataset page); like 'attribute', it cancels a running job. */
  | { type: 'batch'; jobId: number; pairs: BatchPair[]; settings: BatchSettings }
  /** Ranks passages against a query and attributes them in rank order; like 'attribute', it cancels a running job. */
  | { type: 'rank'; jobId: number; request: RankRequest }
  | { type: 'cancel'; jobId: number }
  /** Forgets every model file downloaded from the Hub. */
  | { type: 'clear-download-cache' }
  /** Fine-tunes the served model's exact variant; progress streams as 'exact-progress'. */
  | { type: 'make-exact'; jobId: number; settings: MakeExactSettings }
  | { type: 'cancel-exact'; jobId: number }
  /** Serves the variant of the served model stored in this browser (offered as 'storedVariant'). */
  | { type: 'use-stored-exact' }
  | { type: 'forget-stored-exact' };

/** What the worker says of the model it serves, after a load or a switch ('ready'). */
export interface ServedModel {
  modelId: string;
  numLayers: number;
  maxTokens: number;
  /** Why the model's architecture is not yet checked against transformers, or null (SentenceEncoder.unverified). */
  unverified: string | null;
  /** The model's prompts by name (config_sentence_transformers.json), or null. */
  prompts: Record<string, string> | null;
  exactVariant: ExactVariantInfo | null;
  /** An exact variant of this model made in this browser earlier, offered (or in use). */
  storedVariant: VariantRecord | null;
  /** Make exact's default number of training pairs for this model (its kind's recipe), or null when it cannot be fine-tuned. */
  variantTrainPairs: number | null;
  /** TF.js tensors alive after the switch (tests check that switching frees the old model). */
  numTensors: number;
}

export type WorkerEvent =
  | { type: 'backend'; backend: BackendName; detail: string }
  | { type: 'load-progress'; loadId: number; modelId: string; file: string; loadedBytes: number; totalBytes: number; cached: boolean }
  | ({ type: 'ready'; loadId: number } & ServedModel)
  /** The load failed; `current` is the model still served (null when none is). */
  | { type: 'load-failed'; loadId: number; modelId: string; message: string; current: string | null }
  | { type: 'embedded'; jobId: number; items: EmbeddedText[]; ms: number }
  /**
   * An attribution after a complete quadrature level: partial (result.final false, more
   * levels follow) or the job's last one (`final`); `matrix` is transferred, not copied.
   */
  | { type: 'attribution'; jobId: number; result: AttributionResult; final: boolean }
  /**
   * Points per text done in the level under way (between 'attribution' events): at most
   * about 20 a second, and always the one that completes a level.
   */
  | { type: 'attribution-progress'; jobId: number; progress: AttributionProgress }
  /** One pair of a batch done (its final result; `matrix` is transferred). */
  | { type: 'batch-pair'; jobId: number; id: string; result: AttributionResult }
  /** One pair of a batch could not be attributed; the batch goes on. */
  | { type: 'batch-pair-failed'; jobId: number; id: string; message: string }
  /** Pairs done of the batch, and the engine's progress within the pair under way (throttled). */
  | { type: 'batch-progress'; jobId: number; done: number; total: number; within: AttributionProgress | null }
  /** Every pair of the batch is done: `textsComputed` texts' P were computed for it. */
  | { type: 'batch-done'; jobId: number; textsComputed: number; ms: number }
  /** A ranking's scores (every passage, by rank), from the embeddings, before any attribution. */
  | { type: 'rank-scores'; jobId: number; scores: RankedScore[] }
  /** One passage's final attribution (query = A), in rank order; `matrix` is transferred. */
  | { type: 'rank-passage'; jobId: number; rank: RankedScore; result: AttributionResult }
  /** Scoring and attribution progress of a ranking (throttled like 'attribution-progress'). */
  | { type: 'rank-progress'; jobId: number; progress: RankProgress }
  /** The ranking is complete: `textsComputed` texts' P were computed for it (K passages: about K + 1). */
  | { type: 'rank-done'; jobId: number; queryTokens: string[]; textsComputed: number; ms: number }
  | { type: 'cancelled'; jobId: number }
  | { type: 'download-cache-cleared'; message: string }
  | { type: 'exact-progress'; jobId: number; progress: VariantProgress }
  /** The variant is made and serves Exact mode; `note` says when it could not be stored. */
  | { type: 'exact-done'; jobId: number; record: VariantRecord; exactVariant: ExactVariantInfo; note: string | null }
  | { type: 'exact-failed'; jobId: number; message: string; cancelled: boolean }
  /** The served model's exact variant changed (`exactVariant`, when given) or its stored one (`stored`). */
  | { type: 'exact-variant'; modelId: string; exactVariant?: ExactVariantInfo | null; stored: VariantRecord | null }
  | { type: 'device-lost'; message: string }
  | { type: 'error'; jobId?: number; message: string; fatal: boolean };
