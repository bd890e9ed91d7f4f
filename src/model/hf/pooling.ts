/**
 * sentence-transformers' Pooling module for unpadded sequences: each enabled mode
 * gives one [B, H] vector and the vectors are concatenated in the module's order
 * (cls, max, mean, mean_sqrt_len, weighted_mean, last_token).
 *
 * All modes but max are linear in the token states, so their tangent is the same
 * map applied to the tangents. Max pooling picks one token per hidden unit; away
 * from ties it is locally that selection, so its tangent selects the argmax token's
 * tangent (tf.grad agrees except at exact ties).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dual2, Dual3 } from '../tangent.ts';
import { withDirectionAxis } from '../tangent.ts';
import type { PoolingMode } from './checkpoint.ts';

/** Position weights 1..S of weighted-mean pooling, normalised to sum 1, as [1, S, 1]. */
function positionWeights(s: number): tf.Tensor3D {
  const w = Float32Array.from({ length: s }, (_, i) => i + 1);
  const total = (s * (s + 1)) / 2;
  return tf.div(tf.tensor3d(w, [1, s, 1]), total) as tf.Tensor3D;
}

/** Applies a linear token-axis reduction to primal [B, S, H] (axis 1) or tangents [B, T, S, H] (axis 2). */
function linearMode(mode: Exclude<PoolingMode, 'max'>, x: tf.Tensor, axis: 1 | 2): tf.Tensor {
  const s = x.shape[axis] as number;
  switch (mode) {
    case 'cls':
      return tf.squeeze(tf.gather(x, [0], axis), [axis]);
    case 'last_token':
      return tf.squeeze(tf.gather(x, [s - 1], axis), [axis]);
    case 'mean':
      return tf.div(tf.sum(x, axis), s);
    case 'mean_sqrt_len':
      return tf.div(tf.sum(x, axis), Math.sqrt(s));
    case 'weighted_mean': {
      const w = positionWeights(s);
      return tf.sum(tf.mul(x, axis === 1 ? w : tf.expandDims(w, 1)), axis);
    }
  }
}

export function pool(modes: readonly PoolingMode[], x: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const parts = modes.map((mode) => (mode === 'max' ? tf.max(x, 1) : linearMode(mode, x, 1)));
    return (parts.length === 1 ? parts[0] : tf.concat(parts, -1)) as tf.Tensor2D;
  });
}

export function poolJvp(modes: readonly PoolingMode[], d: Dual3): Dual2 {
  return tf.tidy(() => {
    const xs: tf.Tensor[] = [];
    const dxs: tf.Tensor[] = [];
    for (const mode of modes) {
      if (mode === 'max') {
        const [b, s, h] = d.x.shape;
        xs.push(tf.max(d.x, 1));
        // One-hot over tokens of each unit's argmax: [B, H] → [B, H, S] → [B, 1, S, H].
        const arg = tf.reshape(tf.argMax(d.x, 1), [b * h]);
        // oneHot in int32, then cast: WASM's float32 oneHot writes the int bits (1 → 1.4e-45).
        const pick = tf.transpose(tf.reshape(tf.cast(tf.oneHot(arg, s), 'float32'), [b, h, s]), [0, 2, 1]);
        dxs.push(tf.sum(tf.mul(withDirectionAxis(pick), d.dx), 2));
      } else {
        xs.push(linearMode(mode, d.x, 1));
        dxs.push(linearMode(mode, d.dx, 2));
      }
    }
    const join = (parts: tf.Tensor[]) => (parts.length === 1 ? parts[0] : tf.concat(parts, -1));
    return { x: join(xs) as tf.Tensor2D, dx: join(dxs) as tf.Tensor3D };
  });
}
