import { beforeAll, describe, expect, it } from 'vitest';
import { ModelFileError } from '../files.ts';
import { readCheckpoint } from './checkpoint.ts';
import { maxTokensOf } from './load.ts';
import { tinyModelFiles } from './tiny-models.test-support.ts';
import { byteLevelAlphabet, decodeByteLevel, HfTokenizer } from './tokenizer.ts';

async function tokenizerOf(name: string): Promise<HfTokenizer> {
  const checkpoint = await readCheckpoint(tinyModelFiles(name));
  return new HfTokenizer(checkpoint.tokenizerJson, checkpoint.tokenizerConfig, maxTokensOf(checkpoint));
}

describe('WordPiece (BERT)', () => {
  let tok: HfTokenizer;
  beforeAll(async () => {
    tok = await tokenizerOf('bert');
  });

  it('lower-cases, splits punctuation and sub-words, and frames the text with [CLS] … [SEP]', () => {
    const t = tok.tokenize('The cat is playing, unbelievable!');
    expect(t.pieces).toEqual(['[CLS]', 'the', 'cat', 'is', 'play', '##ing', ',', 'un', '##believ', '##able', '!', '[SEP]']);
    expect(t.ids[0]).toBe(tok.tokenToId('[CLS]'));
    expect(t.ids[t.ids.length - 1]).toBe(tok.tokenToId('[SEP]'));
    expect(t.ids).toEqual(t.pieces.map((p) => tok.tokenToId(p)));
    // A word is a pre-token: sub-word pieces share it; punctuation and specials get their own.
    expect(t.words).toEqual([0, 1, 2, 3, 4, 4, 5, 6, 6, 6, 7, 8]);
    expect(t.droppedTokens).toBe(0);
  });

  it('maps unknown words to [UNK] as one token of one word', () => {
    const t = tok.tokenize('zebra cat');
    expect(t.pieces).toEqual(['[CLS]', '[UNK]', 'cat', '[SEP]']);
    expect(t.words).toEqual([0, 1, 2, 3]);
  });

  it('gives an empty text just its frame', () => {
    expect(tok.tokenize('').pieces).toEqual(['[CLS]', '[SEP]']);
    expect([...tok.frameIds].sort()).toEqual([tok.tokenToId('[CLS]'), tok.tokenToId('[SEP]')].sort());
  });

  it('truncates to max_seq_length, keeping [SEP], and counts what it dropped', () => {
    expect(tok.maxTokens).toBe(48);
    const t = tok.tokenize('the cat sat on the mat '.repeat(10)); // 60 words
    expect(t.ids).toHaveLength(48);
    expect(t.pieces[47]).toBe('[SEP]');
    expect(t.droppedTokens).toBe(60 - 46);
    expect(t.words[47]).toBe(t.words[46] + 1);
  });

  it('falls back to ## markers for words when the replay cannot reproduce the tokens', () => {
    // "[MASK]" typed in the text is split off as an added token before pre-tokenising.
    const t = tok.tokenize('the [MASK] is playing');
    expect(t.pieces).toEqual(['[CLS]', 'the', '[MASK]', 'is', 'play', '##ing', '[SEP]']);
    expect(t.words).toEqual([0, 1, 2, 3, 4, 4, 5]);
  });
});

describe('byte-level BPE (RoBERTa)', () => {
  let tok: HfTokenizer;
  beforeAll(async () => {
    tok = await tokenizerOf('roberta');
  });

  it('frames the text with <s> … </s> and shows pieces as text without the space marker', () => {
    const t = tok.tokenize('the cat sat');
    expect(t.pieces[0]).toBe('<s>');
    expect(t.pieces[t.pieces.length - 1]).toBe('</s>');
    expect(t.ids[0]).toBe(0);
    expect(t.ids[t.ids.length - 1]).toBe(2);
    expect(t.pieces.slice(1, -1).join('')).toBe('thecatsat');
    expect(t.words[0]).toBe(0);
    // Three words, each a pre-token (" cat" and " sat" carry their leading space).
    expect(new Set(t.words.slice(1, -1)).size).toBe(3);
  });

  it('encodes any text through bytes, decoding multi-byte characters for display', () => {
    const t = tok.tokenize('café ☕');
    expect(t.ids.every((id) => id >= 0)).toBe(true);
    expect(t.pieces.join('')).toContain('caf');
    expect(decodeByteLevel(byteLevelAlphabet()[0xc3] + byteLevelAlphabet()[0xa9])).toBe('é');
    expect(byteLevelAlphabet()[32]).toBe('Ġ');
  });

  it('truncates to max_position_embeddings − padding_idx − 1', () => {
    expect(tok.maxTokens).toBe(64);
    const t = tok.tokenize('the cat sat on the mat. '.repeat(20));
    expect(t.ids).toHaveLength(64);
    expect(t.ids[63]).toBe(2);
    expect(t.droppedTokens).toBeGreaterThan(0);
  });
});

describe('tokenizer errors', () => {
  it('names tokenizer.json when the file cannot be used', () => {
    expect(() => new HfTokenizer({ model: { type: 'Nonsense' } }, {}, 10)).toThrow(ModelFileError);
    expect(() => new HfTokenizer({ model: { type: 'Nonsense' } }, {}, 10)).toThrow(/^tokenizer\.json: cannot be used/);
  });
});
