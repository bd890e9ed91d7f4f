/**
 * Forward-mode (tangent) rules shared by every encoder, and the interface an encoder
 * offers the attribution engine for Jacobian-vector products (docs/method.md, "Cost, and how we beat it").
 *
 * TF.js only has reverse-mode autodiff, so each stage carries its own tangent rule.
 * Layout: a primal of shape [B, ...rest] travels with tangents of shape
 * [B, T, ...rest]: T directions per primal point, so a batch of α points and every
 * token direction go through one set of ops while each primal is computed once.
 * Rules that are linear in the tangent flatten B·T into one batch for the matmuls.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { SentenceEncoder } from './encoder.ts';

// Type aliases rather than interfaces so tf.tidy accepts them as TensorContainers.
/** Hidden states [B, S, H] and their tangents [B, T, S, H]. */
export type Dual3 = { x: tf.Tensor3D; dx: tf.Tensor4D };

/** Vectors [B, H] and their tangents [B, T, H]. */
export type Dual2 = { x: tf.Tensor2D; dx: tf.Tensor3D };

/** An encoder whose stages after the embedding also have tangent rules. */
export interface TangentEncoder extends SentenceEncoder {
  layerJvp(l: number, d: Dual3): Dual3;
  poolJvp(d: Dual3): Dual2;
  headJvp(d: Dual2): Dual2;
  normalizeJvp(d: Dual2): Dual2;
}

/** g_L and its tangent: layers `from..n-1`, pooling, head, normalisation. */
export function encodeFromJvp(model: TangentEncoder, from: number, d: Dual3): Dual2 {
  return tf.tidy(() => {
    let h = d;
    for (let l = from; l < model.numLayers; l++) h = model.layerJvp(l, h);
    return model.normalizeJvp(model.headJvp(model.poolJvp(h)));
  });
}

/** Inserts the direction axis into a primal so it broadcasts against its tangents. */
export function withDirectionAxis<R extends tf.Rank>(x: tf.Tensor<R>): tf.Tensor {
  return tf.expandDims(x, 1);
}

/** Tangent of x·W + b over the last axis: ẋ·W (the bias is constant). */
export function denseTangent<T extends tf.Tensor>(dx: T, kernel: tf.Tensor2D): T {
  return tf.tidy(() => {
    const shape = dx.shape;
    const k = shape[shape.length - 1];
    const rows = dx.size / k;
    const y = tf.matMul(tf.reshape(dx, [rows, k]), kernel);
    return tf.reshape(y, [...shape.slice(0, -1), kernel.shape[1]]) as T;
  });
}

/**
 * Tangent of LayerNorm y = γ·x̂ + β, x̂ = (x − μ)/σ, σ = √(var + ε):
 * ẏ = (γ/σ) ⊙ (ẋ − mean(ẋ) − x̂·mean(x̂ ⊙ ẋ)). Exact with ε too, because
 * dσ = mean(x̂ ⊙ ẋ) whatever ε is. x: [B, ...], dx: [B, T, ...].
 */
export function layerNormTangent(x: tf.Tensor, dx: tf.Tensor, scale: tf.Tensor1D, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), epsilon));
    const xHat = withDirectionAxis(tf.mul(centered, invStd));
    const dCentered = tf.sub(dx, tf.mean(dx, -1, true));
    const projection = tf.mul(xHat, tf.mean(tf.mul(xHat, dx), -1, true));
    return tf.mul(tf.mul(scale, withDirectionAxis(invStd)), tf.sub(dCentered, projection));
  });
}

/**
 * Tangent of RMSNorm y = γ ⊙ x·r, r = rsqrt(mean(x²) + ε) (T5, Gemma): with x̂ = x·r,
 * ẏ = γ·r ⊙ (ẋ − x̂·mean(x̂ ⊙ ẋ)), since ṙ = −r³·mean(x ⊙ ẋ). x: [B, ...], dx: [B, T, ...].
 */
export function rmsNormTangent(x: tf.Tensor, dx: tf.Tensor, scale: tf.Tensor1D, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), epsilon));
    const xHat = withDirectionAxis(tf.mul(x, r));
    const projection = tf.mul(xHat, tf.mean(tf.mul(xHat, dx), -1, true));
    return tf.mul(tf.mul(scale, withDirectionAxis(r)), tf.sub(dx, projection));
  });
}

