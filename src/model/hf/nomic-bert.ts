/**
 * NomicBERT (nomic-embed-text-v1 / v1.5, nomic-bert-2048) as its Hub code
 * (modeling_hf_nomic_bert.py, NomicBertModel) computes it for one text without padding:
 *
 *   e = LN(word[id] + tokenType[0])                      no position table
 *   per layer, post-norm as BERT:
 *     q, k, v = x·Wqkv (+b), heads of d = H/heads
 *     q, k ← rotary (half-split, positions 0..S−1, base rotary_emb_base) on the first
 *            rotaryDim features of each head
 *     a = LN₁(x + out_proj(softmax(q·kᵀ/√d)·v))
 *     y = LN₂(a + fc2(fc11(a) ⊙ act(fc12(a))))           act: SiLU (swiglu) or GELU (geglu)
 *
 * Checked against that code itself on test-models/nomic-bert (transformers-fixtures.test.ts).
 * Config: nomic-bert-config.ts; weight names: nomic-bert-weights.ts. Each stage after
 * the embedding has its tangent beside it: the rotation is linear and fixed, so the
 * tangents of q and k turn with the same tables.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerDims } from '../dims.ts';
import { combineHeads, combineTangentHeads, foldHeads, splitHeads, splitTangentHeads } from '../heads.ts';
import type { ReplaceWeight } from '../named-weights.ts';
import {
  attentionTangent,
  denseTangent,
  layerNormTangent,
  type Dual3,
} from '../tangent.ts';
import type { HfCheckpoint } from './checkpoint.ts';
import type { DenseWeights } from './dense.ts';
import type { Family } from './families.ts';
import { estimateNomicBertBytes, NOMIC_BERT_MODEL_TYPES, parseNomicBertConfig, type NomicBertConfig } from './nomic-bert-config.ts';
import { loadNomicWeights, mapNomicWeights, type NomicLayerWeights, type NomicWeights, type Projection } from './nomic-bert-weights.ts';
import { gated, gatedTangent, layerNorm, linear } from './ops.ts';
import { applyRotary, rotaryTables, type RotaryTables } from './rotary.ts';
import { HfSentenceEncoder } from './sentence-encoder.ts';
import type { HfTokenizer } from './tokenizer.ts';

/** x·W (+ b) over the last axis; a projection without bias is a plain product. */
export function project<T extends tf.Tensor>(x: T, p: Projection): T {
  if (p.bias) return linear(x, { kernel: p.kernel, bias: p.bias });
  return tf.tidy(() => {
    const shape = x.shape;
    const y = tf.matMul(tf.reshape(x, [-1, shape[shape.length - 1]]), p.kernel);
    return tf.reshape(y, [...shape.slice(0, -1), p.kernel.shape[1]]) as T;
  });
}

export class NomicBertEncoder extends HfSentenceEncoder<NomicBertConfig, NomicWeights> {
  constructor(id: string, checkpoint: HfCheckpoint<NomicBertConfig>, weights: NomicWeights, dense: readonly DenseWeights[], tokenizer: HfTokenizer) {
    super(id, checkpoint, weights, dense, tokenizer);
  }

  /** Every layer h → h; the gated MLP's width (it has two input projections of that width, fc11 and fc12). */
  protected layerDims(): LayerDims[] {
    const c = this.config;
    return new Array<LayerDims>(c.numLayers).fill({ hIn: c.hiddenSize, attn: c.hiddenSize, hOut: c.hiddenSize, ffn: c.intermediateSize, gated: true, denseResidual: false });
  }

  protected mapWeights(weights: NomicWeights, replace: ReplaceWeight): NomicWeights {
    return mapNomicWeights(weights, replace);
  }

  protected rebuild(id: string, weights: NomicWeights, dense: readonly DenseWeights[]): NomicBertEncoder {
    return new NomicBertEncoder(id, this.checkpoint, weights, dense, this.tokenizer);
  }

  embed(ids: readonly number[]): tf.Tensor3D {
    this.checkIds(ids);
    const w = this.weights;
    return tf.tidy(() => {
      let e = w.wordEmbeddings.gather(ids);
      if (w.tokenType) e = tf.add(e, w.tokenType);
      return tf.expandDims(layerNorm(e, w.embeddingNorm, this.config.layerNormEps), 0) as tf.Tensor3D;
    });
  }

  private layerWeights(l: number): NomicLayerWeights {
    const w = this.weights.layers[l];
    if (!w) throw new Error(`${this.id} has no layer ${l} (it has ${this.numLayers})`);
    return w;
  }

  /** cos / sin for positions 0..s−1 (made per call inside the caller's tidy: a few kB). */
  private rotary(s: number): RotaryTables {
    return rotaryTables(s, this.config.rotaryDim, this.config.rotaryBase);
  }

