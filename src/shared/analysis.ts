/**
 * Statistics over many attributions (the records of batch output files,
 * batch-record.ts): how concentrated, how negative, which parts of speech, same words or
 * negation words carry the similarity, and how far approximate and exact matrices agree.
 * Pure functions, no TF.js, DOM or Node: the CLI's `analyze` and the app call them.
 *
 *   analyzeRecords(records, { tagger?, pieceText? }) → Analysis
 *
 * Records are grouped by (model, layer, mode, sim): every statistic is per group, never
 * mixing layers or modes. A record repeated (same id in the same group, e.g. two files
 * holding the same shard) counts once, the last one read. Matrices are taken as written,
 * rows = tokens of A; ΣA, Σ|A| are recomputed from them.
 *
 * Definitions (per group; "mean" is over the group's pairs):
 *  - topShare[k]: mean of (sum of the k cells with the largest |A|) / ΣA, for k = 1, 3, 5,
 *    10 and for the top 5% and 10% of cells (at least one). Pairs with ΣA = 0 are left out
 *    (counted in topShareSkipped). The signed ratio exceeds 1 when other cells cancel;
 *    topShareMedian is its median, topAbsShare the same cells' Σ|A| over the pair's Σ|A|
 *    (between 0 and 1).
 *  - negativeShare: mean of Σ_{A<0} |A| / Σ|A|.
 *  - Shares of cell categories (posPairs, lexical, negation), each a ShareStat: absShare =
 *    mean of (Σ|A| over the category's cells) / Σ|A| of the pair (the shares of all
 *    categories add up to 1); signedShare = mean of (ΣA over those cells) / Σ|A| (they
 *    add up to the mean ΣA/Σ|A|); meanSum = mean ΣA over those cells (what the category
 *    adds to the similarity, on average); a pair without such cells counts as 0.
 *  - posPairs: categories (part of speech of the A token's word, of the B token's word),
 *    tags from the tagger (pos.ts), UNALIGNED for tokens matched to no word.
 *  - lexical: 'same' when both tokens' words have equal lemmas (lowercased; several words
 *    under one token compared as a whole), 'different' otherwise, 'unaligned' when either
 *    token is unaligned.
 *  - negation: 'involving' when either token's word is a negation word (pos.ts,
 *    NEGATION_WORDS), else 'other'; pairsWithNegation counts pairs with such a word.
 *  - correlations: for every (model, layer, sim) whose ids were attributed in both
 *    modes with the same tokens, Pearson and Spearman correlation of the approximate and
 *    the exact matrix per pair (over cells), averaged over pairs, with their medians.
 */
import type { ParsedBatchRecord } from './batch-record.ts';
import { plainTagger, tokenTags, UNALIGNED, type PieceText, type PosTagger, type TokenTag } from './pos.ts';
import { pearson, spearman } from './stats.ts';

/** What the analyses read of a record (any ParsedBatchRecord has it; word maps optional). */
export type AnalysisRecord = Pick<
  ParsedBatchRecord,
  'id' | 'a' | 'b' | 'label' | 'model' | 'layer' | 'mode' | 'sim' | 'tokensA' | 'tokensB' | 'matrix' | 'prediction' | 'wordsA' | 'wordsB'
>;

export interface ShareStat {
  /** Cells in the category, over all pairs. */
  cells: number;
  /** Pairs with at least one such cell. */
  pairs: number;
  absShare: number;
  signedShare: number;
  meanSum: number;
}

/** The cell counts of topShare: k cells, or a percentage of the pair's cells. */
export const TOP_CELLS = ['1', '3', '5', '10', '5%', '10%'] as const;
export type TopCells = (typeof TOP_CELLS)[number];

export interface PosPairShare extends ShareStat {
  a: string;
  b: string;
}

export interface LabelSummary {
  label: string;
  pairs: number;
  meanPrediction: number;
  meanSum: number;
  negativeShare: number;
  /** absShare of cells of the same word, and of cells involving negation words. */
  sameWordShare: number;
  negationShare: number;
}

