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

/**
 * Unit-length embeddings of every pair's two texts, row i of `a` and `b` for pair i
 * ([n × dim] each, row-major): f(x)/|f(x)|, or ẽ(x)/|ẽ(x)| with a reference. What the
 * in-batch loss of train.ts compares every two texts by; a zero vector stays zero.
 */
export interface PairEmbeddings {
  a: Float32Array;
  b: Float32Array;
  dim: number;
}

/** Rows scaled to unit length; the floor only guards a zero vector (a text equal to its reference). */
export function unitRows(e: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(e, tf.maximum(tf.sqrt(tf.sum(tf.square(e), 1, true)), 1e-12)) as tf.Tensor2D);
}

/** pairEmbeddings evaluated in batches of similar lengths (fewer length groups per batch, fewer passes). */
export async function pairEmbeddings(
  model: SentenceEncoder,
  pairs: readonly TokenPair[],
  reference?: ReferenceSpec,
  options: PairCosineOptions = {},
): Promise<PairEmbeddings> {
  const { batchPairs = 64, onBatch, signal } = options;
  const dim = model.outputSize;
  const out: PairEmbeddings = { a: new Float32Array(pairs.length * dim), b: new Float32Array(pairs.length * dim), dim };
  const key = (p: TokenPair) => Math.min(p.a.length, p.b.length) * 1000 + Math.max(p.a.length, p.b.length);
  const order = Array.from({ length: pairs.length }, (_, i) => i).sort((i, j) => key(pairs[i]) - key(pairs[j]));
  const batches = pairCosineBatches(pairs.length, batchPairs);
  for (let start = 0; start < pairs.length; start += batchPairs) {
    await checkAborted(signal);
    const members = order.slice(start, start + batchPairs);
    const unit = tf.tidy(() => unitRows(embedMany(model, [...members.map((i) => pairs[i].a), ...members.map((i) => pairs[i].b)], reference)));
    const width = unit.shape[1];
    const values = await unit.data();
    unit.dispose();
    if (width !== dim) throw new Error(`model "${model.id}" returned ${width}-wide embeddings, its outputSize is ${dim}`);
    const n = members.length;
    members.forEach((pairIndex, k) => {
      out.a.set(values.subarray(k * dim, (k + 1) * dim), pairIndex * dim);
      out.b.set(values.subarray((n + k) * dim, (n + k + 1) * dim), pairIndex * dim);
    });
    onBatch?.(start / batchPairs + 1, batches);
  }
  return out;
}

/** Dot product of row i of `a` and `b`: the cosine of pair i for unit rows. */
export function rowDot(e: PairEmbeddings, i: number): number {
  let dot = 0;
  for (let k = i * e.dim; k < (i + 1) * e.dim; k++) dot += e.a[k] * e.b[k];
  return dot;
}

/** The cosine of every pair whose unit embeddings `e` holds. */
export function cosinesOf(e: PairEmbeddings): Float32Array {
  return Float32Array.from({ length: e.a.length / e.dim }, (_, i) => rowDot(e, i));
}

/** cos(f(a), f(b)) for every pair, or cos(ẽ(a), ẽ(b)) with a reference; evaluated in batches. */
export async function pairCosines(
  model: SentenceEncoder,
  pairs: readonly TokenPair[],
  reference?: ReferenceSpec,
  options: PairCosineOptions = {},
): Promise<Float32Array> {
  return cosinesOf(await pairEmbeddings(model, pairs, reference, options));
}
