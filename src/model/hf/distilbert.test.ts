/**
 * DistilBERT is BERT without token types, with its own config keys and weight names.
 * The oracle: the tiny BERT (checked against PyTorch, reference-fixtures.test.ts)
 * rewritten as a DistilBERT folder, its token-type row 0 folded into the word
 * embeddings. Both then compute the same sums in the same order, so hidden states,
 * embeddings and tangents must agree exactly.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrom, hiddenAt } from '../encoder.ts';
import { encodeFromJvp, type TangentEncoder } from '../tangent.ts';
import { encodeSafetensors, parseSafetensors } from './formats/safetensors.ts';
import { loadHfModel } from './load.ts';
import { readJson, tinyModelFiles, withFiles } from './tiny-models.test-support.ts';

/** BERT's module names → DistilBERT's, per layer. */
const LAYER_RENAMES: Array<[string, string]> = [
  ['attention.self.query', 'attention.q_lin'],
  ['attention.self.key', 'attention.k_lin'],
  ['attention.self.value', 'attention.v_lin'],
  ['attention.output.dense', 'attention.out_lin'],
  ['attention.output.LayerNorm', 'sa_layer_norm'],
  ['intermediate.dense', 'ffn.lin1'],
  ['output.dense', 'ffn.lin2'],
  ['output.LayerNorm', 'output_layer_norm'],
];

function distilName(name: string): string | undefined {
  const layer = /^encoder\.layer\.(\d+)\.(.*)\.(weight|bias)$/.exec(name);
  if (!layer) return name.startsWith('embeddings.token_type') || name.startsWith('pooler.') ? undefined : name;
  const renamed = LAYER_RENAMES.find(([bert]) => bert === layer[2]);
  if (!renamed) throw new Error(`no DistilBERT name for ${name}`);
  return `distilbert.transformer.layer.${layer[1]}.${renamed[1]}.${layer[3]}`;
}

async function distilbertFiles() {
  const bert = tinyModelFiles('bert');
  const config = await readJson(bert, 'config.json');
  const weights = parseSafetensors('model.safetensors', await bert.read('model.safetensors'));
  const h = config.hidden_size as number;
  const typeRow = weights.float32('embeddings.token_type_embeddings.weight').subarray(0, h);
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [name, info] of weights.tensors) {
    const target = distilName(name);
    if (!target) continue;
    let data = weights.float32(name);
    if (name === 'embeddings.word_embeddings.weight') data = data.map((v, i) => v + typeRow[i % h]);
    // With the head's prefix, as a DistilBertForMaskedLM checkpoint names them.
    tensors[target.startsWith('distilbert.') ? target : `distilbert.${target}`] = { dtype: 'F32', shape: info.shape, data };
  }
  const distilConfig = {
    model_type: 'distilbert',
    vocab_size: config.vocab_size,
    dim: h,
    n_layers: config.num_hidden_layers,
    n_heads: config.num_attention_heads,
    hidden_dim: config.intermediate_size,
    activation: config.hidden_act,
    max_position_embeddings: config.max_position_embeddings,
    pad_token_id: config.pad_token_id,
    sinusoidal_pos_embds: false,
  };
  return withFiles(bert, { 'config.json': distilConfig, 'model.safetensors': encodeSafetensors(tensors) });
}

describe('DistilBERT', () => {
  let bert: TangentEncoder;
  let distil: TangentEncoder;
  const text = 'The quick brown fox is playing in the park today.';

  beforeAll(async () => {
    await tf.setBackend('cpu');
    bert = await loadHfModel(tinyModelFiles('bert'), { id: 'tiny-bert' });
    distil = await loadHfModel(await distilbertFiles(), { id: 'tiny-distilbert' });
  });
  afterAll(() => [bert, distil].forEach((m) => m?.dispose()));

  const read = (f: () => tf.Tensor) => tf.tidy(() => Array.from(f().dataSync()));

  it('reads its own config keys and weight names, without token types', () => {
    const c = (distil as unknown as { config: Record<string, unknown> }).config;
    expect(c).toMatchObject({ architecture: 'distilbert', numLayers: 2, hiddenSize: 32, numHeads: 4, intermediateSize: 64, typeVocabSize: 0, maxPositions: 64 });
    expect(distil.namedWeights?.().list().some((w) => w.name === 'embeddings.tokenType')).toBe(false);
  });

  it('gives the hidden states at every layer, the embedding and the tangents of the equivalent BERT', () => {
    const ids = distil.tokenize(text).ids;
    expect(ids).toEqual(bert.tokenize(text).ids);
    for (let l = 0; l <= bert.numLayers; l++) {
      expect(read(() => hiddenAt(distil, ids, l))).toEqual(read(() => hiddenAt(bert, ids, l)));
    }
    expect(read(() => encodeFrom(distil, 0, distil.embed(ids)))).toEqual(read(() => encodeFrom(bert, 0, bert.embed(ids))));
    const jvp = (m: TangentEncoder) =>
      read(() => {
        const x = hiddenAt(m, ids, 1);
        const [, s, h] = x.shape;
        const dx = tf.randomNormal([1, 2, s, h], 0, 1, 'float32', 7) as tf.Tensor4D;
        return encodeFromJvp(m, 1, { x, dx }).dx;
      });
    expect(jvp(distil)).toEqual(jvp(bert));
  });

  it('refuses a config without its own size keys', async () => {
    const files = withFiles(await distilbertFiles(), { 'config.json': { model_type: 'distilbert', vocab_size: 101, hidden_size: 32 } });
    await expect(loadHfModel(files)).rejects.toThrow(/^config\.json: "dim" must be a positive integer/);
  });
});
