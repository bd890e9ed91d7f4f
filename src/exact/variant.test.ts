/**
 * Exact variants of Hugging Face encoders (tiny test models, CPU backend): the shift
 * maps the padding reference to exactly 0, fine-tuning lowers the distillation loss
 * and never touches the original, runs are reproducible, a stored variant restores
 * bit for bit, and cancelling or bad input fails clearly, frees every tensor and
 * leaves the original usable.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SentenceEncoder } from '../model/encoder.ts';
import { seededRandom } from '../shared/random.ts';
import type { HfSentenceEncoder } from '../model/hf/sentence-encoder.ts';
import { loadHfModel } from '../model/hf/load.ts';
import { tinyModelFiles } from '../model/hf/tiny-models.test-support.ts';
import { buildPairs, CorpusError } from './corpus.ts';
import { DistillAbortedError, DistillError, StoredVariantError } from './errors.ts';
import { embedMany, pairCosines, referenceIdsOf, type TokenPair } from './shifted.ts';
import { evaluateLoss, gradientNorms, syntheticDocuments, trainableHfCopy } from './training.test-support.ts';
import { distill, type DistillSettings } from './train.ts';
import { defaultTrainPairs, defaultVariantSettings, makeExactVariant, VARIANT_DEFAULTS, type VariantProgress, type VariantSettings } from './variant.ts';
import { restoreVariant, serializeVariant, type StoredVariant } from './variant-store.ts';

const models: Record<string, HfSentenceEncoder> = {};

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (const name of ['bert', 'roberta', 'mpnet', 'mpnet-exact']) models[name] = await loadHfModel(tinyModelFiles(name), { id: `tiny-${name}` });
});
afterAll(() => Object.values(models).forEach((m) => m.dispose()));

const DOCUMENTS = syntheticDocuments(8, 16, 7);

/** Small enough for a test: 2 training steps of 8 pairs, 8 held-out pairs. */
const QUICK: Partial<VariantSettings> = { trainPairs: 16, heldOutPairs: 8, minSentences: 10, batchPairs: 8, learningRate: 1e-3 };

function tokenPairs(model: SentenceEncoder, n: number, seed: number): TokenPair[] {
  return buildPairs(DOCUMENTS, seededRandom(seed), n).map((p) => ({ a: model.tokenize(p.a).ids, b: model.tokenize(p.b).ids }));
}

async function snapshot(model: HfSentenceEncoder): Promise<Float32Array[]> {
  return Promise.all(model.namedWeights().list().map(async ({ tensor }) => Float32Array.from((await tensor.data()) as Float32Array)));
}

async function embeddings(model: SentenceEncoder, texts: readonly string[]): Promise<Float32Array> {
  const e = embedMany(model, texts.map((t) => model.tokenize(t).ids));
  const values = (await e.data()) as Float32Array;
  e.dispose();
  return values;
}

const PROBE = ['the cat sat on the mat .', 'a quick brown fox', 'people like coffee and tea at night'];

describe('the shifted Hugging Face model', () => {
  it.each(['bert', 'roberta', 'mpnet'])('%s: maps its padding reference to exactly zero at every length', async (name) => {
    const model = models[name];
    const reference = referenceIdsOf(model, { kind: 'padding' });
    const texts = ['cat', 'the dog runs home', 'a happy child reads a good book at night with the old man'].map((t) => model.tokenize(t).ids);
    expect(new Set(texts.map((ids) => ids.length)).size).toBe(3);
    // Each text's reference alone, and batched with an ordinary text of the same length.
    const e = embedMany(model, [...texts.map(reference), ...texts], reference);
    const values = await e.data();
    e.dispose();
    const d = model.outputSize;
    for (let k = 0; k < texts.length; k++) expect(values.subarray(k * d, (k + 1) * d).every((v) => v === 0)).toBe(true);
    expect(values.subarray(texts.length * d).some((v) => v !== 0)).toBe(true);
  });
});

