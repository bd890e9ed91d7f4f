/**
 * ModernBERT as sentence-transformers runs it (gte-modernbert-base,
 * modernbert-embed-base), following transformers' modeling_modernbert.py:
 *
 *   embedding   x₀ = LN(E[ids])                      (LayerNorm without bias, eps norm_eps)
 *   layer l     a = x + Wo·Attn(LNₐ(x))              (LNₐ is the identity in layer 0)
 *               y = a + W_o·(act(u) ⊙ g),  [u, g] = W_i·LNₘ(a)   (u: first half of W_i's output)
 *   last layer  also y ← LN_final(y), so pooling sees transformers' last_hidden_state.
 *
 * Attention: Wqkv gives q, k, v (each heads·d wide); q and k are rotated (rotary.ts,
 * positions 0..S−1) with base global_rope_theta in global layers and local_rope_theta
 * in local ones; scores q·kᵀ/√d. Layer l is global when l % global_attn_every_n_layers
 * == 0; the others see only tokens within ⌊local_attention/2⌋ positions on either side
 * (an additive mask, constant in the input, so it has no tangent). No module has a
 * bias. Sequences come one per batch row without padding, so there is no padding mask.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerDims } from '../dims.ts';
import { combineHeads, combineTangentHeads, foldHeads, splitHeads, splitTangentHeads } from '../heads.ts';
import type { ReplaceWeight } from '../named-weights.ts';
import { attentionTangent, denseTangent, layerNormTangent, type Dual3 } from '../tangent.ts';
import type { HfCheckpoint } from './checkpoint.ts';
import type { DenseWeights } from './dense.ts';
import type { Family } from './families.ts';
import { estimateModernBertBytes, MODERNBERT_MODEL_TYPE, parseModernBertConfig, type ModernBertConfig } from './modernbert-config.ts';
import { loadModernBertWeights, mapModernBertWeights, type ModernBertLayerWeights, type ModernBertWeights } from './modernbert-weights.ts';
import { gated, gatedTangent } from './ops.ts';
import { applyRotary, rotaryTables } from './rotary.ts';
import { HfSentenceEncoder } from './sentence-encoder.ts';
import type { HfTokenizer } from './tokenizer.ts';

/**
 * What masked scores get. transformers adds float32's lowest value; any value this
 * far below real scores gives the same exact zeros after the softmax, without the
 * risk of overflowing to −∞ (and NaN gradients) on other backends.
 */
const MASKED_SCORE = -1e9;

/** x·W over the last axis, for any leading shape (ModernBERT's linears have no bias). */
export function project<T extends tf.Tensor>(x: T, kernel: tf.Tensor2D): T {
  return tf.tidy(() => {
    const shape = x.shape;
    const k = shape[shape.length - 1];
    const y = tf.matMul(tf.reshape(x, [-1, k]), kernel);
    return tf.reshape(y, [...shape.slice(0, -1), kernel.shape[1]]) as T;
  });
}

/** LayerNorm without bias, PyTorch's order: (x − μ)·rsqrt(var + ε)·γ. Its tangent is tangent.ts's layerNormTangent. */
export function layerNormNoBias<T extends tf.Tensor>(x: T, scale: tf.Tensor1D, epsilon: number): T {
  return tf.tidy(() => {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, epsilon))), scale) as T;
  });
}

/**
 * The sliding-window mask of a local layer, [S, S]: 0 where |i − j| ≤ half, MASKED_SCORE
 * elsewhere; undefined when every pair is within the window.
 */
export function slidingWindowMask(s: number, half: number): tf.Tensor2D | undefined {
  if (s - 1 <= half) return undefined;
  const values = new Float32Array(s * s);
  for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) if (Math.abs(i - j) > half) values[i * s + j] = MASKED_SCORE;
  return tf.tensor2d(values, [s, s]);
}

