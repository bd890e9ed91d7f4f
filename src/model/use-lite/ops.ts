/**
 * The primal operations use-lite's forward pass (model.ts) and its tangent rules
 * (tangent.ts) share, written in the original graph's order so both compute the same
 * point to float rounding (docs/use-lite.md, "Equations").
 */
import * as tf from '@tensorflow/tfjs-core';
import type { UseLiteWeights } from './weights.ts';

/** LayerNorm in the graph's order: γ·rsqrt(var + ε) first, then times (x − μ), then + β. */
export function layerNorm(x: tf.Tensor3D, scale: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor3D {
  return tf.tidy(() => {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    const factor = tf.mul(scale, tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(factor, centered), bias) as tf.Tensor3D;
  });
}

/** x·W + b over the last axis of a [B, S, K] tensor. */
export function dense(x: tf.Tensor3D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, s, k] = x.shape;
    const y = tf.add(tf.matMul(tf.reshape(x, [b * s, k]), kernel), bias);
    return tf.reshape(y, [b, s, kernel.shape[1]]) as tf.Tensor3D;
  });
}

/** The dense tanh head on the pooled vector: tanh(x·W + b). */
export function tanhHead(pooled: tf.Tensor2D, weights: UseLiteWeights): tf.Tensor2D {
  return tf.tidy(() => tf.tanh(tf.add(tf.matMul(pooled, weights.headKernel), weights.headBias)) as tf.Tensor2D);
}
