/**
 * Reshapes between token states [B, S, heads·d] and per-head batches, for the
 * attention of every architecture: primals, and tangents that carry an extra
 * direction axis T (docs/method.md, "Cost, and how we beat it").
 */
import * as tf from '@tensorflow/tfjs-core';

/** [B, S, heads·d] → [B, heads, S, d] */
export function splitHeads(x: tf.Tensor3D, heads: number): tf.Tensor4D {
  const [b, s, width] = x.shape;
  return tf.transpose(tf.reshape(x, [b, s, heads, width / heads]), [0, 2, 1, 3]);
}

/** [B, heads, S, d] → [B, S, heads·d] */
export function combineHeads(x: tf.Tensor4D): tf.Tensor3D {
  const [b, h, s, d] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [b, s, h * d]);
}

/** Tangents [B, T, S, heads·d] → [B·heads, T, S, d]: one attention batch per (point, head). */
export function splitTangentHeads(dx: tf.Tensor4D, heads: number): tf.Tensor4D {
  const [b, t, s, width] = dx.shape;
  const split = tf.transpose(tf.reshape(dx, [b, t, s, heads, width / heads]), [0, 3, 1, 2, 4]);
  return tf.reshape(split, [b * heads, t, s, width / heads]);
}

/** Inverse of splitTangentHeads, for a primal batch of size b. */
export function combineTangentHeads(dx: tf.Tensor4D, b: number): tf.Tensor4D {
  const [bh, t, s, d] = dx.shape;
  const heads = bh / b;
  const joined = tf.transpose(tf.reshape(dx, [b, heads, t, s, d]), [0, 2, 3, 1, 4]);
  return tf.reshape(joined, [b, t, s, heads * d]);
}

/** [B, heads, S, d] → [B·heads, S, d] */
export function foldHeads(x: tf.Tensor4D): tf.Tensor3D {
  const [b, h, s, d] = x.shape;
  return tf.reshape(x, [b * h, s, d]);
}
