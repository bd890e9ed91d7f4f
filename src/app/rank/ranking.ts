/**
 * What the Rank view shows of each passage's attribution, word by word: the words of
 * the passage and of the query, each with its share of ΣA (sub-word tokens summed,
 * which keeps the total), and the comparison "why is X above Y". Plain functions of
 * the worker's results, so tests check them without a browser.
 */
import { sumWords } from '../../attribution/words.ts';
import { passageContributions } from '../../shared/rank-report.ts';
import type { AttributionResult } from '../../worker/protocol.ts';

export interface WordShare {
  word: string;
  /** Sum of A over the word's tokens (and over the other text's tokens). */
  value: number;
}

/** Sums per-token values into their words (`labels`: the tokenizer's), in order. */
export function wordShares(labels: readonly string[], words: readonly number[], perToken: readonly number[]): WordShare[] {
  const values = sumWords(perToken, words);
  return labels.map((word, i) => ({ word, value: values[i] }));
}

/** A passage's words and the query's words, each with its contribution to ΣA of the pair. */
export function pairShares(result: AttributionResult): { passage: WordShare[]; query: WordShare[] } {
  const { contributions, queryContributions } = passageContributions(result);
  return {
    passage: wordShares(result.wordLabelsB, result.wordsB, contributions),
    query: wordShares(result.wordLabelsA, result.wordsA, queryContributions),
  };
}

/**
 * Why X scores above Y, in terms the attributions can answer:
 *
 *   score(X) − score(Y) = [ΣA_X − ΣA_Y] + [rest_X − rest_Y] − [err_X − err_Y]
 *
 * where ΣA splits over the query's words (row sums of A_X minus those of A_Y) and over
 * each passage's words (+ X's, − Y's); `rest` = prediction − target (the reference terms
 * in approximate mode; in exact mode the gap between the original's score and the
 * attributed model's shifted one) and `err` = ΣA − target, the integration error.
 */
export interface WhyAbove {
  scoreDifference: number;
  /** ΣA_X − ΣA_Y: what the words below add up to. */
  attributed: number;
  /** (prediction − target)_X − (prediction − target)_Y. */
  rest: number;
  /** integrationError_X − integrationError_Y. */
  integrationError: number;
  /** Per query word: its row sum in A_X minus its row sum in A_Y. */
  query: WordShare[];
  /** X's words (added) and Y's words (their contribution, subtracted). */
  x: WordShare[];
  y: WordShare[];
}

export function whyAbove(x: AttributionResult, y: AttributionResult): WhyAbove {
  const sx = pairShares(x);
  const sy = pairShares(y);
  return {
    scoreDifference: x.prediction - y.prediction,
    attributed: x.sum - y.sum,
    rest: x.prediction - x.target - (y.prediction - y.target),
    integrationError: x.integrationError - y.integrationError,
    query: sx.query.map((share, i) => ({ word: share.word, value: share.value - sy.query[i].value })),
    x: sx.passage,
    y: sy.passage.map((share) => ({ word: share.word, value: -share.value })),
  };
}

/** The largest |value| of the shares, for a colour scale shared by everything shown (never 0). */
export function largestShare(...lists: ReadonlyArray<readonly WordShare[]>): number {
  let largest = 0;
  for (const list of lists) for (const share of list) largest = Math.max(largest, Math.abs(share.value));
  return largest || 1;
}
