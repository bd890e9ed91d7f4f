/**
 * The T5 encoder as sentence-transformers runs it (sentence-t5, GTR): transformers'
 * T5EncoderModel. Each block is pre-norm with T5's RMSNorm (weight only, no mean, no bias):
 *
 *   a = x + O·Attn(RMS₁(x)),   y = a + Wo·FF(RMS₂(a)),
 *   FF(m) = act(Wi·m)  or, gated,  act(Wi₀·m) ⊙ (Wi₁·m),
 *
 * and the last layer's stage also applies encoder.final_layer_norm. Attention has no
 * biases and no 1/√d scaling; its scores get a learned bias by bucket of the key −
 * query distance (bidirectional buckets) from the first block's table, shared by
 * every layer. The embedding is the token table alone (no positions, no scaling, no
 * norm). One sequence per batch row without padding, so no attention mask.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerDims } from '../dims.ts';
import { combineHeads, combineTangentHeads, foldHeads, splitHeads, splitTangentHeads } from '../heads.ts';
import type { ReplaceWeight } from '../named-weights.ts';
import {
  attentionTangent,
  denseTangent,
  rmsNormTangent,
  type Dual3,
} from '../tangent.ts';
import type { HfCheckpoint } from './checkpoint.ts';
import type { DenseWeights } from './dense.ts';
import type { Family } from './families.ts';
import { relativePositionBucket } from './mpnet.ts';
import { activation, activationTangent, gated, gatedTangent, rmsNorm } from './ops.ts';
import { HfSentenceEncoder } from './sentence-encoder.ts';
import { estimateT5Bytes, parseT5Config, type T5Config } from './t5-config.ts';
import type { HfTokenizer } from './tokenizer.ts';
import { loadT5Weights, mapT5Weights, type T5LayerWeights, type T5Weights } from './t5-weights.ts';

/** x·W over the last axis (T5's linears have no bias); the same map is its own tangent rule. */
const project = denseTangent;

/**
 * T5's bias for a sequence of length s: [1, heads, S, S], entry (h, q, k) the table's
 * row for the bucket of k − q (mpnet.ts implements T5's bidirectional bucket scheme).
 */
export function t5PositionBias(table: tf.Tensor2D, s: number, maxDistance: number): tf.Tensor4D {
  return tf.tidy(() => {
    const buckets = new Int32Array(s * s);
    for (let q = 0; q < s; q++) for (let k = 0; k < s; k++) buckets[q * s + k] = relativePositionBucket(k - q, table.shape[0], maxDistance);
    const values = tf.gather(table, tf.tensor2d(buckets, [s, s], 'int32')); // [S, S, heads]
    return tf.expandDims(tf.transpose(values, [2, 0, 1]), 0) as tf.Tensor4D;
  });
}

export class T5Encoder extends HfSentenceEncoder<T5Config, T5Weights> {
  constructor(id: string, checkpoint: HfCheckpoint<T5Config>, weights: T5Weights, dense: readonly DenseWeights[], tokenizer: HfTokenizer) {
    super(id, checkpoint, weights, dense, tokenizer);
  }

  /**
   * d_model → d_model, attention heads·d_kv wide. A gated unit's input product is
   * 2·d_ff wide, which LayerDims cannot say: ffn is d_ff, so FLOP counts miss wi_1.
   */
  protected layerDims(): LayerDims[] {
    const c = this.config;
    return new Array<LayerDims>(c.numLayers).fill({ hIn: c.hiddenSize, attn: c.innerDim, hOut: c.hiddenSize, ffn: c.ffnSize, gated: c.gated, denseResidual: false });
  }

  protected mapWeights(weights: T5Weights, replace: ReplaceWeight): T5Weights {
    return mapT5Weights(weights, replace);
  }

  protected rebuild(id: string, weights: T5Weights, dense: readonly DenseWeights[]): T5Encoder {
    return new T5Encoder(id, this.checkpoint, weights, dense, this.tokenizer);
  }

  embed(ids: readonly number[]): tf.Tensor3D {
    this.checkIds(ids);
    return tf.tidy(() => tf.expandDims(this.weights.embeddings.gather(ids), 0) as tf.Tensor3D);
  }

  private layerWeights(l: number): T5LayerWeights {
    const w = this.weights.layers[l];
    if (!w) throw new Error(`${this.id} has no layer ${l} (it has ${this.numLayers})`);
    return w;
  }

  private positionBias(s: number): tf.Tensor4D {
    return t5PositionBias(this.weights.relativeAttentionBias, s, this.config.relativeAttentionMaxDistance);
  }

  /** The feed-forward unit's inner activations from its input product (split when gated). */
  private ffnInner(pre: tf.Tensor3D): tf.Tensor3D {
    const c = this.config;
    if (!c.gated) return activation(c.activation, pre);
    const [gate, up] = tf.split(pre, 2, -1) as tf.Tensor3D[];
    return gated(c.activation, gate, up);
  }

