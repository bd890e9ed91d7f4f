/**
 * Picks the tensors of a ModernBERT checkpoint by their PyTorch names, checking each
 * shape against config.json. ModernBertModel saves them unprefixed
 * ("embeddings.tok_embeddings.weight", "layers.3.attn.Wqkv.weight", "final_norm.weight");
 * a model with a head (ModernBertForMaskedLM) puts them under "model."; we find the
 * prefix from the token embeddings. No module has a bias (the config parser refuses
 * attention_bias, mlp_bias and norm_bias), and layer 0 has no attn_norm (its
 * attention reads the normalised embedding directly).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ReplaceWeight } from '../named-weights.ts';
import type { EmbeddingTable } from './embedding-table.ts';
import type { WeightSource } from './formats/open-weights.ts';
import type { ModernBertConfig } from './modernbert-config.ts';
import { pickWeights, type WeightPicker } from './weight-picker.ts';

export interface ModernBertLayerWeights {
  /** LayerNorm scale before attention; absent in layer 0 (identity there). */
  attnNorm?: tf.Tensor1D;
  /** Wqkv as [H, 3H]: query, key and value, each heads·d wide, in that order. */
  qkv: tf.Tensor2D;
  /** Attention output Wo, [H, H]. */
  attnOut: tf.Tensor2D;
  mlpNorm: tf.Tensor1D;
  /** Wi as [H, 2I]: the activated half (transformers' "input") first, the multiplying half ("gate") second. */
  mlpIn: tf.Tensor2D;
  /** The MLP's Wo, [I, H]. */
  mlpOut: tf.Tensor2D;
}

export interface ModernBertWeights {
  /** Kept out of TF.js (embedding-table.ts). */
  tokEmbeddings: EmbeddingTable;
  embeddingNorm: tf.Tensor1D;
  layers: ModernBertLayerWeights[];
  /** final_norm, applied at the end of the last layer's stage. */
  finalNorm: tf.Tensor1D;
}

const TOK_EMBEDDINGS = 'embeddings.tok_embeddings.weight';

/** Builds every weight tensor; on any problem, frees what was already built. */
export function loadModernBertWeights(source: WeightSource, config: ModernBertConfig, file: string): ModernBertWeights {
  return pickWeights(source, file, TOK_EMBEDDINGS, config.modelType, (p) => pick(p, config));
}

function pick({ vector, table, kernel }: WeightPicker, c: ModernBertConfig): ModernBertWeights {
  const h = c.hiddenSize;
  const i = c.intermediateSize;
  const tokEmbeddings = table(TOK_EMBEDDINGS, c.vocabSize, h);
  const embeddingNorm = vector('embeddings.norm.weight', h);
  const layers: ModernBertLayerWeights[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const p = `layers.${l}.`;
    layers.push({
      attnNorm: l === 0 ? undefined : vector(`${p}attn_norm.weight`, h),
      qkv: kernel(`${p}attn.Wqkv`, h, 3 * h),
      attnOut: kernel(`${p}attn.Wo`, h, h),
      mlpNorm: vector(`${p}mlp_norm.weight`, h),
      mlpIn: kernel(`${p}mlp.Wi`, h, 2 * i),
      mlpOut: kernel(`${p}mlp.Wo`, i, h),
    });
  }
  return { tokEmbeddings, embeddingNorm, layers, finalNorm: vector('final_norm.weight', h) };
}

/**
 * `w` with every tensor passed through `replace(name, tensor)`, in a fixed order (the
 * token-embedding table is no tensor: shared as it is). The final norm belongs to the
 * last layer's stage, so it is named (and fine-tuned) with that layer:
 * "layers.<L−1>.finalNorm.scale".
 */
export function mapModernBertWeights(w: ModernBertWeights, replace: ReplaceWeight): ModernBertWeights {
  const tensor = <T extends tf.Tensor>(name: string, t: T) => replace(name, t) as T;
  const last = w.layers.length - 1;
  const layers = w.layers.map((l, index): ModernBertLayerWeights => {
    const p = `layers.${index}.`;
    return {
      attnNorm: l.attnNorm && tensor(`${p}attnNorm.scale`, l.attnNorm),
      qkv: tensor(`${p}qkv.kernel`, l.qkv),
      attnOut: tensor(`${p}attnOut.kernel`, l.attnOut),
      mlpNorm: tensor(`${p}mlpNorm.scale`, l.mlpNorm),
      mlpIn: tensor(`${p}mlpIn.kernel`, l.mlpIn),
      mlpOut: tensor(`${p}mlpOut.kernel`, l.mlpOut),
    };
  });
  return {
    tokEmbeddings: w.tokEmbeddings,
    embeddingNorm: tensor('embeddings.norm.scale', w.embeddingNorm),
    layers,
    finalNorm: tensor(`layers.${last}.finalNorm.scale`, w.finalNorm),
  };
}
