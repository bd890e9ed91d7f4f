/**
 * The exact variant's building blocks: the shift maps the reference to exactly 0,
 * fine-tuning lowers the distillation loss (tiny model, CPU backend), cancelling and
 * bad input leave the original untouched, pairs are reproducible and span every kind,
 * weights survive a save → load round trip through the bundled model's loader, and a
 * use-lite variant made by makeExactVariant is stored and restored exactly.
 */
import '@tensorflow/tfjs-backend-cpu';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFileError, type ModelFiles } from '../model/files.ts';
import { loadBundledModel } from '../model/node-models.ts';
import { UseLite } from '../model/use-lite/model.ts';
import { encodeUseLiteWeights, loadUseLiteArtifacts, toFloat16, weightTensors } from '../model/use-lite/weights.ts';
import { buildPairSplit, buildPairs, CorpusError, DEFAULT_PAIR_MIX, mixWith, negate, PAIR_KINDS, sentenceDocuments, splitSentences } from './corpus.ts';
import { seededRandom } from '../shared/random.ts';
import { embedMany, pairCosines, cosinesOf, pairEmbeddings, referenceIdsOf, rowDot, type TokenPair } from './shifted.ts';
import { ranks, spearman } from '../shared/stats.ts';
import { TINY_REFERENCE_ID, tinyUseLite } from './tiny-use-lite.test-support.ts';
import { AVERAGING_RATE, crossPairs, DistillAbortedError, DistillError, distill, distillLoss, pairWeights, scheduledRate, type DistillSettings } from './train.ts';
import { trainableUseLite } from './use-lite.ts';
import { evaluateLoss, syntheticDocuments } from './training.test-support.ts';
import { defaultTrainPairs, defaultVariantSettings, makeExactVariant, restoreVariant, serializeVariant, VARIANT_DEFAULTS } from './variant.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomPairs(n: number, seed: number): TokenPair[] {
  const random = seededRandom(seed);
  const ids = () => Array.from({ length: 2 + Math.floor(random() * 5) }, () => 7 + Math.floor(random() * 17));
  return Array.from({ length: n }, () => ({ a: ids(), b: ids() }));
}

const SETTINGS: DistillSettings = { epochs: 6, batchPairs: 8, learningRate: 3e-3, warmup: 0.1, seed: 3, reference: { kind: 'token', id: TINY_REFERENCE_ID } };

async function snapshot(model: UseLite): Promise<Float32Array[]> {
  return Promise.all(weightTensors(model.weights).map(async (t) => (await t.data()) as Float32Array));
}

