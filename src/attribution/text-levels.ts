/**
 * One text's share of an attribution, level by level: the weighted sums of the
 * integrand over the α points each quadrature level added, one per channel of the
 * plan (docs/method.md, "Computing incrementally"), and f(x), f(r). What the engine caches per text: a later request
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
  /**
   * Level m's channel sums Σ_α c(α) (∂g/∂x · v_i), one per channel c of the plan
   * (quadrature.ts), each a Pᵀ-shaped [S, D] row-major array.
   */
  levels: Float32Array[][];
}

/** Bytes a text's level sums hold. */
export function levelBytes(text: TextLevels): number {
  return text.levels.reduce((sum, level) => sum + level.reduce((s, channel) => s + channel.byteLength, 0), 0);
}

/** P after a level: Σ_m Σ_c weights[m][c] · levels[m][c], with f(x) and f(r). */
export function sideValues(text: TextLevels, weights: readonly (readonly number[])[]): SideValues {
  const pt = new Float32Array(text.levels[0][0].length);
  weights.forEach((ws, m) =>
    ws.forEach((w, c) => {
      if (w === 0) return;
      const sums = text.levels[m][c];
      for (let k = 0; k < pt.length; k++) pt[k] += w * sums[k];
    }),
  );
  return { pt, tokens: text.tokens.ids.length, embedding: text.embedding, referenceEmbedding: text.referenceEmbedding };
}

/** A text whose next level is being computed: reference and Δ stay on the device between chunks. */
export class TextRun {
  /** The level under way's channel sums (allocated by its first chunk). */
  private sums: Float64Array[] = [];

  private constructor(
    readonly text: TextLevels,
    readonly path: PathTensors,
  ) {}

  /** Starts (or continues, with `text` from the cache) a text: hidden states of x and r at `layer`, f(x), f(r). */
  static async start(
    model: SentenceEncoder,
    tokens: TokenizedText,
    layer: number,
    reference: Reference,
    text: TextLevels | undefined,
  ): Promise<TextRun> {
    // A prompt's tokens stay in the padding reference, as the frame tokens do (docs/method.md, "Reference").
    const path = pathTensors(model, tokens.ids, layer, reference, tokens.prompt);
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

  /**
   * Adds one chunk's points to the level being computed: `weights[c][i]` is alpha i's
   * weight in channel c. Points with the same weights in every channel are evaluated
   * together, summed on the device by `evaluate`; the groups are read back at once.
   */
  async step(alphas: readonly number[], weights: readonly (readonly number[])[], evaluate: (alphas: number[]) => tf.Tensor2D): Promise<void> {
    const groups = new Map<string, number[]>();
    alphas.forEach((_, i) => {
      const key = weights.map((c) => c[i]).join(',');
      const group = groups.get(key);
      if (group) group.push(i);
      else groups.set(key, [i]);
    });
    const members = [...groups.values()];
    const t = tf.tidy(() => {
      const parts = members.map((g) => evaluate(g.map((i) => alphas[i])));
      return parts.length === 1 ? parts[0] : tf.stack(parts);
    });
    const data = await t.data();
    t.dispose();
    const size = this.text.tokens.ids.length * this.text.embedding.length;
    if (this.sums.length === 0) this.sums = weights.map(() => new Float64Array(size));
    members.forEach((g, gi) => {
      const offset = gi * size;
      weights.forEach((channel, c) => {
        const w = channel[g[0]];
        const sum = this.sums[c];
        if (w === 1) for (let k = 0; k < size; k++) sum[k] += data[offset + k];
        else if (w !== 0) for (let k = 0; k < size; k++) sum[k] += w * data[offset + k];
      });
    });
  }

  /**
   * Level `level`'s points are all done: its sums join the text's levels, unless
   * another run on the same cached text got there first (engines may run concurrently).
   */
  completeLevel(level: number): void {
    if (this.text.levels.length === level) this.text.levels.push(this.sums.map((sum) => Float32Array.from(sum)));
    this.sums = [];
  }

  dispose(): void {
    tf.dispose([this.path.x, this.path.r, this.path.delta]);
  }
}
