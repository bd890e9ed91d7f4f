/**
 * The BERT family as sentence-transformers runs it, one class for the three variants
 * (they differ only in where positions start and whether attention has a bias):
 *
 *   BERT (MiniLM, bge, e5, gte): positions 0..S−1, token type 0 added.
 *   RoBERTa, DistilRoBERTa, XLM-R: positions count non-padding tokens from
 *     padding_idx + 1 (a padding token itself sits at padding_idx), token type 0.
 *   MPNet: positions as RoBERTa, no token types, and a relative position bias shared
 *     by every layer added to the attention scores.
 *
 * Each layer is post-norm: a = LN(x + Attn(x)), y = LN(a + W₂·act(W₁·a)). Sequences
 * come one per batch row without padding, so attention needs no mask. Every stage
 * after the embedding has its tangent rule beside it (TangentEncoder).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDims } from '../dims.ts';
import type { TokenizedText } from '../encoder.ts';
import type { Reference } from '../reference.ts';
import {
  denseTangent,
  l2NormalizeJvp,
  layerNormTangent,
  matMulPrimalByTangents,
  matMulTangentsByPrimal,
  softmaxTangent,
  tanhTangent,
  type Dual2,
  type Dual3,
  type TangentEncoder,
} from '../tangent.ts';
import type { EncoderConfig, HfCheckpoint } from './checkpoint.ts';
import { relativePositionBias } from './mpnet.ts';
import { combineHeads, combineTangentHeads, foldHeads, splitHeads, splitTangentHeads } from '../heads.ts';
import { activation, activationTangent, layerNorm, linear } from './ops.ts';
import { pool, poolJvp } from './pooling.ts';
import type { HfTokenizer } from './tokenizer.ts';
import { encoderWeightTensors, mapEncoderWeights, type EncoderWeights, type LayerWeights } from './weights.ts';
import { namedWeights, type NamedWeights } from '../named-weights.ts';

/** sentence-transformers' Normalize: x / max(‖x‖, 1e-12), i.e. a clamp of 1e-24 on ‖x‖². */
const NORMALIZE_EPSILON = 1e-24;

export class HfEncoder implements TangentEncoder {
  readonly numLayers: number;
  readonly maxTokens: number;
  readonly outputSize: number;
  readonly vocabSize: number;
  readonly smooth: boolean;
  /**
   * The checkpoint is the papers' shifted (exact) model: as their code does, pooling
   * sees the token states minus those of the reference ids `referenceIds` gives, so
   * the embedding is ẽ(x) and the reference maps to 0 (for linear pooling modes).
   */
  readonly exact: boolean;
  readonly config: EncoderConfig;
  /** Padding token: what ordinary tokens become in the attribution reference. */
  readonly padTokenId: number;
  /** The padding reference (referenceIds): frame tokens kept, the rest the padding token. */
  readonly defaultReference: Reference = { kind: 'padding' };

  constructor(
    readonly id: string,
    readonly checkpoint: HfCheckpoint,
    readonly weights: EncoderWeights,
    readonly tokenizer: HfTokenizer,
  ) {
    this.config = checkpoint.config;
    this.numLayers = this.config.numLayers;
    this.maxTokens = tokenizer.maxTokens;
    this.vocabSize = this.config.vocabSize;
    this.smooth = this.config.activation !== 'relu' && !checkpoint.pooling.includes('max');
    this.exact = checkpoint.exact;
    this.padTokenId = this.config.padTokenId;
    const pooled = checkpoint.pooling.length * this.config.hiddenSize;
    this.outputSize = weights.dense.length > 0 ? weights.dense[weights.dense.length - 1].kernel.shape[1] : pooled;
  }

  /** Every layer h → h wide with an FFN of intermediate_size; the Dense modules after pooling. */
  get dims(): ModelDims {
    const c = this.config;
    const layer = { hIn: c.hiddenSize, attn: c.hiddenSize, hOut: c.hiddenSize, ffn: c.intermediateSize, denseResidual: false };
    return {
      layers: new Array<typeof layer>(c.numLayers).fill(layer),
      head: this.weights.dense.map((d) => [d.kernel.shape[0], d.kernel.shape[1]] as const),
    };
  }

  tokenize(text: string): TokenizedText {
    return this.tokenizer.tokenize(text);
  }

  /**
   * The attribution reference for these ids (docs/method.md "Reference"): the special
   * tokens that frame every text kept, every other token (including [UNK]) replaced
   * by the padding token. For the papers' exact
   * checkpoints, the literal ids their code subtracts: [0] + [1]·(S−2) + [2].
   */
  referenceIds(ids: readonly number[]): number[] {
    if (this.exact) return ids.map((_, i) => (i === 0 ? 0 : i === ids.length - 1 ? 2 : 1));
    return ids.map((id) => (this.tokenizer.frameIds.has(id) ? id : this.padTokenId));
  }

  /** Position ids as transformers computes them from the input ids (no padding beyond the pad tokens themselves). */
  positionIds(ids: readonly number[]): number[] {
    if (this.config.architecture === 'bert') return ids.map((_, i) => i);
    const pad = this.padTokenId;
    let count = 0;
    return ids.map((id) => (id === pad ? pad : pad + ++count));
  }

