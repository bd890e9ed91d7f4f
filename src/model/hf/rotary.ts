/**
 * Rotary position embeddings (NomicBERT, ModernBERT, Gemma): each head's query and key
 * are rotated by an angle proportional to the token's position, so q·k depends on the
 * positions only through their distance. Following transformers' convention the
 * head's d features are two halves (x₁, x₂) rotated pairwise: x·cos + rotateHalf(x)·sin,
 * rotateHalf(x) = (−x₂, x₁), with angle_i(p) = p·base^(−2i/d) repeated over both halves.
 *
 * The rotation is linear in x and the same for every direction, so the tangent is the
 * same rotation of the tangent (applyRotary on [.., S, d] tensors of any rank).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface RotaryTables {
  /** [S, d] */
  cos: tf.Tensor2D;
  /** [S, d] */
  sin: tf.Tensor2D;
}

/**
 * cos and sin of every position's angles for heads of `dim` features, positions
 * 0..s−1 (or `positions`), frequencies base^(−2i/dim), i < dim/2, computed in float64.
 */
export function rotaryTables(s: number, dim: number, base: number, positions?: readonly number[]): RotaryTables {
  if (dim % 2 !== 0) throw new Error(`rotary features must be even, got ${dim}`);
  const half = dim / 2;
  const cos = new Float32Array(s * dim);
  const sin = new Float32Array(s * dim);
  for (let p = 0; p < s; p++) {
    const position = positions ? positions[p] : p;
    for (let i = 0; i < half; i++) {
      // transformers computes inv_freq in float32, then position · inv_freq in float32.
      const invFreq = Math.fround(1 / Math.pow(base, (2 * i) / dim));
      const angle = Math.fround(position * invFreq);
      cos[p * dim + i] = cos[p * dim + i + half] = Math.cos(angle);
      sin[p * dim + i] = sin[p * dim + i + half] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [s, dim]), sin: tf.tensor2d(sin, [s, dim]) };
}

/** (x₁, x₂) → (−x₂, x₁) over the last axis. */
function rotateHalf(x: tf.Tensor): tf.Tensor {
  const [x1, x2] = tf.split(x, 2, -1);
  return tf.concat([tf.neg(x2), x1], -1);
}

/**
 * x·cos + rotateHalf(x)·sin for x of shape [..., S, d] (the tables broadcast over the
 * leading axes): queries and keys [B, heads, S, d], and their tangents [N, T, S, d].
 * With `rotaryDim` < d, only the first rotaryDim features turn (partial rotary).
 */
export function applyRotary<T extends tf.Tensor>(x: T, tables: RotaryTables, rotaryDim = tables.cos.shape[1]): T {
  return tf.tidy(() => {
    const d = x.shape[x.shape.length - 1];
    if (rotaryDim === d) return tf.add(tf.mul(x, tables.cos), tf.mul(rotateHalf(x), tables.sin)) as T;
    const [turned, rest] = tf.split(x, [rotaryDim, d - rotaryDim], -1);
    return tf.concat([tf.add(tf.mul(turned, tables.cos), tf.mul(rotateHalf(turned), tables.sin)), rest], -1) as T;
  });
}
