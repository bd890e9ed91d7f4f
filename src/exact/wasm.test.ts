/**
 * Fine-tuning on the WASM backend, the browser's fallback when there is no WebGPU: it
 * lacks UnsortedSegmentSum, the kernel of tf.gather's gradient, so gradients.ts
 * replaces that gradient there. Checked on the gather alone, on every tiny test
 * architecture (every op's gradient runs on WASM), and by training a model with CLS
 * pooling (tiny RoBERTa), whose gradient goes through a gather.
 */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HfSentenceEncoder } from '../model/hf/sentence-encoder.ts';
import { loadHfModel } from '../model/hf/load.ts';
import { tinyModelFiles } from '../model/hf/tiny-models.test-support.ts';
import { loadTrainingGradients } from './gradients.ts';
import { gradientNorms, syntheticDocuments } from './training.test-support.ts';
import { makeExactVariant } from './variant.ts';

let roberta: HfSentenceEncoder;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await loadTrainingGradients();
  roberta = await loadHfModel(tinyModelFiles('roberta'), { id: 'tiny-roberta' });
});
afterAll(() => roberta?.dispose());

describe('fine-tuning on WASM', () => {
  it('has no UnsortedSegmentSum kernel, yet tf.gather has its gradient', () => {
    expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')).toBeUndefined();
    const x = tf.tensor3d(Array.from({ length: 24 }, (_, i) => i / 10), [2, 3, 4]);
    const w = tf.tensor3d(Array.from({ length: 24 }, (_, i) => i - 7), [2, 3, 4]);
    // y = gather(x, [2, 0, 2], axis 1); d Σ(y ⊙ w) / dx: row 2 gets w's rows 0 and 2, row 0 gets w's row 1.
    const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, [2, 0, 2], 1), w)))(x);
    const wv = w.arraySync();
    const expected = wv.map((rows) => [rows[1], [0, 0, 0, 0], rows[0].map((a, k) => a + rows[2][k])]);
    expect(grad.arraySync()).toEqual(expected);
    tf.dispose([x, w, grad]);
  });

  it.each(['bert', 'roberta', 'mpnet', 'bert-maxmean'])('%s: every op has a gradient, every trained matrix gets one', async (name) => {
    const model = name === 'roberta' ? roberta : await loadHfModel(tinyModelFiles(name), { id: `tiny-${name}` });
    const pairs = syntheticDocuments(1, 8, 3)[0].sentences.slice(0, 4).map((a, i, all) => ({ a: model.tokenize(a).ids, b: model.tokenize(all[(i + 1) % 4]).ids }));
    const norms = await gradientNorms(model, pairs, { kind: 'padding' });
    if (model !== roberta) model.dispose();
    expect([...norms.values()].every(Number.isFinite)).toBe(true);
    expect([...norms].filter(([n, norm]) => n.endsWith('.kernel') && !(norm > 0))).toEqual([]);
  });

  it('trains a CLS-pooled model', async () => {
    const start = tf.memory().numTensors;
    const variant = await makeExactVariant(roberta, syntheticDocuments(8, 16, 7), {
      trainPairs: 8, heldOutPairs: 8, minSentences: 10, batchPairs: 8, learningRate: 1e-3,
    });
    expect(variant.record.training.backend).toBe('wasm');
    const changed = (variant.model as HfSentenceEncoder).namedWeights().list().map(({ name, tensor }, i) => {
      const original = roberta.namedWeights().list()[i].tensor;
      return { name, same: tf.util.arraysEqual(tensor.dataSync(), original.dataSync()) };
    });
    // Every trained matrix moved (before the fix their gradients were all 0 or failed);
    // frozen weights did not. (Some biases rightly stay: the last LayerNorm's β cancels
    // in f(x) − f(r) when the CLS state is the embedding.)
    expect(changed.filter((w) => /^layers\..*\.kernel$/.test(w.name) && w.same)).toEqual([]);
    expect(changed.filter((w) => !w.name.startsWith('layers.') && !w.same)).toEqual([]);
    variant.model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
