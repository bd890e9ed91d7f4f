/**
 * A Hugging Face encoder's weights by name (BERT, RoBERTa, MPNet; src/model/hf/), for
 * its exact variant. The copy is a new HfEncoder sharing the original's checkpoint
 * description and tokenizer (plain data, no tensors), so the variant tokenizes and
 * builds its padding reference exactly as the original does.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { HfEncoder } from '../model/hf/bert.ts';
import type { Linear, Norm } from '../model/hf/ops.ts';
import type { DenseWeights, EncoderWeights, LayerWeights } from '../model/hf/weights.ts';
import { DistillError } from './errors.ts';
import { namedWeights, type NamedWeights, type ReplaceWeight } from './named-weights.ts';

const LINEARS = ['qkv', 'attentionOut', 'intermediate', 'output'] as const;
const NORMS = ['attentionNorm', 'outputNorm'] as const;

function mapEncoderWeights(w: EncoderWeights, replace: ReplaceWeight): EncoderWeights {
  const tensor = <T extends tf.Tensor>(name: string, t: T) => replace(name, t) as T;
  const linear = (name: string, l: Linear): Linear => ({ kernel: tensor(`${name}.kernel`, l.kernel), bias: tensor(`${name}.bias`, l.bias) });
  const norm = (name: string, n: Norm): Norm => ({ scale: tensor(`${name}.scale`, n.scale), bias: tensor(`${name}.bias`, n.bias) });
  const layer = (l: LayerWeights, index: number): LayerWeights => {
    const out = {} as LayerWeights;
    for (const key of LINEARS) out[key] = linear(`layers.${index}.${key}`, l[key]);
    for (const key of NORMS) out[key] = norm(`layers.${index}.${key}`, l[key]);
    return out;
  };
  const dense = (d: DenseWeights, index: number): DenseWeights => ({ ...linear(`dense.${index}`, d), activation: d.activation });
  return {
    wordEmbeddings: tensor('embeddings.word', w.wordEmbeddings),
    positionEmbeddings: tensor('embeddings.position', w.positionEmbeddings),
    tokenType: w.tokenType && tensor('embeddings.tokenType', w.tokenType),
    embeddingNorm: norm('embeddings.norm', w.embeddingNorm),
    layers: w.layers.map(layer),
    relativeAttentionBias: w.relativeAttentionBias && tensor('relativeAttentionBias', w.relativeAttentionBias),
    dense: w.dense.map(dense),
  };
}

/**
 * Names: "embeddings.{word,position,tokenType}", "embeddings.norm.{scale,bias}",
 * "layers.<l>.{qkv,attentionOut,intermediate,output}.{kernel,bias}",
 * "layers.<l>.{attentionNorm,outputNorm}.{scale,bias}", "relativeAttentionBias"
 * (MPNet), "dense.<i>.{kernel,bias}" (Dense modules).
 *
 * Trainable: the transformer layers (the last one only for 'top') and the Dense
 * modules. Frozen: the embeddings with their LayerNorm, and MPNet's relative position
 * bias, which like the position table is looked up by tf.gather (no WASM gradient) and
 * is shared by every layer, so 'top' could not change it for the last layer alone.
 *
 * Refuses an exact checkpoint (the papers' shifted model): it maps its reference to 0
 * already, and its forward pass subtracts the reference's states inside pooling, which
 * a second shift would not undo.
 */
export function namedHfWeights(model: HfEncoder): NamedWeights<HfEncoder> {
  if (model.exact) {
    throw new DistillError(
      `model "${model.id}" is already exact (a shifted checkpoint from the papers' code: its reference maps to 0); it needs no exact variant`,
    );
  }
  return namedWeights({
    kind: model.config.architecture,
    weights: model.weights,
    map: mapEncoderWeights,
    numLayers: model.weights.layers.length,
    isHead: (name) => name.startsWith('dense.'),
    build: (id, weights) => new HfEncoder(id, model.checkpoint, weights, model.tokenizer),
  });
}
