/**
 * Gemma 3 as a bidirectional encoder (EmbeddingGemma; transformers' Gemma3TextModel
 * with use_bidirectional_attention), as sentence-transformers runs it.
 *
 *   embed:  x = E[ids] · √H (the scale rounded to float32, as transformers' buffer).
 *   layer:  a = x + N_post(Attn(N_in(x)))
 *           y = a + N_postff(W_down · (gelu_tanh(W_gate·f) ⊙ W_up·f)),  f = N_preff(a)
 *           and after the last layer the final norm N(y).
 * Every N is Gemma's RMSNorm x·rsqrt(mean(x²) + ε)·(1 + w) (gemma3-weights.ts keeps γ = 1 + w).
 * Attention: no biases; heads of head_dim features; kv heads shared by
 * heads / kvHeads consecutive query heads (grouped-query); q and k each RMS-normalised
 * per head (q_norm, k_norm), then rotated (rotary.ts; base rope_theta on full layers,
 * rope_local_base_freq on sliding ones, positions 0..S−1); scores q·k ·
 * query_pre_attn_scalar^−½; no causal mask; sliding layers see keys with |i − j| < window
 * (gemma3-config.ts). One sequence per batch row without padding, so nothing else is masked.
 *
 * Each stage has its tangent rule beside it (TangentEncoder): the mask and the
 * rotation are constants of the input (the rotation is linear, so the tangent turns
 * the same way).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerDims } from '../dims.ts';
import { combineHeads, combineTangentHeads, foldHeads, splitHeads, splitTangentHeads } from '../heads.ts';
import type { ReplaceWeight } from '../named-weights.ts';
import { attentionTangent, denseTangent, rmsNormTangent, type Dual3 } from '../tangent.ts';
import type { HfCheckpoint } from './checkpoint.ts';
import type { DenseWeights } from './dense.ts';
import type { Family } from './families.ts';
import { estimateGemma3Bytes, GEMMA3_MODEL_TYPES, parseGemma3Config, type Gemma3Config } from './gemma3-config.ts';
import { loadGemma3Weights, mapGemma3Weights, type Gemma3LayerWeights, type Gemma3Weights } from './gemma3-weights.ts';
import { gated, gatedTangent, rmsNorm } from './ops.ts';
import { applyRotary, rotaryTables, type RotaryTables } from './rotary.ts';
import { HfSentenceEncoder } from './sentence-encoder.ts';
import type { HfTokenizer } from './tokenizer.ts';

/** Added to the scores of keys outside a sliding window: exp underflows to exactly 0. */
const MASKED = -1e9;

/** x·W over the last axis for any leading shape (no bias); also its own tangent rule. */
const project = denseTangent;

/** RMSNorm over each head's features of [.., S, heads·d] (q_norm, k_norm). */
function headNorm<T extends tf.Tensor>(x: T, heads: number, scale: tf.Tensor1D, eps: number): T {
  return tf.tidy(() => {
    const shape = x.shape;
    const width = shape[shape.length - 1];
    const split = tf.reshape(x, [...shape.slice(0, -1), heads, width / heads]);
    return tf.reshape(rmsNorm(split, scale, eps), shape) as T;
  });
}

function headNormTangent<T extends tf.Tensor>(x: tf.Tensor, dx: T, heads: number, scale: tf.Tensor1D, eps: number): T {
  return tf.tidy(() => {
    const shape = dx.shape;
    const width = shape[shape.length - 1];
    const xs = tf.reshape(x, [...x.shape.slice(0, -1), heads, width / heads]);
    const dxs = tf.reshape(dx, [...shape.slice(0, -1), heads, width / heads]);
    return tf.reshape(rmsNormTangent(xs, dxs, scale, eps), shape) as T;
  });
}

/**
 * Grouped-query attention: each kv head repeated for its `groups` consecutive query
 * heads (transformers' repeat_kv). Takes [N·kvHeads, ...rest] (tangents per head) or
 * [N, kvHeads, ...rest] (primals, `headAxis` 1): the memory order is the same.
 */
function repeatKv<T extends tf.Tensor>(x: T, kvHeads: number, groups: number, headAxis: 0 | 1 = 0): T {
  if (groups === 1) return tf.clone(x);
  return tf.tidy(() => {
    const size = x.shape.slice(headAxis + 1).reduce((a, b) => a * b, 1);
    const n = x.size / (kvHeads * size);
    const tiled = tf.tile(tf.reshape(x, [n, kvHeads, 1, size]), [1, 1, groups, 1]);
    const shape = [...x.shape];
    shape[headAxis] *= groups;
    return tf.reshape(tiled, shape) as T;
  });
}

export class Gemma3Encoder extends HfSentenceEncoder<Gemma3Config, Gemma3Weights> {
  /** cos/sin tables by "length:base", kept as plain arrays (no tensors to free). */
  private readonly rotaryCache = new Map<string, { cos: Float32Array; sin: Float32Array }>();

  constructor(id: string, checkpoint: HfCheckpoint<Gemma3Config>, weights: Gemma3Weights, dense: readonly DenseWeights[], tokenizer: HfTokenizer) {
    super(id, checkpoint, weights, dense, tokenizer);
  }

