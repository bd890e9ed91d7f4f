/**
 * config.json of the T5 encoder (t5.ts): sentence-t5 and GTR as sentence-transformers
 * ships them (model_type "t5"). Read as transformers' T5Config reads it:
 *
 *   feed_forward_proj "relu" | "gelu" | "gated-gelu" | …: "gated-<act>" selects the
 *     gated unit (wi_0 activated, times wi_1); plain "<act>" the ungated one. The
 *     historical "gated-gelu" means the tanh GELU (gelu_new), not the erf one.
 *   dense_act_fn / is_gated_act: written by newer transformers beside feed_forward_proj;
 *     when present they win (T5Config stores leftover keys after deriving its own).
 *   relative_attention_num_buckets (32), relative_attention_max_distance (128),
 *   layer_norm_epsilon (1e-6), pad_token_id (0): defaults as T5Config's.
 *
 * T5 has no position table: positions enter only through the relative bias, so the
 * longest input is ours to choose (T5_MAX_TOKENS unless n_positions says otherwise;
 * sentence_bert_config.json's max_seq_length lowers it further).
 */
import { ModelFileError } from '../files.ts';
import { activationOf, positiveInt, type Activation, type BaseConfig } from './config.ts';

/** Longest input when config.json has no n_positions: T5's pre-training length. */
export const T5_MAX_TOKENS = 512;

export interface T5Config extends BaseConfig {
  architecture: 't5';
  numHeads: number;
  /** d_kv: width of each head's query, key and value. */
  headDim: number;
  /** num_heads · d_kv: the width of q, k, v and of o's input (may differ from d_model). */
  innerDim: number;
  /** d_ff: the feed-forward width (of each of wi_0 and wi_1 when gated). */
  ffnSize: number;
  activation: Activation;
  /** T5DenseGatedActDense (wi_0, wi_1, wo) rather than T5DenseActDense (wi, wo). */
  gated: boolean;
  layerNormEps: number;
  relativeAttentionBuckets: number;
  relativeAttentionMaxDistance: number;
}

function optionalPositiveInt(file: string, raw: Record<string, unknown>, key: string, fallback: number): number {
  return raw[key] === undefined || raw[key] === null ? fallback : positiveInt(file, raw, key);
}

/** The feed-forward unit: (activation, gated), as T5Config derives it, then any explicit keys. */
function feedForwardOf(file: string, raw: Record<string, unknown>): { activation: Activation; gated: boolean } {
  const proj = raw.feed_forward_proj ?? 'relu';
  if (typeof proj !== 'string') throw new ModelFileError(file, `"feed_forward_proj" must be a string, got ${JSON.stringify(proj)}`);
  const parts = proj.split('-');
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'gated')) {
    throw new ModelFileError(file, `feed_forward_proj "${proj}" is not of the form "gated-<activation>" or "<activation>"`);
  }
  let gated = parts[0] === 'gated';
  let actName = proj === 'gated-gelu' ? 'gelu_new' : parts[parts.length - 1];
  let actKey = 'feed_forward_proj';
  if (raw.dense_act_fn !== undefined && raw.dense_act_fn !== null) {
    if (typeof raw.dense_act_fn !== 'string') throw new ModelFileError(file, `"dense_act_fn" must be a string, got ${JSON.stringify(raw.dense_act_fn)}`);
    actName = raw.dense_act_fn;
    actKey = 'dense_act_fn';
  }
  if (raw.is_gated_act !== undefined && raw.is_gated_act !== null) {
    if (typeof raw.is_gated_act !== 'boolean') throw new ModelFileError(file, `"is_gated_act" must be true or false, got ${JSON.stringify(raw.is_gated_act)}`);
    gated = raw.is_gated_act;
  }
  return { activation: activationOf(file, { [actKey]: actName }, actKey), gated };
}

export function parseT5Config(file: string, raw: Record<string, unknown>): T5Config {
  const modelType = String(raw.model_type ?? '');
  if (modelType !== 't5') throw new ModelFileError(file, `model_type "${modelType}" is not T5's ("t5")`);
  if (raw.is_decoder === true) throw new ModelFileError(file, '"is_decoder" is true: only the T5 encoder (bidirectional attention) is supported');
  const pruned = raw.pruned_heads;
  if (pruned !== undefined && pruned !== null && (typeof pruned !== 'object' || Object.keys(pruned).length > 0)) {
    throw new ModelFileError(file, '"pruned_heads" is not supported (every layer must keep num_heads heads)');
  }
  const { activation, gated } = feedForwardOf(file, raw);

  const hiddenSize = positiveInt(file, raw, 'd_model');
  const numHeads = positiveInt(file, raw, 'num_heads');
  const headDim = positiveInt(file, raw, 'd_kv');
  const buckets = optionalPositiveInt(file, raw, 'relative_attention_num_buckets', 32);
  // Bidirectional buckets: half per direction, a quarter of them exact; fewer than 4 leaves no exact bucket.
  if (buckets < 4) throw new ModelFileError(file, `"relative_attention_num_buckets" must be at least 4, got ${buckets}`);
  const maxDistance = optionalPositiveInt(file, raw, 'relative_attention_max_distance', 128);
  const maxExact = Math.floor(Math.floor(buckets / 2) / 2);
  if (maxDistance <= maxExact) {
    throw new ModelFileError(file, `"relative_attention_max_distance" ${maxDistance} must exceed the ${maxExact} exact buckets`);
  }
  const eps = raw.layer_norm_epsilon ?? 1e-6;
  if (typeof eps !== 'number' || !(eps >= 0)) throw new ModelFileError(file, `"layer_norm_epsilon" must be a non-negative number, got ${JSON.stringify(eps)}`);
  const pad = raw.pad_token_id ?? 0;
  if (typeof pad !== 'number' || !Number.isInteger(pad) || pad < 0) {
    throw new ModelFileError(file, `"pad_token_id" must be a non-negative integer, got ${JSON.stringify(pad)}`);
  }
  const vocabSize = positiveInt(file, raw, 'vocab_size');
  if (pad >= vocabSize) throw new ModelFileError(file, `"pad_token_id" ${pad} is outside the vocabulary (${vocabSize})`);

  return {
    architecture: 't5',
    modelType,
    vocabSize,
    hiddenSize,
    numLayers: positiveInt(file, raw, 'num_layers'),
    numHeads,
    headDim,
    innerDim: numHeads * headDim,
    ffnSize: positiveInt(file, raw, 'd_ff'),
    activation,
    gated,
    layerNormEps: eps,
    relativeAttentionBuckets: buckets,
    relativeAttentionMaxDistance: maxDistance,
    padTokenId: pad,
    maxPositions: optionalPositiveInt(file, raw, 'n_positions', T5_MAX_TOKENS),
    smoothLayers: activation !== 'relu',
  };
}

/** Float32 bytes of the encoder's weights (the decoder, if the file has one, is not read). */
export function estimateT5Bytes(c: T5Config): number {
  const h = c.hiddenSize;
  const attention = 4 * h * c.innerDim;
  const ffn = (c.gated ? 3 : 2) * h * c.ffnSize;
  const layer = attention + ffn + 2 * h;
  return 4 * (c.vocabSize * h + c.relativeAttentionBuckets * c.numHeads + c.numLayers * layer + h);
}
