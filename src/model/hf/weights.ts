/**
 * Picks the tensors of a BERT, RoBERTa, MPNet or DistilBERT checkpoint out of its weight files by
 * their PyTorch names, checking each shape against config.json, so a checkpoint that
 * does not match its config is reported by file and tensor name.
 *
 * Names may carry the task head's prefix ("bert.", "roberta.", "mpnet.", "distilbert.") when the file
 * was saved from a model with a head; we find it from the word embeddings.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BertArchitecture, BertConfig } from './bert-config.ts';
import type { EmbeddingTable } from './embedding-table.ts';
import type { Linear, Norm } from './ops.ts';
import type { ReplaceWeight } from '../named-weights.ts';
import type { WeightSource } from './formats/open-weights.ts';
import { pickWeights, type WeightPicker } from './weight-picker.ts';

export interface LayerWeights {
  /** Query, key and value fused into one [H, 3H] kernel: one matmul instead of three. */
  qkv: Linear;
  attentionOut: Linear;
  attentionNorm: Norm;
  intermediate: Linear;
  output: Linear;
  outputNorm: Norm;
}

export interface EncoderWeights {
  /** Kept out of TF.js (embedding-table.ts). */
  wordEmbeddings: EmbeddingTable;
  positionEmbeddings: tf.Tensor2D;
  /** Row 0 of the token-type table (single-sentence inputs only use type 0); MPNet has none. */
  tokenType?: tf.Tensor1D;
  embeddingNorm: Norm;
  layers: LayerWeights[];
  /** MPNet: [buckets, heads], shared by every layer. */
  relativeAttentionBias?: tf.Tensor2D;
}

const WORD_EMBEDDINGS = 'embeddings.word_embeddings.weight';

/** PyTorch names of layer `l`'s modules in each variant. */
function layerNames(architecture: BertArchitecture, l: number) {
  if (architecture === 'distilbert') {
    const p = `transformer.layer.${l}.`;
    return {
      q: `${p}attention.q_lin`,
      k: `${p}attention.k_lin`,
      v: `${p}attention.v_lin`,
      o: `${p}attention.out_lin`,
      attentionNorm: `${p}sa_layer_norm`,
      ffnIn: `${p}ffn.lin1`,
      ffnOut: `${p}ffn.lin2`,
      outputNorm: `${p}output_layer_norm`,
    };
  }
  const p = `encoder.layer.${l}.`;
  const attention =
    architecture === 'mpnet'
      ? { q: `${p}attention.attn.q`, k: `${p}attention.attn.k`, v: `${p}attention.attn.v`, o: `${p}attention.attn.o`, attentionNorm: `${p}attention.LayerNorm` }
      : {
          q: `${p}attention.self.query`,
          k: `${p}attention.self.key`,
          v: `${p}attention.self.value`,
          o: `${p}attention.output.dense`,
          attentionNorm: `${p}attention.output.LayerNorm`,
        };
  return { ...attention, ffnIn: `${p}intermediate.dense`, ffnOut: `${p}output.dense`, outputNorm: `${p}output.LayerNorm` };
}

/** Builds every weight tensor; on any problem, frees what was already built. */
export function loadEncoderWeights(
  source: WeightSource,
  config: BertConfig,
  fileName: string,
): EncoderWeights {
  // A "has no tensor" error names the current LayerNorm names, not their gamma/beta aliases.
  return pickWeights(source, fileName, WORD_EMBEDDINGS, config.modelType, (p) => pick(p, config), { missing: 'first' });
}

function pick({ raw, keep, vector, matrix, table, kernel, fusedKernel }: WeightPicker, c: BertConfig): EncoderWeights {
  const linearOf = (name: string, inp: number, out: number): Linear => ({
    kernel: kernel(name, inp, out),
    bias: vector(`${name}.bias`, out),
  });
  // Old TF-converted checkpoints name LayerNorm parameters gamma/beta.
  const norm = (name: string, size: number): Norm => ({
    scale: vector([`${name}.weight`, `${name}.gamma`], size),
    bias: vector([`${name}.bias`, `${name}.beta`], size),
  });

  const h = c.hiddenSize;
  const mpnet = c.architecture === 'mpnet';
  // Embeddings first: a file from another architecture then fails on the first tensor users know.
  const wordEmbeddings = table(WORD_EMBEDDINGS, c.vocabSize, h);
  const positionEmbeddings = matrix('embeddings.position_embeddings.weight', c.maxPositionEmbeddings, h);
  let tokenType: tf.Tensor1D | undefined;
  if (c.typeVocabSize > 0) {
    const table = raw('embeddings.token_type_embeddings.weight', [c.typeVocabSize, h]);
    tokenType = keep(tf.tensor1d(table.subarray(0, h)));
  }
  const embeddingNorm = norm('embeddings.LayerNorm', h);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const names = layerNames(c.architecture, l);
    const qkvKernel = fusedKernel(h, [
      [names.q, h],
      [names.k, h],
      [names.v, h],
    ]);
    const qkvBias = keep(tf.tidy(() => tf.concat([names.q, names.k, names.v].map((n) => tf.tensor1d(raw(`${n}.bias`, [h]))))));
    layers.push({
      qkv: { kernel: qkvKernel, bias: qkvBias },
      attentionOut: linearOf(names.o, h, h),
      attentionNorm: norm(names.attentionNorm, h),
      intermediate: linearOf(names.ffnIn, h, c.intermediateSize),
      output: linearOf(names.ffnOut, c.intermediateSize, h),
      outputNorm: norm(names.outputNorm, h),
    });
  }

  return {
    wordEmbeddings,
    positionEmbeddings,
    tokenType,
    embeddingNorm,
    layers,
    relativeAttentionBias: mpnet
      ? matrix('encoder.relative_attention_bias.weight', c.relativeAttentionBuckets, c.numHeads)
      : undefined,
  };
}

const LINEARS = ['qkv', 'attentionOut', 'intermediate', 'output'] as const;
const NORMS = ['attentionNorm', 'outputNorm'] as const;

/**
 * `w` with every tensor passed through `replace(name, tensor)`, in a fixed order (names:
 * BertEncoder.namedWeights). The word-embedding table is no tensor: shared as it is.
 */
export function mapEncoderWeights(w: EncoderWeights, replace: ReplaceWeight): EncoderWeights {
  const tensor = <T extends tf.Tensor>(name: string, t: T) => replace(name, t) as T;
  const linear = (name: string, l: Linear): Linear => ({ kernel: tensor(`${name}.kernel`, l.kernel), bias: tensor(`${name}.bias`, l.bias) });
  const norm = (name: string, n: Norm): Norm => ({ scale: tensor(`${name}.scale`, n.scale), bias: tensor(`${name}.bias`, n.bias) });
  const layer = (l: LayerWeights, index: number): LayerWeights => {
    const out = {} as LayerWeights;
    for (const key of LINEARS) out[key] = linear(`layers.${index}.${key}`, l[key]);
    for (const key of NORMS) out[key] = norm(`layers.${index}.${key}`, l[key]);
    return out;
  };
  return {
    wordEmbeddings: w.wordEmbeddings,
    positionEmbeddings: tensor('embeddings.position', w.positionEmbeddings),
    tokenType: w.tokenType && tensor('embeddings.tokenType', w.tokenType),
    embeddingNorm: norm('embeddings.norm', w.embeddingNorm),
    layers: w.layers.map(layer),
    relativeAttentionBias: w.relativeAttentionBias && tensor('relativeAttentionBias', w.relativeAttentionBias),
  };
}
