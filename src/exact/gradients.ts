/**
 * Two gradients TF.js gets wrong for fine-tuning on the WASM backend, replaced once
 * its gradients are loaded:
 *
 *  - Matrix products without transpose flags. TF.js's own BatchMatMul gradient asks
 *    for products with transposeA / transposeB, which the WASM backend runs 10-25×
 *    slower than a plain product (measured on [200, 512] × [200, 1536]: 347 ms with
 *    transposeA against 15 ms for an explicit transpose then a plain product). That
 *    made a fine-tuning step take ~35 s. The same gradient, transposes done explicitly.
 *  - tf.gather's gradient is an UnsortedSegmentSum, a kernel the WASM backend lacks;
 *    CLS and last-token pooling gather from the token states, so fine-tuning such a
 *    model on WASM failed. Where the backend lacks that kernel, the same sum as a
 *    product with a 0/1 selection matrix; elsewhere TF.js's own gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadGradients } from '../attribution/routes.ts';

/** Swaps the last two axes. */
function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}

/** x·y, or with either side transposed, always as a plain product. */
function product(x: tf.Tensor, y: tf.Tensor, transposeX: boolean, transposeY: boolean): tf.Tensor {
  return tf.matMul(transposeX ? swapLast(x) : x, transposeY ? swapLast(y) : y);
}

/**
 * ∂L/∂x of y = gather(x, indices, axis) without UnsortedSegmentSum: with x viewed as
 * [outer, N, inner] and dy as [outer, K, inner] (K = indices.size), the gradient is
 * S · dy per outer slice, S[j, i] = 1 where indices[i] = j: repeated indices add up.
 * Its cost grows with N·K, fine for gathering a few tokens from a sequence; embedding
 * tables, where N is the vocabulary, are frozen and never get here.
 */
function gatherGradBySelection(dy: tf.Tensor, x: tf.Tensor, indices: tf.Tensor, axis: number): tf.Tensor {
  const n = x.shape[axis];
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const k = indices.size;
  const rows = tf.reshape(tf.transpose(tf.reshape(dy, [outer, k, inner]), [1, 0, 2]), [k, outer * inner]);
  // Selection[j, i] = 1 where indices[i] = j. Not tf.oneHot: its float32 output comes
  // back as integer bit patterns on the WASM backend (1 reads as 1.4e-45).
  const selection = tf.cast(tf.equal(tf.reshape(tf.range(0, n, 1, 'int32'), [n, 1]), tf.reshape(indices, [1, k])), 'float32'); // [N, K]
  const grad = tf.reshape(tf.matMul(selection, rows), [n, outer, inner]);
  return tf.reshape(tf.transpose(grad, [1, 0, 2]), x.shape);
}

function registerGatherGradient(): void {
  const stock = tf.getGradient(tf.GatherV2);
  tf.registerGradient({
    kernelName: tf.GatherV2,
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const { axis, batchDims } = attrs as unknown as tf.GatherV2Attrs;
      const backendHasSum = tf.getKernel(tf.UnsortedSegmentSum, tf.getBackend()) !== undefined;
      if (backendHasSum || (batchDims ?? 0) !== 0) return stock.gradFunc(dy, saved, attrs);
      const [x, indices] = saved;
      const parsedAxis = axis < 0 ? axis + x.rank : axis;
      return { x: () => gatherGradBySelection(dy as tf.Tensor, x, indices, parsedAxis), indices: () => indices };
    },
  });
}

let registered: Promise<void> | undefined;

/** Loads TF.js's gradients, then replaces the matrix-product and gather ones. Idempotent. */
export function loadTrainingGradients(): Promise<void> {
  registered ??= loadGradients().then(() => {
    registerGatherGradient();
    tf.registerGradient({
      kernelName: tf.BatchMatMul,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved, attrs) => {
        const [a, b] = saved;
        const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
        const g = dy as tf.Tensor;
        // For C = op(A)·op(B): dA and dB follow from dC by the usual product rules.
        if (!transposeA && !transposeB) return { a: () => product(g, b, false, true), b: () => product(a, g, true, false) };
        if (!transposeA && transposeB) return { a: () => product(g, b, false, false), b: () => product(g, a, true, false) };
        if (transposeA && !transposeB) return { a: () => product(b, g, false, true), b: () => product(a, g, false, false) };
        return { a: () => product(b, g, true, true), b: () => product(g, a, true, true) };
      },
    });
  });
  return registered;
}
