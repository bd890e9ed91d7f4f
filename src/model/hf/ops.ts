/**
 * Building blocks of the BERT-family encoders, each next to its tangent rule so the
 * forward pass and the Jacobian-vector product use the same primal ops (docs/method.md,
 * "Cost, and how we beat it"). Weights follow PyTorch's conventions except that
 * linear kernels are stored transposed, [in, out], so x·W needs no transpose per call.
 */
import * as tf from '@tensorflow/tfjs-core';
import { withDirectionAxis } from '../tangent.ts';
import type { Activation } from './config.ts';

export interface Linear {
  kernel: tf.Tensor2D; // [in, out]
  bias: tf.Tensor1D;
}

export interface Norm {
  scale: tf.Tensor1D;
  bias: tf.Tensor1D;
}

/** x·W + b over the last axis, for any leading shape. */
export function linear<T extends tf.Tensor>(x: T, w: Linear): T {
  return tf.tidy(() => {
    const shape = x.shape;
    const k = shape[shape.length - 1];
    const y = tf.add(tf.matMul(tf.reshape(x, [-1, k]), w.kernel), w.bias);
    return tf.reshape(y, [...shape.slice(0, -1), w.kernel.shape[1]]) as T;
  });
}

/** PyTorch's LayerNorm order: (x − μ)·rsqrt(var + ε), then ·γ + β. */
export function layerNorm<T extends tf.Tensor>(x: T, n: Norm, epsilon: number): T {
  return tf.tidy(() => {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon))), n.scale), n.bias) as T;
  });
}

/** RMSNorm (T5, Gemma): x·rsqrt(mean(x²) + ε), then ·γ (Gemma's stored w enters as γ = 1 + w). */
export function rmsNorm<T extends tf.Tensor>(x: T, scale: tf.Tensor1D, epsilon: number): T {
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), epsilon))), scale) as T);
}

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TANH_C = Math.sqrt(2 / Math.PI);
const TANH_A = 0.044715;

/** The feed-forward activation named by config.json's hidden_act. */
export function activation<T extends tf.Tensor>(kind: Activation, x: T): T {
  return tf.tidy(() => {
    switch (kind) {
      case 'gelu': // x·Φ(x), Φ through erf as in PyTorch's default GELU
        return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, SQRT_HALF)))) as T;
      case 'gelu_tanh': {
        const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), TANH_A)), TANH_C);
        return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner))) as T;
      }
      case 'relu':
        return tf.relu(x) as T;
      case 'silu':
        return tf.mul(x, tf.sigmoid(x)) as T;
    }
  });
}

/** A gated feed-forward unit's product act(g) ⊙ u (GeGLU, SwiGLU). */
export function gated<T extends tf.Tensor>(kind: Activation, gate: T, up: T): T {
  return tf.tidy(() => tf.mul(activation(kind, gate), up) as T);
}

/** Its tangent, by the product rule: act′(g)·ġ ⊙ u + act(g) ⊙ u̇. g, u: [B, ...]; dg, du: [B, T, ...]. */
export function gatedTangent(kind: Activation, gate: tf.Tensor, dGate: tf.Tensor, up: tf.Tensor, dUp: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf.add(tf.mul(activationTangent(kind, gate, dGate), withDirectionAxis(up)), tf.mul(withDirectionAxis(activation(kind, gate)), dUp)),
  );
}

/**
 * Tangent of the activation at pre-activation x: ẏ = f′(x)·ż, with
 *  GELU(erf):  f′ = Φ(x) + x·φ(x);
 *  GELU(tanh): f′ = ½(1 + t) + ½x(1 − t²)·c(1 + 3a·x²), t = tanh(c(x + a·x³));
 *  ReLU:       f′ = step(x) (0 at the kink, like tf.relu's gradient);
 *  SiLU:       f′ = σ(x)·(1 + x·(1 − σ(x))).
 * x: [B, ...], dz: [B, T, ...].
 */
export function activationTangent(kind: Activation, x: tf.Tensor, dz: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    let slope: tf.Tensor;
    switch (kind) {
      case 'gelu': {
        const cdf = tf.mul(tf.add(1, tf.erf(tf.mul(x, SQRT_HALF))), 0.5);
        const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI);
        slope = tf.add(cdf, tf.mul(x, pdf));
        break;
      }
      case 'gelu_tanh': {
        const t = tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), TANH_A)), TANH_C));
        const dInner = tf.mul(tf.add(1, tf.mul(tf.square(x), 3 * TANH_A)), TANH_C);
        slope = tf.add(tf.mul(tf.add(1, t), 0.5), tf.mul(tf.mul(tf.mul(x, 0.5), tf.sub(1, tf.square(t))), dInner));
        break;
      }
      case 'relu':
        slope = tf.step(x, 0);
        break;
      case 'silu': {
        const sig = tf.sigmoid(x);
        slope = tf.mul(sig, tf.add(1, tf.mul(x, tf.sub(1, sig))));
        break;
      }
    }
    return tf.mul(withDirectionAxis(slope), dz);
  });
}