describe('the shifted model', () => {
  it('maps the reference to exactly zero at every length (use-lite, "▁" repeated)', async () => {
    const model = (await loadBundledModel('use-lite')) as UseLite;
    try {
      const reference = referenceIdsOf(model, model.defaultReference);
      const lengths = [1, 2, 5, 13, 40];
      const refs = lengths.map((n) => reference(new Array<number>(n).fill(100)));
      expect(refs[1]).toEqual([30, 30]);
      // Alone and batched with an ordinary text of the same length.
      const e = embedMany(model, [...refs, ...lengths.map((n) => Array.from({ length: n }, (_, i) => 100 + i))], reference);
      const values = await e.data();
      e.dispose();
      const d = model.outputSize;
      for (let k = 0; k < lengths.length; k++) expect(values.subarray(k * d, (k + 1) * d).every((v) => v === 0)).toBe(true);
      expect(values.subarray(lengths.length * d).some((v) => v !== 0)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('returns rows in input order whatever the length groups', async () => {
    const model = tinyUseLite();
    const lists = [[7, 8, 9], [10], [11, 12, 13], [14, 15]];
    const together = await embedMany(model, lists).array();
    for (let i = 0; i < lists.length; i++) {
      const alone = await embedMany(model, [lists[i]]).array();
      for (let k = 0; k < alone[0].length; k++) expect(together[i][k]).toBeCloseTo(alone[0][k], 6);
    }
    model.dispose();
  });
});

describe('fine-tuning by self-distillation', () => {
  it('lowers the distillation loss on a tiny model and leaves the original untouched', async () => {
    const original = tinyUseLite(1);
    const before = await snapshot(original);
    const pairs = randomPairs(32, 5);
    const targets = await pairCosines(original, pairs);
    const start = tf.memory().numTensors;
    const student = trainableUseLite(original, 'tiny-exact', 'encoder');
    const lossBefore = await evaluateLoss(student.model, pairs, targets, TINY_REFERENCE_ID);
    const steps: number[] = [];
    const result = await distill(student, pairs, targets, SETTINGS, { onProgress: (p) => steps.push(p.step) });
    const lossAfter = await evaluateLoss(student.model, pairs, targets, TINY_REFERENCE_ID);
    expect(result.steps).toBe(24);
    expect(steps).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(lossAfter).toBeLessThan(lossBefore * 0.5);
    expect(student.model.id).toBe('tiny-exact');
    expect(await snapshot(original)).toEqual(before);
    student.model.dispose();
    expect(tf.memory().numTensors).toBe(start);
    original.dispose();
  });

  it('is reproducible for a seed', async () => {
    const original = tinyUseLite(2);
    const pairs = randomPairs(16, 6);
    const targets = await pairCosines(original, pairs);
    const losses: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const student = trainableUseLite(original, 'tiny-exact', 'top');
      losses.push((await distill(student, pairs, targets, { ...SETTINGS, epochs: 2 })).epochLosses);
      student.model.dispose();
    }
    expect(losses[1]).toEqual(losses[0]);
    original.dispose();
  });

  it('weights unrelated pairs up, keeps the weights of the best validation check, and frees the copies', async () => {
    expect(Array.from(pairWeights([0.1, 0.5, 0.9, 0.2], 3))).toEqual([1.5, 0.5, 0.5, 1.5]);
    expect(Array.from(pairWeights([0.1, 0.9]))).toEqual([1, 1]);
    const original = tinyUseLite(4);
    const pairs = randomPairs(32, 8);
    const targets = await pairCosines(original, pairs);
    const validationPairs = randomPairs(12, 9);
    const validation = { pairs: validationPairs, targets: await pairCosines(original, validationPairs), everySteps: 5 };
    const start = tf.memory().numTensors;
    const student = trainableUseLite(original, 'tiny-exact', 'encoder');
    // A high rate late in the run, so a later check can be worse than an earlier one.
    const result = await distill(student, pairs, targets, { ...SETTINGS, lowSimilarityWeight: 3, learningRate: 2e-2 }, { validation });
    const checks = result.validation!.losses;
    expect(checks.map(([step]) => step)).toEqual([5, 10, 15, 20, 24]);
    const best = checks.reduce((b, c) => (c[1] < b[1] ? c : b));
    expect(result.validation!.bestStep).toBe(best[0]);
    expect(await evaluateLoss(student.model, validation.pairs, validation.targets, TINY_REFERENCE_ID)).toBeCloseTo(best[1], 6);
    await expect(distill(student, pairs, targets, { ...SETTINGS, lowSimilarityWeight: 0 })).rejects.toThrow(/low-similarity weight/);
    student.model.dispose();
    expect(tf.memory().numTensors).toBe(start);
    original.dispose();
  });

  it('gives unit embeddings whose row products are the pairs\' cosines, as from the plain embeddings', async () => {
    const model = tinyUseLite(6);
    const pairs = randomPairs(10, 12);
    const e = await pairEmbeddings(model, pairs, TINY_REFERENCE_ID, { batchPairs: 3 });
    const shifted = embedMany(model, [...pairs.map((p) => p.a), ...pairs.map((p) => p.b)], TINY_REFERENCE_ID);
    const rows = (await shifted.array()) as number[][];
    shifted.dispose();
    const norm = (v: number[]) => Math.hypot(...v);
    for (let i = 0; i < pairs.length; i++) {
      const [u, v] = [rows[i], rows[pairs.length + i]];
      const cos = u.reduce((s, x, k) => s + x * v[k], 0) / (norm(u) * norm(v));
      expect(rowDot(e, i)).toBeCloseTo(cos, 6);
      expect(Math.hypot(...e.a.subarray(i * e.dim, (i + 1) * e.dim))).toBeCloseTo(1, 6);
    }
    model.dispose();
  });

  it('adds the in-batch cross pairs to the loss: every other two texts, the original\'s cosines as targets', async () => {
    const original = tinyUseLite(5);
    const student = trainableUseLite(original, 'tiny-exact', 'encoder');
    const pairs = randomPairs(4, 10);
    const teacher = await pairEmbeddings(original, pairs);
    const targets = cosinesOf(teacher);
    const cross = crossPairs(teacher, [0, 1, 2, 3], 2);
    // Oracle: every cross pair listed explicitly and run through pairCosines of each model.
    const texts = [...pairs.map((p) => p.a), ...pairs.map((p) => p.b)];
    const others: TokenPair[] = [];
    for (let i = 0; i < 8; i++) for (let j = i + 1; j < 8; j++) if (j !== i + 4) others.push({ a: texts[i], b: texts[j] });
    expect(others).toHaveLength(24);
    const weights = Array.from(cross.weights).filter((w) => w > 0);
    expect(weights).toHaveLength(24);
    expect(weights.reduce((s, w) => s + w, 0)).toBeCloseTo(2, 6);
    const originalCross = await pairCosines(original, others);
    const listed = [];
    for (let i = 0; i < 8; i++) for (let j = i + 1; j < 8; j++) if (j !== i + 4) listed.push(cross.targets[i * 8 + j]);
    listed.forEach((t, k) => expect(t).toBeCloseTo(originalCross[k], 5));
    const studentPairs = await pairCosines(student.model, pairs, TINY_REFERENCE_ID);
    const studentCross = await pairCosines(student.model, others, TINY_REFERENCE_ID);
    const mse = (a: Float32Array, b: ArrayLike<number>) => a.reduce((s, x, k) => s + (x - b[k]) ** 2, 0) / a.length;
    const expected = mse(studentPairs, targets) + 2 * mse(studentCross, originalCross);
    const loss = distillLoss(student.model, pairs, tf.tensor1d(targets), TINY_REFERENCE_ID, undefined, cross);
    expect((await loss.data())[0]).toBeCloseTo(expected, 5);
    expect(2 * mse(studentCross, originalCross)).toBeGreaterThan(0.2 * expected); // the cross term is not vanishing here
    loss.dispose();
    student.model.dispose();
    original.dispose();
  });

  it('with cross pairs, fits the pairs it was never given better; needs the original\'s embeddings', async () => {
    const original = tinyUseLite(7);
    const pairs = randomPairs(32, 13);
    const teacher = await pairEmbeddings(original, pairs);
    const targets = cosinesOf(teacher);
    // Pairs of the training texts that are not training pairs: a held-out check of what the cross term teaches.
    const unseen = pairs.map((p, i) => ({ a: p.a, b: pairs[(i + 7) % pairs.length].b }));
    const unseenTargets = await pairCosines(original, unseen);
    const start = tf.memory().numTensors;
    const lossAfter = async (crossPairWeight: number) => {
      const student = trainableUseLite(original, 'tiny-exact', 'encoder');
      await distill(student, pairs, targets, { ...SETTINGS, crossPairWeight }, { teacher });
      const loss = await evaluateLoss(student.model, unseen, unseenTargets, TINY_REFERENCE_ID);
      student.model.dispose();
      return loss;
    };
    const [plain, withCross] = [await lossAfter(0), await lossAfter(1)];
    expect(withCross).toBeLessThan(plain * 0.7);
    expect(tf.memory().numTensors).toBe(start);
    const student = trainableUseLite(original, 'tiny-exact', 'encoder');
    await expect(distill(student, pairs, targets, { ...SETTINGS, crossPairWeight: 1 })).rejects.toThrow(/needs the original's embeddings/);
    await expect(distill(student, pairs, targets, { ...SETTINGS, crossPairWeight: -1 }, { teacher })).rejects.toThrow(/cross-pair weight/);
    const short = { ...teacher, a: teacher.a.subarray(teacher.dim), b: teacher.b.subarray(teacher.dim) };
    await expect(distill(student, pairs, targets, SETTINGS, { teacher: short })).rejects.toThrow(/cover 31 pairs, training has 32/);
    student.model.dispose();
    original.dispose();
  });

  it('averages the weights of every step from averageFrom on, at a held rate, and checks the average', async () => {
    const rates = Array.from({ length: 20 }, (_, step) => scheduledRate({ learningRate: 1, warmup: 0.1, averageFrom: 0.5 }, step, 20));
    expect(rates.slice(0, 2)).toEqual([0.5, 1]); // warm-up
    expect(rates[6]).toBeCloseTo(1 - ((1 - AVERAGING_RATE) * 4) / 8, 12); // decaying towards the held rate
    expect(rates.slice(10)).toEqual(new Array(10).fill(AVERAGING_RATE));
    expect(scheduledRate({ learningRate: 1, warmup: 0.1 }, 19, 20)).toBeCloseTo(1 / 18, 12); // no averaging: decay to 0

    const original = tinyUseLite(8);
    const pairs = randomPairs(24, 14);
    const targets = await pairCosines(original, pairs);
    const start = tf.memory().numTensors;
    const student = trainableUseLite(original, 'tiny-exact', 'encoder');
    // Oracle: the weights after every step, averaged here from step 9 of 12 (0-based 8) on.
    const after: Float32Array[][] = [];
    const settings = { ...SETTINGS, epochs: 4, averageFrom: 2 / 3 };
    await distill(student, pairs, targets, settings, {
      onProgress: () => after.push(student.variables.map((v) => v.dataSync() as Float32Array)),
    });
    expect(after).toHaveLength(12);
    const averaged = after.slice(8);
    student.variables.forEach((v, i) => {
      const got = v.dataSync();
      const mean = got.map((_, k) => averaged.reduce((sum, w) => sum + w[i][k], 0) / averaged.length);
      let worst = 0;
      got.forEach((x, k) => (worst = Math.max(worst, Math.abs(x - mean[k]))));
      expect(worst).toBeLessThan(1e-6);
    });
    // With validation, the checks from the start of averaging are of the averaged weights, and the best is kept.
    const validationPairs = randomPairs(12, 15);
    const validation = { pairs: validationPairs, targets: await pairCosines(original, validationPairs), everySteps: 3 };
    const again = trainableUseLite(original, 'tiny-exact', 'encoder');
    const result = await distill(again, pairs, targets, settings, { validation });
    const checks = result.validation!.losses;
    const best = checks.reduce((b, c) => (c[1] < b[1] ? c : b));
    expect(await evaluateLoss(again.model, validation.pairs, validation.targets, TINY_REFERENCE_ID)).toBeCloseTo(best[1], 6);
    await expect(distill(again, pairs, targets, { ...SETTINGS, averageFrom: 1 })).rejects.toThrow(/averaging must start/);
    student.model.dispose();
    again.model.dispose();
    expect(tf.memory().numTensors).toBe(start);
    original.dispose();
  });

  it('stops on cancel and reports bad input clearly, the original still usable', async () => {
    const original = tinyUseLite(3);
    const before = await snapshot(original);
    const pairs = randomPairs(16, 7);
    const targets = await pairCosines(original, pairs);
    const student = trainableUseLite(original, 'tiny-exact', 'encoder');
    const controller = new AbortController();
    const run = distill(student, pairs, targets, SETTINGS, { signal: controller.signal, onProgress: (p) => p.step === 2 && controller.abort() });
    await expect(run).rejects.toBeInstanceOf(DistillAbortedError);
    await expect(distill(student, pairs, targets.subarray(1), SETTINGS)).rejects.toBeInstanceOf(DistillError);
    await expect(distill(student, [], new Float32Array(0), SETTINGS)).rejects.toThrow(/no training pairs/);
    await expect(distill({ model: original, variables: [] }, pairs, targets, SETTINGS)).rejects.toThrow(/no trainable weights/);
    await expect(distill(student, pairs, targets, { ...SETTINGS, learningRate: 1e9 })).rejects.toThrow(/loss became/);
    student.model.dispose();
    expect(await snapshot(original)).toEqual(before);
    expect(Array.from(await pairCosines(original, pairs))).toEqual(Array.from(targets));
    original.dispose();
  });
});

describe('a use-lite variant through makeExactVariant', () => {
  it('refuses a reference outside the vocabulary, then makes, stores and restores the variant exactly', async () => {
    const empty = tf.memory().numTensors;
    const original = tinyUseLite(4);
    const documents = syntheticDocuments(8, 16, 3);
    // use-lite's recipe (RECIPE_BY_KIND) scaled down to the tiny corpus.
    const settings = { trainPairs: 16, heldOutPairs: 8, validationPairs: 8, checkEvery: 1, minSentences: 10, batchPairs: 8, learningRate: 3e-3 };
    // The default reference, use-lite's "▁" (id 30), is not in the tiny vocabulary.
    await expect(makeExactVariant(original, documents, settings)).rejects.toThrow(/reference token id must be an integer from 0 to 23/);
    const variant = await makeExactVariant(original, documents, { ...settings, reference: { kind: 'token', id: TINY_REFERENCE_ID } });
    expect(variant.record.architecture).toBe('use-lite');
    expect(variant.model).toBeInstanceOf(UseLite);
    const stored = await serializeVariant(variant);
    expect(stored.weights.map((w) => w.name)).not.toContain('tokenEmbeddings');
    expect(stored.weights.map((w) => w.name)).toContain('headKernel');
    const restored = restoreVariant(original, stored);
    const ids = documents[0].sentences.slice(0, 4).map((t) => original.tokenize(t).ids);
    // Copies share the original's frozen weights by reference count: freeing the original first is fine.
    original.dispose();
    const [a, b] = [embedMany(variant.model, ids), embedMany(restored.model, ids)];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([a, b]);
    variant.model.dispose();
    restored.model.dispose();
    expect(tf.memory().numTensors).toBe(empty);
  });
});

describe("the browser's Make exact for use-lite", () => {
  it('uses its own recipe, and browser-default.json measured exactly these defaults', async () => {
    const model = (await loadBundledModel('use-lite')) as UseLite;
    try {
      const settings = defaultVariantSettings(model);
      expect(settings.reference).toEqual(model.defaultReference);
      expect(settings.crossPairWeight).toBeGreaterThan(0);
      expect(settings.learningRate).not.toBe(VARIANT_DEFAULTS.learningRate);
      expect(defaultTrainPairs(model)).toBe(settings.trainPairs);
      const recorded = JSON.parse(await readFile(new URL('../../models/use-lite-exact/browser-default.json', import.meta.url), 'utf8')) as { settings: unknown };
      expect(recorded.settings).toEqual(settings);
    } finally {
      model.dispose();
    }
  });
});

describe('saving and loading', () => {
  let model: UseLite;
  beforeAll(async () => {
    model = (await loadBundledModel('use-lite')) as UseLite;
  });
  afterAll(() => model?.dispose());

  const memoryFiles = (files: Map<string, Uint8Array>): ModelFiles => ({
    location: 'memory',
    async read(name) {
      const data = files.get(name);
      if (!data) throw new ModelFileError(name, 'missing');
      return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    },
  });

  async function roundTrip(float16: boolean): Promise<number> {
    const written = await encodeUseLiteWeights(model.weights, { float16 });
    const files = new Map<string, Uint8Array>([['model.json', written.modelJson], ['vocab.json', new TextEncoder().encode(JSON.stringify(model.vocabulary))]]);
    for (const s of written.shards) files.set(s.name, s.data);
    const reloaded = new UseLite(await loadUseLiteArtifacts(memoryFiles(files)), { id: 'reloaded' });
    const texts = ['The whale surfaced.', 'Congress shall act.', 'Call me Ishmael.'].map((t) => model.tokenize(t).ids);
    const [a, b] = [embedMany(model, texts), embedMany(reloaded, texts)];
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    tf.dispose([a, b]);
    reloaded.dispose();
    return diff;
  }

  it('float32: identical embeddings', async () => {
    expect(await roundTrip(false)).toBe(0);
  });

  it('float16: embeddings within 1e-3 (measured 1.3e-4 to 2.1e-4 on trained variants)', async () => {
    const diff = await roundTrip(true);
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(1e-3);
  });

  it('encodes float16 like IEEE 754 half precision (round to nearest even)', () => {
    const values = Float32Array.from([0, -0, 1, -2, 65504, 65520, 1e-8, 6.102e-5, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Infinity, NaN]);
    const bits = Array.from(toFloat16(values));
    expect(bits.slice(0, 6)).toEqual([0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x7c00]);
    expect(bits[6]).toBe(0); // below half the smallest subnormal
    expect(bits[7]).toBe(0x0400); // just below 2^-14, past the last subnormal's midpoint: rounds up to 2^-14
    expect(toFloat16(Float32Array.from([6.1e-5]))[0]).toBe(0x03ff); // before that midpoint: the largest subnormal
    expect(bits[8]).toBe(0x3c00); // tie: to even
    expect(bits[9]).toBe(0x3c02); // tie: to even (up)
    expect(bits[10]).toBe(0x7c00);
    expect(bits[11] & 0x7c00).toBe(0x7c00);
    expect(bits[11] & 0x3ff).not.toBe(0);
  });
});

describe('corpus and pairs', () => {
  const text = Array.from(
    { length: 40 },
    (_, i) => `The ship number ${i} sailed north at dawn. It was not a quiet morning for the crew. Whales were seen near the coast today!`,
  ).join('\n');

  it('splits prose into sentences, dropping headings and whitespace', () => {
    expect(splitSentences('CHAPTER 1. Loomings.\n\nCall me Ishmael. Some years ago—never mind how long precisely—having little money, I sailed.')).toEqual([
      'Some years ago—never mind how long precisely—having little money, I sailed.',
    ]);
    expect(negate('It was a quiet morning')).toBe('It was not a quiet morning');
    expect(negate('It was not a quiet morning')).toBe('It was a quiet morning');
  });

  it('builds reproducible pairs of every kind from disjoint documents', () => {
    const docs = sentenceDocuments(Array.from({ length: 10 }, (_, i) => ({ source: 'test', name: `d${i}`, text: text.replace(/ship/g, `ship${i}`) })));
    const split = (seed: number) => buildPairSplit(docs, seededRandom(seed), { trainPairs: 80, heldOutPairs: 40, minSentences: 10 });
    const first = split(1);
    expect(split(1)).toEqual(first);
    expect(split(2).train).not.toEqual(first.train);
    expect(new Set(first.train.map((p) => p.kind))).toEqual(new Set(PAIR_KINDS));
    expect(first.train).toHaveLength(80);
    // Held-out documents are never used for training.
    const numbers = (pairs: typeof first.train) => new Set(pairs.flatMap((p) => [...`${p.a} ${p.b}`.matchAll(/ship(\d+)/g)].map((m) => m[1])));
    const heldOut = numbers(first.heldOut);
    for (const n of numbers(first.train)) expect(heldOut.has(n)).toBe(false);
  });

  it('stratifies by source: each source split on its own and an equal share of pairs from each', () => {
    const docs = sentenceDocuments(
      ['long', 'short'].flatMap((source) =>
        Array.from({ length: source === 'long' ? 12 : 4 }, (_, i) => ({ source, name: `d${i}`, text: text.replace(/ship/g, `${source}${i}x`) })),
      ),
    );
    const split = buildPairSplit(docs, seededRandom(3), { trainPairs: 60, heldOutPairs: 20, minSentences: 10 });
    for (const source of ['long', 'short']) {
      expect(split.train.filter((p) => p.source === source)).toHaveLength(30);
      expect(split.heldOut.filter((p) => p.source === source)).toHaveLength(10);
      expect(split.documents.heldOut.filter((d) => d.source === source).length).toBeGreaterThanOrEqual(1);
    }
    // Pairs never mix sources.
    for (const p of split.train) expect(`${p.a} ${p.b}`.includes(p.source === 'long' ? 'short' : 'long')).toBe(false);
    const held = new Set(split.documents.heldOut.map((d) => `${d.source}/${d.name}`));
    for (const d of split.documents.train) expect(held.has(`${d.source}/${d.name}`)).toBe(false);
  });

  it('changes the share of random pairs and keeps the others in proportion', () => {
    const mix = mixWith(0.4);
    expect(mix.random).toBe(0.4);
    expect(PAIR_KINDS.reduce((s, k) => s + mix[k], 0)).toBeCloseTo(1, 12);
    expect(mix.drop / mix.neighbour).toBeCloseTo(DEFAULT_PAIR_MIX.drop / DEFAULT_PAIR_MIX.neighbour, 12);
    expect(() => mixWith(1)).toThrow(CorpusError);
  });

  it('refuses a corpus too small, with a clear message', () => {
    const tiny = sentenceDocuments([{ source: 'test', name: 'only', text: 'One short sentence here.' }]);
    expect(() => buildPairSplit(tiny, seededRandom(1), { trainPairs: 10, heldOutPairs: 5 })).toThrow(CorpusError);
    const two = sentenceDocuments([0, 1].map((i) => ({ source: 'test', name: `d${i}`, text: 'One short sentence here. Another short sentence there.' })));
    expect(() => buildPairSplit(two, seededRandom(1), { trainPairs: 10, heldOutPairs: 5 })).toThrow(/at least 50 are needed/);
    expect(() => buildPairs(two.slice(0, 1), seededRandom(1), 100)).toThrow(/distinct pairs/);
  });
});

describe('statistics', () => {
  it('ranks ties by their mean rank, and Spearman follows', () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
  });
});
