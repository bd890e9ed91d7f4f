/**
 * What every Hugging Face architecture shares as sentence-transformers runs it: the
 * tokenizer, the pooling modules, the Dense modules, the optional L2 normalisation,
 * the padding reference and the papers' exact checkpoints. An architecture (bert.ts
 * for BERT, RoBERTa, MPNet and DistilBERT; families.ts lists them all) adds its
 * embedding and layers with their tangent rules, its widths and its weight names.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerDims, ModelDims } from '../dims.ts';
import type { TokenizedText } from '../encoder.ts';
import { namedWeights, type NamedWeights, type ReplaceWeight } from '../named-weights.ts';
import type { Reference } from '../reference.ts';
import { denseTangent, l2NormalizeJvp, tanhTangent, type Dual2, type Dual3, type TangentEncoder } from '../tangent.ts';
import type { HfCheckpoint } from './checkpoint.ts';
import type { BaseConfig } from './config.ts';
import type { DenseWeights } from './dense.ts';
import { linear } from './ops.ts';
import { pool, poolJvp } from './pooling.ts';
import type { HfTokenizer } from './tokenizer.ts';

/** sentence-transformers' Normalize: x / max(‖x‖, 1e-12), i.e. a clamp of 1e-24 on ‖x‖². */
const NORMALIZE_EPSILON = 1e-24;

export abstract class HfSentenceEncoder<C extends BaseConfig = BaseConfig, W = unknown> implements TangentEncoder {
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
  readonly unverified?: string;
  readonly config: C;
  /**
   * Padding token: what ordinary tokens become in the attribution reference. The token
   * the tokenizer pads with, as sentence-transformers pads; config.json's pad_token_id
   * where the tokenizer names none (positions keep config.json's, as transformers does).
   */
  readonly padTokenId: number;
  /** The padding reference (referenceIds): frame tokens kept, the rest the padding token. */
  readonly defaultReference: Reference = { kind: 'padding' };

  constructor(
    readonly id: string,
    readonly checkpoint: HfCheckpoint<C>,
    /** The transformer's own weights (embeddings and layers), in the architecture's layout. */
    readonly weights: W,
    /** The Dense modules after pooling, in order. */
    readonly dense: readonly DenseWeights[],
    readonly tokenizer: HfTokenizer,
  ) {
    this.config = checkpoint.config;
    this.numLayers = this.config.numLayers;
    this.maxTokens = tokenizer.maxTokens;
    this.vocabSize = this.config.vocabSize;
    this.smooth = this.config.smoothLayers && !checkpoint.pooling.includes('max');
    this.exact = checkpoint.exact;
    this.unverified = checkpoint.unverified;
    const padId = tokenizer.padId;
    this.padTokenId = padId !== undefined && padId < this.config.vocabSize ? padId : this.config.padTokenId;
    const pooled = checkpoint.pooling.length * this.config.hiddenSize;
    this.outputSize = dense.length > 0 ? dense[dense.length - 1].kernel.shape[1] : pooled;
  }

  abstract embed(ids: readonly number[]): tf.Tensor3D;
  abstract layer(l: number, x: tf.Tensor3D): tf.Tensor3D;
  abstract layerJvp(l: number, d: Dual3): Dual3;
  /** The widths of each layer's matrix products (dims adds the Dense modules). */
  protected abstract layerDims(): LayerDims[];
  /** The transformer's weights with every tensor passed through `replace(name, tensor)`; names start "embeddings.", "layers.<l>." or name shared tables. */
  protected abstract mapWeights(weights: W, replace: ReplaceWeight): W;
  /** The same architecture with other weights, sharing this one's checkpoint and tokenizer. */
  protected abstract rebuild(id: string, weights: W, dense: readonly DenseWeights[]): HfSentenceEncoder<C, W>;

  get dims(): ModelDims {
    return { layers: this.layerDims(), head: this.dense.map((d) => [d.kernel.shape[0], d.kernel.shape[1]] as const) };
  }

  get prompts(): Readonly<Record<string, string>> | undefined {
    return this.checkpoint.prompts;
  }

  tokenize(text: string, prompt?: string): TokenizedText {
    return this.tokenizer.tokenize(text, prompt);
  }

  /**
   * The attribution reference for these ids (docs/method.md "Reference"): the special
   * tokens that frame every text kept, every other token (including [UNK]) replaced
   * by the padding token; the tokens `keep` marks (a prompt's) stay too. For the
   * papers' exact checkpoints, the literal ids their code subtracts: [0] + [1]·(S−2) + [2].
   */
  referenceIds(ids: readonly number[], keep?: readonly boolean[]): number[] {
    if (this.exact) return ids.map((_, i) => (i === 0 ? 0 : i === ids.length - 1 ? 2 : 1));
    return ids.map((id, i) => (this.tokenizer.frameIds.has(id) || keep?.[i] ? id : this.padTokenId));
  }

  /** Throws for ids the embedding cannot take: too many, or outside the vocabulary. */
  protected checkIds(ids: readonly number[]): void {
    if (ids.length > this.maxTokens) throw new Error(`${this.id} takes at most ${this.maxTokens} tokens, got ${ids.length}`);
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= this.vocabSize);
    if (bad !== undefined) throw new Error(`token id ${bad} is outside the vocabulary (0..${this.vocabSize - 1})`);
  }

  /**
   * Weights by name: the architecture's (mapWeights) and "dense.<i>.{kernel,bias}"
   * for the Dense modules. Trainable: the transformer layers (the last one only for
   * 'top') and the Dense modules; embeddings and tables shared by every layer stay
   * frozen (src/model/named-weights.ts). The token-embedding table is no tensor
   * (embedding-table.ts), so it has no name: a rebuilt model shares it.
   *
   * An exact checkpoint (the papers' shifted model) has names too, but no exact
   * variant is made of it (src/exact/trainable.ts): it maps its reference to 0
   * already, and its forward pass subtracts the reference's states inside pooling,
   * which a second shift would not undo.
   */
  namedWeights(): NamedWeights<HfSentenceEncoder<C, W>> {
    type All = { encoder: W; dense: readonly DenseWeights[] };
    const mapDense = (d: DenseWeights, i: number, replace: ReplaceWeight): DenseWeights => ({
      kernel: replace(`dense.${i}.kernel`, d.kernel) as tf.Tensor2D,
      bias: replace(`dense.${i}.bias`, d.bias) as tf.Tensor1D,
      activation: d.activation,
    });
    return namedWeights<All, HfSentenceEncoder<C, W>>({
      kind: this.config.architecture,
      weights: { encoder: this.weights, dense: this.dense },
      map: (w, replace) => ({ encoder: this.mapWeights(w.encoder, replace), dense: w.dense.map((d, i) => mapDense(d, i, replace)) }),
      numLayers: this.numLayers,
      isHead: (name) => name.startsWith('dense.'),
      build: (id, w) => this.rebuild(id, w.encoder, w.dense),
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
      for (const dense of this.dense) {
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
      for (const dense of this.dense) {
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

  /**
   * Every tensor this model owns: its weights (tensors named by mapWeights) and the
   * Dense modules'. The token-embedding table is JS memory, perhaps shared with a
   * rebuilt model, so it is left to the garbage collector.
   */
  dispose(): void {
    tf.dispose(this.namedWeights().list().map((w) => w.tensor));
  }
}
