/**
 * The architectures beyond BERT/RoBERTa/MPNet against transformers itself: tiny random
 * models that transformers built from a config and sentence-transformers saved
 * (scripts/make-transformers-models.py → test-models/<name>/), and what transformers and
 * sentence-transformers compute on them (scripts/reference-fixtures.py →
 * test-models/fixtures/<name>.json and <name>.attribution.json; how and with which
 * versions: test-models/README.md). NomicBERT, which is not in transformers, is built and
 * run the same way by its authors' code (the Hub remote code, modeling_hf_nomic_bert.py:
 * scripts/nomic_bert_reference.py). Each comparison is skipped, saying why, while its
 * fixture file is missing.
 *
 * Bounds as issue 17 sets them: hidden states at every layer and embeddings within 1e-5
 * (absolute, float32 on both sides), P within 1e-5 of PyTorch autograd relative to its
 * largest entry (float64 there). One exception, stated where it applies: a float32
 * comparison cannot be closer than the two sides' own rounding, so where the fixture says
 * (float32Error) that transformers' float32 states at some stage are, for some text, more
 * than 5e-6 from the same model run in float64, that stage's bound is twice the largest
 * such error (a property of the model's stage, how much it amplifies float32 rounding, so
 * taken over all texts and their references). The bound rises for t5-gated (stages 2, 3)
 * and gemma3 (stage 2, to 1.18e-5), but only t5-gated's last two stages need it:
 * transformers' float32 states are up to 9.5e-6 and 1.13e-5 from float64 there (gated
 * products of a random T5 amplify rounding layer by layer), ours up to 7.2e-6 and 1.15e-5
 * (measured once against float64 states), and the two differ by up to 9.0e-6 and 1.23e-5.
 * Set PAIRLENS_FIXTURE_REPORT=1 to print the measured maxima per architecture.
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
import { hiddenStates, maxAbsDiff, relativeDiff, type AttributionFixture } from './reference-fixture.test-support.ts';

const TOLERANCE = 1e-5;
const ATTRIBUTION_TOLERANCE = 1e-5;

/** Folder (and fixture) name → what it is. */
const MODELS: Record<string, string> = {
  modernbert: 'ModernBERT (global and ±2 local layers, GeGLU, no biases), mean pooling, Normalize',
  gemma3: 'Gemma 3 text encoder, bidirectional (sliding, sliding, full), grouped-query, Dense 32→48→32, Normalize',
  t5: 'T5 encoder, ReLU feed-forward (sentence-t5): mean pooling, Dense 32→24, Normalize',
  't5-gated': 'T5 encoder, gated-GELU feed-forward (gtr-t5): mean pooling, Dense 32→24, Normalize',
  distilbert: 'DistilBERT, CLS pooling',
  'nomic-bert': "NomicBERT (nomic-ai's own code: rotary, SwiGLU, no biases, post-norm), mean pooling, Normalize",
};

/** What computes the reference where it is not transformers' own model class. */
const REFERENCE: Record<string, string> = {
  'nomic-bert': "nomic-ai's modeling_hf_nomic_bert.py",
};

/** Max |float32 − float64| of the reference's own values (scripts/reference-fixtures.py). */
interface Float32Error {
  hiddenStates: number[];
  embedding: number;
  referenceHiddenStates: number[];
  referenceEmbedding: number;
}

interface FixtureItem {
  text: string;
  ids: number[];
  tokens: string[];
  hiddenStates: number[][][];
  embedding: number[];
  referenceIds: number[];
  referenceHiddenStates: number[][][];
  referenceEmbedding: number[];
  float32Error: Float32Error;
}