  layer(l: number, x: tf.Tensor3D): tf.Tensor3D {
    const w = this.layerWeights(l);
    const c = this.config;
    return tf.tidy(() => {
      const n = rmsNorm(x, w.attentionNorm, c.layerNormEps);
      const [q, k, v] = tf.split(project(n, w.qkv), 3, -1) as tf.Tensor3D[];
      const scores = tf.add(tf.matMul(splitHeads(q, c.numHeads), splitHeads(k, c.numHeads), false, true), this.positionBias(x.shape[1]));
      const context = combineHeads(tf.matMul(tf.softmax(scores), splitHeads(v, c.numHeads)) as tf.Tensor4D);
      const a = tf.add(x, project(context, w.attentionOut)) as tf.Tensor3D;
      const m = rmsNorm(a, w.ffnNorm, c.layerNormEps);
      const y = tf.add(a, project(this.ffnInner(project(m, w.ffnIn)), w.ffnOut)) as tf.Tensor3D;
      return l === this.numLayers - 1 ? rmsNorm(y, this.weights.finalNorm, c.layerNormEps) : y;
    });
  }

  layerJvp(l: number, d: Dual3): Dual3 {
    const w = this.layerWeights(l);
    const c = this.config;
    const eps = c.layerNormEps;
    return tf.tidy(() => {
      const n = rmsNorm(d.x, w.attentionNorm, eps);
      const dn = rmsNormTangent(d.x, d.dx, w.attentionNorm, eps) as tf.Tensor4D;
      const att = this.attentionJvp(w, { x: n, dx: dn });
      const a = tf.add(d.x, att.x) as tf.Tensor3D;
      const da = tf.add(d.dx, att.dx) as tf.Tensor4D;

      const m = rmsNorm(a, w.ffnNorm, eps);
      const dm = rmsNormTangent(a, da, w.ffnNorm, eps) as tf.Tensor4D;
      const pre = project(m, w.ffnIn);
      const dPre = project(dm, w.ffnIn);
      let inner: tf.Tensor3D;
      let dInner: tf.Tensor4D;
      if (c.gated) {
        const [gate, up] = tf.split(pre, 2, -1) as tf.Tensor3D[];
        const [dGate, dUp] = tf.split(dPre, 2, -1) as tf.Tensor4D[];
        inner = gated(c.activation, gate, up);
        dInner = gatedTangent(c.activation, gate, dGate, up, dUp) as tf.Tensor4D;
      } else {
        inner = activation(c.activation, pre);
        dInner = activationTangent(c.activation, pre, dPre) as tf.Tensor4D;
      }
      const y = tf.add(a, project(inner, w.ffnOut)) as tf.Tensor3D;
      const dy = tf.add(da, project(dInner, w.ffnOut)) as tf.Tensor4D;
      if (l !== this.numLayers - 1) return { x: y, dx: dy };
      return { x: rmsNorm(y, this.weights.finalNorm, eps), dx: rmsNormTangent(y, dy, this.weights.finalNorm, eps) as tf.Tensor4D };
    });
  }

  /** Self-attention on the normalised states with its output projection, and the tangent (the bias is constant). */
  private attentionJvp(w: T5LayerWeights, d: Dual3): Dual3 {
    return tf.tidy(() => {
      const heads = this.config.numHeads;
      const b = d.x.shape[0];
      const [q, k, v] = tf.split(project(d.x, w.qkv), 3, -1) as tf.Tensor3D[];
      const [dq, dk, dv] = tf.split(project(d.dx, w.qkv), 3, -1) as tf.Tensor4D[];

      // The primal exactly as layer() computes it, then folded to [B·heads, S, d_kv].
      const q4 = splitHeads(q, heads);
      const k4 = splitHeads(k, heads);
      const v4 = splitHeads(v, heads);
      const scores = tf.add(tf.matMul(q4, k4, false, true), this.positionBias(d.x.shape[1]));
      const p4 = tf.softmax(scores) as tf.Tensor4D;
      const context = combineHeads(tf.matMul(p4, v4) as tf.Tensor4D);

      const qf = foldHeads(q4);
      const kf = foldHeads(k4);
      const p = foldHeads(p4);
      const dqf = splitTangentHeads(dq, heads);
      const dkf = splitTangentHeads(dk, heads);
      const dvf = splitTangentHeads(dv, heads);

      const dContext = attentionTangent(qf, kf, foldHeads(v4), p, dqf, dkf, dvf);
      return { x: project(context, w.attentionOut), dx: project(combineTangentHeads(dContext, b), w.attentionOut) };
    });
  }
}

export const T5_FAMILY: Family<T5Config> = {
  name: 'T5 encoder',
  modelTypes: ['t5'],
  parseConfig: parseT5Config,
  estimateBytes: estimateT5Bytes,
  build: (id, checkpoint, source, dense, tokenizer) => new T5Encoder(id, checkpoint, loadT5Weights(source, checkpoint.config, source.file), dense, tokenizer),
};
