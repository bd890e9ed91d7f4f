/**
 * Embeddings of many texts at once, plain f(x) or shifted ẽ(x) = f(x) − f(r_x)
 * (method.md, "Exact and approximate"). The encoders take batches of equal-length
 * sequences without padding, so texts are grouped by length; each group also runs
 * its own reference, which only depends on the length. Differentiable: training
 * calls this inside a gradient tape.
 */
import * as tf from '@tensorflow/tfjs-core';
import { encodeFrom, type SentenceEncoder } from '../model/encoder.ts';

/** f(x) for every id list, or ẽ(x) when a reference token is given; [n, D] in input order. */
export function embedMany(model: SentenceEncoder, idLists: readonly (readonly number[])[], referenceId?: number): tf.Tensor2D {
  if (idLists.length === 0) throw new Error('embedMany needs at least one text');
  const groups = new Map<number, number[]>();
  idLists.forEach((ids, i) => {
    if (ids.length === 0) throw new Error(`text ${i} has no tokens`);
    const group = groups.get(ids.length);
    if (group) group.push(i);
    else groups.set(ids.length, [i]);
  });
  return tf.tidy(() => {
    const outputs: tf.Tensor2D[] = [];
    const order: number[] = [];
    for (const [length, members] of groups) {
      const rows = members.map((i) => model.embed(idLists[i]));
      if (referenceId !== undefined) rows.push(model.embed(new Array<number>(length).fill(referenceId)));
      const out = encodeFrom(model, 0, rows.length === 1 ? rows[0] : (tf.concat(rows, 0) as tf.Tensor3D));
      if (referenceId === undefined) {
        outputs.push(out);
      } else {
        const n = members.length;
        outputs.push(tf.sub(tf.slice(out, [0, 0], [n, -1]), tf.slice(out, [n, 0], [1, -1])));
      }
      order.push(...members);
    }
    const stacked = outputs.length === 1 ? outputs[0] : (tf.concat(outputs, 0) as tf.Tensor2D);
    // Row k of `stacked` is text order[k]; a permutation matrix puts text i back at row
    // i. Not tf.gather: its gradient (UnsortedSegmentSum) has no WASM kernel. Exact, as
    // every output is one product by 1 plus zeros.
    const n = order.length;
    const permutation = new Float32Array(n * n);
    order.forEach((textIndex, row) => (permutation[textIndex * n + row] = 1));
    return tf.matMul(tf.tensor2d(permutation, [n, n]), stacked);
  });
}

/** Cosine of matching rows, [n, D] × [n, D] → [n]. */
export function rowCosines(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const dot = tf.sum(tf.mul(u, v), 1);
    const norms = tf.sqrt(tf.mul(tf.sum(tf.square(u), 1), tf.sum(tf.square(v), 1)));
    // The floor only guards a zero vector (a text equal to its reference); it never binds otherwise.
    return tf.div(dot, tf.maximum(norms, 1e-12)) as tf.Tensor1D;
  });
}

export interface TokenPair {
  a: readonly number[];
  b: readonly number[];
}

/** cos(f(a), f(b)) for every pair, or cos(ẽ(a), ẽ(b)) with a reference; evaluated in batches. */
export async function pairCosines(
  model: SentenceEncoder,
  pairs: readonly TokenPair[],
  referenceId?: number,
  batchPairs = 64,
): Promise<Float32Array> {
  const out = new Float32Array(pairs.length);
  // Pairs of similar lengths together: fewer length groups per batch, fewer passes.
  const key = (p: TokenPair) => Math.min(p.a.length, p.b.length) * 1000 + Math.max(p.a.length, p.b.length);
  const order = Array.from({ length: pairs.length }, (_, i) => i).sort((i, j) => key(pairs[i]) - key(pairs[j]));
  for (let start = 0; start < pairs.length; start += batchPairs) {
    const members = order.slice(start, start + batchPairs);
    const batch = members.map((i) => pairs[i]);
    const cos = tf.tidy(() => {
      const e = embedMany(model, [...batch.map((p) => p.a), ...batch.map((p) => p.b)], referenceId);
      const n = batch.length;
      return rowCosines(tf.slice(e, [0, 0], [n, -1]), tf.slice(e, [n, 0], [n, -1]));
    });
    const values = await cos.data();
    cos.dispose();
    members.forEach((pairIndex, k) => (out[pairIndex] = values[k]));
  }
  return out;
}
