/**
 * What an exact variant is made with and of, as plain data: settings, the record of a
 * run, and the variant itself. Shared by variant.ts (making one) and variant-store.ts
 * (storing and restoring one).
 */
import type { SentenceEncoder } from '../model/encoder.ts';
import type { TrainableScope } from './named-weights.ts';
import type { Agreement } from '../shared/stats.ts';
import type { DistillSettings } from './train.ts';

export interface VariantSettings extends DistillSettings {
  /** Pairs to fine-tune on. */
  trainPairs: number;
  /** Pairs from held-out documents, for the before/after figures (at least 8). */
  heldOutPairs: number;
  /** Share of documents held out (0 < share < 1). */
  heldOutShare: number;
  /** Fewest usable sentences the training and the held-out documents must each hold. */
  minSentences: number;
  scope: TrainableScope;
}

export interface HeldOutFigures extends Agreement {
  /** Mean (cos − cos of the original)² over the held-out pairs. */
  distillationLoss: number;
}

/** Everything about how a variant was made: plain data (structured-clone and JSON friendly). */
export interface VariantRecord {
  format: typeof VARIANT_RECORD_FORMAT;
  /** The variant's model id. */
  id: string;
  originalId: string;
  /** NamedWeights.kind of the original: "use-lite", "bert", "roberta", "mpnet". */
  architecture: string;
  /** ISO 8601. */
  createdAt: string;
  settings: VariantSettings;
  corpus: {
    documents: number;
    trainDocuments: number;
    heldOutDocuments: number;
    trainSentences: number;
    heldOutSentences: number;
    trainPairs: number;
    heldOutPairs: number;
  };
  training: {
    steps: number;
    /** Batch loss of every step. */
    stepLosses: number[];
    /** Mean batch loss of every epoch. */
    epochLosses: number[];
    ms: number;
    /** TF.js backend it ran on. */
    backend: string;
  };
  /** Agreement with the original model's cosines on pairs from documents never trained on. */
  heldOut: {
    variant: HeldOutFigures;
    /** The original shifted by its reference, not fine-tuned: what fine-tuning improves on. */
    shiftedBaseline: HeldOutFigures;
  };
}

export const VARIANT_RECORD_FORMAT = 'pairlens-exact-variant-1';

export interface ExactVariant {
  /** The fine-tuned model, unshifted: exact mode shifts it by `record.settings.reference`. Dispose when done. */
  model: SentenceEncoder;
  record: VariantRecord;
}
