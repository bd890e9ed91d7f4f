/** Shared by the exact-variant tests: a small synthetic corpus in the tiny test models' vocabulary, and a gradient probe. */
import * as tf from '@tensorflow/tfjs-core';
import type { Reference } from '../model/reference.ts';
import type { SentenceEncoder } from '../model/encoder.ts';
import { pick, randomInt, seededRandom } from '../shared/random.ts';
import type { SentenceDocument } from './corpus.ts';
import { loadTrainingGradients } from './gradients.ts';
import { referenceIdsOf, type TokenPair } from './shifted.ts';
import { trainableCopy, type NamedWeights, type TrainableScope } from './named-weights.ts';
import { distillLoss, type TrainableEncoder } from './train.ts';
import { weightsOf } from './trainable.ts';
import type { HfSentenceEncoder } from '../model/hf/sentence-encoder.ts';
import type { ReferenceSpec } from './shifted.ts';

/** Words every tiny test tokenizer knows (test-models/*: WordPiece and byte-level BPE). */
const WORDS = (
  'the a cat dog sat mat man woman child play run quick brown fox jump over lazy house home car road city music song ' +
  'book read good bad happy sad big small old new day night people food water coffee tea drink eat like'
).split(' ');

/**
 * `documents` documents of `sentences` sentences each (4 to 8 words, a capital and a
 * full stop, so splitSentences would keep them), each document favouring its own
 * few words so that sentences of one document are more alike than random ones.
 */
export function syntheticDocuments(documents: number, sentences: number, seed = 1): SentenceDocument[] {
  const random = seededRandom(seed);
  return Array.from({ length: documents }, (_, d) => {
    const own = Array.from({ length: 6 }, () => pick(random, WORDS));
    const sentence = () => {
      const words = Array.from({ length: 4 + randomInt(random, 5) }, () => (random() < 0.5 ? pick(random, own) : pick(random, WORDS)));
      return `${words[0][0].toUpperCase()}${words[0].slice(1)} ${words.slice(1).join(' ')}.`;
    };
    return { source: 'synthetic', name: `doc${d}`, sentences: Array.from({ length: sentences }, sentence) };
  });
}

/**
 * The norm of the distillation loss's gradient for every weight fine-tuning changes
 * ('encoder' scope), by weight name, on a fresh trainable copy of `model`: shows that
 * every op of the forward pass has a working gradient on the current backend.
 * Targets of 0 keep the loss, hence the gradients, away from 0.
 */
export async function gradientNorms(model: SentenceEncoder, pairs: readonly TokenPair[], reference: Reference): Promise<Map<string, number>> {
  await loadTrainingGradients();
  const student = trainableCopy(weightsOf(model), `${model.id}~probe`, 'encoder');
  try {
    const referenceIds = referenceIdsOf(student.model, reference);
    const { value, grads } = tf.variableGrads(
      () => tf.tidy(() => distillLoss(student.model, pairs, tf.zeros([pairs.length]) as tf.Tensor1D, referenceIds)),
      student.variables,
    );
    const names = new Map(weightsOf(student.model).list().map((w) => [w.tensor, w.name]));
    const norms = new Map<string, number>();
    for (const v of student.variables) norms.set(names.get(v) ?? v.name, tf.tidy(() => tf.norm(grads[v.name]).dataSync()[0]));
    tf.dispose([value, ...Object.values(grads)]);
    return norms;
  } finally {
    student.model.dispose();
  }
}

/** A trainable copy of a Hugging Face encoder; throws DistillError for an exact checkpoint. */
export function trainableHfCopy(original: HfSentenceEncoder, id: string, scope: TrainableScope): TrainableEncoder & { model: HfSentenceEncoder } {
  // weightsOf refuses exact checkpoints; the copy is of the original's own class.
  return trainableCopy(weightsOf(original) as NamedWeights<HfSentenceEncoder>, id, scope);
}

/** Mean distillation loss over `pairs` without training (for before/after figures). */
export async function evaluateLoss(
  model: SentenceEncoder,
  pairs: readonly TokenPair[],
  targets: Float32Array,
  reference: ReferenceSpec,
  batchPairs = 64,
): Promise<number> {
  let total = 0;
  for (let start = 0; start < pairs.length; start += batchPairs) {
    const batch = pairs.slice(start, start + batchPairs);
    const t = tf.tensor1d(targets.subarray(start, start + batch.length));
    const loss = distillLoss(model, batch, t, reference);
    total += (await loss.data())[0] * batch.length;
    tf.dispose([t, loss]);
  }
  return total / pairs.length;
}
