/** Word labels for the tokenizers we meet: SentencePiece "▁", WordPiece "##", byte-level pieces. */
import { describe, expect, it } from 'vitest';
import { sumWordBlocks, wordLabels } from './words.ts';

describe('word labels', () => {
  it('drops the SentencePiece word-start marker', () => {
    expect(wordLabels(['▁un', 'believ', 'able', '▁day'], [0, 0, 0, 1])).toEqual(['unbelievable', 'day']);
  });

  it('joins WordPiece continuations without their "##"', () => {
    expect(wordLabels(['[CLS]', 'un', '##believ', '##able', '!', '[SEP]'], [0, 1, 1, 1, 2, 3])).toEqual([
      '[CLS]',
      'unbelievable',
      '!',
      '[SEP]',
    ]);
  });

  it('drops a byte-level word-start marker shown as its own piece', () => {
    expect(wordLabels(['<s>', 'the', '\u0120', 'u', 'n', 'happy', '</s>'], [0, 1, 2, 2, 2, 2, 3])).toEqual(['<s>', 'the', 'unhappy', '</s>']);
    expect(wordLabels(['a', '\u0120'], [0, 1])).toEqual(['a', '\u0120']);
  });

  it('keeps a word that is only "##" or starts a word with it', () => {
    expect(wordLabels(['##', 'a', '##'], [0, 1, 1])).toEqual(['##', 'a##']);
  });

  it('keeps the total when summing blocks', () => {
    const m = sumWordBlocks([1, 2, 3, 4, 5, 6], 2, 3, [0, 0], [0, 1, 1]);
    expect(Array.from(m)).toEqual([5, 16]);
  });
});