  layer(l: number, x: tf.Tensor3D): tf.Tensor3D {
    const w = this.layerWeights(l);
    const c = this.config;
    return tf.tidy(() => {
      const tables = this.rotary(x.shape[1]);
      const [q, k, v] = tf.split(project(x, w.qkv), 3, -1) as tf.Tensor3D[];
      const q4 = applyRotary(splitHeads(q, c.numHeads), tables, c.rotaryDim);
      const k4 = applyRotary(splitHeads(k, c.numHeads), tables, c.rotaryDim);
      const scores = tf.mul(tf.matMul(q4, k4, false, true), 1 / Math.sqrt(c.hiddenSize / c.numHeads));
      const context = combineHeads(tf.matMul(tf.softmax(scores), splitHeads(v, c.numHeads)) as tf.Tensor4D);
      const a = layerNorm(tf.add(x, project(context, w.attentionOut)) as tf.Tensor3D, w.attentionNorm, c.layerNormEps);
      const mlp = project(gated(c.activation, project(a, w.gate), project(a, w.up)), w.down);
      return layerNorm(tf.add(a, mlp) as tf.Tensor3D, w.outputNorm, c.layerNormEps);
    });
  }

  layerJvp(l: number, d: Dual3): Dual3 {
    const w = this.layerWeights(l);
    const c = this.config;
    return tf.tidy(() => {
      const att = this.attentionJvp(w, d);
      const preA = tf.add(d.x, att.x) as tf.Tensor3D;
      const dPreA = tf.add(d.dx, att.dx) as tf.Tensor4D;
      const a = layerNorm(preA, w.attentionNorm, c.layerNormEps);
      const da = layerNormTangent(preA, dPreA, w.attentionNorm.scale, c.layerNormEps) as tf.Tensor4D;

      const gate = project(a, w.gate);
      const up = project(a, w.up);
      const dGate = denseTangent(da, w.gate.kernel);
      const dUp = denseTangent(da, w.up.kernel);
      const mlp = project(gated(c.activation, gate, up), w.down);
      const dMlp = denseTangent(gatedTangent(c.activation, gate, dGate, up, dUp) as tf.Tensor4D, w.down.kernel);

      const preY = tf.add(a, mlp) as tf.Tensor3D;
      const dPreY = tf.add(da, dMlp) as tf.Tensor4D;
      return {
        x: layerNorm(preY, w.outputNorm, c.layerNormEps),
        dx: layerNormTangent(preY, dPreY, w.outputNorm.scale, c.layerNormEps) as tf.Tensor4D,
      };
    });
  }

  /** Rotary self-attention with its output projection, and the tangent. */
  private attentionJvp(w: NomicLayerWeights, d: Dual3): Dual3 {
    const c = this.config;
    return tf.tidy(() => {
      const heads = c.numHeads;
      const b = d.x.shape[0];
      const scale = 1 / Math.sqrt(c.hiddenSize / heads);
      const tables = this.rotary(d.x.shape[1]);
      const [q, k, v] = tf.split(project(d.x, w.qkv), 3, -1) as tf.Tensor3D[];
      const [dq, dk, dv] = tf.split(denseTangent(d.dx, w.qkv.kernel), 3, -1) as tf.Tensor4D[];

      // The primal as layer() computes it.
      const q4 = applyRotary(splitHeads(q, heads), tables, c.rotaryDim);
      const k4 = applyRotary(splitHeads(k, heads), tables, c.rotaryDim);
      const v4 = splitHeads(v, heads);
      const p4 = tf.softmax(tf.mul(tf.matMul(q4, k4, false, true), scale)) as tf.Tensor4D;
      const context = combineHeads(tf.matMul(p4, v4) as tf.Tensor4D);

      // Tangents per (point, head): [B·heads, T, S, d], q̇ and k̇ turned like q and k.
      const qf = foldHeads(q4);
      const kf = foldHeads(k4);
      const vf = foldHeads(v4);
      const p = foldHeads(p4);
      const dqf = applyRotary(splitTangentHeads(dq, heads), tables, c.rotaryDim);
      const dkf = applyRotary(splitTangentHeads(dk, heads), tables, c.rotaryDim);
      const dvf = splitTangentHeads(dv, heads);

      const dContext = attentionTangent(qf, kf, vf, p, dqf, dkf, dvf, scale);
      return {
        x: project(context, w.attentionOut),
        dx: denseTangent(combineTangentHeads(dContext, b), w.attentionOut.kernel),
      };
    });
  }
}

export const NOMIC_BERT_FAMILY: Family<NomicBertConfig> = {
  name: 'NomicBERT',
  modelTypes: NOMIC_BERT_MODEL_TYPES,
  parseConfig: parseNomicBertConfig,
  estimateBytes: estimateNomicBertBytes,
  build: (id, checkpoint, source, dense, tokenizer) =>
    new NomicBertEncoder(id, checkpoint, loadNomicWeights(source, checkpoint.config, source.file), dense, tokenizer),
};
