/**
 * One text's share of an attribution, level by level: the sums of the integrand over
 * the α points each quadrature level added (docs/method.md, "Computing
 * incrementally"), and f(x), f(r). What the engine caches per text: a later request
 * with a tighter tolerance continues from the levels already there.
 */
import * as tf from '@tensorflow/tfjs-core';
import { encodeFrom, type SentenceEncoder, type TokenizedText } from '../model/encoder.ts';
import type { Reference } from '../model/reference.ts';
import type { SideValues } from './pairing.ts';
import { pathTensors, type PathTensors } from './routes.ts';

export interface TextLevels {
  tokens: TokenizedText;
  embedding: Float32Array;
  referenceEmbedding: Float32Array;
  /** Level m's Σ_α (∂g/∂x · v_i) as Pᵀ-shaped [S, D] row-major sums, not yet weighted. */
  levels: Float32Array[];
}

/** P after a level: Σ_m weights[m] · levels[m], with f(x) and f(r). */
export function sideValues(text: TextLevels, weights: readonly number[]): SideValues {
  const pt = new Float32Array(text.levels[0].length);
  weights.forEach((w, m) => {
    const level = text.levels[m];
    for (let k = 0; k < pt.length; k++) pt[k] += w * level[k];
  });
  return { pt, tokens: text.tokens.ids.length, embedding: text.embedding, referenceEmbedding: text.referenceEmbedding };
}

/** A text whose next level is being computed: reference and Δ stay on the device between chunks. */
export class TextRun {
  private sum: Float64Array;

  private constructor(
    readonly text: TextLevels,
    readonly path: PathTensors,
  ) {
    this.sum = new Float64Array(text.tokens.ids.length * text.embedding.length);
  }

  /** Starts (or continues, with `text` from the cache) a text: hidden states of x and r at `layer`, f(x), f(r). */
  static async start(
    model: SentenceEncoder,
    tokens: TokenizedText,
    layer: number,
    reference: Reference,
    text: TextLevels | undefined,
  ): Promise<TextRun> {
    const path = pathTensors(model, tokens.ids, layer, reference);
    try {
      if (text) return new TextRun(text, path);
      const both = tf.tidy(() => encodeFrom(model, layer, tf.concat([path.x, path.r], 0) as tf.Tensor3D));
      let data: Float32Array;
      try {
        data = (await both.data()) as Float32Array;
      } finally {
        both.dispose();
      }
      const d = model.outputSize;
      return new TextRun({ tokens, embedding: data.slice(0, d), referenceEmbedding: data.slice(d, 2 * d), levels: [] }, path);
    } catch (error) {
      tf.dispose([path.x, path.r, path.delta]);
      throw error;
    }
  }

  /** Adds one chunk's Σ_α (∂g/∂x · v_i) to the level being computed, reading back once. */
  async step(chunk: () => tf.Tensor2D): Promise<void> {
    const t = chunk();
    const data = await t.data();
    t.dispose();
    for (let k = 0; k < data.length; k++) this.sum[k] += data[k];
  }

  /**
   * Level `level`'s points are all done: its sum joins the text's levels, unless
   * another run on the same cached text got there first (engines may run concurrently).
   */
  completeLevel(level: number): void {
    if (this.text.levels.length === level) this.text.levels.push(Float32Array.from(this.sum));
    this.sum = new Float64Array(this.sum.length);
  }

  dispose(): void {
    tf.dispose([this.path.x, this.path.r, this.path.delta]);
  }
}