/**
 * Tangent of attention's context P·V, P = softmax(scale·QKᵀ + constant bias or mask),
 * for every architecture: from the folded primals q, k, v [N, S, d] and probabilities
 * p [N, S, S] (N = points × heads) and their tangents [N, T, S, d]:
 *   ż = scale·(Q̇Kᵀ + QK̇ᵀ), the second as (K̇Qᵀ)ᵀ so both are tangent-by-primal products;
 *   Ṗ = softmax′(ż); (PV)˙ = ṖV + PV̇.
 */
export function attentionTangent(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  p: tf.Tensor3D,
  dq: tf.Tensor4D,
  dk: tf.Tensor4D,
  dv: tf.Tensor4D,
  scale = 1,
): tf.Tensor4D {
  return tf.tidy(() => {
    const dScores = tf.mul(tf.add(matMulTangentsByPrimal(dq, k, true), tf.transpose(matMulTangentsByPrimal(dk, q, true), [0, 1, 3, 2])), scale);
    const dp = softmaxTangent(p, dScores) as tf.Tensor4D;
    return tf.add(matMulTangentsByPrimal(dp, v), matMulPrimalByTangents(p, dv)) as tf.Tensor4D;
  });
}

/** Tangent of a softmax over the last axis, given its output p: ṗ = p ⊙ (ż − Σ p ⊙ ż). */
export function softmaxTangent(p: tf.Tensor, dz: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const pe = withDirectionAxis(p);
    return tf.mul(pe, tf.sub(dz, tf.sum(tf.mul(pe, dz), -1, true)));
  });
}

/** Tangent of ReLU: the tangent where the pre-activation is positive (0 at the kink, like tf.relu's gradient). */
export function reluTangent(preActivation: tf.Tensor, dz: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(withDirectionAxis(tf.step(preActivation, 0)), dz));
}

/** Tangent of tanh, given its output y: ẏ = (1 − y²) ⊙ ż. */
export function tanhTangent(y: tf.Tensor, dz: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(withDirectionAxis(tf.sub(1, tf.square(y))), dz));
}

/**
 * L2 normalisation y = e·rsqrt(max(Σe², ε)) and its tangent ẏ = (ė − y (y·ė))/‖e‖.
 * Where the clamp is active (‖e‖² < ε) the map is linear, ẏ = ė/√ε.
 */
export function l2NormalizeJvp(d: Dual2, epsilon: number): Dual2 {
  return tf.tidy(() => {
    const squared = tf.sum(tf.square(d.x), -1, true);
    const inv = tf.rsqrt(tf.maximum(squared, epsilon));
    const y = tf.mul(d.x, inv) as tf.Tensor2D;
    const clamped = withDirectionAxis(tf.cast(tf.less(squared, epsilon), 'float32'));
    const ye = withDirectionAxis(y);
    const radial = tf.mul(ye, tf.sum(tf.mul(ye, d.dx), -1, true));
    const dy = tf.mul(withDirectionAxis(inv), tf.sub(d.dx, tf.mul(tf.sub(1, clamped), radial))) as tf.Tensor3D;
    return { x: y, dx: dy };
  });
}

/** Mean over tokens: [B, S, H] → [B, H], tangents [B, T, S, H] → [B, T, H]. */
export function meanPoolJvp(d: Dual3): Dual2 {
  return tf.tidy(() => {
    const s = d.x.shape[1];
    return {
      x: tf.div(tf.sum(d.x, 1), s) as tf.Tensor2D,
      dx: tf.div(tf.sum(d.dx, 2), s) as tf.Tensor3D,
    };
  });
}

/**
 * Batched product of a primal matrix with every tangent's matrix: a [N, R, K] times
 * b [N, T, K, C] → [N, T, R, C], as one matmul (the T axis folds into the columns).
 */
export function matMulPrimalByTangents(a: tf.Tensor3D, b: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, t, k, c] = b.shape;
    const r = a.shape[1];
    const folded = tf.reshape(tf.transpose(b, [0, 2, 1, 3]), [n, k, t * c]);
    const y = tf.reshape(tf.matMul(a, folded), [n, r, t, c]);
    return tf.transpose(y, [0, 2, 1, 3]) as tf.Tensor4D;
  });
}

/**
 * Batched product of every tangent's matrix with a primal matrix: a [N, T, R, K]
 * times b [N, K, C] (or bᵀ when `transposeB`) → [N, T, R, C]; T folds into the rows.
 */
export function matMulTangentsByPrimal(a: tf.Tensor4D, b: tf.Tensor3D, transposeB = false): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, t, r, k] = a.shape;
    const y = tf.matMul(tf.reshape(a, [n, t * r, k]), b, false, transposeB);
    return tf.reshape(y, [n, t, r, y.shape[2] as number]) as tf.Tensor4D;
  });
}
