/**
 * Universal Sentence Encoder lite, written out in TF.js ops so that every stage can
 * be called on its own (docs/use-lite.md, "Equations", has what this follows).
 * Operation order mirrors the original graph so results match it to float rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDims } from '../dims.ts';
import type { TokenizedText } from '../encoder.ts';
import type { Reference } from '../reference.ts';
import type { Dual2, Dual3, TangentEncoder } from '../tangent.ts';
import { combineHeads, splitHeads } from '../heads.ts';
import { isBarePiece, joinWords, type PieceMarkers } from '../words.ts';
import { UseLiteTokenizer, WORD_START, type Vocabulary } from './tokenizer.ts';
import { dense, layerNorm, tanhHead, timingSignal } from './ops.ts';
import { UseLiteTangentRules } from './tangent.ts';
import { namedWeights, type NamedWeights } from '../named-weights.ts';
import { mapUseLiteWeights, weightTensors, type LayerWeights, type UseLiteArtifacts, type UseLiteWeights } from './weights.ts';

export const USE_LITE_MAX_TOKENS = 128;
/**
 * use-lite has no padding token: its reference is the neutral piece "▁" (id 30)
 * repeated (docs/use-lite.md, "Reference"); its exact variant was made with it.
 */
export const USE_LITE_REFERENCE_TOKEN = 30;
/** SentencePiece-style pieces: "▁" starts a word (docs/use-lite.md, "Tokenizer"). */
const PIECE_MARKERS: PieceMarkers = { wordStart: WORD_START };
const HEADS = 4;

export interface UseLiteOptions {
  /** Model id; variants built on use-lite's architecture (its exact variant) set their own. */
  id?: string;
}

export class UseLite implements TangentEncoder {
  readonly id: string;
  readonly numLayers = 2;
  readonly maxTokens = USE_LITE_MAX_TOKENS;
  /** Its feed-forward units are ReLUs: the path integrand has kinks (docs/use-lite.md, "Convergence"). */
  readonly smooth = false;
  readonly defaultReference: Reference = { kind: 'token', id: USE_LITE_REFERENCE_TOKEN };
  readonly tokenizer: UseLiteTokenizer;
  readonly weights: UseLiteWeights;
  /** Kept so a variant with other weights (fine-tuning) can share the tokenizer's vocabulary. */
  readonly vocabulary: Vocabulary;
  private readonly timingSignal: tf.Tensor2D; // [maxTokens, 256]
  private readonly rules: UseLiteTangentRules;

  constructor(artifacts: UseLiteArtifacts, options: UseLiteOptions = {}) {
    this.id = options.id ?? 'use-lite';
    this.vocabulary = artifacts.vocabulary;
    this.tokenizer = new UseLiteTokenizer(artifacts.vocabulary);
    this.weights = artifacts.weights;
    this.rules = new UseLiteTangentRules(this.weights);
    this.timingSignal = timingSignal(this.weights.inverseTimescales, this.maxTokens);
  }

  tokenize(text: string): TokenizedText {
    const tokens = this.tokenizer.tokenize(text);
    const kept = tokens.slice(0, this.maxTokens);
    const pieces = kept.map((t) => t.piece);
    const words = kept.map((t) => t.word);
    return {
      ids: kept.map((t) => t.id),
      pieces,
      words,
      wordLabels: joinWords(pieces, words, PIECE_MARKERS),
      // use-lite frames nothing: only a bare "▁" (a word-start space of its own) has no text.
      special: pieces.map((piece) => isBarePiece(piece, PIECE_MARKERS)),
      droppedTokens: tokens.length - kept.length,
    };
  }

  /** The tanh head's width: 512 for use-lite (the tiny test models are narrower). */
  get outputSize(): number {
    return this.weights.headKernel.shape[1];
  }

  get vocabSize(): number {
    return this.weights.tokenEmbeddings.shape[0];
  }

  /** Read from the weights' shapes (docs/use-lite.md, "Weights"): 256 → 512 wide, FFN 1536, a tanh head. */
  get dims(): ModelDims {
    const w = this.weights;
    return {
      layers: w.layers.map((l) => ({
        hIn: l.qkvKernel.shape[0],
        attn: l.qkvKernel.shape[1] / 3,
        hOut: l.outputKernel.shape[1],
        ffn: l.ffnInKernel.shape[1],
        denseResidual: l.residualKernel !== undefined,
      })),
      head: [[w.headKernel.shape[0], w.headKernel.shape[1]]],
    };
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
    return tanhHead(pooled, this.weights);
  }

  normalize(e: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const squared = tf.sum(tf.square(e), -1, true);
      return tf.mul(e, tf.rsqrt(tf.maximum(squared, this.weights.l2Epsilon)));
    });
  }

  /**
   * Weights by name: "tokenEmbeddings", "inverseTimescales", "layers.<l>.<key>" (keys of
   * LayerWeights), "headKernel", "headBias". Trainable: the layers (the last one only
   * for 'top') and the tanh head; the token table and the timing signal stay frozen.
   */
  namedWeights(): NamedWeights<UseLite> {
    return namedWeights({
      kind: 'use-lite',
      weights: this.weights,
      map: mapUseLiteWeights,
      numLayers: this.weights.layers.length,
      isHead: (name) => name.startsWith('head'),
      build: (id, weights) => new UseLite({ weights, vocabulary: this.vocabulary }, { id }),
    });
  }

  layerJvp(l: number, d: Dual3): Dual3 {
    return this.rules.layerJvp(l, d);
  }

  poolJvp(d: Dual3): Dual2 {
    return this.rules.poolJvp(d);
  }

  headJvp(d: Dual2): Dual2 {
    return this.rules.headJvp(d);
  }

  normalizeJvp(d: Dual2): Dual2 {
    return this.rules.normalizeJvp(d);
  }

  dispose(): void {
    tf.dispose([...weightTensors(this.weights), this.timingSignal]);
  }
}