export class ModernBertEncoder extends HfSentenceEncoder<ModernBertConfig, ModernBertWeights> {
  constructor(id: string, checkpoint: HfCheckpoint<ModernBertConfig>, weights: ModernBertWeights, dense: readonly DenseWeights[], tokenizer: HfTokenizer) {
    super(id, checkpoint, weights, dense, tokenizer);
  }

  /** Every layer h → h wide. The gated unit's matmuls (h → 2I, I → h) count as an FFN of 1.5·I. */
  protected layerDims(): LayerDims[] {
    const c = this.config;
    return new Array<LayerDims>(c.numLayers).fill({ hIn: c.hiddenSize, attn: c.hiddenSize, hOut: c.hiddenSize, ffn: c.intermediateSize, gated: true, denseResidual: false });
  }

  protected mapWeights(weights: ModernBertWeights, replace: ReplaceWeight): ModernBertWeights {
    return mapModernBertWeights(weights, replace);
  }

  protected rebuild(id: string, weights: ModernBertWeights, dense: readonly DenseWeights[]): ModernBertEncoder {
    return new ModernBertEncoder(id, this.checkpoint, weights, dense, this.tokenizer);
  }

  /** Whether layer l attends to the whole text (else a sliding window). */
  isGlobal(l: number): boolean {
    this.layerWeights(l);
    return this.config.globalLayers[l];
  }

  embed(ids: readonly number[]): tf.Tensor3D {
    this.checkIds(ids);
    const w = this.weights;
    return tf.tidy(() => {
      const e = w.tokEmbeddings.gather(ids);
      return tf.expandDims(layerNormNoBias(e, w.embeddingNorm, this.config.normEps), 0) as tf.Tensor3D;
    });
  }

  private layerWeights(l: number): ModernBertLayerWeights {
    const w = this.weights.layers[l];
    if (!w) throw new Error(`${this.id} has no layer ${l} (it has ${this.numLayers})`);
    return w;
  }

  /** Layer l's attention: rotary tables [S, d] of its base, and its mask [S, S] (local layers on long texts). */
  private positions(l: number, s: number): { cos: tf.Tensor2D; sin: tf.Tensor2D; mask?: tf.Tensor2D } {
    const c = this.config;
    const global = c.globalLayers[l];
    const tables = rotaryTables(s, c.headDim, global ? c.globalRopeTheta : c.localRopeTheta);
    return { ...tables, mask: global ? undefined : slidingWindowMask(s, Math.floor(c.localAttention / 2)) };
  }

  layer(l: number, x: tf.Tensor3D): tf.Tensor3D {
    const w = this.layerWeights(l);
    const c = this.config;
    return tf.tidy(() => {
      const normed = w.attnNorm ? layerNormNoBias(x, w.attnNorm, c.normEps) : x;
      const a = tf.add(x, this.attention(l, w, normed).x) as tf.Tensor3D;
      const [u, g] = tf.split(project(layerNormNoBias(a, w.mlpNorm, c.normEps), w.mlpIn), 2, -1);
      const y = tf.add(a, project(gated(c.activation, u, g), w.mlpOut)) as tf.Tensor3D;
      return l === this.numLayers - 1 ? layerNormNoBias(y, this.weights.finalNorm, c.normEps) : y;
    });
  }

  layerJvp(l: number, d: Dual3): Dual3 {
    const w = this.layerWeights(l);
    const c = this.config;
    const eps = c.normEps;
    return tf.tidy(() => {
      const normed: Dual3 = w.attnNorm
        ? { x: layerNormNoBias(d.x, w.attnNorm, eps), dx: layerNormTangent(d.x, d.dx, w.attnNorm, eps) as tf.Tensor4D }
        : d;
      const att = this.attentionJvp(l, w, normed);
      const a = tf.add(d.x, att.x) as tf.Tensor3D;
      const da = tf.add(d.dx, att.dx) as tf.Tensor4D;

      const m = layerNormNoBias(a, w.mlpNorm, eps);
      const dm = layerNormTangent(a, da, w.mlpNorm, eps) as tf.Tensor4D;
      const [u, g] = tf.split(project(m, w.mlpIn), 2, -1);
      const [du, dg] = tf.split(denseTangent(dm, w.mlpIn), 2, -1);
      const y = tf.add(a, project(gated(c.activation, u, g), w.mlpOut)) as tf.Tensor3D;
      const dy = tf.add(da, denseTangent(gatedTangent(c.activation, u, du, g, dg) as tf.Tensor4D, w.mlpOut)) as tf.Tensor4D;
      if (l !== this.numLayers - 1) return { x: y, dx: dy };
      const final = this.weights.finalNorm;
      return { x: layerNormNoBias(y, final, eps), dx: layerNormTangent(y, dy, final, eps) as tf.Tensor4D };
    });
  }

