/**
 * Picks NomicBERT's tensors out of its weight files by their PyTorch names, each
 * shape checked against config.json (a checkpoint that does not match is reported by
 * file and tensor name). A NomicBertModel file names them
 *
 *   embeddings.word_embeddings.weight, embeddings.token_type_embeddings.weight,
 *   emb_ln.{weight,bias},
 *   encoder.layers.<l>.attn.Wqkv.{weight,bias}      [3H, H]: rows q, k, v, each (head, d)
 *   encoder.layers.<l>.attn.out_proj.{weight,bias}
 *   encoder.layers.<l>.norm1 / norm2.{weight,bias}
 *   encoder.layers.<l>.mlp.fc11 (value), fc12 (gate), fc2 .{weight,bias}
 *
 * with biases only where the config's flags say; a pre-training checkpoint puts
 * "bert." in front, which we find from the word embeddings.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ReplaceWeight } from '../named-weights.ts';
import type { EmbeddingTable } from './embedding-table.ts';
import type { WeightSource } from './formats/open-weights.ts';
import type { NomicBertConfig } from './nomic-bert-config.ts';
import type { Norm } from './ops.ts';
import { pickWeights, type WeightPicker } from './weight-picker.ts';

/** A linear map whose bias may be absent (NomicBERT's bias flags). Kernel [in, out]. */
export interface Projection {
  kernel: tf.Tensor2D;
  bias?: tf.Tensor1D;
}

export interface NomicLayerWeights {
  /** Wqkv, [H, 3H]: q, k, v side by side. */
  qkv: Projection;
  attentionOut: Projection;
  attentionNorm: Norm;
  /** fc11: the value the gate multiplies. */
  up: Projection;
  /** fc12: goes through the activation. */
  gate: Projection;
  /** fc2 */
  down: Projection;
  outputNorm: Norm;
}

export interface NomicWeights {
  /** Kept out of TF.js (embedding-table.ts). */
  wordEmbeddings: EmbeddingTable;
  /** Row 0 of the token-type table (single texts only use type 0); absent with type_vocab_size 0. */
  tokenType?: tf.Tensor1D;
  embeddingNorm: Norm;
  layers: NomicLayerWeights[];
}

const WORD_EMBEDDINGS = 'embeddings.word_embeddings.weight';

/** Builds every weight tensor; on any problem, frees what was already built. */
export function loadNomicWeights(source: WeightSource, config: NomicBertConfig, file: string): NomicWeights {
  return pickWeights(source, file, WORD_EMBEDDINGS, config.modelType, (p) => pick(p, config));
}

function pick({ raw, keep, vector, table, kernel }: WeightPicker, c: NomicBertConfig): NomicWeights {
  const projection = (name: string, inp: number, out: number, bias: boolean): Projection => ({
    kernel: kernel(name, inp, out),
    bias: bias ? vector(`${name}.bias`, out) : undefined,
  });
  const norm = (name: string, size: number): Norm => ({ scale: vector(`${name}.weight`, size), bias: vector(`${name}.bias`, size) });

  const h = c.hiddenSize;
  const f = c.intermediateSize;
  const wordEmbeddings = table(WORD_EMBEDDINGS, c.vocabSize, h);
  let tokenType: tf.Tensor1D | undefined;
  if (c.typeVocabSize > 0) tokenType = keep(tf.tensor1d(raw('embeddings.token_type_embeddings.weight', [c.typeVocabSize, h]).subarray(0, h)));
  const embeddingNorm = norm('emb_ln', h);
  const layers: NomicLayerWeights[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const p = `encoder.layers.${l}.`;
    layers.push({
      qkv: projection(`${p}attn.Wqkv`, h, 3 * h, c.qkvBias),
      attentionOut: projection(`${p}attn.out_proj`, h, h, c.qkvBias),
      attentionNorm: norm(`${p}norm1`, h),
      up: projection(`${p}mlp.fc11`, h, f, c.fc1Bias),
      gate: projection(`${p}mlp.fc12`, h, f, c.fc1Bias),
      down: projection(`${p}mlp.fc2`, f, h, c.fc2Bias),
      outputNorm: norm(`${p}norm2`, h),
    });
  }
  return { wordEmbeddings, tokenType, embeddingNorm, layers };
}

const PROJECTIONS = ['qkv', 'attentionOut', 'up', 'gate', 'down'] as const;
const NORMS = ['attentionNorm', 'outputNorm'] as const;

/**
 * `w` with every tensor passed through `replace(name, tensor)` in a fixed order:
 * "embeddings.tokenType", "embeddings.norm.{scale,bias}",
 * "layers.<l>.<qkv|attentionOut|up|gate|down>.{kernel,bias}" (biases where present),
 * "layers.<l>.<attentionNorm|outputNorm>.{scale,bias}". The word-embedding table is no
 * tensor: shared as it is.
 */
export function mapNomicWeights(w: NomicWeights, replace: ReplaceWeight): NomicWeights {
  const tensor = <T extends tf.Tensor>(name: string, t: T) => replace(name, t) as T;
  const projection = (name: string, p: Projection): Projection => ({
    kernel: tensor(`${name}.kernel`, p.kernel),
    bias: p.bias && tensor(`${name}.bias`, p.bias),
  });
  const norm = (name: string, n: Norm): Norm => ({ scale: tensor(`${name}.scale`, n.scale), bias: tensor(`${name}.bias`, n.bias) });
  const layer = (l: NomicLayerWeights, index: number): NomicLayerWeights => {
    const out = {} as NomicLayerWeights;
    for (const key of PROJECTIONS) out[key] = projection(`layers.${index}.${key}`, l[key]);
    for (const key of NORMS) out[key] = norm(`layers.${index}.${key}`, l[key]);
    return out;
  };
  return {
    wordEmbeddings: w.wordEmbeddings,
    tokenType: w.tokenType && tensor('embeddings.tokenType', w.tokenType),
    embeddingNorm: norm('embeddings.norm', w.embeddingNorm),
    layers: w.layers.map(layer),
  };
}
