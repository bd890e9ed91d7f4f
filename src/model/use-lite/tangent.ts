/**
 * Tangent (forward-mode) rules for every use-lite stage after the embedding, next to
 * the same primal ops as model.ts so the Jacobian is taken at exactly the point the
 * forward pass computes (docs/use-lite.md, "Equations").
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  attentionTangent,
  denseTangent,
  l2NormalizeJvp,
  layerNormTangent,
  meanPoolJvp,
  reluTangent,
  tanhTangent,
  type Dual2,
  type Dual3,
} from '../tangent.ts';
import { combineHeads, combineTangentHeads, foldHeads, splitHeads, splitTangentHeads } from '../heads.ts';
import { dense, layerNorm, tanhHead } from './ops.ts';
import type { LayerWeights, UseLiteWeights } from './weights.ts';

const HEADS = 4;

/** The tangent rules of every stage after the embedding, for one set of weights; UseLite offers them as a TangentEncoder. */
export class UseLiteTangentRules {
  constructor(private readonly weights: UseLiteWeights) {}

  layerJvp(l: number, d: Dual3): Dual3 {
    const w = this.weights.layers[l];
    if (!w) throw new Error(`use-lite has no layer ${l}`);
    const eps = this.weights.layerNormEpsilon;
    return tf.tidy(() => {
      const { x, dx } = d;
      const residual = w.residualKernel && w.residualBias ? dense(x, w.residualKernel, w.residualBias) : x;
      const dResidual = w.residualKernel ? denseTangent(dx, w.residualKernel) : dx;

      const h = layerNorm(x, w.attentionNormScale, w.attentionNormBias, eps);
      const dh = layerNormTangent(x, dx, w.attentionNormScale, eps) as tf.Tensor4D;
      const att = this.attentionJvp(w, { x: h, dx: dh });
      const y = tf.add(residual, att.x) as tf.Tensor3D;
      const dy = tf.add(dResidual, att.dx) as tf.Tensor4D;

      const h2 = layerNorm(y, w.ffnNormScale, w.ffnNormBias, eps);
      const dh2 = layerNormTangent(y, dy, w.ffnNormScale, eps) as tf.Tensor4D;
      const pre = dense(h2, w.ffnInKernel, w.ffnInBias);
      const dPre = denseTangent(dh2, w.ffnInKernel);
      const ffn = dense(tf.relu(pre), w.ffnOutKernel, w.ffnOutBias);
      const dFfn = denseTangent(reluTangent(pre, dPre) as tf.Tensor4D, w.ffnOutKernel);
      return { x: tf.add(ffn, y) as tf.Tensor3D, dx: tf.add(dFfn, dy) as tf.Tensor4D };
    });
  }

  /** Multi-head self-attention (no padding) and its tangent. */
  attentionJvp(w: LayerWeights, d: Dual3): Dual3 {
    return tf.tidy(() => {
      const b = d.x.shape[0];
      const [q, k, v] = tf.split(dense(d.x, w.qkvKernel, w.qkvBias), 3, -1) as tf.Tensor3D[];
      const [dq, dk, dv] = tf.split(denseTangent(d.dx, w.qkvKernel), 3, -1) as tf.Tensor4D[];

      // Primal exactly as model.ts computes it, then folded to [B·heads, S, d].
      const qs4 = tf.mul(splitHeads(q, HEADS), w.queryScale) as tf.Tensor4D;
      const k4 = splitHeads(k, HEADS);
      const v4 = splitHeads(v, HEADS);
      const p4 = tf.softmax(tf.matMul(qs4, k4, false, true)) as tf.Tensor4D;
      const context = combineHeads(tf.matMul(p4, v4) as tf.Tensor4D);

      const qs = foldHeads(qs4);
      const kf = foldHeads(k4);
      const vf = foldHeads(v4);
      const p = foldHeads(p4);
      const dqs = tf.mul(splitTangentHeads(dq, HEADS), w.queryScale) as tf.Tensor4D;
      const dkf = splitTangentHeads(dk, HEADS);
      const dvf = splitTangentHeads(dv, HEADS);

      const dContext = attentionTangent(qs, kf, vf, p, dqs, dkf, dvf);

      return {
        x: dense(context, w.outputKernel, w.outputBias),
        dx: denseTangent(combineTangentHeads(dContext, b), w.outputKernel),
      };
    });
  }

  poolJvp(d: Dual3): Dual2 {
    return meanPoolJvp(d);
  }

  headJvp(d: Dual2): Dual2 {
    return tf.tidy(() => {
      const y = tanhHead(d.x, this.weights);
      const dz = tf.matMul(tf.reshape(d.dx, [-1, d.dx.shape[2]]), this.weights.headKernel);
      const dzt = tf.reshape(dz, [d.dx.shape[0], d.dx.shape[1], -1]);
      return { x: y, dx: tanhTangent(y, dzt) as tf.Tensor3D };
    });
  }

  normalizeJvp(d: Dual2): Dual2 {
    return l2NormalizeJvp(d, this.weights.l2Epsilon);
  }
}
