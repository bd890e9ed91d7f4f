/**
 * The engine's contract on the real use-lite, CPU backend: input validation, chunking,
 * partial results, cancellation, the cache, word-level sums, reference choices.
 * Texts are 1–4 tokens and N = 8 at layer 1 to keep the pure-JS backend quick; the
 * numerical properties over many pairs live in properties.test.ts.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SentenceEncoder } from '../model/encoder.ts';
import { loadBundledModel } from '../model/node-models.ts';
import { AttributionEngine, type AttributionRequest, type AttributionResult } from './engine.ts';
import { AttributionInputError } from './errors.ts';
import { wordLevel } from './words.ts';

let model: SentenceEncoder;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = await loadBundledModel('use-lite');
});

afterAll(() => model?.dispose());

const BASE: AttributionRequest = { a: 'Hi.', b: 'Yes!', layer: 1, steps: 8, mode: 'exact', sim: 'cos' };

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('input validation', () => {
  const bad: Array<[string, Partial<AttributionRequest>]> = [
    ['layer below 0', { layer: -1 }],
    ['layer past the last', { layer: 2 }],
    ['fractional layer', { layer: 0.5 }],
    ['steps not a power of two', { steps: 12 }],
    ['steps below 8', { steps: 4 }],
    ['steps above 1024', { steps: 2048 }],
    ['empty text a', { a: '' }],
    ['whitespace-only text b', { b: ' \t\n ' }],
    ['unknown model', { model: 'bert-base' }],
    ['unknown mode', { mode: 'both' as never }],
    ['unknown similarity', { sim: 'l2' as never }],
    ['unknown method', { method: 'fd' as never }],
    ['unknown rule', { rule: 'simpson' as never }],
    ['reference id out of range', { reference: { kind: 'token', id: 99999 } }],
    ['zero chunk size', { chunkSize: 0 }],
  ];
  it.each(bad)('rejects %s before computing anything', async (_name, patch) => {
    const engine = new AttributionEngine(model);
    const before = tf.memory().numTensors;
    await expect(engine.attribute({ ...BASE, ...patch })).rejects.toBeInstanceOf(AttributionInputError);
    expect(tf.memory().numTensors).toBe(before);
    expect(engine.stats.pointsComputed).toBe(0);
  });
});

describe('quadrature in chunks', () => {
  it('gives the same result whatever the chunk size, and reports progress after every chunk', async () => {
    const results: AttributionResult[] = [];
    const progress: number[][] = [];
    for (const chunkSize of [1, 3, 8]) {
      const engine = new AttributionEngine(model);
      const steps: number[] = [];
      const partials: AttributionResult[] = [];
      results.push(
        await engine.attribute({ ...BASE, chunkSize }, { onProgress: (p) => steps.push(p.stepsDone), onPartial: (p) => partials.push(p) }),
      );
      progress.push(steps);
      // A fixed rule has one level: no partial matrix before the end.
      expect(partials).toEqual([]);
    }
    expect(progress[0]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(progress[1]).toEqual([3, 6, 8]);
    expect(progress[2]).toEqual([8]);
    for (const r of results.slice(1)) {
      expect(maxDiff(r.matrix, results[0].matrix)).toBeLessThan(1e-6);
      expect(Math.abs(r.sum - results[0].sum)).toBeLessThan(1e-6);
    }
    expect(results[0].evaluations).toBe(8);
  });

  // BASE has 8 steps: partial levels, then the final one.
  const PLANNED = { 'clenshaw-curtis': [[2, 3, 5], 9], 'gauss-patterson': [[1, 3], 7], 'nested-midpoint': [[1], 3] } as const;
  it.each(Object.keys(PLANNED) as (keyof typeof PLANNED)[])('%s: the same result in any chunk size, levels as planned', async (rule) => {
    const results: AttributionResult[] = [];
    for (const chunkSize of [1, 3, 16]) {
      const levels: number[] = [];
      results.push(await new AttributionEngine(model).attribute({ ...BASE, rule, chunkSize }, { onPartial: (p) => levels.push(p.evaluations) }));
      expect(levels).toEqual(PLANNED[rule][0]);
    }
    expect(results[0].evaluations).toBe(PLANNED[rule][1]);
    for (const r of results.slice(1)) expect(maxDiff(r.matrix, results[0].matrix)).toBeLessThan(1e-6);
  });

  it('a nested rule reports every complete level as a partial result, never as final', async () => {
    const engine = new AttributionEngine(model);
    const partials: AttributionResult[] = [];
    const final = await engine.attribute({ ...BASE, rule: 'trapezoid', chunkSize: 2 }, { onPartial: (p) => partials.push(p) });
    expect(partials.map((p) => p.evaluations)).toEqual([2, 3, 5]);
    expect(partials.map((p) => p.level)).toEqual([0, 1, 2]);
    for (const p of partials) {
      expect(p.final).toBe(false);
      expect(p.rows * p.cols).toBe(final.matrix.length);
      expect(p.integrationError).toBeCloseTo(p.sum - p.target, 6);
      expect(p.ms).toBeGreaterThan(0);
      expect(p.steps).toBe(8);
      expect(p.rule).toBe('trapezoid');
    }
    expect(final).toMatchObject({ final: true, evaluations: 9, level: 3, converged: null, tolerance: null });
    // The same grid evaluated once more with Romberg's weights reuses every level.
    const points = engine.stats.pointsComputed;
    const romberg = await engine.attribute({ ...BASE, rule: 'romberg' });
    expect(engine.stats.pointsComputed).toBe(points);
    expect(romberg.evaluations).toBe(9);
    expect(maxDiff(romberg.matrix, final.matrix)).toBeGreaterThan(0);
  });

  it('a cancelled nested run keeps its complete levels, and the next run continues from them', async () => {
    const engine = new AttributionEngine(model);
    const controller = new AbortController();
    const req: AttributionRequest = { ...BASE, rule: 'trapezoid' };
    const run = engine.attribute(req, { signal: controller.signal, onPartial: (p) => p.level === 1 && controller.abort() });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(engine.stats.pointsComputed).toBe(2 * 3); // levels 0 and 1 of both texts
    expect(engine.cachedTexts).toBe(2);
    const final = await engine.attribute(req);
    expect(engine.stats.pointsComputed).toBe(2 * 9);
    const fresh = await new AttributionEngine(model).attribute(req);
    expect(maxDiff(final.matrix, fresh.matrix)).toBeLessThan(1e-6);
  });

  it('keeps the cache within its byte budget, dropping the least recently used text', async () => {
    // One nested level of "Hi." / "Yes!" is a few kB: a budget of 1 byte keeps only the newest text.
    const engine = new AttributionEngine(model, { cacheBytes: 1 });
    await engine.attribute({ ...BASE, rule: 'trapezoid' });
    expect(engine.cachedTexts).toBe(1);
    const roomy = new AttributionEngine(model);
    await roomy.attribute({ ...BASE, rule: 'trapezoid' });
    expect(roomy.cachedTexts).toBe(2);
  });

  it('steps auto refines until the error estimate meets the tolerance, and a tighter one continues from there', async () => {
    const engine = new AttributionEngine(model);
    const loose = await engine.attribute({ ...BASE, steps: 'auto', tolerance: 0.2 });
    expect(loose.rule).toBe('nested-midpoint'); // use-lite's ReLUs put kinks in the integrand
    expect(loose.ruleRequested).toBe('auto');
    expect(loose.converged).toBe(true);
    expect(loose.errorEstimate).toBeLessThanOrEqual(0.2);
    expect(loose.evaluations).toBeGreaterThanOrEqual(9);
    const pointsAfterLoose = engine.stats.pointsComputed;
    expect(pointsAfterLoose).toBe(2 * loose.evaluations);

    const tight = await engine.attribute({ ...BASE, steps: 'auto', tolerance: loose.errorEstimate / 2 });
    expect(tight.evaluations).toBeGreaterThan(loose.evaluations);
    // Only the new levels were computed.
    expect(engine.stats.pointsComputed - pointsAfterLoose).toBe(2 * (tight.evaluations - loose.evaluations));
    expect(tight.errorEstimate).toBeLessThan(loose.errorEstimate);

    await expect(engine.attribute({ ...BASE, steps: 'auto', rule: 'midpoint' })).rejects.toThrow(/nested rule/);
    await expect(engine.attribute({ ...BASE, steps: 'auto', tolerance: 0 })).rejects.toThrow(/tol must be/);
  });

  it('the right Riemann rule is selectable and differs from the midpoint rule', async () => {
    const engine = new AttributionEngine(model);
    const mid = await engine.attribute(BASE);
    const right = await engine.attribute({ ...BASE, rule: 'right' });
    expect(right.rule).toBe('right');
    expect(maxDiff(mid.matrix, right.matrix)).toBeGreaterThan(1e-4);
    expect(engine.stats.textsComputed).toBe(4);
  });

  it('cancels between chunks, caching nothing and leaving no tensors', async () => {
    const engine = new AttributionEngine(model);
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = engine.attribute({ ...BASE, chunkSize: 1 }, { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(engine.stats.pointsComputed).toBe(2); // one chunk for each text
    expect(engine.cachedTexts).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    await expect(engine.attribute(BASE, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('cache', () => {
  it('computes only the new side, and reuses P when mode or similarity change', async () => {
    const engine = new AttributionEngine(model);
    const fresh = await engine.attribute(BASE);
    expect(engine.stats.textsComputed).toBe(2);

    const t0 = performance.now();
    const approx = await engine.attribute({ ...BASE, mode: 'approx' });
    const dot = await engine.attribute({ ...BASE, mode: 'approx', sim: 'dot' });
    const switchMs = (performance.now() - t0) / 2;
    expect(engine.stats.textsComputed).toBe(2);
    expect(engine.stats.pointsComputed).toBe(16);
    console.log(`mode switch ${switchMs.toFixed(2)} ms vs fresh run ${fresh.ms.toFixed(0)} ms (${((100 * switchMs) / fresh.ms).toFixed(2)}%)`);
    expect(approx.referenceTerms.aRb).not.toBe(0);
    // use-lite embeddings are unit vectors, so cos and dot agree.
    expect(maxDiff(dot.matrix, approx.matrix)).toBeLessThan(1e-5);

    const progress: number[] = [];
    const third = await engine.attribute({ ...BASE, b: 'Sun', chunkSize: 4 }, { onProgress: (p) => progress.push(p.stepsDone) });
    expect(engine.stats.textsComputed).toBe(3);
    expect(engine.stats.pointsComputed).toBe(24);
    expect(progress).toEqual([4, 8]);

    // The cached side is the same P as a fresh computation of that pair.
    const other = new AttributionEngine(model);
    const reference = await other.attribute({ ...BASE, b: 'Sun' });
    expect(maxDiff(third.matrix, reference.matrix)).toBeLessThan(1e-6);

    // The same text on both sides is computed once.
    engine.clearCache();
    const self = await engine.attribute({ ...BASE, b: BASE.a });
    expect(engine.stats.textsComputed).toBe(4);
    expect(self.rows).toBe(self.cols);
    expect(engine.cachedP(BASE.a, BASE)?.pieces).toEqual(self.tokensA);
  });
});

describe('references', () => {
  it('defaults to "▁" repeated; another token and zeros at the layer are selectable', async () => {
    const engine = new AttributionEngine(model);
    const results = [];
    for (const reference of [undefined, { kind: 'token', id: 0 }, { kind: 'zeros' }] as const) {
      const r = await engine.attribute({ ...BASE, mode: 'approx', reference });
      results.push(r);
      // The sum rule's right-hand side, term by term.
      expect(r.target).toBeCloseTo(r.prediction - r.referenceTerms.aRb - r.referenceTerms.rAb + r.referenceTerms.rArB, 10);
    }
    expect(results[0].reference).toEqual({ kind: 'token', id: 30 });
    expect(results[0].prediction).toBe(results[1].prediction);
    expect(results[0].referenceTerms.aRb).not.toBeCloseTo(results[1].referenceTerms.aRb, 3);
    expect(results[2].referenceTerms.aRb).not.toBeCloseTo(results[1].referenceTerms.aRb, 3);
    expect(engine.stats.textsComputed).toBe(6);
  });
});

describe('word level', () => {
  it('sums sub-word blocks, keeping the total', async () => {
    const engine = new AttributionEngine(model);
    const r = await engine.attribute({ ...BASE, a: 'Unbelievably quick.', b: 'Sun' });
    const words = wordLevel(r);
    expect(words.wordsA).toEqual(['Unbelievably', 'quick.']);
    expect(words.rows).toBe(2);
    expect(r.rows).toBeGreaterThan(2);
    const total = words.matrix.reduce((s, v) => s + v, 0);
    expect(total).toBeCloseTo(r.sum, 5);
  });
});
