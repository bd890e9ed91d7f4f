import { describe, expect, it } from 'vitest';
import { pieceText } from '../model/words.ts';
import { alignTokens, loadPosTagger, plainTagger, tokenTags, UNALIGNED } from './pos.ts';

describe('part-of-speech tags for model tokens', () => {
  it('tags words with wink-nlp and maps them to use-lite pieces, contractions and split words included', async () => {
    const tagger = await loadPosTagger();
    const text = "The cat didn't sit on the mat — café.";
    // use-lite's pieces for this text (as `pairlens embed` prints them).
    const tokens = ['▁The', '▁cat', '▁didn', "'", 't', '▁sit', '▁on', '▁the', '▁ma', 't', '▁—', '▁ca', 'f', 'é', '.'];
    const tags = tokenTags(text, tokens, tagger, undefined, pieceText);
    expect(tags.map((t) => t.pos)).toEqual(['DET', 'NOUN', 'AUX', 'PART', 'PART', 'VERB', 'ADP', 'DET', 'NOUN', 'NOUN', 'PUNCT', expect.any(String), expect.any(String), expect.any(String), 'PUNCT']);
    expect(tags.map((t) => t.key)).toEqual(['the', 'cat', 'do not', 'not', 'not', 'sit', 'on', 'the', 'mat', 'mat', '—', 'café', 'café', 'café', '.']);
    expect(tags.map((t) => t.negation)).toEqual([false, false, true, true, true, false, false, false, false, false, false, false, false, false, false]);
  });

  it('maps WordPiece tokens, leaving special tokens unaligned, and a token over two words has both', async () => {
    const tagger = await loadPosTagger();
    const tags = tokenTags('Nobody cannot play.', ['[CLS]', 'nobody', 'cannot', 'play', '.', '[SEP]'], tagger, undefined, pieceText);
    expect(tags.map((t) => t.pos)).toEqual([UNALIGNED, 'PRON', 'AUX', 'VERB', 'PUNCT', UNALIGNED]);
    expect(tags.map((t) => t.key)).toEqual(['', 'nobody', 'can not', 'play', '.', '']);
    expect(tags.map((t) => t.negation)).toEqual([false, true, true, false, false, false]);
  });

  it('lets an unmatched piece borrow the words of its model word', () => {
    const words = plainTagger.tag('naïve plan');
    // A byte-level piece that matches no character, inside the model's word 0.
    expect(alignTokens(words, ['Ġna', 'Ã¯', 've', 'Ġplan'], undefined, pieceText)).toEqual([[0], [], [0], [1]]);
    expect(alignTokens(words, ['Ġna', 'Ã¯', 've', 'Ġplan'], [0, 0, 0, 1], pieceText)).toEqual([[0], [0], [0], [1]]);
    // Without the models' markers, pieces are taken as they are.
    expect(alignTokens(words, ['Ġna', 'plan'])).toEqual([[], [1]]);
  });

  it('strips the tokenizers\' markers, and splits "n\'t" without a model', () => {
    expect(['▁cat', 'Ġcat', '##cat', '##', '[CLS]', '<s>', '▁'].map(pieceText)).toEqual(['cat', 'cat', 'cat', '##', '', '', '']);
    expect(plainTagger.tag("He isn't here.").map((w) => [w.text, w.lemma])).toEqual([['He', 'he'], ['is', 'is'], ["n't", 'not'], ['here', 'here'], ['.', '.']]);
  });
});