describe('a trainable copy of a Hugging Face encoder', () => {
  it.each(['bert', 'roberta', 'mpnet', 'bert-maxmean'])('%s: every op has a gradient, every trained matrix gets one', async (name) => {
    const model = name === 'bert-maxmean' ? await loadHfModel(tinyModelFiles(name), { id: 'tiny-bert-maxmean' }) : models[name];
    const start = tf.memory().numTensors;
    const norms = await gradientNorms(model, tokenPairs(model, 4, 3), { kind: 'padding' });
    expect(tf.memory().numTensors).toBe(start);
    if (model !== models[name]) model.dispose();
    expect([...norms.values()].every(Number.isFinite)).toBe(true);
    expect([...norms].filter(([n, norm]) => n.endsWith('.kernel') && !(norm > 0))).toEqual([]);
  });

  it('trains the layers and the Dense head, freezes embeddings and position bias, by scope', () => {
    const mpnet = models.mpnet;
    const before = tf.memory().numTensors;
    const names = (scope: 'encoder' | 'top') => {
      const copy = trainableHfCopy(mpnet, 'copy', scope);
      const trainable = new Set(copy.variables);
      const list = copy.model.namedWeights().list();
      const out = list.filter((w) => trainable.has(w.tensor as tf.Variable)).map((w) => w.name);
      expect(copy.variables).toHaveLength(out.length);
      copy.model.dispose();
      return out;
    };
    const encoder = names('encoder');
    expect(encoder).toContain('layers.0.qkv.kernel');
    expect(encoder).toContain('layers.1.outputNorm.scale');
    expect(encoder).toContain('dense.0.kernel');
    expect(encoder.filter((n) => n.startsWith('embeddings.') || n === 'relativeAttentionBias')).toEqual([]);
    const top = names('top');
    expect(top.some((n) => n.startsWith('layers.0.'))).toBe(false);
    expect(top).toContain('layers.1.intermediate.kernel');
    expect(top).toContain('dense.0.bias');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an exact checkpoint: it is exact already', () => {
    expect(() => trainableHfCopy(models['mpnet-exact'], 'x', 'encoder')).toThrow(DistillError);
    expect(() => trainableHfCopy(models['mpnet-exact'], 'x', 'encoder')).toThrow(/already exact/);
  });

  it("gets VARIANT_DEFAULTS with its own reference as Make exact's recipe; an exact checkpoint gets none", () => {
    expect(defaultVariantSettings(models.bert)).toEqual({ ...VARIANT_DEFAULTS, reference: models.bert.defaultReference });
    expect(defaultTrainPairs(models.bert)).toBe(VARIANT_DEFAULTS.trainPairs);
    expect(defaultTrainPairs(models['mpnet-exact'])).toBeNull();
  });
});

