/**
 * Word-level views: each word's block of sub-word tokens summed into one row or
 * column. Sums (not means) keep completeness: the word matrix adds up to the same ΣA.
 * Which tokens form a word, and its label, come from the model's tokenizer
 * (TokenizedText.words and wordLabels; model/words.ts).
 */
import { wordCount } from '../model/words.ts';

export interface WordMatrix {
  wordsA: string[];
  wordsB: string[];
  matrix: Float32Array; // row-major wordsA.length × wordsB.length
  rows: number;
  cols: number;
}

/** Sums a row-major rows × cols token matrix over word blocks. */
export function sumWordBlocks(
  matrix: ArrayLike<number>,
  rows: number,
  cols: number,
  wordsA: readonly number[],
  wordsB: readonly number[],
): Float32Array {
  const wa = wordCount(wordsA);
  const wb = wordCount(wordsB);
  const out = new Float64Array(wa * wb);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[wordsA[i] * wb + wordsB[j]] += matrix[i * cols + j];
  }
  return Float32Array.from(out);
}

/** Sums per-token values into their words, in order. */
export function sumWords(perToken: readonly number[], words: readonly number[]): number[] {
  const sums = new Array<number>(wordCount(words)).fill(0);
  perToken.forEach((v, i) => (sums[words[i]] += v));
  return sums;
}

/** The word-level matrix of an attribution result. */
export function wordLevel(result: {
  wordLabelsA: readonly string[];
  wordLabelsB: readonly string[];
  wordsA: readonly number[];
  wordsB: readonly number[];
  matrix: ArrayLike<number>;
  rows: number;
  cols: number;
}): WordMatrix {
  return {
    wordsA: [...result.wordLabelsA],
    wordsB: [...result.wordLabelsB],
    matrix: sumWordBlocks(result.matrix, result.rows, result.cols, result.wordsA, result.wordsB),
    rows: result.wordLabelsA.length,
    cols: result.wordLabelsB.length,
  };
}