export interface GroupAnalysis {
  model: string;
  layer: number;
  mode: string;
  sim: string;
  pairs: number;
  meanPrediction: number;
  meanSum: number;
  topShare: Record<TopCells, number>;
  topShareMedian: Record<TopCells, number>;
  topAbsShare: Record<TopCells, number>;
  /** Pairs left out of topShare (ΣA = 0). */
  topShareSkipped: number;
  negativeShare: number;
  /** By descending absShare. */
  posPairs: PosPairShare[];
  lexical: { same: ShareStat; different: ShareStat; unaligned: ShareStat };
  negation: { involving: ShareStat; other: ShareStat; pairsWithNegation: number };
  /** Pairs with a label, by label (alphabetical). */
  byLabel: LabelSummary[];
}

export interface LayerCorrelation {
  model: string;
  layer: number;
  sim: string;
  /** Ids attributed in both modes with the same tokens. */
  pairs: number;
  pearson: number;
  spearman: number;
  pearsonMedian: number;
  spearmanMedian: number;
}

export interface Analysis {
  /** Records analysed (after dropping repeats), and repeats dropped. */
  records: number;
  repeated: number;
  tagger: string;
  groups: GroupAnalysis[];
  correlations: LayerCorrelation[];
}

export interface AnalysisOptions {
  /** Default: plainTagger (no parts of speech). */
  tagger?: PosTagger;
  /** A token's own characters, markers removed (src/model/words.ts pieceText); default: the piece as it is. */
  pieceText?: PieceText;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((s, x) => s + x, 0) / xs.length);

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The matrix's cells, row by row. */
export function cells(matrix: readonly (readonly number[])[]): number[] {
  return matrix.flat();
}

/** How many cells a TopCells entry means for a matrix of `total` cells: k (at most all), or a percentage rounded up, at least 1. */
export function topCount(top: TopCells, total: number): number {
  if (top.endsWith('%')) return Math.min(total, Math.max(1, Math.ceil((Number(top.slice(0, -1)) / 100) * total)));
  return Math.min(total, Number(top));
}

/** The `count` cells with the largest |A|: their sum and their Σ|A|. */
export function topCells(values: readonly number[], count: number): { sum: number; abs: number } {
  const top = [...values].sort((p, q) => Math.abs(q) - Math.abs(p)).slice(0, count);
  return { sum: top.reduce((s, x) => s + x, 0), abs: top.reduce((s, x) => s + Math.abs(x), 0) };
}

/** One pair's topShare: the `count` largest-|A| cells' sum over ΣA (NaN when ΣA = 0). */
export function topShare(matrix: readonly (readonly number[])[], count: number): number {
  const values = cells(matrix);
  const total = values.reduce((s, x) => s + x, 0);
  return total === 0 ? NaN : topCells(values, count).sum / total;
}

/** One pair's negativeShare: Σ|A| of its negative cells over its Σ|A| (0 for an all-zero matrix). */
export function negativeShare(matrix: readonly (readonly number[])[]): number {
  let negative = 0;
  let abs = 0;
  for (const x of cells(matrix)) {
    abs += Math.abs(x);
    if (x < 0) negative -= x;
  }
  return abs === 0 ? 0 : negative / abs;
}

/** Per-pair totals of one category. */
interface CategoryTotals {
  cells: number;
  abs: number;
  sum: number;
}

/** Each category's totals in one pair, cells sorted by `categoryOf(i, j)`. */
function pairCategories(matrix: readonly (readonly number[])[], categoryOf: (i: number, j: number) => string): Map<string, CategoryTotals> {
  const out = new Map<string, CategoryTotals>();
  matrix.forEach((row, i) =>
    row.forEach((x, j) => {
      const key = categoryOf(i, j);
      const t = out.get(key) ?? { cells: 0, abs: 0, sum: 0 };
      t.cells++;
      t.abs += Math.abs(x);
      t.sum += x;
      out.set(key, t);
    }),
  );
  return out;
}