interface Fixture {
  model: string;
  exact: boolean;
  versions: Record<string, string>;
  items: FixtureItem[];
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function fixturePath(file: string): string {
  return fileURLToPath(new URL(`../../../test-models/fixtures/${file}`, import.meta.url));
}

/** The bound for float32 values whose reference is up to `error` from float64 (see the top of the file). */
function boundFor(error: number): number {
  return Math.max(TOLERANCE, 2 * error);
}

/** Per stage (embedding output, each layer), the reference's largest float32 error over all texts and references. */
function stageErrors(items: FixtureItem[]): number[] {
  const out: number[] = [];
  for (const { float32Error: e } of items) {
    [...e.hiddenStates.entries(), ...e.referenceHiddenStates.entries()].forEach(([l, v]) => (out[l] = Math.max(out[l] ?? 0, v)));
  }
  return out;
}

function embeddingError(items: FixtureItem[]): number {
  return Math.max(...items.map((i) => Math.max(i.float32Error.embedding, i.float32Error.referenceEmbedding)));
}

/** Measured maxima, printed at the end with PAIRLENS_FIXTURE_REPORT=1. */
const measured: Record<string, Record<string, number>> = {};
function note(name: string, key: string, value: number): void {
  const m = (measured[name] ??= {});
  m[key] = Math.max(m[key] ?? 0, value);
}

/** Architectures with a hidden state or embedding 1e-5 or more from the reference (allowed by its float32 error). */
const overTolerance = new Set<string>();

afterAll(() => {
  if (process.env.PAIRLENS_FIXTURE_REPORT) console.log(JSON.stringify(measured, null, 2));
});

for (const [name, what] of Object.entries(MODELS)) {
  const file = `${name}.json`;
  const missing = !existsSync(fixturePath(file));
  const why = missing ? ' (skipped: no fixture; run scripts/reference-fixtures.py where torch, transformers and sentence-transformers are installed)' : '';
  describe(`${name} (${what}) against ${REFERENCE[name] ?? 'transformers'}${why}`, () => {

    let model: HfSentenceEncoder;
    let fixture: Fixture;
    beforeAll(async () => {
      if (missing) return;
      fixture = JSON.parse(readFileSync(fixturePath(file), 'utf8')) as Fixture;
      model = await loadHfModel(tinyModelFiles(name));
    });
    afterAll(() => model?.dispose());

    it.skipIf(missing)('has as many layers as the reference, and is not an exact checkpoint', () => {
      expect(model.exact).toBe(false);
      expect(fixture.exact).toBe(false);
      for (const item of fixture.items) expect(item.hiddenStates.length, item.text).toBe(model.numLayers + 1);
    });

    it.skipIf(missing || name !== 'gemma3')('reads a sliding_window that is not its own image under ⌊w/2⌋ + 1, so the fixture tells the rule apart', () => {
      // config.json says 6 (as EmbeddingGemma's says 512); transformers attends within |i − j| < 4.
      const config = model.config as unknown as { slidingWindow: number; window: number };
      expect(config.slidingWindow).toBe(6);
      expect(config.window).toBe(4);
    });

    it.skipIf(missing)('tokenizes every text to the same ids', () => {
      for (const item of fixture.items) expect(model.tokenize(item.text).ids, item.text).toEqual(item.ids);
    });

    it.skipIf(missing)(`matches every layer's hidden states and the embedding within ${TOLERANCE}`, () => {
      for (const item of fixture.items) {
        const ours = hiddenStates(model, item.ids);
        item.hiddenStates.forEach((layer, l) => {
          const d = maxAbsDiff(ours[l], layer.flat());
          note(name, `hidden[${l}]`, d);
          if (d >= TOLERANCE) overTolerance.add(name);
          const bound = boundFor(stageErrors(fixture.items)[l]);
          if (bound > TOLERANCE) note(name, `hidden[${l}] bound (reference float32 error)`, bound);
          expect(d, `${JSON.stringify(item.text)} hidden state ${l}`).toBeLessThan(bound);
        });
        const e = tf.tidy(() => encodeFrom(model, 0, model.embed(item.ids)).dataSync());
        const d = maxAbsDiff(e, item.embedding);
        note(name, 'embedding', d);
        if (d >= TOLERANCE) overTolerance.add(name);
        expect(d, `${JSON.stringify(item.text)} embedding`).toBeLessThan(boundFor(embeddingError(fixture.items)));
      }
    });

    it.skipIf(missing)('builds the same attribution reference (frame kept, the rest padding) and runs it the same way', () => {
      for (const item of fixture.items) {
        expect(model.referenceIds(item.ids)).toEqual(item.referenceIds);
        const ours = hiddenStates(model, item.referenceIds);
        item.referenceHiddenStates.forEach((layer, l) => {
          const d = maxAbsDiff(ours[l], layer.flat());
          note(name, `reference hidden[${l}]`, d);
          if (d >= TOLERANCE) overTolerance.add(name);
          const bound = boundFor(stageErrors(fixture.items)[l]);
          if (bound > TOLERANCE) note(name, `reference hidden[${l}] bound (reference float32 error)`, bound);
          expect(d, `${JSON.stringify(item.text)} reference hidden state ${l}`).toBeLessThan(bound);
        });
        const e = tf.tidy(() => encodeFrom(model, 0, model.embed(item.referenceIds)).dataSync());
        const d = maxAbsDiff(e, item.referenceEmbedding);
        note(name, 'reference embedding', d);
        if (d >= TOLERANCE) overTolerance.add(name);
        expect(d, `${JSON.stringify(item.text)} reference embedding`).toBeLessThan(boundFor(embeddingError(fixture.items)));
      }
    });

    it.skipIf(missing)('keeps within 1e-5 everywhere, except t5-gated, which needs the raised bound (the top of the file)', () => {
      expect(overTolerance.has(name)).toBe(name === 't5-gated');
    });
  });

  const attributionFile = `${name}.attribution.json`;
  const attributionMissing = !existsSync(fixturePath(attributionFile));
  describe(`${name}: the engine's attributions against PyTorch autograd${attributionMissing ? ' (skipped: no fixture)' : ''}`, () => {
    it.skipIf(attributionMissing)(`gives the reference's P at every layer and A = P_aᵀP_b within ${ATTRIBUTION_TOLERANCE} (relative)`, async () => {
      const fixture = JSON.parse(readFileSync(fixturePath(attributionFile), 'utf8')) as AttributionFixture;
      const model = await loadHfModel(tinyModelFiles(name));
      const engine = new AttributionEngine(model);
      try {
        expect(new Set(fixture.cases.map((c) => c.layer)).size).toBe(model.numLayers);
        for (const { layer, a, b } of fixture.cases) {
          const request = { a: a.text, b: b.text, layer, steps: fixture.steps, rule: fixture.rule, mode: 'approx', sim: 'cos' } as const;
          const result = await engine.attribute(request);
          for (const side of [a, b]) {
            const p = engine.cachedP(side.text, request)!;
            expect(model.tokenize(side.text).ids).toEqual(side.ids);
            expect(model.referenceIds(side.ids)).toEqual(side.referenceIds);
            expect(p.tokens).toBe(side.ids.length);
            const theirs = side.ids.map((_, i) => side.P.map((row) => row[i])).flat(); // Pᵀ, [S, D]
            const d = relativeDiff(p.pt, theirs);
            note(name, `P relative (layer ${layer})`, d);
            expect(d, `${side.text} P at layer ${layer}`).toBeLessThan(ATTRIBUTION_TOLERANCE);
            expect(maxAbsDiff(p.embedding, side.embedding)).toBeLessThan(TOLERANCE);
            expect(maxAbsDiff(p.referenceEmbedding, side.referenceEmbedding)).toBeLessThan(TOLERANCE);
          }
          const norm = (v: number[]) => Math.hypot(...v);
          const matrix = a.P[0].map((_, i) => b.P[0].map((_, j) => a.P.reduce((sum, row, d) => sum + row[i] * b.P[d][j], 0))).flat();
          const scale = norm(a.embedding) * norm(b.embedding);
          const d = relativeDiff(result.matrix, matrix.map((v) => v / scale));
          note(name, 'matrix relative', d);
          expect(d, `matrix at layer ${layer}`).toBeLessThan(ATTRIBUTION_TOLERANCE);
        }
      } finally {
        model.dispose();
      }
    });
  });
}
