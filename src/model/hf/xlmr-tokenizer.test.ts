/**
 * BERT with XLM-R's SentencePiece Unigram tokenizer, the layout of multilingual-e5-small
 * and paraphrase-multilingual-MiniLM-L12-v2 (issue 17): config.json says model_type
 * "bert" and pad_token_id 0, while the tokenizer (tokenizer.json: Precompiled
 * normaliser, Metaspace, Unigram; <s> 0, <pad> 1, </s> 2, <unk> 3) pads with <pad>.
 * The real files could not be fetched here, so the tiny BERT's weights are paired
 * with a tokenizer written in that layout.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AttributionEngine } from '../../attribution/engine.ts';
import type { BertEncoder } from './bert.ts';
import { loadHfModel } from './load.ts';
import type { HfSentenceEncoder } from './sentence-encoder.ts';
import { readJson, tinyModelFiles, withFiles } from './tiny-models.test-support.ts';

const SPECIALS = ['<s>', '<pad>', '</s>', '<unk>'];

/** A Unigram vocabulary of `size` pieces: the specials, "▁" + each of the tiny BERT's words, then a few sub-words. */
function unigramVocab(words: string[], size: number): Array<[string, number]> {
  const pieces = [...SPECIALS, '▁', 's', 'ing', 'ed'];
  for (const w of words) if (pieces.length < size && /^[a-z]+$/.test(w)) pieces.push(`▁${w}`);
  for (let i = 0; pieces.length < size; i++) pieces.push(`▁filler${i}`);
  return pieces.map((p, i) => [p, i < SPECIALS.length ? 0 : -1 - p.length / 4]);
}

function xlmrTokenizerJson(vocab: Array<[string, number]>, postProcessor: object): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Precompiled', precompiled_charsmap: 'AAAAAA==' },
        { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
      ],
    },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: postProcessor,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
  };
}

const TEMPLATE = {
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
  pair: [
    { SpecialToken: { id: '<s>', type_id: 0 } },
    { Sequence: { id: 'A', type_id: 0 } },
    { SpecialToken: { id: '</s>', type_id: 0 } },
    { Sequence: { id: 'B', type_id: 0 } },
    { SpecialToken: { id: '</s>', type_id: 0 } },
  ],
  special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
};
const ROBERTA_PROCESSING = { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: true };

describe.each([
  ['TemplateProcessing', TEMPLATE],
  ['RobertaProcessing', ROBERTA_PROCESSING],
])('BERT with an XLM-R Unigram tokenizer (%s)', (_, postProcessor) => {
  let model: HfSentenceEncoder;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    const base = tinyModelFiles('bert');
    const config = await readJson(base, 'config.json');
    const bertVocab = Object.keys(((await readJson(base, 'tokenizer.json')).model as { vocab: Record<string, number> }).vocab);
    const vocab = unigramVocab(bertVocab, config.vocab_size as number);
    model = await loadHfModel(
      withFiles(base, {
        'tokenizer.json': xlmrTokenizerJson(vocab, postProcessor),
        'tokenizer_config.json': { tokenizer_class: 'XLMRobertaTokenizer', model_max_length: 48, bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>' },
        'config.json': { ...config, pad_token_id: 0 },
      }),
    );
  });

  it('tokenizes with Metaspace and Unigram, frames the text with <s> … </s>, and joins pieces into words', () => {
    const t = model.tokenize('the cats sat  on the mat');
    expect(t.pieces).toEqual(['<s>', '▁the', '▁cat', 's', '▁sat', '▁on', '▁the', '▁mat', '</s>']);
    expect(t.ids[0]).toBe(0);
    expect(t.ids[t.ids.length - 1]).toBe(2);
    expect(t.special).toEqual([true, false, false, false, false, false, false, false, true]);
    expect(t.words).toEqual([0, 1, 2, 2, 3, 4, 5, 6, 7]);
    expect(t.wordLabels.slice(1, 4)).toEqual(['the', 'cats', 'sat']);
  });

  it('pads the reference with the tokenizer\'s <pad> (1), not config.json\'s pad_token_id (0, which is <s> here)', () => {
    expect(model.padTokenId).toBe(1);
    const ids = model.tokenize('the cat sat').ids;
    expect(model.referenceIds(ids)).toEqual([0, 1, 1, 1, 2]);
    // Positions stay BERT's absolute ones, whatever the pad token.
    expect((model as BertEncoder).positionIds(ids)).toEqual([0, 1, 2, 3, 4]);
  });

  it('explains a pair: finite attributions that sum to the similarity gap', async () => {
    const engine = new AttributionEngine(model);
    const r = await engine.attribute({ a: 'the cat sat on the mat', b: 'a dog is on the rug', layer: 0, steps: 'auto', rule: 'auto', mode: 'approx', sim: 'cos' });
    expect(r.matrix.every(Number.isFinite)).toBe(true);
    expect(r.final).toBe(true);
    expect(r.completeness.a + r.completeness.b).toBeLessThan(1e-2);
  });
});
