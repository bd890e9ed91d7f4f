/**
 * The BERT family as sentence-transformers runs it, one class for the four variants
 * (they differ in where positions start, token types and whether attention has a bias):
 *
 *   BERT (MiniLM, bge, e5, gte): positions 0..S−1, token type 0 added.
 *   RoBERTa, DistilRoBERTa, XLM-R: positions count non-padding tokens from
 *     padding_idx + 1 (a padding token itself sits at padding_idx), token type 0.
 *   MPNet: positions as RoBERTa, no token types, and a relative position bias shared
 *     by every layer added to the attention scores.
 *   DistilBERT: positions as BERT, no token types; its weights have names of their own.
 *
 * Each layer is post-norm: a = LN(x + Attn(x)), y = LN(a + W₂·act(W₁·a)). Sequences
 * come one per batch row without padding, so attention needs no mask. Every stage
 * after the embedding has its tangent rule beside it (TangentEncoder); pooling, the
 * Dense modules and normalisation are shared by every family (sentence-encoder.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerDims } from '../dims.ts';
import type { ReplaceWeight } from '../named-weights.ts';
import {
  attentionTangent,
  denseTangent,
  layerNormTangent,
  type Dual3,
} from '../tangent.ts';
import { BERT_MODEL_TYPES, estimateBertBytes, parseBertConfig, type BertConfig } from './bert-config.ts';
import type { HfCheckpoint } from './checkpoint.ts';
import type { DenseWeights } from './dense.ts';
import type { Family } from './families.ts';
import { relativePositionBias } from './mpnet.ts';
import { combineHeads, combineTangentHeads, foldHeads, splitHeads, splitTangentHeads } from '../heads.ts';
import { activation, activationTangent, layerNorm, linear } from './ops.ts';
import { HfSentenceEncoder } from './sentence-encoder.ts';
import type { HfTokenizer } from './tokenizer.ts';
import { loadEncoderWeights, mapEncoderWeights, type EncoderWeights, type LayerWeights } from './weights.ts';

export class BertEncoder extends HfSentenceEncoder<BertConfig, EncoderWeights> {
  constructor(id: string, checkpoint: HfCheckpoint<BertConfig>, weights: EncoderWeights, dense: readonly DenseWeights[], tokenizer: HfTokenizer) {
    super(id, checkpoint, weights, dense, tokenizer);
  }

  /** Every layer h → h wide with an FFN of intermediate_size. */
  protected layerDims(): LayerDims[] {
    const c = this.config;
    return new Array<LayerDims>(c.numLayers).fill({ hIn: c.hiddenSize, attn: c.hiddenSize, hOut: c.hiddenSize, ffn: c.intermediateSize, denseResidual: false });
  }

  /** Names: weights.ts (mapEncoderWeights); MPNet's relative position bias is shared by every layer, so it stays frozen. */
  protected mapWeights(weights: EncoderWeights, replace: ReplaceWeight): EncoderWeights {
    return mapEncoderWeights(weights, replace);
  }

  protected rebuild(id: string, weights: EncoderWeights, dense: readonly DenseWeights[]): BertEncoder {
    return new BertEncoder(id, this.checkpoint, weights, dense, this.tokenizer);
  }

  /** Position ids as transformers computes them from the input ids (no padding beyond the pad tokens themselves). */
  positionIds(ids: readonly number[]): number[] {
    const c = this.config;
    if (c.architecture === 'bert' || c.architecture === 'distilbert') return ids.map((_, i) => i);
    const pad = this.config.padTokenId;
    let count = 0;
    return ids.map((id) => (id === pad ? pad : pad + ++count));
  }

  embed(ids: readonly number[]): tf.Tensor3D {
    this.checkIds(ids);
    const positions = this.positionIds(ids);
    const last = Math.max(...positions, 0);
    if (last >= this.config.maxPositionEmbeddings) throw new Error(`${this.id} has no position ${last}`);
    const w = this.weights;
    return tf.tidy(() => {
      let e = w.wordEmbeddings.gather(ids);
      if (w.tokenType) e = tf.add(e, w.tokenType);
      e = tf.add(e, tf.gather(w.positionEmbeddings, tf.tensor1d(positions, 'int32')));
      return tf.expandDims(layerNorm(e, w.embeddingNorm, this.config.layerNormEps), 0) as tf.Tensor3D;
    });
  }

  private layerWeights(l: number): LayerWeights {
    const w = this.weights.layers[l];
    if (!w) throw new Error(`${this.id} has no layer ${l} (it has ${this.numLayers})`);
    return w;
  }

  /** The additive attention bias, [1, heads, S, S], or undefined (BERT, RoBERTa). */
  private positionBias(s: number): tf.Tensor4D | undefined {
    const table = this.weights.relativeAttentionBias;
    return table ? relativePositionBias(table, s) : undefined;
  }

  layer(l: number, x: tf.Tensor3D): tf.Tensor3D {
    const w = this.layerWeights(l);
    const eps = this.config.layerNormEps;
    return tf.tidy(() => {
      const heads = this.config.numHeads;
      const [q, k, v] = tf.split(linear(x, w.qkv), 3, -1) as tf.Tensor3D[];
      const scale = 1 / Math.sqrt(this.config.hiddenSize / heads);
      let scores = tf.mul(tf.matMul(splitHeads(q, heads), splitHeads(k, heads), false, true), scale) as tf.Tensor4D;
      const bias = this.positionBias(x.shape[1]);
      if (bias) scores = tf.add(scores, bias);
      const context = combineHeads(tf.matMul(tf.softmax(scores), splitHeads(v, heads)) as tf.Tensor4D);
      const a = layerNorm(tf.add(linear(context, w.attentionOut), x) as tf.Tensor3D, w.attentionNorm, eps);
      const ffn = linear(activation(this.config.activation, linear(a, w.intermediate)), w.output);
      return layerNorm(tf.add(ffn, a) as tf.Tensor3D, w.outputNorm, eps);
    });
  }

  layerJvp(l: number, d: Dual3): Dual3 {
    const w = this.layerWeights(l);
    const eps = this.config.layerNormEps;
    const act = this.config.activation;
    return tf.tidy(() => {
      const att = this.attentionJvp(w, d);
      const preA = tf.add(att.x, d.x) as tf.Tensor3D;
      const dPreA = tf.add(att.dx, d.dx) as tf.Tensor4D;
      const a = layerNorm(preA, w.attentionNorm, eps);
      const da = layerNormTangent(preA, dPreA, w.attentionNorm.scale, eps) as tf.Tensor4D;

      const pre = linear(a, w.intermediate);
      const dPre = denseTangent(da, w.intermediate.kernel);
      const ffn = linear(activation(act, pre), w.output);
      const dFfn = denseTangent(activationTangent(act, pre, dPre) as tf.Tensor4D, w.output.kernel);

      const preY = tf.add(ffn, a) as tf.Tensor3D;
      const dPreY = tf.add(dFfn, da) as tf.Tensor4D;
      return {
        x: layerNorm(preY, w.outputNorm, eps),
        dx: layerNormTangent(preY, dPreY, w.outputNorm.scale, eps) as tf.Tensor4D,
      };
    });
  }

  /** Self-attention with its output projection, and the tangent (the position bias is constant). */
  private attentionJvp(w: LayerWeights, d: Dual3): Dual3 {
    return tf.tidy(() => {
      const heads = this.config.numHeads;
      const b = d.x.shape[0];
      const scale = 1 / Math.sqrt(this.config.hiddenSize / heads);
      const [q, k, v] = tf.split(linear(d.x, w.qkv), 3, -1) as tf.Tensor3D[];
      const [dq, dk, dv] = tf.split(denseTangent(d.dx, w.qkv.kernel), 3, -1) as tf.Tensor4D[];

      // The primal exactly as layer() computes it, then folded to [B·heads, S, d].
      const q4 = splitHeads(q, heads);
      const k4 = splitHeads(k, heads);
      const v4 = splitHeads(v, heads);
      let scores = tf.mul(tf.matMul(q4, k4, false, true), scale) as tf.Tensor4D;
      const bias = this.positionBias(d.x.shape[1]);
      if (bias) scores = tf.add(scores, bias);
      const p4 = tf.softmax(scores) as tf.Tensor4D;
      const context = combineHeads(tf.matMul(p4, v4) as tf.Tensor4D);

      const qf = foldHeads(q4);
      const kf = foldHeads(k4);
      const vf = foldHeads(v4);
      const p = foldHeads(p4);
      const dqf = splitTangentHeads(dq, heads);
      const dkf = splitTangentHeads(dk, heads);
      const dvf = splitTangentHeads(dv, heads);

      const dContext = attentionTangent(qf, kf, vf, p, dqf, dkf, dvf, scale);
      return {
        x: linear(context, w.attentionOut),
        dx: denseTangent(combineTangentHeads(dContext, b), w.attentionOut.kernel),
      };
    });
  }

}

/** BERT, RoBERTa (XLM-R, CamemBERT), MPNet and DistilBERT: one family, one class. */
export const BERT_FAMILY: Family<BertConfig> = {
  name: 'BERT family',
  modelTypes: Object.keys(BERT_MODEL_TYPES),
  parseConfig: parseBertConfig,
  estimateBytes: estimateBertBytes,
  build: (id, checkpoint, source, dense, tokenizer) =>
    new BertEncoder(id, checkpoint, loadEncoderWeights(source, checkpoint.config, source.file), dense, tokenizer),
};
