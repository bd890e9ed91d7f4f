/**
 * Exact mode with an exact variant (issue 5): P from the fine-tuned use-lite-exact,
 * reference terms 0, ΣA ≈ shiftedPrediction, prediction still the unmodified model's;
 * without a variant, exact mode shifts the model itself and says so. WASM backend
 * (the pure-JS CPU one takes ~30 s here), short texts, layer 1.
 */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactVariantOf } from '../model/catalog.ts';
import type { SentenceEncoder } from '../model/encoder.ts';
import { loadBundledModel } from '../model/node-models.ts';
import { pairCosines } from '../exact/shifted.ts';
import { exactModelLabel } from '../shared/report.ts';
import { AttributionEngine, type AttributionRequest } from './engine.ts';
import { AttributionInputError } from './errors.ts';

let model: SentenceEncoder;
let exact: SentenceEncoder;

beforeAll(async () => {
  await tf.setBackend('wasm');
  model = await loadBundledModel('use-lite');
  exact = await loadBundledModel(exactVariantOf('use-lite')!);
});

afterAll(() => {
  model?.dispose();
  exact?.dispose();
});

const REQ: AttributionRequest = { a: 'A cat sat.', b: 'The dog ran!', layer: 1, steps: 32, mode: 'exact', sim: 'cos' };

describe('exact mode with an exact variant', () => {
  it('attributes the fine-tuned variant: reference terms 0, ΣA ≈ its shifted prediction', async () => {
    const engine = new AttributionEngine(model, { exactVariant: exact });
    const r = await engine.attribute(REQ);
    expect(r.exactModel).toBe('fine-tuned');
    expect(r.attributionModel).toBe('use-lite-exact');
    expect(exactModelLabel(r)).toBe('use-lite-exact (exact variant, fine-tuned)');
    expect(r.referenceTerms).toEqual({ aRb: 0, rAb: 0, rArB: 0 });
    expect(r.target).toBe(r.shiftedPrediction);
    // Integration error at N = 32 from layer 1 is ~1e-2 or less (docs/use-lite.md, "Convergence": it falls roughly as 1/N).
    expect(Math.abs(r.sum - r.shiftedPrediction)).toBeLessThan(0.03);
    expect(r.integrationError).toBeCloseTo(r.sum - r.shiftedPrediction, 12);

    // shiftedPrediction is the variant's own cos(ẽa, ẽb) (reference "▁", id 30).
    const ids = [REQ.a, REQ.b].map((t) => exact.tokenize(t).ids);
    const [own] = await pairCosines(exact, [{ a: ids[0], b: ids[1] }], 30);
    expect(r.shiftedPrediction).toBeCloseTo(own, 5);

    // prediction stays the unmodified model's, the same as in approximate mode.
    const approx = await engine.attribute({ ...REQ, mode: 'approx' });
    const [unmodified] = await pairCosines(model, [{ a: ids[0], b: ids[1] }]);
    expect(r.prediction).toBeCloseTo(unmodified, 5);
    expect(r.prediction).toBeCloseTo(approx.prediction, 6);
    expect(approx.exactModel).toBeNull();
    expect(approx.attributionModel).toBe('use-lite');

    // Two models, two P per text, cached apart.
    expect(engine.cachedTexts).toBe(4);
    const pExact = engine.cachedP(REQ.a, { ...REQ, mode: 'exact' })!;
    const pApprox = engine.cachedP(REQ.a, { ...REQ, mode: 'approx' })!;
    expect(pExact.pt).not.toEqual(pApprox.pt);
  });

  it('approximate mode is unchanged by the presence of an exact variant', async () => {
    const plain = await new AttributionEngine(model).attribute({ ...REQ, mode: 'approx', steps: 8 });
    const withExact = await new AttributionEngine(model, { exactVariant: exact }).attribute({ ...REQ, mode: 'approx', steps: 8 });
    expect(withExact.matrix).toEqual(plain.matrix);
    expect(withExact.prediction).toBe(plain.prediction);
  });

  it('without a variant, exact mode shifts the model itself and labels it so', async () => {
    const r = await new AttributionEngine(model).attribute({ ...REQ, steps: 8 });
    expect(r.exactModel).toBe('shifted');
    expect(r.attributionModel).toBe('use-lite');
    expect(exactModelLabel(r)).toBe('use-lite shifted, not fine-tuned');
    expect(r.referenceTerms).toEqual({ aRb: 0, rAb: 0, rArB: 0 });
  });

  it('refuses an exact model that is not a variant of the engine model', () => {
    expect(() => new AttributionEngine(model, { exactVariant: model })).toThrow(AttributionInputError);
  });

  it('the fine-tuned variant agrees with the original far better than the shifted model does', async () => {
    const texts = ['The whale surfaced near the ship.', 'Taxes were raised again.', 'A whale was seen by the crew.', 'Congress passed the budget.'];
    const pairs = texts.flatMap((a, i) => texts.slice(i + 1).map((b) => ({ a: model.tokenize(a).ids, b: model.tokenize(b).ids })));
    const original = await pairCosines(model, pairs);
    const shifted = await pairCosines(model, pairs, 30);
    const fineTuned = await pairCosines(exact, pairs, 30);
    const mad = (x: Float32Array) => x.reduce((s, v, i) => s + Math.abs(v - original[i]), 0) / x.length;
    expect(mad(fineTuned)).toBeLessThan(mad(shifted));
  });
});
