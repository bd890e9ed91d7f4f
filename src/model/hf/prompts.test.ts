/**
 * Prompts from config_sentence_transformers.json: read and checked, put before the
 * text as sentence-transformers does, their tokens marked, kept in the padding
 * reference, and named in the engine's results.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttributionEngine } from '../../attribution/engine.ts';
import { embedText, type SentenceEncoder } from '../encoder.ts';
import { loadHfModel } from './load.ts';
import { tinyModelFiles, withFiles } from './tiny-models.test-support.ts';

const PROMPTS = { query: 'query: ', passage: 'passage: ', empty: '' };

describe('prompts', () => {
  let model: SentenceEncoder;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await loadHfModel(withFiles(tinyModelFiles('bert'), { 'config_sentence_transformers.json': { prompts: PROMPTS, default_prompt_name: null } }), { id: 'tiny-bert-prompts' });
  });
  afterAll(() => model?.dispose());

  it('are read by name, empty ones left out', () => {
    expect(model.prompts).toEqual({ query: 'query: ', passage: 'passage: ' });
  });

  it('come before the text, tokenized with it; their tokens are marked and count as special', () => {
    const plain = model.tokenize('the cat sat');
    const prompted = model.tokenize('the cat sat', 'query: ');
    const promptTokens = model.tokenize('query:').ids.length - 2; // without [CLS] and [SEP]
    expect(prompted.ids).toEqual([plain.ids[0], ...model.tokenize('query:').ids.slice(1, -1), ...plain.ids.slice(1)]);
    expect(prompted.prompt).toEqual(prompted.ids.map((_, i) => i >= 1 && i <= promptTokens));
    expect(prompted.special.slice(1, 1 + promptTokens).every(Boolean)).toBe(true);
    expect(plain.prompt).toBeUndefined();
    // The padding reference keeps them, as it keeps [CLS] and [SEP].
    const reference = model.referenceIds!(prompted.ids, prompted.prompt);
    expect(reference.slice(0, 1 + promptTokens)).toEqual(prompted.ids.slice(0, 1 + promptTokens));
    expect(reference.slice(1 + promptTokens, -1).every((id) => id === 0)).toBe(true);
  });

  it('change the embedding as sentence-transformers would: the embedding of prompt + text', async () => {
    const withPrompt = await embedText(model, 'the cat sat', 'query: ');
    const concatenated = await embedText(model, 'query: the cat sat');
    expect(Array.from(withPrompt.embedding)).toEqual(Array.from(concatenated.embedding));
  });

  it('are named in attribution requests and results; the prompt rows are zero at the embedding layer; unknown names are refused', async () => {
    const engine = new AttributionEngine(model);
    const start = tf.memory().numTensors;
    const request = { a: 'how do cats sit', b: 'the cat sat on the mat', layer: 0, steps: 8 as const, mode: 'approx' as const, sim: 'cos' as const };
    const prompted = await engine.attribute({ ...request, promptA: 'query', promptB: 'passage' });
    expect([prompted.promptA, prompted.promptB]).toEqual(['query', 'passage']);
    const plain = await engine.attribute(request);
    expect([plain.promptA, plain.promptB]).toEqual([null, null]);
    expect(prompted.rows).toBeGreaterThan(plain.rows);
    expect(prompted.prediction).not.toBeCloseTo(plain.prediction, 6);
    // At layer 0 a prompt token's state is the same in the text and its reference: no attribution.
    const promptRows = prompted.tokensA.map((_, i) => i).filter((i) => prompted.specialA[i] && i > 0 && i < prompted.rows - 1);
    expect(promptRows.length).toBeGreaterThan(0);
    for (const i of promptRows) for (let j = 0; j < prompted.cols; j++) expect(prompted.matrix[i * prompted.cols + j]).toBe(0);
    await expect(engine.attribute({ ...request, promptA: 'document' })).rejects.toThrow(/has no prompt "document" \(it has query.*passage\)/);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('are left out where pooling leaves the prompt out, and refused when malformed', async () => {
    const files = withFiles(tinyModelFiles('bert'), {
      'config_sentence_transformers.json': { prompts: PROMPTS },
      '1_Pooling/config.json': { word_embedding_dimension: 32, pooling_mode_mean_tokens: true, include_prompt: false },
    });
    const excluded = await loadHfModel(files);
    expect(excluded.prompts).toBeUndefined();
    excluded.dispose();
    const bad = withFiles(tinyModelFiles('bert'), { 'config_sentence_transformers.json': { prompts: { query: 42 } } });
    await expect(loadHfModel(bad)).rejects.toThrow(/^config_sentence_transformers\.json: prompt "query" is not a text/);
  });
});
