/**
 * The two ways to get P (docs/method.md, "Cost, and how we beat it"), one chunk of α
 * points at a time. Both return Σ over the chunk's α of the per-token attributions,
 * as a [S, D] tensor (row i = P[:, i] summed, not yet divided by N), so chunks add up
 * and the result does not depend on how the points were split.
 *
 *  - tangent route: one Jacobian-vector product per token direction v_i, all
 *    directions and all α points of a sub-batch in one pass (S passes' worth of work);
 *  - reverse route: one vector-Jacobian product per output dimension (D passes'
 *    worth), as the papers' code does; kept as the oracle and baseline.
 */
import * as tf from '@tensorflow/tfjs-core';
import { encodeFrom, hiddenAt, type SentenceEncoder } from '../model/encoder.ts';
import { referenceIdsFor, type Reference } from '../model/reference.ts';
import { encodeFromJvp, type TangentEncoder } from '../model/tangent.ts';

/**
 * Rows of the widest activation ([rows, 1536] in use-lite's FFN) one batched op may
 * hold: 8192 rows ≈ 50 MB of float32, small enough for a browser GPU, large enough
 * that a sentence of 10 tokens runs 80 α points × all directions in one pass.
 */
export const DEFAULT_ROW_BUDGET = 8192;

/** Reference r and path direction Δ = x − r at the input of layer L, each [1, S, H]. */
export interface PathTensors {
  x: tf.Tensor3D;
  r: tf.Tensor3D;
  delta: tf.Tensor3D;
}

/** Hidden states of the text and of its reference at the input of `layer`. */
export function pathTensors(model: SentenceEncoder, ids: readonly number[], layer: number, reference: Reference, keep?: readonly boolean[]): PathTensors {
  return tf.tidy(() => {
    const x = hiddenAt(model, ids, layer);
    const r = reference.kind === 'zeros' ? (tf.zerosLike(x) as tf.Tensor3D) : hiddenAt(model, referenceIdsFor(model, ids, reference, keep), layer);
    return { x, r, delta: tf.sub(x, r) as tf.Tensor3D };
  });
}

/** Points r + αΔ for a batch of α: [n, S, H]. */
function pathPoints(path: PathTensors, alphas: readonly number[]): tf.Tensor3D {
  return tf.tidy(() => {
    const a = tf.tensor3d(Float32Array.from(alphas), [alphas.length, 1, 1]);
    return tf.add(path.r, tf.mul(a, path.delta)) as tf.Tensor3D;
  });
}

let gradientsLoaded: Promise<void> | undefined;

/**
 * The reverse route needs tfjs-core's gradient registry, which is only registered by
 * a side-effect import of its ESM build. Loaded on first use so the tangent route
 * (and any host that cannot resolve that build, such as plain Node ESM) never pays
 * for it or fails on it.
 */
export function loadGradients(): Promise<void> {
  gradientsLoaded ??= import('@tensorflow/tfjs-core/dist/register_all_gradients.js').then(
    () => undefined,
    (error: unknown) => {
      gradientsLoaded = undefined;
      throw new Error(
        `the reverse (vjp) route needs TF.js gradients, which this host could not load: ${(error as Error).message}`,
      );
    },
  );
  return gradientsLoaded;
}

/** Splits `n` items into consecutive batches of at most `size`. */
function batches(n: number, size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = 0; start < n; start += size) out.push([start, Math.min(n, start + size)]);
  return out;
}

/** [1, t1 − t0, S, 1] with a 1 at (i − t0, i): built in JS because tf.oneHot refuses depth 1. */
function rowSelector(t0: number, t1: number, s: number): tf.Tensor4D {
  const values = new Float32Array((t1 - t0) * s);
  for (let i = t0; i < t1; i++) values[(i - t0) * s + i] = 1;
  return tf.tensor4d(values, [1, t1 - t0, s, 1]);
}

