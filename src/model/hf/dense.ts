/** sentence-transformers' Dense modules after pooling (2_Dense/…): their weights, read and checked against their config. */
import * as tf from '@tensorflow/tfjs-core';
import { ModelFileError } from '../files.ts';
import type { DenseSpec } from './checkpoint.ts';
import type { WeightSource } from './formats/open-weights.ts';
import type { Linear } from './ops.ts';

export interface DenseWeights extends Linear {
  activation: 'identity' | 'tanh';
}

/** A sentence-transformers Dense module: `linear.weight` [out, in] and `linear.bias`. */
export function loadDenseWeights(source: WeightSource, spec: DenseSpec, fileName: string): DenseWeights {
  const check = (name: string, shape: number[]): Float32Array => {
    const actual = source.shape(name);
    if (!actual) throw new ModelFileError(fileName, `has no tensor ${name}`);
    if (!tf.util.arraysEqual(actual, shape)) {
      throw new ModelFileError(fileName, `tensor ${name} has shape [${actual.join(', ')}], expected [${shape.join(', ')}]`);
    }
    return source.float32(name);
  };
  const w = check('linear.weight', [spec.outFeatures, spec.inFeatures]);
  const b = spec.bias ? check('linear.bias', [spec.outFeatures]) : new Float32Array(spec.outFeatures);
  return {
    kernel: tf.tidy(() => tf.transpose(tf.tensor2d(w, [spec.outFeatures, spec.inFeatures]))),
    bias: tf.tensor1d(b),
    activation: spec.activation,
  };
}