  /** H → H per layer; attention heads·head_dim wide (K and V only kvHeads·head_dim); gated FFN of intermediate_size. */
  protected layerDims(): LayerDims[] {
    const c = this.config;
    return new Array<LayerDims>(c.numLayers).fill({ hIn: c.hiddenSize, attn: c.numHeads * c.headDim, kv: c.numKvHeads * c.headDim, hOut: c.hiddenSize, ffn: c.intermediateSize, gated: true, denseResidual: false });
  }

  protected mapWeights(weights: Gemma3Weights, replace: ReplaceWeight): Gemma3Weights {
    return mapGemma3Weights(weights, replace);
  }

  protected rebuild(id: string, weights: Gemma3Weights, dense: readonly DenseWeights[]): Gemma3Encoder {
    return new Gemma3Encoder(id, this.checkpoint, weights, dense, this.tokenizer);
  }

  embed(ids: readonly number[]): tf.Tensor3D {
    this.checkIds(ids);
    // transformers keeps √H as a float32 buffer (cast to the weights' dtype, float32 here).
    const scale = Math.fround(Math.sqrt(this.config.hiddenSize));
    return tf.tidy(() => tf.expandDims(tf.mul(this.weights.embedTokens.gather(ids), scale), 0) as tf.Tensor3D);
  }

  /** Whether layer `l` attends within the sliding window. */
  isSliding(l: number): boolean {
    return this.config.layerTypes[l] === 'sliding_attention';
  }

  private layerWeights(l: number): Gemma3LayerWeights {
    const w = this.weights.layers[l];
    if (!w) throw new Error(`${this.id} has no layer ${l} (it has ${this.numLayers})`);
    return w;
  }

  /** The rotary tables of layer `l` for positions 0..s−1 (call inside a tidy). */
  private rotary(l: number, s: number): RotaryTables {
    const base = this.isSliding(l) ? this.config.ropeLocalTheta : this.config.ropeTheta;
    const key = `${s}:${base}`;
    let tables = this.rotaryCache.get(key);
    if (!tables) {
      const t = rotaryTables(s, this.config.headDim, base);
      tables = { cos: t.cos.dataSync() as Float32Array, sin: t.sin.dataSync() as Float32Array };
      tf.dispose([t.cos, t.sin]);
      if (this.rotaryCache.size >= 8) this.rotaryCache.clear();
      this.rotaryCache.set(key, tables);
    }
    const d = this.config.headDim;
    return { cos: tf.tensor2d(tables.cos, [s, d]), sin: tf.tensor2d(tables.sin, [s, d]) };
  }

