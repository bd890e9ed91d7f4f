/**
 * config.json of Gemma 3 run as a bidirectional encoder (model_type "gemma3_text",
 * EmbeddingGemma): sizes, the layer pattern (sliding or full attention), the two
 * rotary bases and the window. Options the encoder does not implement are refused
 * with a ModelFileError naming the key.
 *
 * Defaults are transformers' Gemma3TextConfig defaults; the sizes themselves are
 * required (every published config writes them, and a default of the 4B model would
 * only surface later as a weight-shape error).
 */
import { ModelFileError } from '../files.ts';
import { activationOf, positiveInt, type Activation, type BaseConfig } from './config.ts';

export const GEMMA3_MODEL_TYPES = ['gemma3_text'] as const;

export type Gemma3LayerType = 'sliding_attention' | 'full_attention';

export interface Gemma3Config extends BaseConfig {
  architecture: 'gemma3';
  intermediateSize: number;
  numHeads: number;
  /** Key/value heads; each serves numHeads / numKvHeads consecutive query heads. */
  numKvHeads: number;
  /** Features per head (config head_dim, not hidden_size / heads). */
  headDim: number;
  activation: Activation;
  rmsNormEps: number;
  /** Scores are q·k · queryPreAttnScalar^−½. */
  queryPreAttnScalar: number;
  /** sliding_window as config.json writes it. */
  slidingWindow: number;
  /**
   * What a sliding layer sees: key j is visible from query i when |i − j| < window.
   * Bidirectional Gemma 3 sets window = ⌊sliding_window / 2⌋ + 1, so 512 sees 256 tokens each side.
   */
  window: number;
  layerTypes: Gemma3LayerType[];
  /** Rotary base of the full-attention layers (rope_theta). */
  ropeTheta: number;
  /** Rotary base of the sliding layers (rope_local_base_freq). */
  ropeLocalTheta: number;
  maxPositionEmbeddings: number;
}

const ROPE_DEFAULTS = { full_attention: 1_000_000, sliding_attention: 10_000 } as const;

