/**
 * Our tokenizers and encoders against the reference implementations (PyTorch
 * transformers + sentence-transformers), through fixtures recorded by
 * scripts/reference-fixtures.py on a machine that has them. PyTorch cannot run here,
 * so each comparison is skipped, saying why, until its fixture file exists.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrom } from '../encoder.ts';
import type { HfEncoder } from './bert.ts';
import { loadHfModel } from './load.ts';
import { tinyModelFiles } from './test-helpers.ts';

/**
 * Float32 end to end on both sides (transformers upcasts the fp16 folder's weights to
 * float32 as we do): differences come from op order and the erf approximation only.
 */
const TOLERANCE = 1e-5;

interface FixtureItem {
  text: string;
  ids: number[];
  tokens: string[];
  hiddenStates: number[][][];
  embedding: number[];
  referenceIds: number[];
  referenceHiddenStates: number[][][];
  referenceEmbedding: number[];
}

interface Fixture {
  model: string;
  versions: Record<string, string>;
  items: FixtureItem[];
}

const NAMES = ['bert', 'bert-fp16', 'bert-sharded', 'roberta', 'mpnet'];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxAbsDiff(ours: ArrayLike<number>, theirs: number[]): number {
  expect(ours.length).toBe(theirs.length);
  let m = 0;
  for (let i = 0; i < theirs.length; i++) m = Math.max(m, Math.abs(ours[i] - theirs[i]));
  return m;
}

/** Hidden states at the input of every layer and after the last, as transformers returns them. */
function hiddenStates(model: HfEncoder, ids: number[]): Float32Array[] {
  return tf.tidy(() => {
    const out: Float32Array[] = [];
    let h = model.embed(ids);
    out.push(h.dataSync() as Float32Array);
    for (let l = 0; l < model.numLayers; l++) {
      h = model.layer(l, h);
      out.push(h.dataSync() as Float32Array);
    }
    return out;
  });
}

for (const name of NAMES) {
  const path = fileURLToPath(new URL(`../../../test-models/fixtures/${name}.json`, import.meta.url));
  const missing = !existsSync(path);
  describe(`${name} against the PyTorch reference${missing ? ' (skipped: no fixture; run scripts/reference-fixtures.py where torch, transformers and sentence-transformers are installed)' : ''}`, () => {
    let model: HfEncoder;
    let fixture: Fixture;
    beforeAll(async () => {
      if (missing) return;
      fixture = JSON.parse(readFileSync(path, 'utf8')) as Fixture;
      model = await loadHfModel(tinyModelFiles(name));
    });
    afterAll(() => model?.dispose());

    it.skipIf(missing)('tokenizes every text to the same ids', () => {
      for (const item of fixture.items) expect(model.tokenize(item.text).ids, item.text).toEqual(item.ids);
    });

    it.skipIf(missing)(`matches every layer's hidden states and the embedding within ${TOLERANCE}`, () => {
      for (const item of fixture.items) {
        const ours = hiddenStates(model, item.ids);
        item.hiddenStates.forEach((layer, l) => expect(maxAbsDiff(ours[l], layer.flat()), `${item.text} layer ${l}`).toBeLessThan(TOLERANCE));
        const e = tf.tidy(() => encodeFrom(model, 0, model.embed(item.ids)).dataSync());
        expect(maxAbsDiff(e, item.embedding), `${item.text} embedding`).toBeLessThan(TOLERANCE);
      }
    });

    it.skipIf(missing)('builds the same reference and runs it the same way (padding positions included)', () => {
      for (const item of fixture.items) {
        expect(model.referenceIds(item.ids)).toEqual(item.referenceIds);
        const ours = hiddenStates(model, item.referenceIds);
        item.referenceHiddenStates.forEach((layer, l) => expect(maxAbsDiff(ours[l], layer.flat()), `${item.text} reference layer ${l}`).toBeLessThan(TOLERANCE));
        const e = tf.tidy(() => encodeFrom(model, 0, model.embed(item.referenceIds)).dataSync());
        expect(maxAbsDiff(e, item.referenceEmbedding), `${item.text} reference embedding`).toBeLessThan(TOLERANCE);
      }
    });
  });
}