describe('fine-tuning a Hugging Face encoder', () => {
  const SETTINGS: DistillSettings = { epochs: 4, batchPairs: 8, learningRate: 1e-3, warmup: 0.1, seed: 3, reference: { kind: 'padding' } };

  it('lowers the distillation loss and leaves the original untouched', async () => {
    const original = models.bert;
    const before = await snapshot(original);
    const pairs = tokenPairs(original, 16, 1);
    const targets = await pairCosines(original, pairs);
    const student = trainableHfCopy(original, 'tiny-bert~exact', 'encoder');
    const reference = referenceIdsOf(original, { kind: 'padding' });
    const lossBefore = await evaluateLoss(student.model, pairs, targets, reference);
    const result = await distill(student, pairs, targets, SETTINGS);
    const lossAfter = await evaluateLoss(student.model, pairs, targets, reference);
    expect(result.steps).toBe(8);
    expect(result.stepLosses).toHaveLength(8);
    expect(lossAfter).toBeLessThan(lossBefore * 0.5);
    student.model.dispose();
    expect(await snapshot(original)).toEqual(before);
    expect(await pairCosines(original, pairs)).toEqual(targets);
  });

  it('frees every tensor when a gradient fails (a kernel the backend lacks)', async () => {
    const original = models.bert;
    const pairs = tokenPairs(original, 8, 2);
    const targets = await pairCosines(original, pairs);
    const start = tf.memory().numTensors;
    const student = trainableHfCopy(original, 'tiny-bert~exact', 'encoder');
    // Mean pooling whose gradient throws, as a missing kernel does half-way through backprop.
    const failingPool = tf.customGrad((...inputs) => ({
      value: tf.mean(inputs[0] as tf.Tensor, 1),
      gradFunc: () => {
        throw new Error("Kernel 'Missing' not registered");
      },
    }));
    const model = Object.assign(Object.create(Object.getPrototypeOf(student.model) as object) as HfSentenceEncoder, student.model, {
      pool: (x: tf.Tensor3D) => failingPool(x) as tf.Tensor2D,
    });
    await expect(distill({ model, variables: student.variables }, pairs, targets, SETTINGS)).rejects.toThrow(/Missing/);
    student.model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('makeExactVariant', () => {
  it('makes a variant, reports every phase and step, and restores it bit for bit; no tensor is left', async () => {
    const original = models.mpnet; // Dense head and relative position bias
    const start = tf.memory().numTensors;
    const progress: VariantProgress[] = [];
    const variant = await makeExactVariant(original, DOCUMENTS, QUICK, { onProgress: (p) => progress.push(p) });
    const { record } = variant;
    expect(variant.model.id).toBe('tiny-mpnet~exact');
    expect(record).toMatchObject({ id: 'tiny-mpnet~exact', originalId: 'tiny-mpnet', architecture: 'mpnet' });
    expect(record.settings).toMatchObject({ ...QUICK, epochs: 1, scope: 'encoder', reference: { kind: 'padding' } });
    expect(record.corpus).toMatchObject({ trainPairs: 16, heldOutPairs: 8, documents: 8, heldOutDocuments: 1 });
    expect(record.training.steps).toBe(2);
    expect(record.training.stepLosses).toHaveLength(2);
    expect(record.heldOut.variant.pairs).toBe(8);
    expect(record.heldOut.shiftedBaseline.distillationLoss).toBeGreaterThan(0);
    // Plain data: survives structured cloning (IndexedDB) and JSON.
    expect(structuredClone(record)).toEqual(record);
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);

    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['pairs', 'targets', 'training', 'evaluating']);
    const training = progress.filter((p) => p.phase === 'training');
    expect(training.map((p) => p.step)).toEqual([1, 2]);
    expect(training.every((p) => p.steps === 2 && Number.isFinite(p.loss) && Number.isFinite(p.epochLoss))).toBe(true);
    const targets = progress.filter((p) => p.phase === 'targets');
    expect(targets[targets.length - 1].step).toBe(targets[0].steps);
    expect(progress.every((p, i) => i === 0 || p.elapsedMs >= progress[i - 1].elapsedMs)).toBe(true);

    const stored = await serializeVariant(variant);
    expect(structuredClone(stored).weights[0].data).toBeInstanceOf(Float32Array);
    expect(stored.weights.map((w) => w.name)).toContain('dense.0.kernel');
    expect(stored.weights.some((w) => w.name.startsWith('embeddings.'))).toBe(false);
    const restored = restoreVariant(original, structuredClone(stored));
    expect(restored.model.id).toBe(variant.model.id);
    expect(restored.record).toEqual(record);
    expect(await embeddings(restored.model, PROBE)).toEqual(await embeddings(variant.model, PROBE));
    expect(await embeddings(restored.model, PROBE)).not.toEqual(await embeddings(original, PROBE));
    variant.model.dispose();
    restored.model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('gives the same pairs, losses and figures for the same seed', async () => {
    const run = async () => {
      const v = await makeExactVariant(models.bert, DOCUMENTS, { ...QUICK, seed: 5 });
      v.model.dispose();
      // Everything but the clock.
      return { ...v.record, createdAt: '', training: { ...v.record.training, ms: 0 } };
    };
    const first = await run();
    expect(await run()).toEqual(first);
  });

  it('stops on cancel in any phase, frees everything and leaves the original as it was', async () => {
    const original = models.bert;
    const before = await snapshot(original);
    const start = tf.memory().numTensors;
    for (const phase of ['targets', 'training', 'evaluating'] as const) {
      const controller = new AbortController();
      const run = makeExactVariant(original, DOCUMENTS, QUICK, {
        signal: controller.signal,
        onProgress: (p) => p.phase === phase && controller.abort(),
      });
      await expect(run).rejects.toBeInstanceOf(DistillAbortedError);
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
      expect(tf.memory().numTensors).toBe(start);
    }
    const aborted = new AbortController();
    aborted.abort();
    await expect(makeExactVariant(original, DOCUMENTS, QUICK, { signal: aborted.signal })).rejects.toBeInstanceOf(DistillAbortedError);
    expect(await snapshot(original)).toEqual(before);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('refuses bad input clearly, frees everything and leaves the original usable', async () => {
    const original = models.bert;
    const before = await embeddings(original, PROBE);
    const start = tf.memory().numTensors;
    const fails = (documents: unknown, settings: Partial<VariantSettings>, model: SentenceEncoder = original) =>
      makeExactVariant(model, documents as never, { ...QUICK, ...settings }); // `never`: deliberately malformed input

    await expect(fails(DOCUMENTS.slice(0, 1), {})).rejects.toThrow(CorpusError);
    await expect(fails(DOCUMENTS.slice(0, 2), { minSentences: 50 })).rejects.toThrow(/at least 50 are needed/);
    await expect(fails([{ source: 'x', name: 'y', sentences: 'not a list' }], {})).rejects.toThrow(/document 0 is not/);
    await expect(fails(DOCUMENTS, {}, models['mpnet-exact'])).rejects.toThrow(/already exact/);
    const b = original;
    const other: SentenceEncoder = {
      id: 'wrapped',
      numLayers: b.numLayers,
      maxTokens: b.maxTokens,
      outputSize: b.outputSize,
      vocabSize: b.vocabSize,
      smooth: b.smooth,
      defaultReference: b.defaultReference,
      dims: b.dims,
      tokenize: (text) => b.tokenize(text),
      embed: (ids) => b.embed(ids),
      layer: (l, x) => b.layer(l, x),
      pool: (x) => b.pool(x),
      head: (x) => b.head(x),
      normalize: (x) => b.normalize(x),
      dispose: () => undefined,
    };
    await expect(fails(DOCUMENTS, {}, other)).rejects.toThrow(/cannot be fine-tuned here/);
    await expect(fails(DOCUMENTS, { learningRate: -1 })).rejects.toThrow(/learning rate/);
    await expect(fails(DOCUMENTS, { batchPairs: 2.5 })).rejects.toThrow(/batch size must be an integer/);
    await expect(fails(DOCUMENTS, { heldOutPairs: 3 })).rejects.toThrow(/held-out pairs/);
    await expect(fails(DOCUMENTS, { scope: 'all' as never })).rejects.toThrow(/scope must be one of/);
    await expect(fails(DOCUMENTS, { reference: { kind: 'zeros' } })).rejects.toThrow(/zeros reference/);
    await expect(fails(DOCUMENTS, { reference: { kind: 'token', id: 10_000 } })).rejects.toThrow(/reference token id/);
    // Weights of 1e30 overflow to Infinity, and the loss of the second step is NaN.
    const nan = fails(DOCUMENTS, { learningRate: 1e30 });
    await expect(nan).rejects.toThrow(/loss became NaN at step 2/);
    await expect(nan).rejects.toBeInstanceOf(DistillError);

    expect(tf.memory().numTensors).toBe(start);
    expect(await embeddings(original, PROBE)).toEqual(before);
  });
});

describe('restoring a stored variant', () => {
  let stored: StoredVariant;
  beforeAll(async () => {
    // RoBERTa: CLS pooling, whose gradient goes through tf.gather.
    const variant = await makeExactVariant(models.roberta, DOCUMENTS, { ...QUICK, trainPairs: 8, scope: 'top' });
    stored = await serializeVariant(variant);
    variant.model.dispose();
  });

  it('stores only what the scope trains', () => {
    expect(stored.weights.every((w) => w.name.startsWith('layers.1.'))).toBe(true);
    expect(stored.weights).toHaveLength(12);
    expect(stored.record.training.stepLosses).toHaveLength(1);
  });

  it('refuses data that does not fit the model, saying why', () => {
    const start = tf.memory().numTensors;
    const edit = (change: (s: StoredVariant) => void) => {
      const copy = structuredClone(stored);
      change(copy);
      return () => restoreVariant(models.roberta, copy);
    };
    expect(() => restoreVariant(models.bert, stored)).toThrow(/made from model "tiny-roberta", not "tiny-bert"/);
    expect(() => restoreVariant(models.roberta, { ...stored, format: 'other' } as never)).toThrow(/not a stored exact variant/);
    expect(edit((s) => s.weights.pop())).toThrow(/weight "layers\.1\.outputNorm\.bias" is missing/);
    expect(edit((s) => (s.weights[0].shape = [1, 2]))).toThrow(/weight "layers\.1\.qkv\.kernel" has shape \[1,2\], model "tiny-roberta" has \[32, 96\]/);
    expect(edit((s) => (s.weights[0].data = s.weights[0].data.subarray(1)))).toThrow(/needs 3072 float32 values/);
    expect(edit((s) => (s.weights[0].name = 'layers.0.qkv.kernel'))).toThrow(/"layers\.0\.qkv\.kernel" is not one that fine-tuning/);
    expect(edit((s) => s.weights.push(s.weights[1]))).toThrow(/stored twice/);
    expect(edit((s) => (s.record.originalId = 'tiny-bert'))).toThrow(StoredVariantError);
    restoreVariant(models.roberta, stored).model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
