/** A trainable copy of use-lite: the starting point of its exact variant. */
import * as tf from '@tensorflow/tfjs-core';
import { UseLite } from '../model/use-lite/model.ts';
import type { LayerWeights, UseLiteWeights } from '../model/use-lite/weights.ts';
import type { TrainableEncoder } from './train.ts';

/**
 * Which weights fine-tuning may change.
 *  - 'encoder': the transformer layers and the head, not the token embeddings. The
 *    embedding table would only get gradients for the tokens seen in training, so
 *    the rest of the vocabulary would fall out of step with the changed layers; and
 *    the gradient of its lookup (UnsortedSegmentSum) has no WASM kernel.
 *  - 'top': the last layer and the head only.
 */
export type TrainableScope = 'encoder' | 'top';
export const TRAINABLE_SCOPES: readonly TrainableScope[] = ['encoder', 'top'];

export interface TrainableUseLite extends TrainableEncoder {
  model: UseLite;
}

/**
 * Copies `original`'s weights (variables where trainable), so training never touches
 * the original model, which stays usable whatever happens to the copy.
 */
export function trainableUseLite(original: UseLite, id: string, scope: TrainableScope): TrainableUseLite {
  const variables: tf.Variable[] = [];
  const copy = <T extends tf.Tensor>(t: T, trainable: boolean): T => {
    if (!trainable) return t.clone();
    const v = tf.variable(t.clone(), true);
    variables.push(v);
    return v as unknown as T; // a Variable is a Tensor of the same rank
  };
  const w = original.weights;
  const lastLayer = w.layers.length - 1;
  const copyLayer = (layer: LayerWeights, l: number): LayerWeights => {
    const trainable = scope !== 'top' || l === lastLayer;
    const out = {} as Record<string, unknown>;
    for (const [key, value] of Object.entries(layer)) out[key] = value instanceof tf.Tensor ? copy(value, trainable) : value;
    return out as unknown as LayerWeights;
  };
  const weights: UseLiteWeights = {
    tokenEmbeddings: copy(w.tokenEmbeddings, false),
    inverseTimescales: copy(w.inverseTimescales, false),
    layers: w.layers.map(copyLayer),
    headKernel: copy(w.headKernel, true),
    headBias: copy(w.headBias, true),
    layerNormEpsilon: w.layerNormEpsilon,
    l2Epsilon: w.l2Epsilon,
  };
  return { model: new UseLite({ weights, vocabulary: original.vocabulary }, { id }), variables };
}
