/**
 * Universal Sentence Encoder lite, written out in TF.js ops so that every stage can
 * be called on its own (docs/use-lite.md, "Equations", has what this follows).
 * Operation order mirrors the original graph so results match it to float rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SentenceEncoder, TokenizedText } from '../encoder.ts';
import { combineHeads, splitHeads } from '../heads.ts';
import { UseLiteTokenizer, type Vocabulary } from './tokenizer.ts';
import { weightTensors, type LayerWeights, type UseLiteArtifacts, type UseLiteWeights } from './weights.ts';

export const USE_LITE_MAX_TOKENS = 128;
const HEADS = 4;

/** LayerNorm in the graph's order: γ·rsqrt(var + ε) first, then times (x − μ), then + β. */
export function layerNorm(x: tf.Tensor3D, scale: tf.Tensor1D, bias: tf.Tensor1D, epsilon: number): tf.Tensor3D {
  return tf.tidy(() => {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.square(centered), -1, true);
    const factor = tf.mul(scale, tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(factor, centered), bias) as tf.Tensor3D;
  });
}

/** x·W + b over the last axis of a [B, S, K] tensor. */
export function dense(x: tf.Tensor3D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, s, k] = x.shape;
    const y = tf.add(tf.matMul(tf.reshape(x, [b * s, k]), kernel), bias);
    return tf.reshape(y, [b, s, kernel.shape[1]]) as tf.Tensor3D;
  });
}

export interface UseLiteOptions {
  /** Model id; variants built on use-lite's architecture (its exact variant) set their own. */
  id?: string;
}

export class UseLite implements SentenceEncoder {
  readonly id: string;
  readonly numLayers = 2;
  readonly maxTokens = USE_LITE_MAX_TOKENS;
  readonly outputSize = 512;
  /** Its feed-forward units are ReLUs: the path integrand has kinks (docs/use-lite.md, "Convergence"). */
  readonly smooth = false;
  readonly tokenizer: UseLiteTokenizer;
  readonly weights: UseLiteWeights;
  /** Kept so a variant with other weights (fine-tuning) can share the tokenizer's vocabulary. */
  readonly vocabulary: Vocabulary;
  private readonly timingSignal: tf.Tensor2D; // [maxTokens, 256]

  constructor(artifacts: UseLiteArtifacts, options: UseLiteOptions = {}) {
    this.id = options.id ?? 'use-lite';
    this.vocabulary = artifacts.vocabulary;
    this.tokenizer = new UseLiteTokenizer(artifacts.vocabulary);
    this.weights = artifacts.weights;
    this.timingSignal = tf.tidy(() => {
      const positions = tf.expandDims(tf.range(0, this.maxTokens, 1, 'float32'), 1);
      const angles = tf.mul(positions, this.weights.inverseTimescales);
      return tf.concat([tf.sin(angles), tf.cos(angles)], 1) as tf.Tensor2D;
    });
  }

  tokenize(text: string): TokenizedText {
    const tokens = this.tokenizer.tokenize(text);
    const kept = tokens.slice(0, this.maxTokens);
    return {
      ids: kept.map((t) => t.id),
      pieces: kept.map((t) => t.piece),
      words: kept.map((t) => t.word),
      droppedTokens: tokens.length - kept.length,
    };
  }

  get vocabSize(): number {
    return this.weights.tokenEmbeddings.shape[0];
  }

  embed(ids: readonly number[]): tf.Tensor3D {
    if (ids.length > this.maxTokens) throw new Error(`at most ${this.maxTokens} tokens`);
    return tf.tidy(() => {
      const e = tf.gather(this.weights.tokenEmbeddings, tf.tensor1d(ids as number[], 'int32'));
      const timing = tf.slice(this.timingSignal, [0, 0], [ids.length, -1]);
      // The graph adds the embedding twice: E + (E + TS). Kept in this order to match it bit for bit.
      return tf.expandDims(tf.add(e, tf.add(e, timing)), 0) as tf.Tensor3D;
    });
  }

  layer(l: number, x: tf.Tensor3D): tf.Tensor3D {
    const w = this.weights.layers[l];
    if (!w) throw new Error(`use-lite has no layer ${l}`);
    return tf.tidy(() => {
      const residual = w.residualKernel && w.residualBias ? dense(x, w.residualKernel, w.residualBias) : x;
      const y = tf.add(residual, this.attention(w, layerNorm(x, w.attentionNormScale, w.attentionNormBias, this.weights.layerNormEpsilon))) as tf.Tensor3D;
      const h = layerNorm(y, w.ffnNormScale, w.ffnNormBias, this.weights.layerNormEpsilon);
      const ffn = dense(tf.relu(dense(h, w.ffnInKernel, w.ffnInBias)), w.ffnOutKernel, w.ffnOutBias);
      return tf.add(ffn, y) as tf.Tensor3D;
    });
  }

  /** Multi-head self-attention over a [B, S, d] batch; sequences have no padding. */
  attention(w: LayerWeights, h: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const [q, k, v] = tf.split(dense(h, w.qkvKernel, w.qkvBias), 3, -1) as tf.Tensor3D[];
      const scores = tf.matMul(tf.mul(splitHeads(q, HEADS), w.queryScale), splitHeads(k, HEADS), false, true);
      const context = tf.matMul(tf.softmax(scores), splitHeads(v, HEADS));
      return dense(combineHeads(context as tf.Tensor4D), w.outputKernel, w.outputBias);
    });
  }

  pool(x: tf.Tensor3D): tf.Tensor2D {
    // Σ over tokens / count, as the graph does (it masks padding; our batches have none).
    return tf.tidy(() => tf.div(tf.sum(x, 1), x.shape[1]) as tf.Tensor2D);
  }

  head(pooled: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.tanh(tf.add(tf.matMul(pooled, this.weights.headKernel), this.weights.headBias)) as tf.Tensor2D);
  }

  normalize(e: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const squared = tf.sum(tf.square(e), -1, true);
      return tf.mul(e, tf.rsqrt(tf.maximum(squared, this.weights.l2Epsilon)));
    });
  }

  dispose(): void {
    tf.dispose([...weightTensors(this.weights), this.timingSignal]);
  }
}

export function isUseLite(model: SentenceEncoder): model is UseLite {
  return model instanceof UseLite;
}
