/**
 * Embeddings of many texts at once, plain f(x) or shifted ẽ(x) = f(x) − f(r_x)
 * (docs/method.md, "Exact and approximate"). The encoders take batches of equal-length
 * sequences without padding, so texts are grouped by their reference ids (which
 * fixes their length); each group runs its reference once, in the same batch.
 * Differentiable: training calls this inside a gradient tape.
 */
import * as tf from '@tensorflow/tfjs-core';
import { referenceIdsFor, referenceProblem, type Reference } from '../model/reference.ts';
import { encodeFrom, type SentenceEncoder } from '../model/encoder.ts';
import { checkAborted, DistillError } from './errors.ts';

/** A text's reference input r_x as token ids, one per token of the text. */
export type ReferenceIds = (ids: readonly number[]) => number[];

/**
 * How the shift finds each text's reference: a function of its ids, or a token id
 * repeated to the text's length (use-lite's "▁", id 30; kept as a shorthand).
 */
export type ReferenceSpec = ReferenceIds | number;

/**
 * The reference ids `reference` gives for `model`: a token repeated, or the model's
 * own padding reference (frame tokens kept, the rest the padding token). Zeros at a
 * layer are no token ids, so they cannot shift a whole model.
 */
export function referenceIdsOf(model: SentenceEncoder, reference: Reference): ReferenceIds {
  if (reference?.kind === 'zeros') {
    throw new DistillError('the zeros reference has no token ids; an exact variant needs a token or padding reference');
  }
  const problem = referenceProblem(reference, [model]);
  if (problem) throw new DistillError(problem);
  return (ids) => referenceIdsFor(model, ids, reference);
}

function asReferenceIds(reference: ReferenceSpec): ReferenceIds {
  return typeof reference === 'number' ? (ids) => new Array<number>(ids.length).fill(reference) : reference;
}

interface Group {
  members: number[];
  reference?: number[];
}

/** Texts that can share one batch: same length, and same reference ids when shifting. */
function groupTexts(idLists: readonly (readonly number[])[], referenceIds: ReferenceIds | undefined): Group[] {
  const groups = new Map<string, Group>();
  idLists.forEach((ids, i) => {
    if (ids.length === 0) throw new Error(`text ${i} has no tokens`);
    const reference = referenceIds?.(ids);
    if (reference && reference.length !== ids.length) {
      throw new Error(`the reference of text ${i} has ${reference.length} tokens, the text ${ids.length}`);
    }
    const key = reference ? reference.join(',') : String(ids.length);
    const group = groups.get(key);
    if (group) group.members.push(i);
    else groups.set(key, { members: [i], reference });
  });
  return [...groups.values()];
}

/** f(x) for every id list, or ẽ(x) when a reference is given; [n, D] in input order. */
export function embedMany(model: SentenceEncoder, idLists: readonly (readonly number[])[], reference?: ReferenceSpec): tf.Tensor2D {
  if (idLists.length === 0) throw new Error('embedMany needs at least one text');
  const groups = groupTexts(idLists, reference === undefined ? undefined : asReferenceIds(reference));
  return tf.tidy(() => {
    const outputs: tf.Tensor2D[] = [];
    const order: number[] = [];
    for (const { members, reference: r } of groups) {
      const rows = members.map((i) => model.embed(idLists[i]));
      if (r) rows.push(model.embed(r));
      const out = encodeFrom(model, 0, rows.length === 1 ? rows[0] : (tf.concat(rows, 0) as tf.Tensor3D));
      if (!r) {
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

export interface PairCosineOptions {
  /** Pairs per forward pass (default 64). */
  batchPairs?: number;
  /** After each batch: batches done, of how many. */
  onBatch?: (done: number, batches: number) => void;
  /** Checked between batches; aborting rejects with DistillAbortedError. */
  signal?: AbortSignal;
}

/** Batches of pairCosines for `pairs` pairs: what a progress bar counts. */
export function pairCosineBatches(pairs: number, batchPairs = 64): number {
  return Math.ceil(pairs / batchPairs);
}

/** cos(f(a), f(b)) for every pair, or cos(ẽ(a), ẽ(b)) with a reference; evaluated in batches. */
export async function pairCosines(
  model: SentenceEncoder,
  pairs: readonly TokenPair[],
  reference?: ReferenceSpec,
  options: PairCosineOptions = {},
): Promise<Float32Array> {
  const { batchPairs = 64, onBatch, signal } = options;
  const out = new Float32Array(pairs.length);
  // Pairs of similar lengths together: fewer length groups per batch, fewer passes.
  const key = (p: TokenPair) => Math.min(p.a.length, p.b.length) * 1000 + Math.max(p.a.length, p.b.length);
  const order = Array.from({ length: pairs.length }, (_, i) => i).sort((i, j) => key(pairs[i]) - key(pairs[j]));
  const batches = pairCosineBatches(pairs.length, batchPairs);
  for (let start = 0; start < pairs.length; start += batchPairs) {
    await checkAborted(signal);
    const members = order.slice(start, start + batchPairs);
    const batch = members.map((i) => pairs[i]);
    const cos = tf.tidy(() => {
      const e = embedMany(model, [...batch.map((p) => p.a), ...batch.map((p) => p.b)], reference);
      const n = batch.length;
      return rowCosines(tf.slice(e, [0, 0], [n, -1]), tf.slice(e, [n, 0], [n, -1]));
    });
    const values = await cos.data();
    cos.dispose();
    members.forEach((pairIndex, k) => (out[pairIndex] = values[k]));
    onBatch?.(start / batchPairs + 1, batches);
  }
  return out;
}
