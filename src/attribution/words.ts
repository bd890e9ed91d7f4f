/**
 * Word-level views: each word's block of sub-word tokens summed into one row or
 * column. Sums (not means) keep completeness: the word matrix adds up to the same ΣA.
 */
import { WORD_START } from '../model/use-lite/tokenizer.ts';

export interface WordMatrix {
  wordsA: string[];
  wordsB: string[];
  matrix: Float32Array; // row-major wordsA.length × wordsB.length
  rows: number;
  cols: number;
}

/** Number of words in a token → word map (word indices start at 0 and never decrease). */
function wordCount(words: readonly number[]): number {
  return words.length === 0 ? 0 : Math.max(...words) + 1;
}

/** Byte-level BPE (RoBERTa) shows a lone word-start space as this marker. */
const BYTE_LEVEL_SPACE = '\u0120';
const BYTE_LEVEL_SPACE_START = /^\u0120/;

/** WordPiece (BERT, MPNet) marks a piece that continues a word with this prefix. */
const CONTINUATION = '##';

/**
 * Display text of each word: its pieces joined, without the word-start markers
 * (SentencePiece "▁", byte-level "Ġ") or the continuation marker (WordPiece "##").
 */
export function wordLabels(tokens: readonly string[], words: readonly number[]): string[] {
  const labels = new Array<string>(wordCount(words)).fill('');
  tokens.forEach((piece, i) => {
    const w = words[i];
    const continues = labels[w] !== '' && piece.startsWith(CONTINUATION) && piece.length > CONTINUATION.length;
    labels[w] += continues ? piece.slice(CONTINUATION.length) : piece;
  });
  return labels.map((w) => {
    const cleaned = w.split(WORD_START).join('').replace(BYTE_LEVEL_SPACE_START, '');
    return cleaned || (w.startsWith(BYTE_LEVEL_SPACE) ? BYTE_LEVEL_SPACE : WORD_START);
  });
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

/** The word-level matrix of an attribution result. */
export function wordLevel(result: {
  tokensA: readonly string[];
  tokensB: readonly string[];
  wordsA: readonly number[];
  wordsB: readonly number[];
  matrix: ArrayLike<number>;
  rows: number;
  cols: number;
}): WordMatrix {
  const wordsA = wordLabels(result.tokensA, result.wordsA);
  const wordsB = wordLabels(result.tokensB, result.wordsB);
  return {
    wordsA,
    wordsB,
    matrix: sumWordBlocks(result.matrix, result.rows, result.cols, result.wordsA, result.wordsB),
    rows: wordsA.length,
    cols: wordsB.length,
  };
}