  embed(ids: readonly number[]): tf.Tensor3D {
    if (ids.length > this.maxTokens) throw new Error(`${this.id} takes at most ${this.maxTokens} tokens, got ${ids.length}`);
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= this.vocabSize);
    if (bad !== undefined) throw new Error(`token id ${bad} is outside the vocabulary (0..${this.vocabSize - 1})`);
    const positions = this.positionIds(ids);
    const last = Math.max(...positions, 0);
    if (last >= this.config.maxPositionEmbeddings) throw new Error(`${this.id} has no position ${last}`);
    const w = this.weights;
    return tf.tidy(() => {
      let e = tf.gather(w.wordEmbeddings, tf.tensor1d(ids as number[], 'int32')) as tf.Tensor2D;
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

      // ż = (Q̇Kᵀ + QK̇ᵀ)·scale, the second as (K̇Qᵀ)ᵀ so both are tangent-by-primal matmuls.
      const dScores = tf.mul(
        tf.add(matMulTangentsByPrimal(dqf, kf, true), tf.transpose(matMulTangentsByPrimal(dkf, qf, true), [0, 1, 3, 2])),
        scale,
      ) as tf.Tensor4D;
      const dp = softmaxTangent(p, dScores) as tf.Tensor4D;
      const dContext = tf.add(matMulTangentsByPrimal(dp, vf), matMulPrimalByTangents(p, dvf)) as tf.Tensor4D;
      return {
        x: linear(context, w.attentionOut),
        dx: denseTangent(combineTangentHeads(dContext, b), w.attentionOut.kernel),
      };
    });
  }

  /**
   * Weights by name: "embeddings.{word,position,tokenType}", "embeddings.norm.{scale,bias}",
   * "layers.<l>.{qkv,attentionOut,intermediate,output}.{kernel,bias}",
   * "layers.<l>.{attentionNorm,outputNorm}.{scale,bias}", "relativeAttentionBias"
   * (MPNet), "dense.<i>.{kernel,bias}" (Dense modules).
   *
   * Trainable: the transformer layers (the last one only for 'top') and the Dense
   * modules. Frozen: the embeddings with their LayerNorm, and MPNet's relative position
   * bias, which like the position table is looked up by tf.gather (no WASM gradient) and
   * is shared by every layer, so 'top' could not change it for the last layer alone.
   *
   * An exact checkpoint (the papers' shifted model) has names too, but no exact
   * variant is made of it (src/exact/trainable.ts): it maps its reference to 0
   * already, and its forward pass subtracts the reference's states inside pooling,
   * which a second shift would not undo.
   */
  namedWeights(): NamedWeights<HfEncoder> {
    return namedWeights({
      kind: this.config.architecture,
      weights: this.weights,
      map: mapEncoderWeights,
      numLayers: this.weights.layers.length,
      isHead: (name) => name.startsWith('dense.'),
      build: (id, weights) => new HfEncoder(id, this.checkpoint, weights, this.tokenizer),
    });
  }

  pool(x: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => pool(this.checkpoint.pooling, this.shifted(x)));
  }

  poolJvp(d: Dual3): Dual2 {
    // The shift is a constant of the input length, so the tangents pass unchanged.
    return tf.tidy(() => poolJvp(this.checkpoint.pooling, { x: this.shifted(d.x), dx: d.dx }));
  }

  /**
   * Exact checkpoints: token states after the last layer minus the reference's
   * ([0] + [1]·(S−2) + [2] through every layer; recomputed per call, one short
   * sequence, so nothing is kept between calls). Other models: x itself.
   */
  private shifted(x: tf.Tensor3D): tf.Tensor3D {
    if (!this.exact) return x;
    return tf.tidy(() => {
      let r = this.embed(this.referenceIds(new Array<number>(x.shape[1]).fill(0)));
      for (let l = 0; l < this.numLayers; l++) r = this.layer(l, r);
      return tf.sub(x, r) as tf.Tensor3D;
    });
  }

  head(pooled: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let y = pooled;
      for (const dense of this.weights.dense) {
        y = linear(y, dense);
        if (dense.activation === 'tanh') y = tf.tanh(y);
      }
      // Every stage returns a tensor of its own, so callers may dispose input and output independently.
      return y === pooled ? tf.clone(pooled) : y;
    });
  }

  headJvp(d: Dual2): Dual2 {
    return tf.tidy(() => {
      let { x, dx } = d;
      for (const dense of this.weights.dense) {
        x = linear(x, dense);
        dx = denseTangent(dx, dense.kernel);
        if (dense.activation === 'tanh') {
          x = tf.tanh(x);
          dx = tanhTangent(x, dx) as tf.Tensor3D;
        }
      }
      return x === d.x ? { x: tf.clone(x), dx: tf.clone(dx) } : { x, dx };
    });
  }

  normalize(e: tf.Tensor2D): tf.Tensor2D {
    if (!this.checkpoint.normalize) return tf.clone(e);
    return tf.tidy(() => tf.mul(e, tf.rsqrt(tf.maximum(tf.sum(tf.square(e), -1, true), NORMALIZE_EPSILON))) as tf.Tensor2D);
  }

  normalizeJvp(d: Dual2): Dual2 {
    if (!this.checkpoint.normalize) return { x: tf.clone(d.x), dx: tf.clone(d.dx) };
    return l2NormalizeJvp(d, NORMALIZE_EPSILON);
  }

  dispose(): void {
    tf.dispose(encoderWeightTensors(this.weights));
  }
}
