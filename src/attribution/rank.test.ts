/**
 * Ranking on the real use-lite: scores from the embeddings first, then
 * attributions in rank order at the cost of K + 1 texts' P, validation, cancellation.
 * WASM backend (the pure-JS CPU one is several times slower), short texts, N = 8 at layer 1.
 */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedText, type SentenceEncoder } from '../model/encoder.ts';
import { loadBundledModel } from '../model/node-models.ts';
import { cosine, dot } from '../shared/vector.ts';
import { passageContributions, rankReport } from '../shared/rank-report.ts';
import { AttributionEngine } from './engine.ts';
import { AttributionAbortedError, AttributionInputError } from './errors.ts';
import { rankPassages, rankScores, type RankRequest, type RankedScore } from './rank.ts';

let model: SentenceEncoder;

beforeAll(async () => {
  await tf.setBackend('wasm');
  model = await loadBundledModel('use-lite');
});

afterAll(() => model?.dispose());

const PASSAGES = ['A dog sat.', 'The cat sat down.', 'Stocks fell.', 'A cat sat.'];
const BASE: RankRequest = { query: 'A cat sat.', passages: PASSAGES, layer: 1, steps: 8, mode: 'approx', sim: 'cos' };

describe('rankScores', () => {
  it('orders by descending score, equal scores by position', () => {
    expect(rankScores([0.1, 0.5, 0.1, 0.9, 0.5])).toEqual([
      { index: 3, rank: 1, score: 0.9 },
      { index: 1, rank: 2, score: 0.5 },
      { index: 4, rank: 3, score: 0.5 },
      { index: 0, rank: 4, score: 0.1 },
      { index: 2, rank: 5, score: 0.1 },
    ]);
  });
});