/** Tangent route: Σ_α ∂g_L/∂x(x(α)) · v_i for every token i, [S, D]. */
export function jvpChunk(
  model: TangentEncoder,
  layer: number,
  path: PathTensors,
  alphas: readonly number[],
  rowBudget = DEFAULT_ROW_BUDGET,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [, s, h] = path.delta.shape;
    // Each batched op holds (α points) × (directions) × S rows.
    const alphaBatch = Math.max(1, Math.min(alphas.length, Math.floor(rowBudget / (s * s))));
    const directionBatch = Math.max(1, Math.min(s, Math.floor(rowBudget / (alphaBatch * s))));
    const perAlphaBatch: tf.Tensor2D[] = [];
    for (const [a0, a1] of batches(alphas.length, alphaBatch)) {
      const groups: tf.Tensor2D[] = [];
      for (const [t0, t1] of batches(s, directionBatch)) {
        groups.push(
          tf.tidy(() => {
            const n = a1 - a0;
            const x = pathPoints(path, alphas.slice(a0, a1));
            // v_i = Δ restricted to row i: a one-hot row mask times Δ, for i in [t0, t1).
            const v = tf.mul(rowSelector(t0, t1, s), tf.reshape(path.delta, [1, 1, s, h]));
            const dx = tf.tile(v, [n, 1, 1, 1]) as tf.Tensor4D;
            return tf.sum(encodeFromJvp(model, layer, { x, dx }).dx, 0) as tf.Tensor2D;
          }),
        );
      }
      perAlphaBatch.push(groups.length === 1 ? groups[0] : (tf.concat(groups, 0) as tf.Tensor2D));
    }
    return tf.addN(perAlphaBatch) as tf.Tensor2D;
  });
}

/**
 * Reverse route: for each output dimension d, the gradient of e_d at every x(α) dotted
 * with Δ row by row, [S, D] (or [S, dims.length] when only some dimensions are asked
 * for, as tests do to keep the oracle cheap). Output dimensions and α points are
 * batched by replicating the input, so one backward pass serves a whole block.
 */
export function vjpChunk(
  model: SentenceEncoder,
  layer: number,
  path: PathTensors,
  alphas: readonly number[],
  rowBudget = DEFAULT_ROW_BUDGET,
  dims: readonly number[] = Array.from({ length: model.outputSize }, (_, d) => d),
): tf.Tensor2D {
  return tf.tidy(() => {
    const [, s, h] = path.delta.shape;
    // The backward pass keeps every layer's activations, so take half the tangent route's budget.
    const budget = Math.max(1, Math.floor(rowBudget / 2));
    const alphaBatch = Math.max(1, Math.min(alphas.length, Math.floor(budget / s)));
    const dimBatch = Math.max(1, Math.min(dims.length, Math.floor(budget / (alphaBatch * s))));
    const perAlphaBatch: tf.Tensor2D[] = [];
    for (const [a0, a1] of batches(alphas.length, alphaBatch)) {
      const blocks: tf.Tensor2D[] = [];
      for (const [d0, d1] of batches(dims.length, dimBatch)) {
        blocks.push(
          tf.tidy(() => {
            const n = a1 - a0;
            const m = d1 - d0;
            const x = pathPoints(path, alphas.slice(a0, a1));
            // Row (j, c) of the replicated batch carries α_c and reads output dim dims[d0 + j].
            const replicated = tf.reshape(tf.tile(tf.expandDims(x, 0), [m, 1, 1, 1]), [m * n, s, h]);
            const rowDims = dims.slice(d0, d1).flatMap((d) => new Array<number>(n).fill(d));
            const select = tf.oneHot(tf.tensor1d(rowDims, 'int32'), model.outputSize);
            const grad = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(encodeFrom(model, layer, z as tf.Tensor3D), select)))(
              replicated,
            );
            const perRow = tf.mul(tf.reshape(grad, [m, n, s, h]), tf.reshape(path.delta, [1, 1, s, h]));
            return tf.sum(perRow, [1, 3]) as tf.Tensor2D; // [m, S]
          }),
        );
      }
      const all = blocks.length === 1 ? blocks[0] : tf.concat(blocks, 0);
      perAlphaBatch.push(tf.transpose(all) as tf.Tensor2D);
    }
    return tf.addN(perAlphaBatch) as tf.Tensor2D;
  });
}
