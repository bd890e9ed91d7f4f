/**
 * The error estimate and the nested rules on a real (tiny, smooth) model: CPU backend,
 * tiny BERT from test-models/. The reference is Romberg on 257 points, which agrees
 * with itself at 129 points to far below the tolerances checked here.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SentenceEncoder } from '../model/encoder.ts';
import { loadHfModel } from '../model/hf/load.ts';
import { tinyModelFiles } from '../model/hf/tiny-models.test-support.ts';
import { relativeDifference } from '../shared/vector.ts';
import { completenessResidual, errorEstimate, levelChange, levelTerm } from './convergence.ts';
import { AttributionEngine, type AttributionRequest, type AttributionResult } from './engine.ts';

describe('error estimate parts', () => {
  it('completeness residual against a closed form', () => {
    // Two tokens, D = 2: Σ_i P[:, i] = (3, 4); f(x) − f(r) = (3, 0) → ‖(0, 4)‖ / ‖(3, 0)‖.
    const side = { pt: Float32Array.from([1, 2, 2, 2]), tokens: 2, embedding: Float32Array.from([4, 1]), referenceEmbedding: Float32Array.from([1, 1]) };
    expect(completenessResidual(side)).toBeCloseTo(4 / 3, 6);
    expect(completenessResidual({ ...side, embedding: side.referenceEmbedding })).toBe(0);
  });

  it('level change and the combined estimate', () => {
    expect(levelChange(Float32Array.from([3, 4]), Float32Array.from([3, 4.5]))).toBeCloseTo(0.1, 6);
    expect(levelChange(new Float32Array(2), new Float32Array(2))).toBe(0);
    expect(errorEstimate('midpoint', null, [0.01, 0.02])).toBeCloseTo(0.015, 12);
    expect(errorEstimate('trapezoid', 0.6, [0.01, 0.02])).toBeCloseTo(0.2, 12);
    expect(errorEstimate('trapezoid', 0.03, [0.01, 0.02])).toBeCloseTo(0.015, 12);
    expect(errorEstimate('nested-midpoint', 0.6, [0, 0])).toBeCloseTo(0.2, 12);
    // Clenshaw–Curtis squares its change: each level about squares the last one's error.
    expect(errorEstimate('clenshaw-curtis', 0.03, [0, 0])).toBeCloseTo(9e-4, 12);
    expect(errorEstimate('clenshaw-curtis', 0.03, [0.01, 0.01])).toBeCloseTo(0.01, 12);
    expect(levelTerm('midpoint', 0.5)).toBe(0);
  });
});

describe('nested rules on tiny BERT (smooth: GELU, mean pooling)', () => {
  let model: SentenceEncoder;
  let engine: AttributionEngine;
  const base: AttributionRequest = { a: 'the cat sat on the mat', b: 'a dog ran home', layer: 0, steps: 256, mode: 'approx', sim: 'cos' };
  let reference: Float32Array;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await loadHfModel(tinyModelFiles('bert'), { id: 'bert' });
    engine = new AttributionEngine(model);
    reference = (await engine.attribute({ ...base, rule: 'romberg' })).matrix;
  });
  afterAll(() => model.dispose());

  const error = (r: AttributionResult) => relativeDifference(r.matrix, reference);

  it('auto picks Clenshaw–Curtis, stops at the tolerance, and the true error stays within 3× of it', async () => {
    expect(model.smooth).toBe(true);
    for (const tolerance of [1e-2, 1e-3]) {
      const fresh = new AttributionEngine(model);
      const r = await fresh.attribute({ ...base, steps: 'auto', tolerance });
      expect(r).toMatchObject({ rule: 'clenshaw-curtis', ruleRequested: 'auto', final: true, converged: true });
      expect(r.errorEstimate).toBeLessThanOrEqual(tolerance);
      expect(error(r)).toBeLessThanOrEqual(3 * tolerance);
      // The estimate is no wild overestimate either: at most 100× the true error.
      expect(r.errorEstimate).toBeLessThan(100 * Math.max(error(r), 1e-7));
    }
  });

  it('trapezoid converges at second order, Romberg far faster, both from the same cached levels', async () => {
    const levels = async (rule: 'trapezoid' | 'romberg') => {
      const out: AttributionResult[] = [];
      out.push(await engine.attribute({ ...base, steps: 64, rule }, { onPartial: (p) => out.push(p) }));
      return out.sort((x, y) => x.evaluations - y.evaluations);
    };
    const before = engine.stats.pointsComputed;
    const trapezoid = await levels('trapezoid');
    const romberg = await levels('romberg');
    expect(engine.stats.pointsComputed).toBe(before); // levels up to 64 intervals are cached from the reference run
    const t = trapezoid.map(error);
    // Halving h divides the trapezoid error by about 4 on a smooth integrand.
    for (let k = 4; k < t.length; k++) expect(t[k - 1] / t[k]).toBeGreaterThan(3);
    const midpoint = await engine.attribute({ ...base, steps: 64, rule: 'midpoint' });
    const evaluationsToMatch = romberg.find((r) => error(r) <= error(midpoint))?.evaluations;
    expect(evaluationsToMatch).toBeDefined();
    expect(evaluationsToMatch!).toBeLessThanOrEqual(33);
  });

  it('Clenshaw–Curtis: its own cached levels, and midpoint-64 matched with fewer points than Romberg', async () => {
    const levels: AttributionResult[] = [];
    const before = engine.stats.pointsComputed;
    levels.push(await engine.attribute({ ...base, steps: 64, rule: 'clenshaw-curtis' }, { onPartial: (p) => levels.push(p) }));
    expect(engine.stats.pointsComputed - before).toBe(2 * 65); // not the dyadic grid's levels
    expect(levels.map((r) => r.evaluations)).toEqual([2, 3, 5, 9, 17, 33, 65]);
    const midpoint = await engine.attribute({ ...base, steps: 64, rule: 'midpoint' });
    const romberg = await engine.attribute({ ...base, steps: 16, rule: 'romberg' });
    const cc = levels.find((r) => error(r) <= error(midpoint));
    expect(cc).toBeDefined();
    expect(cc!.evaluations).toBeLessThanOrEqual(17);
    // At 17 points Clenshaw–Curtis is closer to the integral than Romberg.
    expect(error(levels[4])).toBeLessThan(error(romberg));
    // Asking again computes nothing: a coarser N reads the same cached levels.
    const again = await engine.attribute({ ...base, steps: 32, rule: 'clenshaw-curtis' });
    expect(again.matrix).toEqual(levels[5].matrix);
  });
});
