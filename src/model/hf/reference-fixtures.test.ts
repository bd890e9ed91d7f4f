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
import { AttributionEngine } from '../../attribution/engine.ts';
import { encodeFrom } from '../encoder.ts';
import type { HfSentenceEncoder } from './sentence-encoder.ts';
import { loadHfModel } from './load.ts';
import { tinyModelFiles } from './tiny-models.test-support.ts';
import { hiddenStates, maxAbsDiff, relativeDiff, type AttributionFixture, type AttributionSide } from './reference-fixture.test-support.ts';

/**
 * Float32 end to end on both sides (the fixture script upcasts the fp16 folder's
 * weights to float32 as we do): differences come from op order and the erf
 * approximation only. Measured: hidden states ≤ 3.8e-6, embeddings ≤ 1.4e-6.
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
  exact: boolean;
  versions: Record<string, string>;
  items: FixtureItem[];
}

const NAMES = ['bert', 'bert-fp16', 'bert-sharded', 'bert-maxmean', 'roberta', 'mpnet', 'mpnet-exact'];

/** Folders holding the same float32 weights as another in PyTorch .bin form: that folder's fixture applies. */
const SAME_WEIGHTS_AS: Record<string, string> = { 'bert-bin': 'bert', 'roberta-bin-sharded': 'roberta' };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

for (const name of [...NAMES, ...Object.keys(SAME_WEIGHTS_AS)]) {
  const fixtureName = SAME_WEIGHTS_AS[name] ?? name;
  const path = fileURLToPath(new URL(`../../../test-models/fixtures/${fixtureName}.json`, import.meta.url));
  const missing = !existsSync(path);
  describe(`${name} against the PyTorch reference${fixtureName === name ? '' : ` (${fixtureName}.json)`}${missing ? ' (skipped: no fixture; run scripts/reference-fixtures.py where torch, transformers and sentence-transformers are installed)' : ''}`, () => {
    let model: HfSentenceEncoder;
    let fixture: Fixture;
    beforeAll(async () => {
      if (missing) return;
      fixture = JSON.parse(readFileSync(path, 'utf8')) as Fixture;
      model = await loadHfModel(tinyModelFiles(name));
    });
    afterAll(() => model?.dispose());

    it.skipIf(missing)('is exact exactly when the reference says so', () => {
      expect(model.exact).toBe(fixture.exact);
    });

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

/**
 * Measured (CPU backend): P within 7.6e-7 of the float64 reference relative to its
 * largest entry, the matrix within 7.4e-7 (our float32 rounding); a wrong rule or
 * reference is off by far more than this bound.
 */
const ATTRIBUTION_TOLERANCE = 1e-5;

const ATTRIBUTION_NAMES = ['bert', 'bert-maxmean', 'roberta', 'mpnet', 'mpnet-exact'];

for (const name of ATTRIBUTION_NAMES) {
  const path = fileURLToPath(new URL(`../../../test-models/fixtures/${name}.attribution.json`, import.meta.url));
  const missing = !existsSync(path);
  describe(`${name}: the engine's attributions against PyTorch autograd${missing ? ' (skipped: no fixture)' : ''}`, () => {
    it.skipIf(missing)(`gives the reference's P and A = P_aᵀP_b (÷ the norms for cosine, of ẽ in exact mode) within ${ATTRIBUTION_TOLERANCE} (relative)`, async () => {
      const fixture = JSON.parse(readFileSync(path, 'utf8')) as AttributionFixture;
      const model = await loadHfModel(tinyModelFiles(name));
      const engine = new AttributionEngine(model);
      try {
        for (const { layer, a, b } of fixture.cases) {
          const request = { a: a.text, b: b.text, layer, steps: fixture.steps, rule: fixture.rule, mode: 'approx', sim: 'cos' } as const;
          const result = await engine.attribute(request);
          for (const side of [a, b]) {
            const p = engine.cachedP(side.text, request)!;
            expect(model.referenceIds(side.ids)).toEqual(side.referenceIds);
            const s = side.ids.length;
            expect(p.tokens).toBe(s);
            const theirs = Array.from({ length: s }, (_, i) => side.P.map((row) => row[i])).flat(); // Pᵀ, [S, D]
            expect(relativeDiff(p.pt, theirs), `${side.text} P at layer ${layer}`).toBeLessThan(ATTRIBUTION_TOLERANCE);
            expect(maxAbsDiff(p.embedding, side.embedding)).toBeLessThan(TOLERANCE);
            expect(maxAbsDiff(p.referenceEmbedding, side.referenceEmbedding)).toBeLessThan(TOLERANCE);
          }
          const norm = (v: number[]) => Math.hypot(...v);
          const shifted = (side: AttributionSide) => side.embedding.map((v, d) => v - side.referenceEmbedding[d]);
          const pairMatrix = (scale: number) => a.P[0].map((_, i) => b.P[0].map((_, j) => a.P.reduce((sum, row, d) => sum + row[i] * b.P[d][j], 0) / scale)).flat();
          expect(relativeDiff(result.matrix, pairMatrix(norm(a.embedding) * norm(b.embedding))), `matrix at layer ${layer}`).toBeLessThan(ATTRIBUTION_TOLERANCE);
          // The other modes reuse P (from the cache) and change only the normalisation:
          // dot products are not divided; exact mode divides by the shifted embeddings' norms.
          const dot = await engine.attribute({ ...request, sim: 'dot' });
          expect(relativeDiff(dot.matrix, pairMatrix(1)), `dot matrix at layer ${layer}`).toBeLessThan(ATTRIBUTION_TOLERANCE);
          const exact = await engine.attribute({ ...request, mode: 'exact' });
          expect(relativeDiff(exact.matrix, pairMatrix(norm(shifted(a)) * norm(shifted(b)))), `exact matrix at layer ${layer}`).toBeLessThan(ATTRIBUTION_TOLERANCE);
        }
      } finally {
        model.dispose();
      }
    });
  });
}
