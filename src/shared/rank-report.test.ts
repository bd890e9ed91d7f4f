import { describe, expect, it } from 'vitest';
import type { AttributionResult } from '../attribution/engine.ts';
import type { RankedScore } from '../attribution/rank.ts';
import { parseCsv } from './csv.ts';
import { passageContributions, rankCsv, rankReport, type RankReportData } from './rank-report.ts';
import { PAIRLENS_VERSION } from './report.ts';

/** A made-up final result: a 2 × cols matrix with the sums of the sum rule consistent. */
function fakeResult(cols: number, evaluations: number, seed: number): AttributionResult {
  const matrix = Float32Array.from({ length: 2 * cols }, (_, k) => Math.sin(seed + k) / 7);
  const sum = matrix.reduce((s, v) => s + v, 0);
  return {
    tokensA: ['▁q', 'uery'],
    tokensB: Array.from({ length: cols }, (_, j) => `▁t${j}`),
    wordsA: [0, 0],
    wordsB: Array.from({ length: cols }, (_, j) => j),
    wordLabelsA: ['query'],
    wordLabelsB: Array.from({ length: cols }, (_, j) => `t${j}`),
    specialA: [false, false],
    specialB: new Array<boolean>(cols).fill(false),
    promptA: null,
    promptB: null,
    matrix,
    rows: 2,
    cols,
    prediction: sum + 0.01,
    shiftedPrediction: sum,
    referenceTerms: { aRb: 0.001, rAb: 0.002, rArB: 0.0005 },
    target: sum + 0.0075,
    sum,
    integrationError: -0.0075,
    rule: 'trapezoid',
    ruleRequested: 'auto',
    steps: 'auto',
    tolerance: 0.01,
    level: 4,
    evaluations,
    final: true,
    converged: true,
    errorEstimate: 0.004,
    levelChange: 0.01,
    completeness: { a: 0.001, b: 0.002 },
    layer: 1,
    mode: 'approx',
    sim: 'cos',
    method: 'jvp',
    reference: { kind: 'token', id: 30 },
    ms: 12,
    droppedTokensA: 0,
    droppedTokensB: 0,
    attributionModel: 'use-lite',
    exactModel: null,
  };
}

const PASSAGES = ['=HYPERLINK("x")', 'second, with "quotes"', 'third\nline', 'not attributed'];
const SCORES: RankedScore[] = [
  { index: 2, rank: 1, score: 0.9 },
  { index: 0, rank: 2, score: 0.5 },
  { index: 1, rank: 3, score: 0.4 },
  { index: 3, rank: 4, score: 0.1 },
];
const DATA: RankReportData = {
  request: { query: 'the\r\nquery', passages: PASSAGES, layer: 1, mode: 'approx', sim: 'cos', steps: 'auto' },
  queryTokens: ['▁q', 'uery'],
  scores: SCORES,
  // Out of order on purpose: the report lists by rank.
  results: [
    { rank: SCORES[1], result: fakeResult(3, 17, 1) },
    { rank: SCORES[0], result: fakeResult(4, 33, 2) },
    { rank: SCORES[2], result: fakeResult(2, 9, 3) },
  ],
  textsComputed: 4,
};

describe('passageContributions', () => {
  it('gives column sums per passage token and row sums per query token, each adding up to ΣA', () => {
    const result = { matrix: Float32Array.from([1, 2, 3, 4, 5, 6]), rows: 2, cols: 3 };
    expect(passageContributions(result)).toEqual({ contributions: [5, 7, 9], queryContributions: [6, 15] });
    const r = fakeResult(5, 9, 4);
    const { contributions, queryContributions } = passageContributions(r);
    const total = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    expect(total(contributions)).toBeCloseTo(r.sum, 12);
    expect(total(queryContributions)).toBeCloseTo(r.sum, 12);
  });
});

describe('rankReport', () => {
  it('has the fields of docs/architecture.md in order, results by rank, evaluations the most any result used', () => {
    const report = rankReport('use-lite', DATA, { backend: 'wasm' });
    expect(Object.keys(report)).toEqual([
      'model', 'layer', 'mode', 'sim', 'rule', 'evaluations', 'query', 'queryTokens', 'results',
      'steps', 'tolerance', 'ruleRequested', 'reference', 'method', 'attributionModel', 'exactModel', 'promptA', 'promptB', 'backend', 'version', 'passages', 'textsComputed',
    ]);
    expect(Object.keys(report.results[0])).toEqual([
      'rank', 'text', 'score', 'tokens', 'contributions', 'queryContributions', 'sum', 'target', 'integrationError',
      'index', 'evaluations', 'errorEstimate', 'final', 'converged', 'prediction', 'referenceTerms',
    ]);
    expect(report).toMatchObject({
      model: 'use-lite', layer: 1, mode: 'approx', sim: 'cos', rule: 'trapezoid', evaluations: 33, query: 'the\r\nquery',
      steps: 'auto', tolerance: 0.01, ruleRequested: 'auto', reference: { kind: 'token', id: 30 }, method: 'jvp',
      backend: 'wasm', version: PAIRLENS_VERSION, passages: 4, textsComputed: 4,
    });
    expect(report.results.map((r) => [r.rank, r.index, r.text, r.score, r.evaluations])).toEqual([
      [1, 2, 'third\nline', 0.9, 33],
      [2, 0, '=HYPERLINK("x")', 0.5, 17],
      [3, 1, 'second, with "quotes"', 0.4, 9],
    ]);
    expect(report.results[0].contributions).toHaveLength(4);
    // Plain data: JSON and back is the same object.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('leaves textsComputed out when unknown, and falls back to the request when nothing was attributed', () => {
    const report = rankReport('use-lite', { ...DATA, results: [], textsComputed: undefined }, { backend: 'webgpu' });
    expect(report).not.toHaveProperty('textsComputed');
    expect(report).toMatchObject({ rule: null, evaluations: 0, queryTokens: ['▁q', 'uery'], results: [], tolerance: null, reference: null, method: null, passages: 4 });
  });
});

describe('rankCsv', () => {
  it('writes settings as # lines, then one escaped row per attributed passage, formulas defused', () => {
    const csv = rankCsv(rankReport('use-lite', DATA, { backend: 'wasm' }));
    const lines = csv.split('\n');
    expect(lines.slice(0, 5)).toEqual(['# model,use-lite', '# layer,1', '# mode,approx', '# sim,cos', '# rule,trapezoid']);
    for (const line of ['# version,' + PAIRLENS_VERSION, '# backend,wasm', '# reference,token 30', '# query,the query', '# textsComputed,4']) expect(lines).toContain(line);
    const body = csv
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    const records = parseCsv(body).records.map((r) => r.fields);
    expect(records[0]).toEqual(['rank', 'index', 'score', 'sum', 'target', 'integrationError', 'evaluations', 'text']);
    expect(records.slice(1).map((r) => [r[0], r[1], r[2], r[6], r[7]])).toEqual([
      ['1', '2', '0.9', '33', 'third\nline'],
      ['2', '0', '0.5', '17', '\'=HYPERLINK("x")'],
      ['3', '1', '0.4', '9', 'second, with "quotes"'],
    ]);
    expect(Number(records[1][3])).toBe(DATA.results[1].result.sum);
  });
});