  /** The additive mask [S, S] of a sliding layer when the sequence is longer than its window, else undefined. */
  private mask(l: number, s: number): tf.Tensor2D | undefined {
    const window = this.config.window;
    if (!this.isSliding(l) || s <= window) return undefined;
    const m = new Float32Array(s * s);
    for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) if (Math.abs(i - j) >= window) m[i * s + j] = MASKED;
    return tf.tensor2d(m, [s, s]);
  }

  layer(l: number, x: tf.Tensor3D): tf.Tensor3D {
    const w = this.layerWeights(l);
    const c = this.config;
    const eps = c.rmsNormEps;
    return tf.tidy(() => {
      const s = x.shape[1];
      const groups = c.numHeads / c.numKvHeads;
      const h = rmsNorm(x, w.inputNorm, eps);
      const [q, k, v] = tf.split(project(h, w.qkv), [c.numHeads * c.headDim, c.numKvHeads * c.headDim, c.numKvHeads * c.headDim], -1) as tf.Tensor3D[];
      const tables = this.rotary(l, s);
      const q4 = applyRotary(splitHeads(headNorm(q, c.numHeads, w.qNorm, eps), c.numHeads), tables);
      const k4 = repeatKv(applyRotary(splitHeads(headNorm(k, c.numKvHeads, w.kNorm, eps), c.numKvHeads), tables), c.numKvHeads, groups, 1);
      const v4 = repeatKv(splitHeads(v, c.numKvHeads), c.numKvHeads, groups, 1);
      let scores = tf.mul(tf.matMul(q4, k4, false, true), 1 / Math.sqrt(c.queryPreAttnScalar)) as tf.Tensor4D;
      const mask = this.mask(l, s);
      if (mask) scores = tf.add(scores, mask);
      const context = combineHeads(tf.matMul(tf.softmax(scores), v4) as tf.Tensor4D);
      const a = tf.add(x, rmsNorm(project(context, w.o), w.postAttentionNorm, eps)) as tf.Tensor3D;

      const f = rmsNorm(a, w.preFeedforwardNorm, eps);
      const [gate, up] = tf.split(project(f, w.gateUp), 2, -1);
      const ffn = project(gated(c.activation, gate, up), w.down);
      const y = tf.add(a, rmsNorm(ffn, w.postFeedforwardNorm, eps)) as tf.Tensor3D;
      return l === this.numLayers - 1 ? rmsNorm(y, this.weights.finalNorm, eps) : y;
    });
  }

  layerJvp(l: number, d: Dual3): Dual3 {
    const w = this.layerWeights(l);
    const c = this.config;
    const eps = c.rmsNormEps;
    return tf.tidy(() => {
      const h = rmsNorm(d.x, w.inputNorm, eps);
      const dh = rmsNormTangent(d.x, d.dx, w.inputNorm, eps) as tf.Tensor4D;
      const att = this.attentionJvp(l, w, { x: h, dx: dh });
      const attOut = rmsNorm(att.x, w.postAttentionNorm, eps);
      const dAttOut = rmsNormTangent(att.x, att.dx, w.postAttentionNorm, eps);
      const a = tf.add(d.x, attOut) as tf.Tensor3D;
      const da = tf.add(d.dx, dAttOut) as tf.Tensor4D;

      const f = rmsNorm(a, w.preFeedforwardNorm, eps);
      const df = rmsNormTangent(a, da, w.preFeedforwardNorm, eps);
      const [gate, up] = tf.split(project(f, w.gateUp), 2, -1);
      const [dGate, dUp] = tf.split(denseTangent(df, w.gateUp), 2, -1);
      const ffn = project(gated(c.activation, gate, up), w.down);
      const dFfn = denseTangent(gatedTangent(c.activation, gate, dGate, up, dUp), w.down);
      const y = tf.add(a, rmsNorm(ffn, w.postFeedforwardNorm, eps)) as tf.Tensor3D;
      const dy = tf.add(da, rmsNormTangent(ffn, dFfn, w.postFeedforwardNorm, eps)) as tf.Tensor4D;
      if (l !== this.numLayers - 1) return { x: y, dx: dy };
      const fin = this.weights.finalNorm;
      return { x: rmsNorm(y, fin, eps), dx: rmsNormTangent(y, dy, fin, eps) as tf.Tensor4D };
    });
  }

  /** Self-attention with its output projection (before post_attention_layernorm), and the tangent. */
  private attentionJvp(l: number, w: Gemma3LayerWeights, d: Dual3): Dual3 {
    const c = this.config;
    const eps = c.rmsNormEps;
    return tf.tidy(() => {
      const [b, s] = d.x.shape;
      const groups = c.numHeads / c.numKvHeads;
      const widths = [c.numHeads * c.headDim, c.numKvHeads * c.headDim, c.numKvHeads * c.headDim];
      const [q, k, v] = tf.split(project(d.x, w.qkv), widths, -1) as tf.Tensor3D[];
      const [dq, dk, dv] = tf.split(denseTangent(d.dx, w.qkv), widths, -1) as tf.Tensor4D[];
      const tables = this.rotary(l, s);

      // The primal exactly as layer() computes it.
      const q4 = applyRotary(splitHeads(headNorm(q, c.numHeads, w.qNorm, eps), c.numHeads), tables);
      const k4 = repeatKv(applyRotary(splitHeads(headNorm(k, c.numKvHeads, w.kNorm, eps), c.numKvHeads), tables), c.numKvHeads, groups, 1);
      const v4 = repeatKv(splitHeads(v, c.numKvHeads), c.numKvHeads, groups, 1);
      const scale = 1 / Math.sqrt(c.queryPreAttnScalar);
      let scores = tf.mul(tf.matMul(q4, k4, false, true), scale) as tf.Tensor4D;
      const mask = this.mask(l, s);
      if (mask) scores = tf.add(scores, mask);
      const p4 = tf.softmax(scores) as tf.Tensor4D;
      const context = combineHeads(tf.matMul(p4, v4) as tf.Tensor4D);

      // Tangents per (point, head): [B·heads, T, S, d]; the norm and rotation act per head, the repeat per kv head.
      const dqf = applyRotary(splitTangentHeads(headNormTangent(q, dq, c.numHeads, w.qNorm, eps), c.numHeads), tables);
      const dkf = repeatKv(applyRotary(splitTangentHeads(headNormTangent(k, dk, c.numKvHeads, w.kNorm, eps), c.numKvHeads), tables), c.numKvHeads, groups);
      const dvf = repeatKv(splitTangentHeads(dv, c.numKvHeads), c.numKvHeads, groups);
      const qf = foldHeads(q4);
      const kf = foldHeads(k4);
      const p = foldHeads(p4);

      const dContext = attentionTangent(qf, kf, foldHeads(v4), p, dqf, dkf, dvf, scale);
      return { x: project(context, w.o), dx: denseTangent(combineTangentHeads(dContext, b), w.o) };
    });
  }
}

/** Gemma 3's text model with bidirectional attention (EmbeddingGemma). */
export const GEMMA3_FAMILY: Family<Gemma3Config> = {
  name: 'Gemma 3 encoder (EmbeddingGemma)',
  modelTypes: GEMMA3_MODEL_TYPES,
  parseConfig: parseGemma3Config,
  estimateBytes: estimateGemma3Bytes,
  build: (id, checkpoint, source, dense, tokenizer) =>
    new Gemma3Encoder(id, checkpoint, loadGemma3Weights(source, checkpoint.config, source.file), dense, tokenizer),
};
