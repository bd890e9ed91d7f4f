/**
 * For the tests only: tiny NomicBERT folders built in memory in the Hugging Face
 * layout (config.json with nomic-embed-text-v1.5's keys, sizes scaled down;
 * model.safetensors with NomicBertModel's PyTorch names; sentence-transformers
 * modules), on the tiny BERT's WordPiece tokenizer (vocab 101, [PAD] = 0).
 */
import { seededRandom } from '../../shared/random.ts';
import type { ModelFiles } from '../files.ts';
import { encodeSafetensors } from './formats/safetensors.ts';
import { tinyModelFiles, withFiles } from './tiny-models.test-support.ts';

/** nomic-embed-text-v1.5's config.json, with its sizes scaled down (n_embd 768 → 32, …). */
export function nomicConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _name_or_path: 'nomic-ai/nomic-bert-2048',
    activation_function: 'swiglu',
    architectures: ['NomicBertModel'],
    attn_pdrop: 0.0,
    auto_map: {
      AutoConfig: 'nomic-ai/nomic-bert-2048--configuration_hf_nomic_bert.NomicBertConfig',
      AutoModel: 'nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertModel',
    },
    bos_token_id: null,
    causal: false,
    dense_seq_output: true,
    embd_pdrop: 0.0,
    eos_token_id: null,
    fused_bias_fc: true,
    fused_dropout_add_ln: true,
    initializer_range: 0.02,
    layer_norm_epsilon: 1e-12,
    max_trained_positions: 64,
    mlp_fc1_bias: false,
    mlp_fc2_bias: false,
    model_type: 'nomic_bert',
    n_embd: 32,
    n_head: 4,
    n_inner: 128,
    n_layer: 2,
    n_positions: 128,
    pad_vocab_size_multiple: 64,
    parallel_block: false,
    parallel_block_tied_norm: false,
    prenorm: false,
    qkv_proj_bias: false,
    reorder_and_upcast_attn: false,
    resid_pdrop: 0.0,
    rotary_emb_base: 1000,
    rotary_emb_fraction: 1.0,
    rotary_emb_interleaved: false,
    rotary_emb_scale_base: null,
    rotary_scaling_factor: null,
    scale_attn_by_inverse_layer_idx: false,
    scale_attn_weights: true,
    summary_activation: null,
    summary_first_dropout: 0.0,
    summary_proj_to_labels: true,
    summary_type: 'cls_index',
    summary_use_proj: true,
    torch_dtype: 'float32',
    transformers_version: '4.34.0',
    type_vocab_size: 2,
    use_cache: true,
    use_flash_attn: true,
    use_rms_norm: false,
    use_xentropy: true,
    vocab_size: 101,
    ...overrides,
  };
}

export type RawTensors = Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>;

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/**
 * Seeded weights for `config` by their PyTorch names (biases only where its flags
 * say), with scales that give attention far from uniform and a gate in SiLU's curve.
 * `zero` names tensors to fill with zeros instead.
 */
export function nomicTensors(config: Record<string, unknown>, seed = 1, zero: (name: string) => boolean = () => false): RawTensors {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const h = config.n_embd as number;
  const f = roundUp((config.n_inner as number | null) ?? Math.floor((8 * h) / 3), 256);
  const vocab = roundUp(config.vocab_size as number, (config.pad_vocab_size_multiple as number | undefined) ?? 1);
  const tensors: RawTensors = {};
  const add = (name: string, shape: number[], std: number, mean = 0) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (!zero(name)) for (let i = 0; i < data.length; i++) data[i] = mean + std * normal();
    tensors[name] = { dtype: 'F32', shape, data };
  };
  const linear = (name: string, out: number, inp: number, bias: boolean) => {
    add(`${name}.weight`, [out, inp], 1.2 / Math.sqrt(inp));
    if (bias) add(`${name}.bias`, [out], 0.2);
  };
  const norm = (name: string) => {
    add(`${name}.weight`, [h], 0.1, 1);
    add(`${name}.bias`, [h], 0.1);
  };
  add('embeddings.word_embeddings.weight', [vocab, h], 1);
  const types = (config.type_vocab_size as number | undefined) ?? 2;
  if (types > 0) add('embeddings.token_type_embeddings.weight', [types, h], 0.5);
  norm('emb_ln');
  const qkvBias = (config.qkv_proj_bias as boolean | undefined) ?? true;
  const fc1Bias = (config.mlp_fc1_bias as boolean | undefined) ?? true;
  const fc2Bias = (config.mlp_fc2_bias as boolean | undefined) ?? true;
  for (let l = 0; l < (config.n_layer as number); l++) {
    const p = `encoder.layers.${l}.`;
    linear(`${p}attn.Wqkv`, 3 * h, h, qkvBias);
    linear(`${p}attn.out_proj`, h, h, qkvBias);
    norm(`${p}norm1`);
    linear(`${p}mlp.fc11`, f, h, fc1Bias);
    linear(`${p}mlp.fc12`, f, h, fc1Bias);
    linear(`${p}mlp.fc2`, h, f, fc2Bias);
    norm(`${p}norm2`);
  }
  return tensors;
}

/** A NomicBERT sentence-transformers folder (mean pooling, normalised, as nomic-embed-text-v1.5) on the tiny tokenizer. */
export function nomicModelFiles(config: Record<string, unknown> = nomicConfig(), tensors: RawTensors = nomicTensors(config)): ModelFiles {
  return withFiles(tinyModelFiles('bert'), {
    'config.json': config,
    'model.safetensors': encodeSafetensors(tensors),
    'modules.json': [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ],
    '1_Pooling/config.json': {
      word_embedding_dimension: config.n_embd,
      pooling_mode_cls_token: false,
      pooling_mode_mean_tokens: true,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
      pooling_mode_weightedmean_tokens: false,
      pooling_mode_lasttoken: false,
      include_prompt: true,
    },
    'sentence_bert_config.json': { max_seq_length: 48, do_lower_case: false },
  });
}
