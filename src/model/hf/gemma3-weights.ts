/**
 * Picks the tensors of a Gemma 3 text checkpoint (gemma3.ts) by their PyTorch names,
 * with or without a prefix ("model.", "language_model.model.", found from
 * embed_tokens.weight), checking each shape against config.json.
 *
 * Layout kept here: linear kernels [in, out] (PyTorch stores [out, in]); q, k and v
 * fused into one kernel, gate and up into another (one matmul each). Gemma's RMSNorm
 * multiplies by (1 + w) for its stored w: we keep γ = 1 + w, computed in float32 as
 * transformers does, so every norm is a plain rmsNorm(x, γ). Names (namedWeights) call
 * these "…scale"; w = γ − 1 converts back.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ReplaceWeight } from '../named-weights.ts';
import type { EmbeddingTable } from './embedding-table.ts';
import type { WeightSource } from './formats/open-weights.ts';
import type { Gemma3Config } from './gemma3-config.ts';
import { pickWeights, type WeightPicker } from './weight-picker.ts';

export interface Gemma3LayerWeights {
  /** [H, (heads + 2·kvHeads)·headDim]: q_proj | k_proj | v_proj. */
  qkv: tf.Tensor2D;
  /** [heads·headDim, H] */
  o: tf.Tensor2D;
  /** γ = 1 + w of q_norm and k_norm, [headDim]. */
  qNorm: tf.Tensor1D;
  kNorm: tf.Tensor1D;
  /** γ = 1 + w of the four norms around attention and the MLP, [H]. */
  inputNorm: tf.Tensor1D;
  postAttentionNorm: tf.Tensor1D;
  preFeedforwardNorm: tf.Tensor1D;
  postFeedforwardNorm: tf.Tensor1D;
  /** [H, 2·intermediate]: gate_proj | up_proj. */
  gateUp: tf.Tensor2D;
  /** [intermediate, H] */
  down: tf.Tensor2D;
}

export interface Gemma3Weights {
  /** embed_tokens.weight, [vocab, H] (unscaled; embed multiplies by √H), kept out of TF.js (embedding-table.ts). */
  embedTokens: EmbeddingTable;
  layers: Gemma3LayerWeights[];
  /** γ = 1 + w of the final norm (norm.weight), applied in the last layer's stage. */
  finalNorm: tf.Tensor1D;
}

const EMBED = 'embed_tokens.weight';

/** Builds every weight tensor; on any problem, frees what was already built. */
export function loadGemma3Weights(source: WeightSource, config: Gemma3Config, file: string): Gemma3Weights {
  return pickWeights(source, file, EMBED, config.modelType, (p) => pick(p, config));
}

function pick({ raw, keep, table, kernel, fusedKernel }: WeightPicker, c: Gemma3Config): Gemma3Weights {
  /** Gemma's RMSNorm scale: γ = 1 + w, in float32. */
  const norm = (name: string, size: number): tf.Tensor1D => keep(tf.tensor1d(raw(`${name}.weight`, [size]).map((w) => 1 + w)));

  const h = c.hiddenSize;
  const d = c.headDim;
  const ffn = c.intermediateSize;
  const embedTokens = table(EMBED, c.vocabSize, h);
  const layers: Gemma3LayerWeights[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const p = `layers.${l}.`;
    const a = `${p}self_attn.`;
    layers.push({
      qkv: fusedKernel(h, [
        [`${a}q_proj`, c.numHeads * d],
        [`${a}k_proj`, c.numKvHeads * d],
        [`${a}v_proj`, c.numKvHeads * d],
      ]),
      o: kernel(`${a}o_proj`, c.numHeads * d, h),
      qNorm: norm(`${a}q_norm`, d),
      kNorm: norm(`${a}k_norm`, d),
      inputNorm: norm(`${p}input_layernorm`, h),
      postAttentionNorm: norm(`${p}post_attention_layernorm`, h),
      preFeedforwardNorm: norm(`${p}pre_feedforward_layernorm`, h),
      postFeedforwardNorm: norm(`${p}post_feedforward_layernorm`, h),
      gateUp: fusedKernel(h, [
        [`${p}mlp.gate_proj`, ffn],
        [`${p}mlp.up_proj`, ffn],
      ]),
      down: kernel(`${p}mlp.down_proj`, ffn, h),
    });
  }
  return { embedTokens, layers, finalNorm: norm('norm', h) };
}

const LAYER_TENSORS = [
  ['qkv', 'qkv.kernel'],
  ['o', 'o.kernel'],
  ['qNorm', 'qNorm.scale'],
  ['kNorm', 'kNorm.scale'],
  ['inputNorm', 'inputNorm.scale'],
  ['postAttentionNorm', 'postAttentionNorm.scale'],
  ['preFeedforwardNorm', 'preFeedforwardNorm.scale'],
  ['postFeedforwardNorm', 'postFeedforwardNorm.scale'],
  ['gateUp', 'gateUp.kernel'],
  ['down', 'down.kernel'],
] as const;

/**
 * `w` with every tensor passed through `replace(name, tensor)`, in a fixed order:
 * "layers.<l>.<part>.{kernel,scale}", and the final norm as "layers.<L−1>.finalNorm.scale"
 * (it runs in the last layer's stage, so it trains with it). The token-embedding table
 * is no tensor: shared as it is.
 */
export function mapGemma3Weights(w: Gemma3Weights, replace: ReplaceWeight): Gemma3Weights {
  const layers = w.layers.map((layer, l) => {
    const out = {} as Record<string, tf.Tensor>;
    for (const [key, name] of LAYER_TENSORS) out[key] = replace(`layers.${l}.${name}`, layer[key]);
    return out as unknown as Gemma3LayerWeights;
  });
  return {
    embedTokens: w.embedTokens,
    layers,
    finalNorm: replace(`layers.${w.layers.length - 1}.finalNorm.scale`, w.finalNorm) as tf.Tensor1D,
  };
}
