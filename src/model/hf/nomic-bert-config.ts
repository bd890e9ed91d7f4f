/**
 * config.json of NomicBERT (model_type "nomic_bert": nomic-embed-text-v1 / v1.5,
 * nomic-bert-2048), a GPT2Config subclass with Nomic's own keys. Sizes use GPT-2's
 * names (n_embd, n_head, n_layer, n_inner, n_positions, layer_norm_epsilon).
 *
 * What the Hub code (modeling_hf_nomic_bert.py, also in nomic-ai/contrastors) does
 * with them, and what we take over:
 *  - the word table has vocab_size rounded up to pad_vocab_size_multiple rows;
 *  - the gated MLP is n_inner wide (default ⌊8·n_embd/3⌋) rounded up to a multiple of 256;
 *  - rotary positions on rotary_emb_fraction of each head (no position table);
 *  - one flag, qkv_proj_bias, for the biases of Wqkv and out_proj; mlp_fc1_bias for
 *    fc11 and fc12, mlp_fc2_bias for fc2; the defaults (true) are the config class's.
 * Options that change the computation in ways we do not implement are refused, each
 * naming its key.
 */
import { ModelFileError } from '../files.ts';
import { positiveInt, type Activation, type BaseConfig } from './config.ts';

export const NOMIC_BERT_MODEL_TYPES = ['nomic_bert'] as const;

/** The gated units the reference builds from activation_function: value·act(gate). */
const GATED: Record<string, Activation> = {
  swiglu: 'silu',
  // The reference passes F.gelu (erf) for geglu.
  geglu: 'gelu',
};

/** The reference's multiple for the gated MLP's width. */
const MLP_MULTIPLE = 256;

export interface NomicBertConfig extends BaseConfig {
  architecture: 'nomic-bert';
  numHeads: number;
  /** Width of fc11 / fc12 / fc2 after the reference's rounding. */
  intermediateSize: number;
  /** The gate's activation: SiLU for swiglu, GELU (erf) for geglu. */
  activation: Activation;
  layerNormEps: number;
  /** Rows of the token-type table (0: none); single texts use row 0. */
  typeVocabSize: number;
  /** Features of each head the rotary embedding turns (head_dim · rotary_emb_fraction), even. */
  rotaryDim: number;
  rotaryBase: number;
  qkvBias: boolean;
  fc1Bias: boolean;
  fc2Bias: boolean;
}

const roundUp = (n: number, multiple: number) => Math.ceil(n / multiple) * multiple;

