/** use-lite's weights by name: the starting point of its exact variant. */
import type * as tf from '@tensorflow/tfjs-core';
import { UseLite } from '../model/use-lite/model.ts';
import type { LayerWeights, UseLiteWeights } from '../model/use-lite/weights.ts';
import { namedWeights, trainableCopy, type NamedWeights, type ReplaceWeight, type TrainableScope } from './named-weights.ts';
import type { TrainableEncoder } from './train.ts';

export interface TrainableUseLite extends TrainableEncoder {
  model: UseLite;
}

/** `weights` with every tensor passed through `replace`; numbers (ε, query scale) kept. */
function mapUseLiteWeights(w: UseLiteWeights, replace: ReplaceWeight): UseLiteWeights {
  const tensor = <T extends tf.Tensor>(name: string, t: T) => replace(name, t) as T;
  const layer = (l: LayerWeights, index: number): LayerWeights => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(l)) out[key] = typeof value === 'number' ? value : tensor(`layers.${index}.${key}`, value);
    return out as unknown as LayerWeights; // the same keys, each tensor replaced by one of its shape
  };
  return {
    tokenEmbeddings: tensor('tokenEmbeddings', w.tokenEmbeddings),
    inverseTimescales: tensor('inverseTimescales', w.inverseTimescales),
    layers: w.layers.map(layer),
    headKernel: tensor('headKernel', w.headKernel),
    headBias: tensor('headBias', w.headBias),
    layerNormEpsilon: w.layerNormEpsilon,
    l2Epsilon: w.l2Epsilon,
  };
}

/**
 * Names: "tokenEmbeddings", "inverseTimescales", "layers.<l>.<key>" (keys of
 * LayerWeights), "headKernel", "headBias". Trainable: the layers (the last one only
 * for 'top') and the tanh head; the token table and the timing signal stay frozen.
 */
export function namedUseLiteWeights(model: UseLite): NamedWeights<UseLite> {
  return namedWeights({
    kind: 'use-lite',
    weights: model.weights,
    map: mapUseLiteWeights,
    numLayers: model.weights.layers.length,
    isHead: (name) => name.startsWith('head'),
    build: (id, weights) => new UseLite({ weights, vocabulary: model.vocabulary }, { id }),
  });
}

/** A trainable copy of use-lite (see trainableCopy): the original is never changed. */
export function trainableUseLite(original: UseLite, id: string, scope: TrainableScope): TrainableUseLite {
  return trainableCopy(namedUseLiteWeights(original), id, scope);
}
