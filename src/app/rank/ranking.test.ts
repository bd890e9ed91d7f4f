import { describe, expect, it } from 'vitest';
import type { AttributionResult } from '../../worker/protocol.ts';
import { escapeXml } from '../../shared/markup.ts';
import { highlightedRanking, rankingHtml } from './rank-exports.ts';
import { largestShare, pairShares, whyAbove, wordShares } from './ranking.ts';
import { rankReport } from '../../shared/rank-report.ts';

/** A result with the fields the Rank view reads; the matrix from `f`, its sum the rest of the identity. */
interface Side {
  tokens: string[];
  words: number[];
  labels: string[];
}

function result(a: Side, b: Side, f: (i: number, j: number) => number, rest: number, error: number): AttributionResult {
  const rows = a.tokens.length;
  const cols = b.tokens.length;
  const matrix = Float32Array.from({ length: rows * cols }, (_, k) => f(Math.floor(k / cols), k % cols));
  const sum = matrix.reduce((t, v) => t + v, 0);
  const target = sum - error;
  const sides = { tokensA: a.tokens, tokensB: b.tokens, wordsA: a.words, wordsB: b.words, wordLabelsA: a.labels, wordLabelsB: b.labels };
  return { ...sides, matrix, rows, cols, sum, target, integrationError: error, prediction: target + rest, mode: 'approx' } as AttributionResult;
}

const query = { tokens: ['▁how', '▁light', 'houses', '▁help'], words: [0, 1, 1, 2], labels: ['how', 'lighthouses', 'help'] };
const passageX = { tokens: ['[CLS]', 'light', '##house', 'beam'], words: [0, 1, 1, 2], labels: ['[CLS]', 'lighthouse', 'beam'] };
const x = result(query, passageX, (i, j) => 0.1 * (i + 1) - 0.03 * j, 0.05, 0.002);
const y = result(query, { tokens: ['bread', 'shop'], words: [0, 1], labels: ['bread', 'shop'] }, (i, j) => 0.02 * (i - j), -0.01, -0.001);

describe('Rank view figures', () => {
  it('sums sub-word tokens into words, keeping the total', () => {
    const shares = wordShares(['lighthouse', 'beam'], [0, 0, 1], [0.25, 0.5, -0.125]);
    expect(shares).toEqual([
      { word: 'lighthouse', value: 0.75 },
      { word: 'beam', value: -0.125 },
    ]);
    const { passage, query: q } = pairShares(x);
    const total = (s: Array<{ value: number }>) => s.reduce((t, w) => t + w.value, 0);
    expect(total(passage)).toBeCloseTo(x.sum, 5);
    expect(total(q)).toBeCloseTo(x.sum, 5);
    expect(q.map((w) => w.word)).toEqual(['how', 'lighthouses', 'help']);
  });

  it('splits score(X) − score(Y) into the query words, the rest and the integration error', () => {
    const why = whyAbove(x, y);
    const total = (s: Array<{ value: number }>) => s.reduce((t, w) => t + w.value, 0);
    expect(total(why.query)).toBeCloseTo(x.sum - y.sum, 5);
    expect(total(why.x) + total(why.y)).toBeCloseTo(x.sum - y.sum, 5);
    expect(why.attributed + why.rest - why.integrationError).toBeCloseTo(why.scoreDifference, 6);
    expect(why.rest).toBeCloseTo(0.05 - -0.01, 6);
    expect(why.integrationError).toBeCloseTo(0.003, 6);
    expect(why.y.every((w, i) => w.value === -pairShares(y).passage[i].value)).toBe(true);
  });

  it('never gives a zero colour scale', () => {
    expect(largestShare([{ word: 'a', value: -0.5 }], [{ word: 'b', value: 0.25 }])).toBe(0.5);
    expect(largestShare([])).toBe(1);
  });

  it('writes hostile text inert in the HTML export', () => {
    const hostile = '<img src=x onerror="alert(1)">&\'';
    expect(escapeXml(hostile)).toBe('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&apos;');
    const report = rankReport('use-lite', { request: { query: hostile, passages: [hostile], layer: 1, mode: 'approx', sim: 'cos', steps: 8 }, queryTokens: [], scores: [{ index: 0, rank: 1, score: 0.5 }], results: [] }, { backend: 'wasm' });
    const html = rankingHtml(highlightedRanking(report, [{ rank: 1, score: 0.5, sum: 0.4, words: [{ word: hostile, value: 0.1 }] }]));
    expect(html).not.toContain('<img');
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('&lt;img src=x');
  });
});
