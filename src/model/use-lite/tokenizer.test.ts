/**
 * Our tokenizer against the maintained one in @energetic-ai/embeddings (the same
 * algorithm the original USE-lite JS packages run), on the fidelity texts and on
 * thousands of seeded random strings built from vocabulary pieces and odd characters.
 */
import { EmbeddingsModel } from '@energetic-ai/embeddings';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/random.ts';
import { bundledModelFolder } from '../node-models.ts';
import { FIDELITY_TEXTS } from './texts.test-support.ts';
import { UseLiteTokenizer, type Vocabulary } from './tokenizer.ts';

const vocabulary = JSON.parse(readFileSync(join(bundledModelFolder('use-lite'), 'vocab.json'), 'utf8')) as Vocabulary;
const ours = new UseLiteTokenizer(vocabulary);
// The maintained class only needs the vocabulary to tokenize; the graph is not used here.
const maintained = new EmbeddingsModel({
  vocabulary: vocabulary as Array<[string, number]>,
  model: null as unknown as EmbeddingsModel['model'],
}).tokenizer;


const ODD = [' ', '  ', '\t', '\n', ':', '::', ':)', '😀', '👍🏽', 'é', 'e\u0301', 'ß', 'İ', 'ﬁ', '①', '\u00a0', '\u200b', '中', '日本', '—', '…', '""', "'", '\ud800', '0', '42', '.', '!?'];

function randomText(random: () => number): string {
  const parts: string[] = [];
  const count = 1 + Math.floor(random() * 12);
  for (let i = 0; i < count; i++) {
    const r = random();
    if (r < 0.5) parts.push(vocabulary[6 + Math.floor(random() * (vocabulary.length - 6))][0].replace(/\u2581/g, ' '));
    else if (r < 0.8) parts.push(ODD[Math.floor(random() * ODD.length)]);
    else parts.push(String.fromCodePoint(32 + Math.floor(random() * 0x2fff)));
  }
  return parts.join(random() < 0.5 ? ' ' : '');
}

describe('use-lite tokenizer', () => {
  it('matches the maintained tokenizer on the fidelity texts', () => {
    for (const text of FIDELITY_TEXTS) expect(ours.encode(text), text).toEqual(maintained.encode(text));
  });

  it('matches the maintained tokenizer on 3000 random strings', () => {
    const random = seededRandom(20261122);
    for (let i = 0; i < 3000; i++) {
      const text = randomText(random);
      expect(ours.encode(text), JSON.stringify(text)).toEqual(maintained.encode(text));
    }
  });

  it('copies the quirks documented in docs/use-lite.md', () => {
    expect(ours.encode('')).toEqual([]);
    expect(ours.encode(':')).toEqual([30, vocabulary.findIndex(([p]) => p === ':')]);
    expect(ours.encode('  a')[0]).toBe(30); // leading spaces are kept as "▁" pieces
    const unknown = ours.tokenize('😀😀 x');
    expect(unknown[0].id).toBe(30);
    expect(unknown[1]).toMatchObject({ id: 0, piece: '😀😀' }); // consecutive unknowns merge
  });

  it('maps tokens to words and keeps the covered text of unknown tokens', () => {
    const tokens = ours.tokenize('unbelievable results');
    const words = tokens.map((t) => t.word);
    expect(words[0]).toBe(0);
    expect(words[words.length - 1]).toBe(1);
    expect(tokens.map((t) => t.piece).join('')).toBe('\u2581unbelievable\u2581results');
  });
});
