/** Which loaded models can get an exact variant, and their weights by name. */
import type { SentenceEncoder } from '../model/encoder.ts';
import { HfEncoder } from '../model/hf/bert.ts';
import { UseLite } from '../model/use-lite/model.ts';
import { DistillError } from './errors.ts';
import { namedHfWeights } from './hf.ts';
import type { NamedWeights } from './named-weights.ts';
import { namedUseLiteWeights } from './use-lite.ts';

/**
 * `model`'s weights by name. Throws DistillError for a model PairLens cannot
 * fine-tune: another class, or a checkpoint that is exact already.
 */
export function weightsOf(model: SentenceEncoder): NamedWeights {
  if (model instanceof UseLite) return namedUseLiteWeights(model);
  if (model instanceof HfEncoder) return namedHfWeights(model);
  throw new DistillError(
    `model "${model.id}" cannot be fine-tuned here: exact variants can be made of use-lite and of Hugging Face BERT, RoBERTa and MPNet encoders`,
  );
}