describe('rankPassages', () => {
  it('scores every passage from the embeddings first, then attributes in rank order at the cost of K + 1 texts', async () => {
    const engine = new AttributionEngine(model);
    const events: string[] = [];
    const outcome = await rankPassages(engine, model, BASE, {
      onScores: (scores) => events.push(`scores ${scores.map((s) => s.index).join(',')}`),
      onPassage: (rank, result) => events.push(`passage ${rank.index} final ${result.final}`),
    });

    const query = await embedText(model, BASE.query);
    const expected: number[] = [];
    for (const p of PASSAGES) expected.push(cosine(query.embedding, (await embedText(model, p)).embedding));
    for (const s of outcome.scores) expect(s.score).toBeCloseTo(expected[s.index], 6);
    expect(outcome.scores.map((s) => s.rank)).toEqual([1, 2, 3, 4]);
    expect(outcome.scores[0].index).toBe(3); // the query itself
    for (let i = 1; i < outcome.scores.length; i++) expect(outcome.scores[i].score).toBeLessThanOrEqual(outcome.scores[i - 1].score);

    const order = outcome.scores.map((s) => s.index);
    expect(events).toEqual([`scores ${order.join(',')}`, ...order.map((i) => `passage ${i} final true`)]);
    expect(outcome.results.map((r) => r.rank)).toEqual(outcome.scores);
    expect(outcome.queryTokens).toEqual(query.tokens);
    for (const { rank, result } of outcome.results) {
      expect(result.tokensB).toEqual(model.tokenize(PASSAGES[rank.index]).pieces);
      expect(result.prediction).toBeCloseTo(rank.score, 5); // the engine's s(a, b) is the same score
      expect(result).toMatchObject({ layer: 1, steps: 8, mode: 'approx', sim: 'cos', final: true });
    }
    // The query is passage 3 as well: one P serves both, so 4 distinct texts, not 5.
    expect(outcome.textsComputed).toBe(4);
    expect(engine.stats.textsComputed).toBe(4);
    expect(outcome.ms).toBeGreaterThan(0);
  });

  it('computes the query\'s P once: K distinct passages cost K + 1 texts, repeated passages once', async () => {
    const engine = new AttributionEngine(model);
    const distinct = await rankPassages(engine, model, { ...BASE, passages: ['Yes!', 'No.', 'Maybe so.'], sim: 'dot' });
    expect(distinct.textsComputed).toBe(4);
    const query = await embedText(model, BASE.query);
    const yes = await embedText(model, 'Yes!');
    expect(distinct.scores.find((s) => s.index === 0)!.score).toBeCloseTo(dot(query.embedding, yes.embedding), 4);

    const fresh = new AttributionEngine(model);
    const repeated = await rankPassages(fresh, model, { ...BASE, passages: ['Yes!', 'No.', 'Yes!'] });
    expect(repeated.textsComputed).toBe(3);
    // Equal scores keep the passages' order.
    const yesRanks = repeated.scores.filter((s) => s.index !== 1);
    expect(yesRanks.map((s) => s.index)).toEqual([0, 2]);
    expect(yesRanks[1].rank).toBe(yesRanks[0].rank + 1);

    // Everything is cached now: ranking again computes nothing.
    const again = await rankPassages(fresh, model, { ...BASE, passages: ['No.', 'Yes!'] });
    expect(again.textsComputed).toBe(0);
  });

  it('attributes only the top passages, but scores all', async () => {
    const engine = new AttributionEngine(model);
    const progress: Array<[string, number, number, number]> = [];
    const outcome = await rankPassages(engine, model, { ...BASE, top: 2 }, {
      onProgress: (p) => {
        if (p.within === null) progress.push([p.phase, p.scored, p.passagesDone, p.passagesTotal]);
      },
    });
    expect(outcome.scores).toHaveLength(4);
    expect(outcome.results.map((r) => r.rank)).toEqual(outcome.scores.slice(0, 2));
    expect(progress.at(-1)).toEqual(['attributing', 4, 2, 2]);
    expect(progress.slice(0, 4).map((p) => p[1])).toEqual([1, 2, 3, 4]);

    const none = await rankPassages(engine, model, { ...BASE, top: 0 });
    expect(none.results).toEqual([]);
    expect(none.scores).toEqual(outcome.scores);
    const report = rankReport(model.id, { request: BASE, ...none }, { backend: 'cpu' });
    expect(report).toMatchObject({ results: [], evaluations: 0, rule: null, passages: 4, queryTokens: none.queryTokens });
  });

  it('gives per-token contributions that add up to ΣA, as the report carries them', async () => {
    const engine = new AttributionEngine(model);
    const outcome = await rankPassages(engine, model, { ...BASE, passages: ['The cat sat down.', 'Dogs bark loudly at night.'] });
    const report = rankReport(model.id, { request: { ...BASE, passages: ['The cat sat down.', 'Dogs bark loudly at night.'] }, ...outcome }, { backend: 'cpu' });
    expect(report.results).toHaveLength(2);
    outcome.results.forEach(({ result }, k) => {
      const { contributions, queryContributions } = passageContributions(result);
      expect(contributions).toHaveLength(result.cols);
      expect(queryContributions).toHaveLength(result.rows);
      const total = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
      // The matrix is float32, ΣA was summed in double precision before rounding.
      const slack = 1e-6 * Math.max(1, Math.abs(result.sum));
      expect(Math.abs(total(contributions) - result.sum)).toBeLessThan(slack);
      expect(Math.abs(total(queryContributions) - result.sum)).toBeLessThan(slack);
      expect(report.results[k]).toMatchObject({ rank: k + 1, sum: result.sum, contributions, queryContributions, tokens: result.tokensB });
    });
    expect(report.evaluations).toBe(8);
    expect(report.textsComputed).toBe(3);
  });

  const bad: Array<[string, Partial<RankRequest>, RegExp]> = [
    ['an empty query', { query: ' \n ' }, /query is empty/],
    ['no passages', { passages: [] }, /no passages/],
    ['a blank passage', { passages: ['ok', '  '] }, /passage 2 is empty/],
    ['a negative top', { top: -1 }, /top must be/],
    ['a fractional top', { top: 1.5 }, /top must be/],
    ['a layer past the last', { layer: 2 }, /layer/],
    ['steps not a power of two', { steps: 12 }, /steps/],
    ['an unknown similarity', { sim: 'l2' as never }, /sim/],
    ['a tolerance out of range', { steps: 'auto', tolerance: 5 }, /tol/],
    ['another model', { model: 'bert-base' }, /unknown model/],
  ];
  it.each(bad)('refuses %s before computing anything', async (_name, patch, message) => {
    const engine = new AttributionEngine(model);
    let scored = false;
    const run = rankPassages(engine, model, { ...BASE, ...patch }, { onScores: () => (scored = true) });
    await expect(run).rejects.toBeInstanceOf(AttributionInputError);
    await expect(run).rejects.toThrow(message);
    expect(scored).toBe(false);
    expect(engine.stats.pointsComputed).toBe(0);
  });

  it('stops when the signal fires: before scoring, between passages, and inside one', async () => {
    const engine = new AttributionEngine(model);
    const before = new AbortController();
    before.abort();
    await expect(rankPassages(engine, model, BASE, { signal: before.signal })).rejects.toBeInstanceOf(AttributionAbortedError);

    const between = new AbortController();
    const done: RankedScore[] = [];
    const run = rankPassages(engine, model, BASE, {
      signal: between.signal,
      onPassage: (rank) => {
        done.push(rank);
        between.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(AttributionAbortedError);
    expect(done).toHaveLength(1);

    const inside = new AbortController();
    const fresh = new AttributionEngine(model);
    let passages = 0;
    const tensors = tf.memory().numTensors;
    const cancelled = rankPassages(fresh, model, { ...BASE, steps: 64 }, {
      signal: inside.signal,
      onPassage: () => passages++,
      onProgress: (p) => {
        if (p.within && p.within.stepsDone >= 8) inside.abort();
      },
    });
    await expect(cancelled).rejects.toBeInstanceOf(AttributionAbortedError);
    expect(passages).toBe(0);
    expect(fresh.stats.pointsComputed).toBeLessThan(64 * 2);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