/** ShareStats over pairs from each pair's category totals and Σ|A| (see the header); `keys` are always present. */
function shareStats(perPair: ReadonlyArray<{ totals: Map<string, CategoryTotals>; abs: number }>, keys: readonly string[] = []): Map<string, ShareStat> {
  const all = new Set<string>(keys);
  for (const p of perPair) for (const key of p.totals.keys()) all.add(key);
  const n = perPair.length;
  const out = new Map<string, ShareStat>();
  for (const key of all) {
    const stat: ShareStat = { cells: 0, pairs: 0, absShare: 0, signedShare: 0, meanSum: 0 };
    for (const { totals, abs } of perPair) {
      const t = totals.get(key);
      if (!t) continue;
      stat.cells += t.cells;
      stat.pairs++;
      if (abs > 0) {
        stat.absShare += t.abs / abs / n;
        stat.signedShare += t.sum / abs / n;
      }
      stat.meanSum += t.sum / n;
    }
    out.set(key, stat);
  }
  return out;
}

/** Tags of each text, computed once per (text, tokens). */
class TagCache {
  private readonly cache = new Map<string, TokenTag[]>();
  constructor(
    private readonly tagger: PosTagger,
    private readonly pieceText?: PieceText,
  ) {}
  tags(text: string, tokens: readonly string[], words?: readonly number[]): TokenTag[] {
    const key = JSON.stringify([text, tokens, words ?? null]);
    let tags = this.cache.get(key);
    if (!tags) {
      tags = tokenTags(text, tokens, this.tagger, words, this.pieceText);
      this.cache.set(key, tags);
    }
    return tags;
  }
}

const POS_SEPARATOR = '\u0000';

function analyzeGroup(records: readonly AnalysisRecord[], tags: TagCache): GroupAnalysis {
  const first = records[0];
  const tops = Object.fromEntries(TOP_CELLS.map((t) => [t, [] as number[]])) as Record<TopCells, number[]>;
  const topAbs = Object.fromEntries(TOP_CELLS.map((t) => [t, [] as number[]])) as Record<TopCells, number[]>;
  let skipped = 0;
  const negatives: number[] = [];
  const pos: Array<{ totals: Map<string, CategoryTotals>; abs: number }> = [];
  const lexical: typeof pos = [];
  const negation: typeof pos = [];
  let pairsWithNegation = 0;
  for (const r of records) {
    const values = cells(r.matrix);
    const sum = values.reduce((s, x) => s + x, 0);
    const abs = values.reduce((s, x) => s + Math.abs(x), 0);
    for (const t of TOP_CELLS) {
      const top = topCells(values, topCount(t, values.length));
      if (sum !== 0) tops[t].push(top.sum / sum);
      topAbs[t].push(abs === 0 ? 0 : top.abs / abs);
    }
    if (sum === 0) skipped++;
    negatives.push(negativeShare(r.matrix));
    const ta = tags.tags(r.a, r.tokensA, r.wordsA);
    const tb = tags.tags(r.b, r.tokensB, r.wordsB);
    pos.push({ abs, totals: pairCategories(r.matrix, (i, j) => `${ta[i].pos}${POS_SEPARATOR}${tb[j].pos}`) });
    lexical.push({
      abs,
      totals: pairCategories(r.matrix, (i, j) => (ta[i].pos === UNALIGNED || tb[j].pos === UNALIGNED ? 'unaligned' : ta[i].key === tb[j].key ? 'same' : 'different')),
    });
    negation.push({ abs, totals: pairCategories(r.matrix, (i, j) => (ta[i].negation || tb[j].negation ? 'involving' : 'other')) });
    if (ta.some((t) => t.negation) || tb.some((t) => t.negation)) pairsWithNegation++;
  }
  const posPairs = [...shareStats(pos)]
    .map(([key, stat]) => {
      const [a, b] = key.split(POS_SEPARATOR);
      return { a, b, ...stat };
    })
    .sort((p, q) => q.absShare - p.absShare || p.a.localeCompare(q.a) || p.b.localeCompare(q.b));
  const lex = shareStats(lexical, ['same', 'different', 'unaligned']);
  const neg = shareStats(negation, ['involving', 'other']);
  const perTop = (f: (xs: number[]) => number, from: Record<TopCells, number[]>) =>
    Object.fromEntries(TOP_CELLS.map((t) => [t, f(from[t])])) as Record<TopCells, number>;

  const byLabel = new Map<string, number[]>();
  records.forEach((r, k) => {
    if (r.label === null) return;
    const list = byLabel.get(r.label) ?? [];
    list.push(k);
    byLabel.set(r.label, list);
  });
  const labels = [...byLabel.keys()].sort().map((label): LabelSummary => {
    const ks = byLabel.get(label)!;
    const shareOf = (perPair: typeof pos, key: string) => shareStats(ks.map((k) => perPair[k]), [key]).get(key)!.absShare;
    return {
      label,
      pairs: ks.length,
      meanPrediction: mean(ks.map((k) => records[k].prediction)),
      meanSum: mean(ks.map((k) => cells(records[k].matrix).reduce((s, x) => s + x, 0))),
      negativeShare: mean(ks.map((k) => negatives[k])),
      sameWordShare: shareOf(lexical, 'same'),
      negationShare: shareOf(negation, 'involving'),
    };
  });

  return {
    model: first.model,
    layer: first.layer,
    mode: first.mode,
    sim: first.sim,
    pairs: records.length,
    meanPrediction: mean(records.map((r) => r.prediction)),
    meanSum: mean(records.map((r) => cells(r.matrix).reduce((s, x) => s + x, 0))),
    topShare: perTop(mean, tops),
    topShareMedian: perTop(median, tops),
    topAbsShare: perTop(mean, topAbs),
    topShareSkipped: skipped,
    negativeShare: mean(negatives),
    posPairs,
    lexical: { same: lex.get('same')!, different: lex.get('different')!, unaligned: lex.get('unaligned')! },
    negation: { involving: neg.get('involving')!, other: neg.get('other')!, pairsWithNegation },
    byLabel: labels,
  };
}

