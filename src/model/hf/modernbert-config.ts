/**
 * config.json of ModernBERT (modernbert.ts; gte-modernbert-base, modernbert-embed-base).
 * Published configs (transformers 4.48+) spell the attention pattern and the rotary
 * bases as global_attn_every_n_layers, local_attention, global_rope_theta and
 * local_rope_theta; transformers 5 writes layer_types and rope_parameters (one entry
 * per attention type) instead. Both are read; what we do not implement (biases, rotary
 * scaling, a layer pattern other than "every n-th layer global") is refused by key.
 */
import { ModelFileError } from '../files.ts';
import { activationOf, positiveInt, type Activation, type BaseConfig } from './config.ts';

export const MODERNBERT_MODEL_TYPE = 'modernbert';

export interface ModernBertConfig extends BaseConfig {
  architecture: 'modernbert';
  numHeads: number;
  /** hidden_size / num_attention_heads. */
  headDim: number;
  /** Width of the gated unit: Wi is hidden → 2·intermediate_size, Wo intermediate_size → hidden. */
  intermediateSize: number;
  /** hidden_activation, applied to the first half of Wi's output. */
  activation: Activation;
  /** norm_eps of every LayerNorm (embedding, attention, MLP, final). */
  normEps: number;
  maxPositionEmbeddings: number;
  /** Per layer: global (full) attention, or local (sliding window) attention. */
  globalLayers: boolean[];
  /** local_attention: the whole window; a token sees the tokens within ⌊local_attention/2⌋ on either side. */
  localAttention: number;
  /** Rotary base of the global layers (global_rope_theta, default 160000). */
  globalRopeTheta: number;
  /** Rotary base of the local layers (local_rope_theta, default 10000). */
  localRopeTheta: number;
}

const DEFAULTS = {
  normEps: 1e-5,
  globalEvery: 3,
  localAttention: 128,
  globalRopeTheta: 160_000,
  localRopeTheta: 10_000,
  maxPositionEmbeddings: 8192,
  padTokenId: 50283,
};

