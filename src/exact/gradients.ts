/**
 * Gradient of matrix products without transpose flags.
 *
 * TF.js's own BatchMatMul gradient asks for products with transposeA / transposeB,
 * which the WASM backend runs 10-25× slower than a plain product (measured on
 * [200, 512] × [200, 1536]: 347 ms with transposeA against 15 ms for an explicit
 * transpose then a plain product). That made a fine-tuning step take ~35 s. This
 * registers the same gradient, with the transposes done explicitly.
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

let registered: Promise<void> | undefined;

/** Loads TF.js's gradients, then replaces the matrix-product one. Idempotent. */
export function loadTrainingGradients(): Promise<void> {
  registered ??= loadGradients().then(() => {
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
