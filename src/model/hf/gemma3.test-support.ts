/**
 * For the tests only: a tiny seeded EmbeddingGemma-shaped model folder, built in
 * memory in the Hugging Face layout (config.json with the published model's keys,
 * model.safetensors with transformers' weight names, the sentence-transformers
 * modules Pooling (mean) → Dense → Dense → Normalize), reusing the tiny BERT's
 * WordPiece tokenizer (vocab 101, pad 0).
 */
import type { ModelFiles } from '../files.ts';
import { normals, seededRandom } from '../../shared/random.ts';
import { encodeSafetensors } from './formats/safetensors.ts';
import { tinyModelFiles, withFiles } from './tiny-models.test-support.ts';

/** google/embeddinggemma-300m's config.json keys and values, sizes scaled down (768 → 32, 24 layers → 3, window 512 → 4). */
export const TINY_GEMMA3_CONFIG = {
  _sliding_window_pattern: 6,
  architectures: ['Gemma3TextModel'],
  attention_bias: false,
  attention_dropout: 0.0,
  attn_logit_softcapping: null,
  bos_token_id: 2,
  dtype: 'float32',
  eos_token_id: 1,
  final_logit_softcapping: null,
  head_dim: 16,
  hidden_activation: 'gelu_pytorch_tanh',
  hidden_size: 32,
  initializer_range: 0.02,
  intermediate_size: 48,
  layer_types: ['sliding_attention', 'sliding_attention', 'full_attention'],
  max_position_embeddings: 64,
  model_type: 'gemma3_text',
  num_attention_heads: 4,
  num_hidden_layers: 3,
  num_key_value_heads: 2,
  pad_token_id: 0,
  query_pre_attn_scalar: 24,
  rms_norm_eps: 1e-6,
  rope_local_base_freq: 10000.0,
  rope_scaling: null,
  rope_theta: 1000000.0,
  sliding_window: 4,
  transformers_version: '4.57.0.dev0',
  use_bidirectional_attention: true,
  use_cache: true,
  vocab_size: 101,
};

type Tensors = Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>;

/** The transformer's tensors by their PyTorch names (prefix e.g. "model."), [out, in] for linear weights. */
export function tinyGemma3Tensors(config = TINY_GEMMA3_CONFIG, seed = 7, prefix = ''): Tensors {
  const random = seededRandom(seed);
  const c = config;
  const tensors: Tensors = {};
  const add = (name: string, shape: number[], std: number, mean = 0) => {
    tensors[prefix + name] = { dtype: 'F32', shape, data: normals(random, shape.reduce((a, b) => a * b, 1), std, mean) };
  };
  const h = c.hidden_size;
  const d = c.head_dim;
  add('embed_tokens.weight', [c.vocab_size, h], 0.2);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `layers.${l}.`;
    add(`${p}input_layernorm.weight`, [h], 0.3);
    add(`${p}self_attn.q_proj.weight`, [c.num_attention_heads * d, h], 1 / Math.sqrt(h));
    add(`${p}self_attn.k_proj.weight`, [c.num_key_value_heads * d, h], 1 / Math.sqrt(h));
    add(`${p}self_attn.v_proj.weight`, [c.num_key_value_heads * d, h], 1 / Math.sqrt(h));
    add(`${p}self_attn.o_proj.weight`, [h, c.num_attention_heads * d], 1 / Math.sqrt(c.num_attention_heads * d));
    // 1 + w ≈ 1.5 on q and k: scores of a few units, so attention is neither flat nor one-hot.
    add(`${p}self_attn.q_norm.weight`, [d], 0.3, 0.5);
    add(`${p}self_attn.k_norm.weight`, [d], 0.3, 0.5);
    add(`${p}post_attention_layernorm.weight`, [h], 0.3);
    add(`${p}pre_feedforward_layernorm.weight`, [h], 0.3);
    add(`${p}mlp.gate_proj.weight`, [c.intermediate_size, h], 1 / Math.sqrt(h));
    add(`${p}mlp.up_proj.weight`, [c.intermediate_size, h], 1 / Math.sqrt(h));
    add(`${p}mlp.down_proj.weight`, [h, c.intermediate_size], 1 / Math.sqrt(c.intermediate_size));
    add(`${p}post_feedforward_layernorm.weight`, [h], 0.3);
  }
  add('norm.weight', [h], 0.3);
  return tensors;
}

export const TINY_DENSE_WIDTH = 48;

/** The folder: config and weights as above, EmbeddingGemma's modules (Dense 32→48→32 without bias, identity), the tiny tokenizer. */
export function tinyGemma3Files(options: { config?: Record<string, unknown>; tensors?: Tensors } = {}): ModelFiles {
  const random = seededRandom(99);
  const h = TINY_GEMMA3_CONFIG.hidden_size;
  const denseWeights = (inp: number, out: number) =>
    encodeSafetensors({ 'linear.weight': { dtype: 'F32', shape: [out, inp], data: normals(random, out * inp, 1 / Math.sqrt(inp)) } });
  const denseConfig = (inp: number, out: number) => ({ in_features: inp, out_features: out, bias: false, activation_function: 'torch.nn.modules.linear.Identity' });
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' },
    { idx: 3, name: '3', path: '3_Dense', type: 'sentence_transformers.models.Dense' },
    { idx: 4, name: '4', path: '4_Normalize', type: 'sentence_transformers.models.Normalize' },
  ];
  const pooling = {
    word_embedding_dimension: h,
    pooling_mode_cls_token: false,
    pooling_mode_mean_tokens: true,
    pooling_mode_max_tokens: false,
    pooling_mode_mean_sqrt_len_tokens: false,
    pooling_mode_weightedmean_tokens: false,
    pooling_mode_lasttoken: false,
    include_prompt: true,
  };
  return withFiles(tinyModelFiles('bert'), {
    'config.json': options.config ?? TINY_GEMMA3_CONFIG,
    'model.safetensors': encodeSafetensors(options.tensors ?? tinyGemma3Tensors()),
    'modules.json': modules,
    'sentence_bert_config.json': { max_seq_length: 48, do_lower_case: false },
    '1_Pooling/config.json': pooling,
    '2_Dense/config.json': denseConfig(h, TINY_DENSE_WIDTH),
    '2_Dense/model.safetensors': denseWeights(h, TINY_DENSE_WIDTH),
    '3_Dense/config.json': denseConfig(TINY_DENSE_WIDTH, h),
    '3_Dense/model.safetensors': denseWeights(TINY_DENSE_WIDTH, h),
  });
}