function positiveNumber(file: string, raw: Record<string, unknown>, key: string, fallback: number): number {
  const v = raw[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ModelFileError(file, `"${key}" must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

function optionalPositiveInt(file: string, raw: Record<string, unknown>, key: string, fallback: number): number {
  return raw[key] === undefined ? fallback : positiveInt(file, raw, key);
}

/** The rotary bases, from rope_parameters (transformers 5) or global/local_rope_theta (4.x). */
function ropeThetas(file: string, raw: Record<string, unknown>): { global: number; local: number } {
  if (raw.rope_scaling !== undefined && raw.rope_scaling !== null) {
    throw new ModelFileError(file, `"rope_scaling" ${JSON.stringify(raw.rope_scaling)} is not supported (plain rotary embeddings only)`);
  }
  const global = positiveNumber(file, raw, 'global_rope_theta', DEFAULTS.globalRopeTheta);
  // transformers 4.x: a local_rope_theta of null makes the local layers use the global base.
  const local = raw.local_rope_theta === null ? global : positiveNumber(file, raw, 'local_rope_theta', DEFAULTS.localRopeTheta);
  const params = raw.rope_parameters;
  if (params === undefined || params === null) return { global, local };
  if (typeof params !== 'object' || Array.isArray(params)) throw new ModelFileError(file, '"rope_parameters" must be an object');
  const theta = (type: 'full_attention' | 'sliding_attention', fallback: number): number => {
    const entry = (params as Record<string, unknown>)[type];
    if (entry === undefined || entry === null) return fallback;
    if (typeof entry !== 'object' || Array.isArray(entry)) throw new ModelFileError(file, `"rope_parameters.${type}" must be an object`);
    const e = entry as Record<string, unknown>;
    const kind = e.rope_type ?? 'default';
    if (kind !== 'default') throw new ModelFileError(file, `"rope_parameters.${type}.rope_type" "${String(kind)}" is not supported (default only)`);
    return positiveNumber(file, e, 'rope_theta', fallback);
  };
  const unknown = Object.keys(params).filter((k) => k !== 'full_attention' && k !== 'sliding_attention');
  if (unknown.length > 0) throw new ModelFileError(file, `"rope_parameters" has keys ${unknown.join(', ')} (expected full_attention and sliding_attention)`);
  return { global: theta('full_attention', global), local: theta('sliding_attention', local) };
}

/**
 * Which layers attend globally: layer l when l % global_attn_every_n_layers == 0.
 * transformers 5 also writes layer_types; its attention still takes the window from
 * global_attn_every_n_layers, so a layer_types list that disagrees is refused.
 */
function globalLayersOf(file: string, raw: Record<string, unknown>, numLayers: number): boolean[] {
  const every = optionalPositiveInt(file, raw, 'global_attn_every_n_layers', DEFAULTS.globalEvery);
  const global = Array.from({ length: numLayers }, (_, l) => l % every === 0);
  const types = raw.layer_types;
  if (types === undefined || types === null) return global;
  if (!Array.isArray(types) || types.length !== numLayers) {
    throw new ModelFileError(file, `"layer_types" must list one attention type per layer (${numLayers})`);
  }
  types.forEach((t, l) => {
    if (t !== 'full_attention' && t !== 'sliding_attention') {
      throw new ModelFileError(file, `"layer_types" entry ${l} "${String(t)}" is not supported (full_attention or sliding_attention)`);
    }
    if ((t === 'full_attention') !== global[l]) {
      throw new ModelFileError(file, `"layer_types" (${t} at layer ${l}) is not every ${every}-th layer global (global_attn_every_n_layers), which is all we support`);
    }
  });
  return global;
}

export function parseModernBertConfig(file: string, raw: Record<string, unknown>): ModernBertConfig {
  const modelType = String(raw.model_type ?? '');
  if (modelType !== MODERNBERT_MODEL_TYPE) throw new ModelFileError(file, `model_type "${modelType}" is not ModernBERT's`);
  for (const key of ['attention_bias', 'mlp_bias', 'norm_bias']) {
    if (raw[key] !== undefined && raw[key] !== false) throw new ModelFileError(file, `"${key}" ${JSON.stringify(raw[key])} is not supported (ModernBERT without biases only)`);
  }
  const hiddenSize = positiveInt(file, raw, 'hidden_size');
  const numHeads = positiveInt(file, raw, 'num_attention_heads');
  if (hiddenSize % numHeads !== 0) throw new ModelFileError(file, `hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`);
  const headDim = hiddenSize / numHeads;
  if (raw.head_dim !== undefined && raw.head_dim !== null && raw.head_dim !== headDim) {
    throw new ModelFileError(file, `"head_dim" ${JSON.stringify(raw.head_dim)} is not supported (hidden_size / num_attention_heads = ${headDim} only)`);
  }
  if (headDim % 2 !== 0) throw new ModelFileError(file, `heads of ${headDim} features cannot be rotated (rotary embeddings need an even head size)`);
  const numLayers = positiveInt(file, raw, 'num_hidden_layers');
  const activation = activationOf(file, raw, 'hidden_activation');
  const maxPositionEmbeddings = optionalPositiveInt(file, raw, 'max_position_embeddings', DEFAULTS.maxPositionEmbeddings);
  const pad = raw.pad_token_id;
  if (pad !== undefined && (typeof pad !== 'number' || !Number.isInteger(pad) || pad < 0)) {
    throw new ModelFileError(file, `"pad_token_id" must be a token id, got ${JSON.stringify(pad)}`);
  }
  const thetas = ropeThetas(file, raw);
  return {
    architecture: 'modernbert',
    modelType,
    vocabSize: positiveInt(file, raw, 'vocab_size'),
    hiddenSize,
    numLayers,
    numHeads,
    headDim,
    intermediateSize: positiveInt(file, raw, 'intermediate_size'),
    activation,
    normEps: positiveNumber(file, raw, 'norm_eps', DEFAULTS.normEps),
    maxPositionEmbeddings,
    // Rotary positions have no table: the limit is the one the model was trained to.
    maxPositions: maxPositionEmbeddings,
    padTokenId: typeof pad === 'number' ? pad : DEFAULTS.padTokenId,
    globalLayers: globalLayersOf(file, raw, numLayers),
    localAttention: optionalPositiveInt(file, raw, 'local_attention', DEFAULTS.localAttention),
    globalRopeTheta: thetas.global,
    localRopeTheta: thetas.local,
    smoothLayers: activation !== 'relu',
  };
}

/** Float32 bytes of the weights the config implies, to refuse an oversized model before downloading it. */
export function estimateModernBertBytes(c: ModernBertConfig): number {
  const h = c.hiddenSize;
  const i = c.intermediateSize;
  // Per layer: Wqkv, Wo, Wi (2i wide), the MLP's Wo and two norms (layer 0 has one).
  const layer = 3 * h * h + h * h + 2 * i * h + i * h + 2 * h;
  return 4 * (c.vocabSize * h + h + c.numLayers * layer + h);
}
