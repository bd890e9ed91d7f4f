/**
 * For the tests only: a tiny random T5 encoder folder in the Hugging Face layout, built
 * in memory (config.json with T5's keys, model.safetensors with transformers' PyTorch
 * names, modules.json, 1_Pooling, an optional bias-free 2_Dense as sentence-t5 has,
 * 3_Normalize), with the tiny WordPiece tokenizer of test-models/bert.
 */
import { normals, seededRandom } from '../../shared/random.ts';
import type { ModelFiles } from '../files.ts';
import { encodeSafetensors } from './formats/safetensors.ts';
import { tinyModelFiles, withFiles } from './tiny-models.test-support.ts';

export interface TinyT5Options {
  feedForwardProj?: string;
  /** A Dense 32 → 24 without bias after pooling (sentence-t5 has 768 → 768). */
  dense?: boolean;
  seed?: number;
  /** Keys added to (or, with undefined, removed from) config.json. */
  config?: Record<string, unknown>;
  /** Tensors left out of, or added to, model.safetensors. */
  drop?: string[];
  /** Store the token table under this name instead of shared.weight. */
  embeddingName?: string;
  /** sentence_bert_config.json's max_seq_length; null: no such file. */
  maxSeqLength?: number | null;
}

export const TINY_T5 = { vocab: 101, dModel: 32, heads: 3, dKv: 12, dFf: 48, layers: 3, buckets: 8, maxDistance: 16, denseOut: 24 } as const;

export type RawTensor = { dtype: 'F32'; shape: number[]; data: Float32Array };

/** Seeded normal values, one generator per tensor. */
export function seededNormals(n: number, seed: number, std: number, mean = 0): Float32Array {
  return normals(seededRandom(seed), n, std, mean);
}

/** The tiny model's tensors by PyTorch name (PyTorch layouts: Linear weights [out, in]). */
export function tinyT5Tensors(gated: boolean, seed = 1): Record<string, RawTensor> {
  const { vocab, dModel: d, heads, dKv, dFf, layers, buckets } = TINY_T5;
  const inner = heads * dKv;
  let next = seed * 1000;
  const t = (shape: number[], std: number, mean = 0): RawTensor => ({
    dtype: 'F32',
    shape,
    data: seededNormals(shape.reduce((a, b) => a * b, 1), next++, std, mean),
  });
  const tensors: Record<string, RawTensor> = {
    'shared.weight': t([vocab, d], 1),
    'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight': t([buckets, heads], 1),
  };
  for (let l = 0; l < layers; l++) {
    const att = `encoder.block.${l}.layer.0.SelfAttention`;
    const ff = `encoder.block.${l}.layer.1.DenseReluDense`;
    tensors[`encoder.block.${l}.layer.0.layer_norm.weight`] = t([d], 0.1, 1);
    for (const p of ['q', 'k', 'v']) tensors[`${att}.${p}.weight`] = t([inner, d], 0.15);
    tensors[`${att}.o.weight`] = t([d, inner], 1 / Math.sqrt(inner));
    tensors[`encoder.block.${l}.layer.1.layer_norm.weight`] = t([d], 0.1, 1);
    if (gated) {
      tensors[`${ff}.wi_0.weight`] = t([dFf, d], 1 / Math.sqrt(d));
      tensors[`${ff}.wi_1.weight`] = t([dFf, d], 1 / Math.sqrt(d));
    } else {
      tensors[`${ff}.wi.weight`] = t([dFf, d], 1 / Math.sqrt(d));
    }
    tensors[`${ff}.wo.weight`] = t([d, dFf], 1 / Math.sqrt(dFf));
  }
  tensors['encoder.final_layer_norm.weight'] = t([d], 0.1, 1);
  return tensors;
}

/** config.json as transformers writes it for a T5EncoderModel (sentence-t5's keys), tiny sizes. */
export function tinyT5Config(feedForwardProj = 'gated-gelu'): Record<string, unknown> {
  const { vocab, dModel, heads, dKv, dFf, layers, buckets, maxDistance } = TINY_T5;
  return {
    architectures: ['T5EncoderModel'],
    d_ff: dFf,
    d_kv: dKv,
    d_model: dModel,
    decoder_start_token_id: 0,
    dropout_rate: 0.1,
    eos_token_id: 1,
    feed_forward_proj: feedForwardProj,
    initializer_factor: 1.0,
    is_encoder_decoder: true,
    layer_norm_epsilon: 1e-6,
    model_type: 't5',
    n_positions: 512,
    num_decoder_layers: layers,
    num_heads: heads,
    num_layers: layers,
    output_past: true,
    pad_token_id: 0,
    relative_attention_max_distance: maxDistance,
    relative_attention_num_buckets: buckets,
    torch_dtype: 'float32',
    transformers_version: '4.7.0.dev0',
    use_cache: true,
    vocab_size: vocab,
  };
}

export function tinyT5Files(options: TinyT5Options = {}): { files: ModelFiles; tensors: Record<string, RawTensor> } {
  const proj = options.feedForwardProj ?? 'gated-gelu';
  const tensors = tinyT5Tensors(proj.startsWith('gated-'), options.seed ?? 1);
  for (const name of options.drop ?? []) delete tensors[name];
  if (options.embeddingName) {
    tensors[options.embeddingName] = tensors['shared.weight'];
    delete tensors['shared.weight'];
  }
  const config: Record<string, unknown> = { ...tinyT5Config(proj), ...options.config };
  for (const [k, v] of Object.entries(options.config ?? {})) if (v === undefined) delete config[k];

  const modules: object[] = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  const overrides: Record<string, object | string | Uint8Array | null> = {
    'config.json': config,
    'model.safetensors': encodeSafetensors(tensors),
    '1_Pooling/config.json': { word_embedding_dimension: TINY_T5.dModel, pooling_mode_mean_tokens: true },
    'sentence_bert_config.json': options.maxSeqLength === null ? null : { max_seq_length: options.maxSeqLength ?? 40, do_lower_case: false },
  };
  if (options.dense) {
    modules.push({ idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' });
    overrides['2_Dense/config.json'] = {
      in_features: TINY_T5.dModel,
      out_features: TINY_T5.denseOut,
      bias: false,
      activation_function: 'torch.nn.modules.linear.Identity',
    };
    const w: RawTensor = { dtype: 'F32', shape: [TINY_T5.denseOut, TINY_T5.dModel], data: seededNormals(TINY_T5.denseOut * TINY_T5.dModel, 77, 0.2) };
    overrides['2_Dense/model.safetensors'] = encodeSafetensors({ 'linear.weight': w });
    tensors['dense:linear.weight'] = w;
  }
  modules.push({ idx: modules.length, name: String(modules.length), path: `${modules.length}_Normalize`, type: 'sentence_transformers.models.Normalize' });
  overrides['modules.json'] = modules;
  return { files: withFiles(tinyModelFiles('bert'), overrides), tensors };
}
