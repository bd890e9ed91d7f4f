/**
 * Copies of a model through its named weights (src/model/named-weights.ts): for
 * fine-tuning (trainable weights become tf.Variables) and for rebuilding a stored
 * variant. The names and the trainable scopes are the model's; re-exported here for
 * the exact-variant code that uses them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SentenceEncoder } from '../model/encoder.ts';
import type { NamedWeights, TrainableScope } from '../model/named-weights.ts';
import type { TrainableEncoder } from './train.ts';

export { TRAINABLE_SCOPES, type NamedWeight, type NamedWeights, type TrainableScope } from '../model/named-weights.ts';

/**
 * A copy of the model whose weights come from `make`; the tensors it made are freed
 * when building fails half-way, so a failed copy leaves nothing behind.
 */
export function copyModel<M extends SentenceEncoder>(
  weights: NamedWeights<M>,
  id: string,
  make: (name: string, tensor: tf.Tensor) => tf.Tensor,
): M {
  const created: tf.Tensor[] = [];
  try {
    return weights.rebuild(id, (name, tensor) => {
      const copy = make(name, tensor);
      created.push(copy);
      return copy;
    });
  } catch (error) {
    tf.dispose(created);
    throw error;
  }
}

/**
 * A copy for fine-tuning: trainable weights become tf.Variables, the rest plain
 * tensors. Both start out sharing the original's data (TF.js counts references, and
 * an optimiser step assigns a variable new data rather than writing into the old), so
 * the copy costs no memory until training changes it, and the original stays as it
 * was, and usable, whatever happens to the copy.
 */
export function trainableCopy<M extends SentenceEncoder>(
  weights: NamedWeights<M>,
  id: string,
  scope: TrainableScope,
): TrainableEncoder & { model: M } {
  const variables: tf.Variable[] = [];
  const model = copyModel(weights, id, (name, tensor) => {
    if (!weights.isTrainable(name, scope)) return tensor.clone();
    const variable = tf.variable(tensor, true);
    variables.push(variable);
    return variable;
  });
  return { model, variables };
}