export function parseNomicBertConfig(file: string, raw: Record<string, unknown>): NomicBertConfig {
  const modelType = String(raw.model_type ?? '');
  if (!(NOMIC_BERT_MODEL_TYPES as readonly string[]).includes(modelType)) throw new ModelFileError(file, `model_type "${modelType}" is not NomicBERT's`);

  const flag = (key: string, fallback: boolean): boolean => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'boolean') throw new ModelFileError(file, `"${key}" must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const number = (key: string, fallback: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ModelFileError(file, `"${key}" must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  const refuse = (key: string, why: string) => {
    throw new ModelFileError(file, `${key} ${JSON.stringify(raw[key])} is not supported (${why})`);
  };

  const activationName = String(raw.activation_function ?? 'gelu_new');
  const activation = GATED[activationName];
  if (!activation) refuse('activation_function', `gated units only: ${Object.keys(GATED).join(', ')}`);
  for (const key of ['prenorm', 'parallel_block', 'causal', 'rotary_emb_interleaved', 'use_rms_norm', 'norm_mlp', 'rotary_head_dim']) {
    if (flag(key, false)) refuse(key, 'only the post-norm, bidirectional, LayerNorm block with half-split rotary is implemented');
  }
  if (raw.rotary_emb_scale_base != null) refuse('rotary_emb_scale_base', 'XPos-scaled rotary is not implemented');

  const hiddenSize = positiveInt(file, raw, 'n_embd');
  const numHeads = positiveInt(file, raw, 'n_head');
  if (hiddenSize % numHeads !== 0) throw new ModelFileError(file, `n_embd ${hiddenSize} is not a multiple of n_head ${numHeads}`);
  if (raw.num_heads_kv != null && raw.num_heads_kv !== numHeads) refuse('num_heads_kv', 'grouped key/value heads are not implemented');
  const headDim = hiddenSize / numHeads;

  const fraction = raw.rotary_emb_fraction ?? 0;
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) refuse('rotary_emb_fraction', 'rotary positions only, a fraction in (0, 1]; learned position tables are not implemented');
  const rotaryDim = headDim * (fraction as number);
  if (!Number.isInteger(rotaryDim) || rotaryDim % 2 !== 0) {
    throw new ModelFileError(file, `rotary_emb_fraction ${String(fraction)} of head size ${headDim} is not an even number of features`);
  }

  const innerRaw = raw.n_inner ?? null;
  if (innerRaw !== null && (typeof innerRaw !== 'number' || !Number.isInteger(innerRaw) || innerRaw <= 0)) {
    throw new ModelFileError(file, `"n_inner" must be a positive integer or null, got ${JSON.stringify(innerRaw)}`);
  }
  const inner = innerRaw ?? Math.floor((8 * hiddenSize) / 3);

  const vocab = positiveInt(file, raw, 'vocab_size');
  const multiple = raw.pad_vocab_size_multiple === undefined ? 1 : positiveInt(file, raw, 'pad_vocab_size_multiple');
  const nPositions = raw.n_positions === undefined ? 1024 : positiveInt(file, raw, 'n_positions');
  // Plain rotary has no table: any length up to n_positions computes as the reference.
  // With rotary_scaling_factor, the reference raises the base once a text is longer than
  // max_trained_positions (dynamic NTK), which we do not do, so we stop there.
  const scaled = raw.rotary_scaling_factor != null && raw.rotary_scaling_factor !== 0;
  const maxTrained = raw.max_trained_positions === undefined ? 2048 : positiveInt(file, raw, 'max_trained_positions');
  const typeVocab = raw.type_vocab_size ?? 2;
  if (typeof typeVocab !== 'number' || !Number.isInteger(typeVocab) || typeVocab < 0) {
    throw new ModelFileError(file, `"type_vocab_size" must be a non-negative integer, got ${JSON.stringify(typeVocab)}`);
  }
  const pad = raw.pad_token_id ?? 0;
  if (typeof pad !== 'number' || !Number.isInteger(pad) || pad < 0) throw new ModelFileError(file, `"pad_token_id" must be a token id, got ${JSON.stringify(pad)}`);

  return {
    architecture: 'nomic-bert',
    modelType,
    vocabSize: roundUp(vocab, multiple),
    hiddenSize,
    numLayers: positiveInt(file, raw, 'n_layer'),
    numHeads,
    intermediateSize: roundUp(inner, MLP_MULTIPLE),
    activation: activation as Activation,
    // GPT2Config's default.
    layerNormEps: number('layer_norm_epsilon', 1e-5),
    typeVocabSize: typeVocab,
    rotaryDim,
    rotaryBase: number('rotary_emb_base', 10_000),
    qkvBias: flag('qkv_proj_bias', true),
    fc1Bias: flag('mlp_fc1_bias', true),
    fc2Bias: flag('mlp_fc2_bias', true),
    // BERT's [PAD] (nomic's configs may leave pad_token_id out).
    padTokenId: pad,
    maxPositions: scaled ? Math.min(nPositions, maxTrained) : nPositions,
    smoothLayers: true,
  };
}

/** Float32 bytes of the weights the config implies. */
export function estimateNomicBertBytes(c: NomicBertConfig): number {
  const h = c.hiddenSize;
  const f = c.intermediateSize;
  const embeddings = (c.vocabSize + c.typeVocabSize + 2) * h;
  const attention = 4 * h * h + (c.qkvBias ? 4 * h : 0);
  const mlp = 3 * h * f + (c.fc1Bias ? 2 * f : 0) + (c.fc2Bias ? h : 0);
  return 4 * (embeddings + c.numLayers * (attention + mlp + 4 * h));
}
