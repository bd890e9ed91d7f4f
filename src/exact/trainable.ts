/** Which loaded models can get an exact variant, and their weights by name. */
import type { SentenceEncoder } from '../model/encoder.ts';
import type { NamedWeights } from '../model/named-weights.ts';
import { DistillError } from './errors.ts';

/**
 * `model`'s weights by name (SentenceEncoder.namedWeights). Throws DistillError for a
 * model PairLens cannot fine-tune: one without named weights, or a checkpoint that
 * is exact already.
 */
export function weightsOf(model: SentenceEncoder): NamedWeights {
  if (model.exact) {
    throw new DistillError(
      `model "${model.id}" is already exact (a shifted checkpoint from the papers' code: its reference maps to 0); it needs no exact variant`,
    );
  }
  const weights = model.namedWeights?.();
  if (!weights) {
    throw new DistillError(
      `model "${model.id}" cannot be fine-tuned here: exact variants can be made of use-lite and of Hugging Face BERT, RoBERTa and MPNet encoders`,
    );
  }
  return weights;
}
