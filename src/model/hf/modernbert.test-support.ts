/**
 * For the tests only: a tiny random ModernBERT folder in the Hugging Face layout, built
 * in memory on the tiny WordPiece tokenizer of test-models/bert (vocabulary 101, pad
 * id 0, [CLS]/[SEP] frame). config.json has the keys of gte-modernbert-base's with the
 * sizes scaled down; model.safetensors has transformers' PyTorch names and layouts.
 */
import type { ModelFiles } from '../files.ts';
import { seededRandom } from '../../shared/random.ts';
import { encodeSafetensors } from './formats/safetensors.ts';
import { tinyModelFiles, withFiles } from './tiny-models.test-support.ts';

/** gte-modernbert-base's config.json, sizes scaled down (3 layers: 0 global, 1 and 2 local with a window of ±2). */
export const TINY_MODERNBERT_CONFIG = {
  _name_or_path: 'tiny-modernbert',
  architectures: ['ModernBertModel'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 2,
  classifier_activation: 'gelu',
  classifier_bias: false,
  classifier_dropout: 0.0,
  classifier_pooling: 'mean',
  cls_token_id: 2,
  decoder_bias: true,
  deterministic_flash_attn: false,
  embedding_dropout: 0.0,
  eos_token_id: 3,
  global_attn_every_n_layers: 3,
  global_rope_theta: 160000.0,
  gradient_checkpointing: false,
  hidden_activation: 'gelu',
  hidden_size: 32,
  initializer_cutoff_factor: 2.0,
  initializer_range: 0.02,
  intermediate_size: 48,
  layer_norm_eps: 1e-5,
  local_attention: 4,
  local_rope_theta: 10000.0,
  max_position_embeddings: 64,
  mlp_bias: false,
  mlp_dropout: 0.0,
  model_type: 'modernbert',
  norm_bias: false,
  norm_eps: 1e-5,
  num_attention_heads: 4,
  num_hidden_layers: 3,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  repad_logits_with_grad: false,
  sep_token_id: 3,
  sparse_pred_ignore_index: -100,
  sparse_prediction: false,
  torch_dtype: 'float32',
  transformers_version: '4.48.0',
  vocab_size: 101,
};

export type TinyTensors = Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>;

/** Seeded weights under transformers' names (ModernBertModel: no prefix), PyTorch layout [out, in]. */
export function tinyModernBertTensors(config: Record<string, unknown> = TINY_MODERNBERT_CONFIG, seed = 7): TinyTensors {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const h = config.hidden_size as number;
  const i = config.intermediate_size as number;
  const tensors: TinyTensors = {};
  const add = (name: string, shape: number[], value: () => number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(value);
    tensors[name] = { dtype: 'F32', shape, data };
  };
  // Scales chosen for attention that is neither uniform nor one-hot and a residual stream that changes layer by layer.
  const gaussian = (std: number) => () => std * normal();
  const normScale = () => 1 + 0.2 * normal();
  add('embeddings.tok_embeddings.weight', [config.vocab_size as number, h], gaussian(1));
  add('embeddings.norm.weight', [h], normScale);
  for (let l = 0; l < (config.num_hidden_layers as number); l++) {
    const p = `layers.${l}.`;
    if (l > 0) add(`${p}attn_norm.weight`, [h], normScale);
    add(`${p}attn.Wqkv.weight`, [3 * h, h], gaussian(0.25));
    add(`${p}attn.Wo.weight`, [h, h], gaussian(0.25));
    add(`${p}mlp_norm.weight`, [h], normScale);
    add(`${p}mlp.Wi.weight`, [2 * i, h], gaussian(0.3));
    add(`${p}mlp.Wo.weight`, [h, i], gaussian(0.25));
  }
  add('final_norm.weight', [h], normScale);
  return tensors;
}

const MODULES = [
  { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
  { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
];

/** modernbert-embed-base's pooling (mean, then Normalize); gte-modernbert-base pools [CLS]. */
export function poolingConfig(mode: 'mean' | 'cls', width = 32) {
  return {
    word_embedding_dimension: width,
    pooling_mode_cls_token: mode === 'cls',
    pooling_mode_mean_tokens: mode === 'mean',
    pooling_mode_max_tokens: false,
    pooling_mode_mean_sqrt_len_tokens: false,
    pooling_mode_weightedmean_tokens: false,
    pooling_mode_lasttoken: false,
    include_prompt: true,
  };
}

export interface TinyModernBertOptions {
  config?: Record<string, unknown>;
  tensors?: TinyTensors;
  /** Prefix of every tensor name, e.g. "model." as ModernBertForMaskedLM saves them. */
  prefix?: string;
  pooling?: 'mean' | 'cls';
}

/** The tiny ModernBERT folder (tokenizer from test-models/bert, the rest in memory). */
export function tinyModernBertFiles(options: TinyModernBertOptions = {}): ModelFiles {
  const config = options.config ?? TINY_MODERNBERT_CONFIG;
  const tensors = options.tensors ?? tinyModernBertTensors(config);
  const named: TinyTensors = {};
  for (const [name, t] of Object.entries(tensors)) named[(options.prefix ?? '') + name] = t;
  return withFiles(tinyModelFiles('bert'), {
    'config.json': config,
    'modules.json': MODULES,
    '1_Pooling/config.json': poolingConfig(options.pooling ?? 'mean', config.hidden_size as number),
    'model.safetensors': encodeSafetensors(named),
  });
}
