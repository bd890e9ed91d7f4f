/** Word labels and bare pieces for the tokenizers we meet: SentencePiece "▁", WordPiece "##", byte-level pieces. */
import { describe, expect, it } from 'vitest';
import { isBarePiece, joinWords, pieceText } from './words.ts';

const SENTENCEPIECE = { wordStart: '\u2581' };
const WORDPIECE = { continuation: '##' };
const BYTE_LEVEL = { wordStart: '\u0120' };

describe('word labels', () => {
  it('drops the SentencePiece word-start marker', () => {
    expect(joinWords(['▁un', 'believ', 'able', '▁day'], [0, 0, 0, 1], SENTENCEPIECE)).toEqual(['unbelievable', 'day']);
  });

  it('joins WordPiece continuations without their "##"', () => {
    expect(joinWords(['[CLS]', 'un', '##believ', '##able', '!', '[SEP]'], [0, 1, 1, 1, 2, 3], WORDPIECE)).toEqual([
      '[CLS]',
      'unbelievable',
      '!',
      '[SEP]',
    ]);
  });

  it('drops a byte-level word-start marker shown as its own piece', () => {
    expect(joinWords(['<s>', 'the', '\u0120', 'u', 'n', 'happy', '</s>'], [0, 1, 2, 2, 2, 2, 3], BYTE_LEVEL)).toEqual(['<s>', 'the', 'unhappy', '</s>']);
    expect(joinWords(['a', '\u0120'], [0, 1], BYTE_LEVEL)).toEqual(['a', '\u0120']);
  });

  it('keeps a word that is only "##" or starts a word with it', () => {
    expect(joinWords(['##', 'a', '##'], [0, 1, 1], WORDPIECE)).toEqual(['##', 'a##']);
  });

  it('keeps a lone separator visible', () => {
    expect(joinWords(['▁a', '▁', '▁b'], [0, 1, 2], SENTENCEPIECE)).toEqual(['a', '▁', 'b']);
  });
});

describe('bare pieces', () => {
  it('are the pieces with no text once the word-start marker is gone', () => {
    expect(['▁', ' ', '', '▁a', 'a', '[SEP]'].map((p) => isBarePiece(p, SENTENCEPIECE))).toEqual([true, true, true, false, false, false]);
    expect(['\u0120', '##', 'x'].map((p) => isBarePiece(p, BYTE_LEVEL))).toEqual([true, false, false]);
  });
});

describe('piece text', () => {
  it('is a piece without any tokenizer\'s markers, and nothing for special tokens', () => {
    expect(['▁cat', '▁▁cat', 'Ġcat', '##cat', '##', '[CLS]', '<s>', '</s>', '▁', 'ca##t'].map(pieceText)).toEqual(['cat', 'cat', 'cat', 'cat', '##', '', '', '', '', 'ca##t']);
  });
});
