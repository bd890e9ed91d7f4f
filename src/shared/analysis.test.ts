import { describe, expect, it } from 'vitest';
import { analyzeRecords, negativeShare, topCount, topShare, type AnalysisRecord } from './analysis.ts';
import { pieceText } from '../model/words.ts';
import type { PosTagger } from './pos.ts';

const TAGS: Record<string, string> = { not: 'PART', good: 'ADJ', day: 'NOUN', a: 'DET', cat: 'NOUN', dog: 'NOUN' };
/** Words split at spaces, tagged from a table. */
const TABLE_TAGGER: PosTagger = {
  name: 'table',
  tag: (text) => text.split(' ').map((w) => ({ text: w, pos: TAGS[w] ?? 'X', lemma: w.toLowerCase() })),
};

const BASE = { model: 'm', layer: 1, mode: 'approx', sim: 'cos', prediction: 0.5, label: null } as const;
const tokens = (text: string) => text.split(' ').map((w) => `▁${w}`);
function record(id: string, a: string, b: string, matrix: number[][], extra: Partial<AnalysisRecord> = {}): AnalysisRecord {
  return { ...BASE, id, a, b, tokensA: tokens(a), tokensB: tokens(b), matrix, ...extra };
}

// ΣA = 1.0, Σ|A| = 1.2; by |A|: 0.5, 0.4, 0.2, −0.1.
const R1 = record('1', 'not good', 'good day', [[-0.1, 0.2], [0.5, 0.4]], { label: 'negation', prediction: 0.9 });
// ΣA = Σ|A| = 0.8.
const R2 = record('2', 'a cat', 'a dog', [[0.2, 0], [0, 0.6]]);

describe('per-pair statistics', () => {
  it('topShare: the k largest-|A| cells over ΣA; negativeShare: negative |A| over Σ|A|', () => {
    expect(topShare(R1.matrix, 1)).toBeCloseTo(0.5, 12);
    expect(topShare(R1.matrix, 3)).toBeCloseTo(1.1, 12);
    expect(topShare(R1.matrix, 4)).toBeCloseTo(1, 12);
    expect(topShare([[1, -1]], 1)).toBeNaN();
    expect(negativeShare(R1.matrix)).toBeCloseTo(0.1 / 1.2, 12);
    expect(negativeShare([[0, 0]])).toBe(0);
    expect([topCount('10', 4), topCount('5%', 4), topCount('10%', 100), topCount('5%', 101)]).toEqual([4, 1, 10, 6]);
  });
});

