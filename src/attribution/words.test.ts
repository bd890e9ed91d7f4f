/** Word-level sums keep the total (completeness survives the word view). */
import { describe, expect, it } from 'vitest';
import { sumWordBlocks, sumWords, wordLevel } from './words.ts';

describe('word sums', () => {
  it('keeps the total when summing blocks', () => {
    const m = sumWordBlocks([1, 2, 3, 4, 5, 6], 2, 3, [0, 0], [0, 1, 1]);
    expect(Array.from(m)).toEqual([5, 16]);
  });

  it('sums per-token values into words', () => {
    expect(sumWords([1, 2, 4], [0, 1, 1])).toEqual([1, 6]);
  });

  it('labels the word matrix with the tokenizer\'s word labels', () => {
    const words = wordLevel({ wordLabelsA: ['cats'], wordLabelsB: ['a', 'dog'], wordsA: [0, 0], wordsB: [0, 1, 1], matrix: [1, 2, 3, 4, 5, 6], rows: 2, cols: 3 });
    expect(words).toMatchObject({ wordsA: ['cats'], wordsB: ['a', 'dog'], rows: 1, cols: 2 });
    expect(Array.from(words.matrix)).toEqual([5, 16]);
  });
});
