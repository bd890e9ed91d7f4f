/**
 * The primal operations use-lite's forward pass (model.ts) and its tangent rules
 * (tangent.ts) share, written in the original graph's order so both compute the same
 * point to float rounding (docs/use-lite.md, "Equations").
 */
import * as tf from '@tensorflow/tfjs-core';
import type { UseLiteWeights } from './weights.ts';

/**
 * The sinusoidal position signal [sin(i·ω), cos(i·ω)] for positions 0 … length−1:
 * [length, 2·|ω|] (docs/use-lite.md, "Equations"). Computed here in JavaScript, not
 * with tf.sin and tf.cos: WGSL only asks sin and cos for an absolute error of 2⁻¹¹ on
 * [−π, π] and nothing beyond it, and WebGPU on SwiftShader is off by 1.9e-4, which
 * the layers carry into 8.5e-4 of the embedding (issue 12; scripts/backend-diff.ts).
 * The float32 steps are TF.js's CPU kernels' own (i·ω rounded to float32, then the
 * sine of that, rounded), so the signal is the CPU backend's bit for bit.
 *
 * The timescales are read synchronously; no kernel ever reads that tensor, so its
 * values are still on the CPU side on every backend and the read costs no GPU sync.
 */
export function timingSignal(inverseTimescales: tf.Tensor, length: number): tf.Tensor2D {
  const omega = inverseTimescales.dataSync();
  const width = omega.length;
  const signal = new Float32Array(length * 2 * width);
  for (let i = 0; i < length; i++) {
    for (let j = 0; j < width; j++) {
      const angle = Math.fround(i * omega[j]);
      signal[i * 2 * width + j] = Math.sin(angle);
      signal[i * 2 * width + width + j] = Math.cos(angle);
    }
  }
  return tf.tensor2d(signal, [length, 2 * width]);
}

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
