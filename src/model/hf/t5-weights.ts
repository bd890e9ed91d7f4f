/**
 * Picks the T5 encoder's tensors out of a checkpoint by their PyTorch names (a
 * T5EncoderModel's, or the encoder half of a T5Model / T5ForConditionalGeneration),
 * checking each shape against config.json:
 *
 *   encoder.embed_tokens.weight or shared.weight            [vocab, d_model]
 *   encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight   [buckets, heads]
 *   encoder.block.<l>.layer.0.layer_norm.weight              [d_model]
 *   encoder.block.<l>.layer.0.SelfAttention.{q,k,v}.weight   [heads·d_kv, d_model]
 *   encoder.block.<l>.layer.0.SelfAttention.o.weight         [d_model, heads·d_kv]
 *   encoder.block.<l>.layer.1.layer_norm.weight              [d_model]
 *   encoder.block.<l>.layer.1.DenseReluDense.wi.weight       [d_ff, d_model]  (or wi_0, wi_1 when gated)
 *   encoder.block.<l>.layer.1.DenseReluDense.wo.weight       [d_model, d_ff]
 *   encoder.final_layer_norm.weight                          [d_model]
 *
 * No linear has a bias. A prefix before "encoder." (a wrapper's) is found from the
 * first block's query.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ReplaceWeight } from '../named-weights.ts';
import type { EmbeddingTable } from './embedding-table.ts';
import type { WeightSource } from './formats/open-weights.ts';
import type { T5Config } from './t5-config.ts';
import { pickWeights, type WeightPicker } from './weight-picker.ts';

export interface T5LayerWeights {
  /** layer.0.layer_norm: the RMSNorm scale before attention. */
  attentionNorm: tf.Tensor1D;
  /** q | k | v kernels, [d_model, 3·inner]: one matmul instead of three. */
  qkv: tf.Tensor2D;
  /** o, [inner, d_model]. */
  attentionOut: tf.Tensor2D;
  /** layer.1.layer_norm: the RMSNorm scale before the feed-forward unit. */
  ffnNorm: tf.Tensor1D;
  /** wi, [d_model, d_ff]; gated: wi_0 | wi_1, [d_model, 2·d_ff] (the first half activated). */
  ffnIn: tf.Tensor2D;
  /** wo, [d_ff, d_model]. */
  ffnOut: tf.Tensor2D;
}

export interface T5Weights {
  /** Kept out of TF.js (embedding-table.ts). */
  embeddings: EmbeddingTable;
  /** Block 0's table [buckets, heads], shared by every layer. */
  relativeAttentionBias: tf.Tensor2D;
  layers: T5LayerWeights[];
  /** encoder.final_layer_norm, applied inside the last layer's stage. */
  finalNorm: tf.Tensor1D;
}

const FIRST_QUERY = 'encoder.block.0.layer.0.SelfAttention.q.weight';

/** Builds every weight tensor; on any problem, frees what was already built. */
export function loadT5Weights(source: WeightSource, config: T5Config, file: string): T5Weights {
  return pickWeights(source, file, FIRST_QUERY, 'T5', (p) => pick(p, config));
}

function pick({ vector, matrix, table, kernel, fusedKernel }: WeightPicker, c: T5Config): T5Weights {
  const h = c.hiddenSize;
  const inner = c.innerDim;
  // The encoder's own table first: in a tied checkpoint both names hold the same values.
  const embeddings = table(['encoder.embed_tokens.weight', 'shared.weight'], c.vocabSize, h);
  const relativeAttentionBias = matrix(
    'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight',
    c.relativeAttentionBuckets,
    c.numHeads,
  );
  const layers: T5LayerWeights[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const att = `encoder.block.${l}.layer.0.SelfAttention`;
    const ff = `encoder.block.${l}.layer.1.DenseReluDense`;
    const attentionNorm = vector(`encoder.block.${l}.layer.0.layer_norm.weight`, h);
    const qkv = fusedKernel(h, [
      [`${att}.q`, inner],
      [`${att}.k`, inner],
      [`${att}.v`, inner],
    ]);
    const attentionOut = kernel(`${att}.o`, inner, h);
    const ffnNorm = vector(`encoder.block.${l}.layer.1.layer_norm.weight`, h);
    const ffnIn = c.gated
      ? fusedKernel(h, [
          [`${ff}.wi_0`, c.ffnSize],
          [`${ff}.wi_1`, c.ffnSize],
        ])
      : kernel(`${ff}.wi`, h, c.ffnSize);
    const ffnOut = kernel(`${ff}.wo`, c.ffnSize, h);
    layers.push({ attentionNorm, qkv, attentionOut, ffnNorm, ffnIn, ffnOut });
  }
  const finalNorm = vector('encoder.final_layer_norm.weight', h);
  return { embeddings, relativeAttentionBias, layers, finalNorm };
}

const LAYER_TENSORS = ['attentionNorm', 'qkv', 'attentionOut', 'ffnNorm', 'ffnIn', 'ffnOut'] as const;

/**
 * `w` with every tensor passed through `replace(name, tensor)`, in a fixed order:
 * "relativeAttentionBias" (shared by every layer, so frozen),
 * "layers.<l>.<tensor>", and the final norm as "layers.<last>.finalNorm" since the
 * last layer's stage applies it (trainable with that layer). The token-embedding table
 * is no tensor: shared as it is.
 */
export function mapT5Weights(w: T5Weights, replace: ReplaceWeight): T5Weights {
  const last = w.layers.length - 1;
  const relativeAttentionBias = replace('relativeAttentionBias', w.relativeAttentionBias) as tf.Tensor2D;
  const layers = w.layers.map((layer, l) => {
    const out = {} as T5LayerWeights;
    for (const key of LAYER_TENSORS) (out as unknown as Record<string, tf.Tensor>)[key] = replace(`layers.${l}.${key}`, layer[key]);
    return out;
  });
  return {
    embeddings: w.embeddings,
    relativeAttentionBias,
    layers,
    finalNorm: replace(`layers.${last}.finalNorm`, w.finalNorm) as tf.Tensor1D,
  };
}
