/**
 * What every sentence encoder offers the rest of PairLens: a tokenizer and the
 * forward pass as separate stages, so the attribution engine can start from the
 * hidden states at the input of any layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDims } from './dims.ts';
import type { NamedWeights } from './named-weights.ts';
import type { Reference } from './reference.ts';

export interface TokenizedText {
  ids: number[];
  /** Display text of each token (sub-word piece, or the characters of an unknown token). */
  pieces: string[];
  /** Word index of each token, for word-level sums. */
  words: number[];
  /** Display text of each word: its pieces joined without the tokenizer's markers (model/words.ts). */
  wordLabels: string[];
  /**
   * Tokens without text of their own: the special tokens the tokenizer frames every
   * text with ([CLS]/[SEP], <s>/</s>) and bare word separators. The explorer can hide them.
   */
  special: boolean[];
  /**
   * Tokens of the prompt put before the text (a model's "query: ", EmbeddingGemma's
   * task prompts), when one was given: shown apart, and kept in the padding
   * reference as the frame tokens are (docs/method.md, "Reference").
   */
  prompt?: boolean[];
  /** Tokens cut off beyond the model's limit. */
  droppedTokens: number;
}

export interface SentenceEncoder {
  readonly id: string;
  readonly numLayers: number;
  readonly maxTokens: number;
  /** Width of the embedding the model returns. */
  readonly outputSize: number;
  /** Number of token ids the embedding accepts (valid ids are 0..vocabSize−1). */
  readonly vocabSize: number;
  /** The widths of its matrix products, layer by layer (for FLOP counts). */
  readonly dims: ModelDims;
  /**
   * Every stage after the embedding is smooth in its input (GELU, no ReLU and no max
   * pooling), so the path integrand is smooth and high-order quadrature pays off
   * (docs/method.md, "Discretisation"). False where kinks make every rule first order.
   */
  readonly smooth: boolean;
  /**
   * The model is itself an exact model (a checkpoint of the papers' shifted model):
   * its reference maps to zero by construction.
   */
  readonly exact?: boolean;
  /**
   * Why this architecture's forward pass is not yet checked against its reference
   * implementation (absent when it is): the app, the CLI and reports show it.
   */
  readonly unverified?: string;

  /**
   * Prompts by name, from config_sentence_transformers.json (e5's "query: " and
   * "passage: ", EmbeddingGemma's task prompts); absent where the model has none.
   */
  readonly prompts?: Readonly<Record<string, string>>;

  /** The text's tokens, after `prompt` (a prompt's text, put before it as sentence-transformers does) where given. */
  tokenize(text: string, prompt?: string): TokenizedText;

  /** Stage 0: token ids → hidden states at the input of layer 0, [1, S, H0]. */
  embed(ids: readonly number[]): tf.Tensor3D;
  /** Transformer layer `l` on a batch of same-length sequences, [B, S, H] → [B, S, H']. */
  layer(l: number, x: tf.Tensor3D): tf.Tensor3D;
  /** Token states after the last layer → one vector per sequence, [B, S, H] → [B, H]. */
  pool(x: tf.Tensor3D): tf.Tensor2D;
  /** Dense head on the pooled vector (identity where the model has none). */
  head(pooled: tf.Tensor2D): tf.Tensor2D;
  /** Final normalisation (identity where the model has none). */
  normalize(e: tf.Tensor2D): tf.Tensor2D;

  /**
   * The reference attributions use unless the user picks another (docs/method.md,
   * "Reference"): the model's padding reference where it has a padding token, else
   * what its documentation justifies (use-lite: "▁" repeated).
   */
  readonly defaultReference: Reference;

  /**
   * The model's own attribution reference for these ids (docs/method.md, "Reference"):
   * the special tokens that frame every text kept (and the tokens `keep` marks: a
   * prompt's), every other token the padding token. Absent for models without a
   * padding token (use-lite).
   */
  referenceIds?(ids: readonly number[], keep?: readonly boolean[]): number[];

  /**
   * Its weights by name, for exact variants (src/exact/): absent for a model that
   * cannot be fine-tuned here.
   */
  namedWeights?(): NamedWeights;

  dispose(): void;
}

/** Runs layers `from..n-1`, pooling, head and normalisation: g_L in docs/method.md. */
export function encodeFrom(model: SentenceEncoder, from: number, x: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    let h = x;
    for (let l = from; l < model.numLayers; l++) h = model.layer(l, h);
    return model.normalize(model.head(model.pool(h)));
  });
}

/** Hidden states at the input of layer `upTo` (0 = the embedding output). */
export function hiddenAt(model: SentenceEncoder, ids: readonly number[], upTo: number): tf.Tensor3D {
  return tf.tidy(() => {
    let h = model.embed(ids);
    for (let l = 0; l < upTo; l++) h = model.layer(l, h);
    return h;
  });
}

/** f(x) for one text's token ids, read back from the device (one small forward pass). */
export async function embedIds(model: SentenceEncoder, ids: readonly number[]): Promise<Float32Array> {
  const e = tf.tidy(() => encodeFrom(model, 0, model.embed(ids)));
  try {
    return (await e.data()) as Float32Array;
  } finally {
    e.dispose();
  }
}

/** One text, its tokens and its embedding: what `embed` answers in the worker and the CLI. */
export interface EmbeddedText {
  text: string;
  tokens: string[];
  droppedTokens: number;
  embedding: Float32Array;
}

/** One text's embedding, after `prompt` (a prompt's text) where given, as sentence-transformers encodes with a prompt. */
export async function embedText(model: SentenceEncoder, text: string, prompt?: string): Promise<EmbeddedText> {
  const tokenized = model.tokenize(text, prompt);
  if (tokenized.ids.length === 0) throw new Error('Cannot embed an empty text.');
  const embedding = await embedIds(model, tokenized.ids);
  return { text, tokens: tokenized.pieces, droppedTokens: tokenized.droppedTokens, embedding };
}
