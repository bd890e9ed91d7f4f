/**
 * An exact variant as plain data for storage (IndexedDB: structured-clone friendly),
 * and back. Only the weights fine-tuning may have changed are stored; the rest are
 * the original's, taken from the original model again on restore, so a stored
 * variant of use-lite holds its layers and head but not the 8k-token table.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SentenceEncoder } from '../model/encoder.ts';
import { DistillError, StoredVariantError } from './errors.ts';
import { copyModel, type NamedWeight, type NamedWeights } from './named-weights.ts';
import { weightsOf } from './trainable.ts';
import { VARIANT_RECORD_FORMAT, type ExactVariant, type VariantRecord } from './variant-record.ts';

export const STORED_VARIANT_FORMAT = 'pairlens-exact-variant-weights-1';

export interface StoredWeight {
  /** NamedWeight name, e.g. "layers.1.qkv.kernel". */
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface StoredVariant {
  format: typeof STORED_VARIANT_FORMAT;
  record: VariantRecord;
  /** Every weight fine-tuning (record.settings.scope) may have changed. */
  weights: StoredWeight[];
}

/** The weights `scope` lets fine-tuning change: what a stored variant holds. */
function trainedWeights(weights: NamedWeights, record: VariantRecord): NamedWeight[] {
  return weights.list().filter((w) => weights.isTrainable(w.name, record.settings.scope));
}

/** Copies the variant's changed weights and its record out of TF.js; the variant stays usable. */
export async function serializeVariant(variant: ExactVariant): Promise<StoredVariant> {
  const weights = weightsOf(variant.model);
  const stored: StoredWeight[] = [];
  for (const { name, tensor } of trainedWeights(weights, variant.record)) {
    if (tensor.dtype !== 'float32') throw new DistillError(`weight ${name} is ${tensor.dtype}, not float32`);
    // A copy: on the CPU backend data() hands out the tensor's own array.
    stored.push({ name, shape: [...tensor.shape], data: Float32Array.from((await tensor.data()) as Float32Array) });
  }
  return { format: STORED_VARIANT_FORMAT, record: structuredClone(variant.record), weights: stored };
}

/**
 * The variant `stored` describes, built on `original` (its frozen weights come from
 * there): embeddings bit-identical to the variant that was serialized. Throws
 * StoredVariantError when the data does not fit (not a stored variant, made from
 * another model, a weight missing, unknown or of another shape).
 */
export function restoreVariant(original: SentenceEncoder, stored: StoredVariant): ExactVariant {
  const problem = (message: string) => new StoredVariantError(`cannot restore the exact variant: ${message}`);
  if (typeof stored !== 'object' || stored === null || stored.format !== STORED_VARIANT_FORMAT || stored.record?.format !== VARIANT_RECORD_FORMAT) {
    throw problem(`the data is not a stored exact variant (format "${STORED_VARIANT_FORMAT}")`);
  }
  const { record } = stored;
  if (record.originalId !== original.id) {
    throw problem(`"${record.id}" was made from model "${record.originalId}", not "${original.id}"`);
  }
  let weights: NamedWeights;
  try {
    weights = weightsOf(original);
  } catch (error) {
    throw problem((error as Error).message);
  }
  if (record.architecture !== weights.kind) throw problem(`it is a ${record.architecture} variant, model "${original.id}" is ${weights.kind}`);

  const byName = new Map<string, StoredWeight>();
  for (const w of Array.isArray(stored.weights) ? stored.weights : []) {
    if (byName.has(w.name)) throw problem(`weight "${w.name}" is stored twice`);
    byName.set(w.name, w);
  }
  const expected = trainedWeights(weights, record);
  const expectedNames = new Set(expected.map((w) => w.name));
  for (const name of byName.keys()) {
    if (!expectedNames.has(name)) throw problem(`weight "${name}" is not one that fine-tuning (scope "${record.settings.scope}") changes in model "${original.id}"`);
  }
  for (const { name, tensor } of expected) {
    const w = byName.get(name);
    if (!w) throw problem(`weight "${name}" is missing`);
    if (!Array.isArray(w.shape) || !tf.util.arraysEqual(w.shape, tensor.shape)) {
      throw problem(`weight "${name}" has shape [${String(w.shape)}], model "${original.id}" has [${tensor.shape.join(', ')}]`);
    }
    if (!(w.data instanceof Float32Array) || w.data.length !== tensor.size) {
      throw problem(`weight "${name}" needs ${tensor.size} float32 values`);
    }
  }
  // Copies again, so later changes to `stored` cannot reach the model's tensors.
  const model = copyModel(weights, record.id, (name, tensor) => {
    const w = byName.get(name);
    return w ? tf.tensor(Float32Array.from(w.data), w.shape, 'float32') : tensor.clone();
  });
  return { model, record: structuredClone(record) };
}
