/**
 * A model's weights by name, so one piece of code can copy any supported model for
 * fine-tuning, pick the weights fine-tuning changed for storage, and rebuild the
 * variant from stored data (src/exact/). Each architecture says how its weights are
 * named, which of them fine-tuning may change, and how to build a model of its kind
 * from other tensors (SentenceEncoder.namedWeights).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { SentenceEncoder } from './encoder.ts';

/**
 * Which weights fine-tuning may change.
 *  - 'encoder': every transformer layer and the head (use-lite's tanh layer, Dense
 *    modules), not the embeddings. An embedding table would only get gradients for
 *    the tokens seen in training, so the rest of the vocabulary would fall out of
 *    step with the changed layers; and the gradient of its lookup (tf.gather, whose
 *    gradient is UnsortedSegmentSum) has no WASM kernel.
 *  - 'top': the last layer and the head only.
 */
export type TrainableScope = 'encoder' | 'top';
export const TRAINABLE_SCOPES: readonly TrainableScope[] = ['encoder', 'top'];

export interface NamedWeight {
  /** Stable across copies of the model, e.g. "layers.1.qkv.kernel". */
  name: string;
  tensor: tf.Tensor;
}

export interface NamedWeights<M extends SentenceEncoder = SentenceEncoder> {
  /** The architecture, for records and messages: "use-lite", "bert", "roberta", "mpnet". */
  readonly kind: string;
  /**
   * Every weight tensor of the model, in a fixed order. Weights held outside TF.js (a
   * Hugging Face model's token-embedding table, hf/embedding-table.ts) are not listed:
   * they are never trainable, and rebuild shares them with the copy.
   */
  list(): NamedWeight[];
  /** Whether fine-tuning in `scope` changes the weight called `name`. */
  isTrainable(name: string, scope: TrainableScope): boolean;
  /** A model like this one, called `id`, with every weight tensor replaced by `replace(name, tensor)`. */
  rebuild(id: string, replace: ReplaceWeight): M;
}

export type ReplaceWeight = (name: string, tensor: tf.Tensor) => tf.Tensor;

/** How an architecture lays out its weights; namedWeights turns it into NamedWeights. */
export interface WeightLayout<W, M extends SentenceEncoder> {
  kind: string;
  weights: W;
  /** The weights with every tensor replaced by `replace(name, tensor)`, in a fixed order; other fields kept. */
  map(weights: W, replace: ReplaceWeight): W;
  numLayers: number;
  /** Head weights (after pooling): trainable in every scope. Layer weights are named "layers.<l>.…". */
  isHead(name: string): boolean;
  build(id: string, weights: W): M;
}

export function namedWeights<W, M extends SentenceEncoder>(layout: WeightLayout<W, M>): NamedWeights<M> {
  return {
    kind: layout.kind,
    list() {
      const out: NamedWeight[] = [];
      layout.map(layout.weights, (name, tensor) => {
        out.push({ name, tensor });
        return tensor;
      });
      return out;
    },
    isTrainable(name, scope) {
      if (layout.isHead(name)) return true;
      const layer = /^layers\.(\d+)\./.exec(name);
      return layer !== null && (scope === 'encoder' || Number(layer[1]) === layout.numLayers - 1);
    },
    rebuild(id, replace) {
      return layout.build(id, layout.map(layout.weights, replace));
    },
  };
}