const groupKey = (r: Pick<AnalysisRecord, 'model' | 'layer' | 'mode' | 'sim'>) => JSON.stringify([r.model, r.layer, r.mode, r.sim]);

function sameTokens(p: AnalysisRecord, q: AnalysisRecord): boolean {
  const equal = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((t, i) => t === y[i]);
  return equal(p.tokensA, q.tokensA) && equal(p.tokensB, q.tokensB);
}

function correlations(groups: ReadonlyMap<string, Map<string, AnalysisRecord>>): LayerCorrelation[] {
  const out: LayerCorrelation[] = [];
  for (const approx of groups.values()) {
    const some = approx.values().next().value as AnalysisRecord;
    if (some.mode !== 'approx') continue;
    const exact = groups.get(groupKey({ ...some, mode: 'exact' }));
    if (!exact) continue;
    const rs: number[] = [];
    const rhos: number[] = [];
    for (const [id, p] of approx) {
      const q = exact.get(id);
      if (!q || !sameTokens(p, q)) continue;
      rs.push(pearson(cells(p.matrix), cells(q.matrix)));
      rhos.push(spearman(cells(p.matrix), cells(q.matrix)));
    }
    if (rs.length === 0) continue;
    const defined = (xs: number[]) => xs.filter((x) => !Number.isNaN(x));
    out.push({
      model: some.model,
      layer: some.layer,
      sim: some.sim,
      pairs: rs.length,
      pearson: mean(defined(rs)),
      spearman: mean(defined(rhos)),
      pearsonMedian: median(defined(rs)),
      spearmanMedian: median(defined(rhos)),
    });
  }
  return out.sort((p, q) => p.model.localeCompare(q.model) || p.sim.localeCompare(q.sim) || p.layer - q.layer);
}

export function analyzeRecords(records: readonly AnalysisRecord[], options: AnalysisOptions = {}): Analysis {
  const tagger = options.tagger ?? plainTagger;
  const groups = new Map<string, Map<string, AnalysisRecord>>();
  let repeated = 0;
  for (const r of records) {
    const key = groupKey(r);
    const group = groups.get(key) ?? new Map<string, AnalysisRecord>();
    if (group.has(r.id)) {
      repeated++;
      group.delete(r.id); // the last one read, in its place
    }
    group.set(r.id, r);
    groups.set(key, group);
  }
  const tags = new TagCache(tagger, options.pieceText);
  const analyses = [...groups.values()]
    .map((g) => analyzeGroup([...g.values()], tags))
    .sort((p, q) => p.model.localeCompare(q.model) || p.mode.localeCompare(q.mode) || p.sim.localeCompare(q.sim) || p.layer - q.layer);
  return { records: records.length - repeated, repeated, tagger: tagger.name, groups: analyses, correlations: correlations(groups) };
}