describe('analyzeRecords', () => {
  const analysis = analyzeRecords([R1, R2], { tagger: TABLE_TAGGER, pieceText });
  const g = analysis.groups[0];

  it('averages topShare and negativeShare over pairs', () => {
    expect(analysis).toMatchObject({ records: 2, repeated: 0, tagger: 'table', correlations: [] });
    expect(g).toMatchObject({ model: 'm', layer: 1, mode: 'approx', sim: 'cos', pairs: 2, topShareSkipped: 0 });
    expect(g.meanSum).toBeCloseTo(0.9, 12);
    expect(g.meanPrediction).toBeCloseTo(0.7, 12);
    expect(g.topShare['1']).toBeCloseTo((0.5 + 0.75) / 2, 12);
    expect(g.topShare['3']).toBeCloseTo((1.1 + 1) / 2, 12);
    expect(g.topShare['10']).toBeCloseTo(1, 12);
    expect(g.topShare['5%']).toBeCloseTo(g.topShare['1'], 12); // 5% of 4 cells: 1
    expect(g.topShareMedian['1']).toBeCloseTo(0.625, 12);
    expect(g.topAbsShare['1']).toBeCloseTo((0.5 / 1.2 + 0.75) / 2, 12);
    expect(g.negativeShare).toBeCloseTo(0.1 / 1.2 / 2, 12);
  });

  it('splits Σ|A| into same-word, different-word and negation cells', () => {
    expect(g.lexical.same.absShare).toBeCloseTo((0.5 / 1.2 + 0.2 / 0.8) / 2, 12);
    expect(g.lexical.same.signedShare).toBeCloseTo((0.5 / 1.2 + 0.2 / 0.8) / 2, 12);
    expect(g.lexical.same).toMatchObject({ cells: 2, pairs: 2 });
    expect(g.lexical.same.meanSum).toBeCloseTo(0.35, 12);
    expect(g.lexical.different.absShare).toBeCloseTo((0.7 / 1.2 + 0.6 / 0.8) / 2, 12);
    expect(g.lexical.unaligned).toEqual({ cells: 0, pairs: 0, absShare: 0, signedShare: 0, meanSum: 0 });
    expect(g.negation.pairsWithNegation).toBe(1);
    expect(g.negation.involving.absShare).toBeCloseTo(0.3 / 1.2 / 2, 12);
    expect(g.negation.involving.signedShare).toBeCloseTo(0.1 / 1.2 / 2, 12);
    expect(g.negation.involving.meanSum).toBeCloseTo(0.05, 12);
    expect(g.negation.involving.absShare + g.negation.other.absShare).toBeCloseTo(1, 12);
  });

  it('tables parts of speech of the A word × the B word, largest share first', () => {
    expect(g.posPairs[0]).toMatchObject({ a: 'NOUN', b: 'NOUN', cells: 1, pairs: 1 });
    expect(g.posPairs[0].absShare).toBeCloseTo(0.75 / 2, 12);
    const adj = g.posPairs.find((p) => p.a === 'ADJ' && p.b === 'ADJ')!;
    expect(adj.absShare).toBeCloseTo(0.5 / 1.2 / 2, 12);
    expect(g.posPairs.reduce((s, p) => s + p.absShare, 0)).toBeCloseTo(1, 12);
    expect(g.posPairs).toHaveLength(8);
  });

  it('summarises labelled pairs by label', () => {
    expect(g.byLabel).toHaveLength(1);
    expect(g.byLabel[0]).toMatchObject({ label: 'negation', pairs: 1, meanPrediction: 0.9 });
    expect(g.byLabel[0].negationShare).toBeCloseTo(0.25, 12);
    expect(g.byLabel[0].sameWordShare).toBeCloseTo(0.5 / 1.2, 12);
  });

  it('keeps layers and modes apart, counts a repeated id once (the last), and correlates approximate with exact', () => {
    const exact1 = { ...R1, mode: 'exact', matrix: R1.matrix.map((row) => row.map((x) => 2 * x)) };
    const exact2 = { ...R2, mode: 'exact', matrix: [[0.6, 0], [0, 0.2]] };
    const stale = { ...R2, matrix: [[9, 9], [9, 9]] };
    const otherLayer = { ...R1, layer: 0 };
    const out = analyzeRecords([stale, R1, R2, exact1, exact2, otherLayer]);
    expect(out.repeated).toBe(1);
    expect(out.records).toBe(5);
    expect(out.tagger).toMatch(/plain words/);
    expect(out.groups.map((x) => [x.layer, x.mode, x.pairs])).toEqual([[0, 'approx', 1], [1, 'approx', 2], [1, 'exact', 2]]);
    expect(out.groups[1].topShare['1']).toBeCloseTo(0.625, 12); // the stale matrix is gone
    expect(out.correlations).toHaveLength(1);
    const c = out.correlations[0];
    expect(c).toMatchObject({ model: 'm', layer: 1, sim: 'cos', pairs: 2 });
    // R1: exact = 2 × approx (r = ρ = 1). R2 by hand: r = 0.08 / 0.24 = 1/3, ρ = 3.5 / 4.5.
    expect(c.pearson).toBeCloseTo((1 + 1 / 3) / 2, 12);
    expect(c.spearman).toBeCloseTo((1 + 3.5 / 4.5) / 2, 12);
  });
});
