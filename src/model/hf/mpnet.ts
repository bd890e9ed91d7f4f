/**
 * MPNet's relative position bias: every layer adds the same learned bias, looked up by
 * a bucket of the key − query distance, to its attention scores. The buckets follow
 * T5's scheme as MPNet uses it: half the buckets for each direction, exact buckets for
 * distances below a quarter of the buckets, logarithmic ones up to max_distance = 128,
 * then the last bucket. The bias is a constant of the input length, so its tangent is 0.
 */
import * as tf from '@tensorflow/tfjs-core';

export const MPNET_MAX_DISTANCE = 128;

/** Bucket of relative position (key − query). */
export function relativePositionBucket(relative: number, numBuckets: number, maxDistance = MPNET_MAX_DISTANCE): number {
  const half = Math.floor(numBuckets / 2);
  const n = -relative;
  const base = n < 0 ? half : 0;
  const distance = Math.abs(n);
  const maxExact = Math.floor(half / 2);
  if (distance < maxExact) return base + distance;
  // PyTorch computes this in float32 and truncates toward zero. Emulating its float32
  // rounding gives the same buckets as this double computation for every distance up
  // to 600 (checked); the exact powers 16, 32, 64 land on integers in both.
  const large = maxExact + Math.trunc((Math.log(distance / maxExact) / Math.log(maxDistance / maxExact)) * (half - maxExact));
  return base + Math.min(large, half - 1);
}

/** Bucket index of every (query, key) pair for a sequence of length s, [s, s]. */
export function bucketMatrix(s: number, numBuckets: number): Int32Array {
  const out = new Int32Array(s * s);
  for (let q = 0; q < s; q++) for (let k = 0; k < s; k++) out[q * s + k] = relativePositionBucket(k - q, numBuckets);
  return out;
}

/** The bias added to the scores: [1, heads, S, S], from the table [buckets, heads]. */
export function relativePositionBias(table: tf.Tensor2D, s: number): tf.Tensor4D {
  return tf.tidy(() => {
    const buckets = tf.tensor2d(bucketMatrix(s, table.shape[0]), [s, s], 'int32');
    const values = tf.gather(table, buckets); // [S, S, heads]
    return tf.expandDims(tf.transpose(values, [2, 0, 1]), 0) as tf.Tensor4D;
  });
}
