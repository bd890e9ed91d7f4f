/**
 * For the tests only: checks a tangent rule against reverse mode and finite
 * differences, as every architecture's test does.
 *  - tf.grad of a random projection c·f(x): c·(J v) must equal (cᵀJ)·v, which checks
 *    the whole Jacobian along v against reverse mode to float32 rounding;
 *  - central finite differences with h = 3e-3: truncation O(h²) is ~1e-4 of the
 *    tangent for these curved random models (h = 1e-2 measured up to 3.4e-3), and
 *    float32 rounding ~1e-7/h ≈ 3e-5; we allow 2e-3 of the tangent's largest entry.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { expect } from 'vitest';
import { encodeFrom } from '../encoder.ts';
import { encodeFromJvp, type TangentEncoder } from '../tangent.ts';

/** Directions per check. */
export const T = 3;
const FD_STEP = 3e-3;
const FD_TOLERANCE = 2e-3;
const GRAD_TOLERANCE = 2e-5;

export const randn = (shape: number[], seed: number, scale = 1) => tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale));

/** Largest |a − b| relative to the largest |b|. */
export function relError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-12));
}

/**
 * Checks a tangent rule `jvp` for a map `f` at x ([B, ...]) along T random directions:
 * its primal equals f(x), and its tangents agree with tf.grad and finite differences.
 */
export function checkTangent(f: (x: tf.Tensor) => tf.Tensor, jvp: (x: tf.Tensor, dx: tf.Tensor) => { x: tf.Tensor; dx: tf.Tensor }, x: tf.Tensor, seed: number) {
  tf.tidy(() => {
    const [b, ...rest] = x.shape;
    const dx = randn([b, T, ...rest], seed);
    const out = jvp(x, dx);
    const y = f(x);
    expect(relError(out.x, y)).toBeLessThan(1e-6);

    for (let t = 0; t < T; t++) {
      const v = tf.squeeze(tf.slice(dx, [0, t], [-1, 1]), [1]);
      const dy = tf.squeeze(tf.slice(out.dx, [0, t], [-1, 1]), [1]);
      // Reverse mode: a random output projection c, then (cᵀJ)·v against c·(Jv).
      const c = randn(y.shape, seed + 100 + t);
      const g = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(c, f(z))))(x);
      const viaGrad = tf.sum(tf.mul(g, v)).dataSync()[0];
      const viaJvp = tf.sum(tf.mul(c, dy)).dataSync()[0];
      const scale = tf.sum(tf.abs(tf.mul(c, dy))).dataSync()[0];
      expect(Math.abs(viaGrad - viaJvp)).toBeLessThan(GRAD_TOLERANCE * Math.max(scale, 1));
      // Finite differences.
      const fd = tf.div(tf.sub(f(tf.add(x, tf.mul(v, FD_STEP))), f(tf.sub(x, tf.mul(v, FD_STEP)))), 2 * FD_STEP);
      expect(relError(dy, fd)).toBeLessThan(FD_TOLERANCE);
    }
  });
}


/** checkTangent for layer `l` of an encoder: its forward pass against its tangent rule, at x ([B, S, H]). */
export function checkLayerTangent(model: TangentEncoder, l: number, x: tf.Tensor, seed: number): void {
  checkTangent((z) => model.layer(l, z as tf.Tensor3D), (z, dz) => model.layerJvp(l, { x: z as tf.Tensor3D, dx: dz as tf.Tensor4D }), x, seed);
}

/** checkTangent for g_L from layer `from` (encodeFrom against encodeFromJvp), at the hidden states x. */
export function checkEncodeFromTangent(model: TangentEncoder, from: number, x: tf.Tensor, seed: number): void {
  checkTangent((z) => encodeFrom(model, from, z as tf.Tensor3D), (z, dz) => encodeFromJvp(model, from, { x: z as tf.Tensor3D, dx: dz as tf.Tensor4D }), x, seed);
}