  /** Rotated queries and keys, values, and the attention probabilities, [B, heads, S, ·]. */
  private attentionPrimal(l: number, w: ModernBertLayerWeights, x: tf.Tensor3D) {
    const heads = this.config.numHeads;
    const { cos, sin, mask } = this.positions(l, x.shape[1]);
    const [q, k, v] = tf.split(project(x, w.qkv), 3, -1) as tf.Tensor3D[];
    const q4 = applyRotary(splitHeads(q, heads), { cos, sin });
    const k4 = applyRotary(splitHeads(k, heads), { cos, sin });
    let scores = tf.mul(tf.matMul(q4, k4, false, true), 1 / Math.sqrt(this.config.headDim)) as tf.Tensor4D;
    if (mask) scores = tf.add(scores, mask);
    return { q4, k4, v4: splitHeads(v, heads), p4: tf.softmax(scores) as tf.Tensor4D, cos, sin };
  }

  /** Self-attention with its output projection (primal only). */
  private attention(l: number, w: ModernBertLayerWeights, x: tf.Tensor3D): { x: tf.Tensor3D } {
    return tf.tidy(() => {
      const { v4, p4 } = this.attentionPrimal(l, w, x);
      return { x: project(combineHeads(tf.matMul(p4, v4) as tf.Tensor4D), w.attnOut) };
    });
  }

  /**
   * Self-attention and its tangent. The rotation is linear and the same for every
   * direction, so q̇ and k̇ turn like q and k; the mask is constant.
   */
  private attentionJvp(l: number, w: ModernBertLayerWeights, d: Dual3): Dual3 {
    return tf.tidy(() => {
      const heads = this.config.numHeads;
      const b = d.x.shape[0];
      const scale = 1 / Math.sqrt(this.config.headDim);
      const { q4, k4, v4, p4, cos, sin } = this.attentionPrimal(l, w, d.x);
      const context = combineHeads(tf.matMul(p4, v4) as tf.Tensor4D);

      const [dq, dk, dv] = tf.split(denseTangent(d.dx, w.qkv), 3, -1) as tf.Tensor4D[];
      const dqf = applyRotary(splitTangentHeads(dq, heads), { cos, sin });
      const dkf = applyRotary(splitTangentHeads(dk, heads), { cos, sin });
      const dvf = splitTangentHeads(dv, heads);
      const qf = foldHeads(q4);
      const kf = foldHeads(k4);
      const p = foldHeads(p4);

      const dContext = attentionTangent(qf, kf, foldHeads(v4), p, dqf, dkf, dvf, scale);
      return {
        x: project(context, w.attnOut),
        dx: denseTangent(combineTangentHeads(dContext, b), w.attnOut),
      };
    });
  }
}

export const MODERNBERT_FAMILY: Family<ModernBertConfig> = {
  name: 'ModernBERT',
  modelTypes: [MODERNBERT_MODEL_TYPE],
  parseConfig: parseModernBertConfig,
  estimateBytes: estimateModernBertBytes,
  build: (id, checkpoint, source, dense, tokenizer) =>
    new ModernBertEncoder(id, checkpoint, loadModernBertWeights(source, checkpoint.config, source.file), dense, tokenizer),
};