function positiveNumber(file: string, raw: Record<string, unknown>, key: string, fallback: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ModelFileError(file, `"${key}" must be a positive number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optionalPositiveInt(file: string, raw: Record<string, unknown>, key: string, fallback: number): number {
  return raw[key] === undefined ? fallback : positiveInt(file, raw, key);
}

/** A rotary section ({rope_type, rope_theta, …}) we can run: plain RoPE only. */
function checkRopeSection(file: string, key: string, section: unknown): Record<string, unknown> | undefined {
  if (section === undefined || section === null) return undefined;
  if (typeof section !== 'object' || Array.isArray(section)) throw new ModelFileError(file, `"${key}" must be an object`);
  const s = section as Record<string, unknown>;
  const type = s.rope_type ?? s.type ?? 'default';
  if (type !== 'default') throw new ModelFileError(file, `"${key}" rope_type "${String(type)}" is not supported (default only)`);
  const extra = Object.keys(s).filter((k) => !['rope_type', 'type', 'rope_theta'].includes(k));
  if (extra.length > 0) throw new ModelFileError(file, `"${key}" has ${extra.join(', ')}, which plain RoPE does not use (not supported)`);
  return s;
}

/** The rotary bases: rope_parameters per layer type (newer transformers), else rope_theta / rope_local_base_freq. */
function ropeBases(file: string, raw: Record<string, unknown>): { full: number; sliding: number } {
  checkRopeSection(file, 'rope_scaling', raw.rope_scaling);
  let full = positiveNumber(file, raw, 'rope_theta', ROPE_DEFAULTS.full_attention);
  let sliding = positiveNumber(file, raw, 'rope_local_base_freq', ROPE_DEFAULTS.sliding_attention);
  const params = raw.rope_parameters;
  if (params !== undefined && params !== null) {
    if (typeof params !== 'object' || Array.isArray(params)) throw new ModelFileError(file, '"rope_parameters" must be an object');
    const p = params as Record<string, unknown>;
    const fullSection = checkRopeSection(file, 'rope_parameters.full_attention', p.full_attention);
    const slidingSection = checkRopeSection(file, 'rope_parameters.sliding_attention', p.sliding_attention);
    if (fullSection?.rope_theta !== undefined) full = positiveNumber(file, fullSection, 'rope_theta', full);
    if (slidingSection?.rope_theta !== undefined) sliding = positiveNumber(file, slidingSection, 'rope_theta', sliding);
  }
  return { full, sliding };
}

/** layer_types, or the older sliding_window_pattern: every pattern-th layer is full, the others slide. */
function layerTypesOf(file: string, raw: Record<string, unknown>, numLayers: number): Gemma3LayerType[] {
  const listed = raw.layer_types;
  if (listed !== undefined && listed !== null) {
    if (!Array.isArray(listed) || listed.length !== numLayers) {
      throw new ModelFileError(file, `"layer_types" must list ${numLayers} layer types (num_hidden_layers)`);
    }
    return listed.map((t, i) => {
      if (t !== 'sliding_attention' && t !== 'full_attention') {
        throw new ModelFileError(file, `"layer_types"[${i}] "${String(t)}" is not supported (sliding_attention, full_attention)`);
      }
      return t;
    });
  }
  const key = raw.sliding_window_pattern !== undefined ? 'sliding_window_pattern' : '_sliding_window_pattern';
  const pattern = optionalPositiveInt(file, raw, key, 6);
  return Array.from({ length: numLayers }, (_, i) => ((i + 1) % pattern === 0 ? 'full_attention' : 'sliding_attention'));
}

export function parseGemma3Config(file: string, raw: Record<string, unknown>): Gemma3Config {
  const modelType = String(raw.model_type ?? '');
  if (!(GEMMA3_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw new ModelFileError(file, `model_type "${modelType}" is not Gemma 3's text model (gemma3_text)`);
  }
  if (raw.use_bidirectional_attention !== true) {
    throw new ModelFileError(file, '"use_bidirectional_attention" is not true: a causal Gemma 3 is a language model, not a sentence encoder (not supported)');
  }
  if (raw.attention_bias === true) throw new ModelFileError(file, '"attention_bias" true is not supported (Gemma 3 has none)');
  if (raw.attn_logit_softcapping !== undefined && raw.attn_logit_softcapping !== null) {
    throw new ModelFileError(file, `"attn_logit_softcapping" ${JSON.stringify(raw.attn_logit_softcapping)} is not supported (null only)`);
  }
  const activation = raw.hidden_activation === undefined ? 'gelu_tanh' : activationOf(file, raw, 'hidden_activation');

  const hiddenSize = positiveInt(file, raw, 'hidden_size');
  const numLayers = positiveInt(file, raw, 'num_hidden_layers');
  const numHeads = positiveInt(file, raw, 'num_attention_heads');
  const numKvHeads = positiveInt(file, raw, 'num_key_value_heads');
  if (numHeads % numKvHeads !== 0) {
    throw new ModelFileError(file, `num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  }
  const headDim = optionalPositiveInt(file, raw, 'head_dim', 256);
  if (headDim % 2 !== 0) throw new ModelFileError(file, `"head_dim" must be even for rotary embeddings, got ${headDim}`);
  const slidingWindow = optionalPositiveInt(file, raw, 'sliding_window', 4096);
  const maxPositionEmbeddings = optionalPositiveInt(file, raw, 'max_position_embeddings', 131_072);
  const padTokenId = raw.pad_token_id === undefined ? 0 : raw.pad_token_id;
  if (typeof padTokenId !== 'number' || !Number.isInteger(padTokenId) || padTokenId < 0) {
    throw new ModelFileError(file, `"pad_token_id" must be a token id, got ${JSON.stringify(padTokenId)}`);
  }
  const vocabSize = positiveInt(file, raw, 'vocab_size');
  if (padTokenId >= vocabSize) throw new ModelFileError(file, `"pad_token_id" ${padTokenId} is outside the vocabulary (${vocabSize})`);
  const rope = ropeBases(file, raw);
  return {
    architecture: 'gemma3',
    modelType,
    vocabSize,
    hiddenSize,
    numLayers,
    padTokenId,
    maxPositions: maxPositionEmbeddings,
    smoothLayers: activation !== 'relu',
    intermediateSize: positiveInt(file, raw, 'intermediate_size'),
    numHeads,
    numKvHeads,
    headDim,
    activation,
    rmsNormEps: positiveNumber(file, raw, 'rms_norm_eps', 1e-6),
    queryPreAttnScalar: positiveNumber(file, raw, 'query_pre_attn_scalar', 256),
    slidingWindow,
    window: Math.floor(slidingWindow / 2) + 1,
    layerTypes: layerTypesOf(file, raw, numLayers),
    ropeTheta: rope.full,
    ropeLocalTheta: rope.sliding,
    maxPositionEmbeddings,
  };
}

/** Float32 bytes of the weights the config implies (no position table: rotary). */
export function estimateGemma3Bytes(c: Gemma3Config): number {
  const h = c.hiddenSize;
  const attention = h * c.headDim * (2 * c.numHeads + 2 * c.numKvHeads) + 2 * c.headDim;
  const layer = attention + 3 * h * c.intermediateSize + 4 * h;
  return 4 * (c.vocabSize * h + c.numLayers * layer + h);
}
