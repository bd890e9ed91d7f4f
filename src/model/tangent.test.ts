/**
 * Every shared tangent rule against two oracles on small random inputs (CPU backend):
 *  - tf.grad: the full Jacobian, one reverse pass per output element (dy one-hot),
 *    contracted with each tangent direction — agrees to float32 rounding;
 *  - central finite differences in float32, step h = 1e-2 on O(1) inputs: truncation
 *    O(h²) ≈ 1e-4 and rounding ≈ 1e-7/h = 1e-5, so we allow 2e-3 relative (the
 *    worst measured was about 3e-4).
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  denseTangent,
  l2NormalizeJvp,
  layerNormTangent,
  matMulPrimalByTangents,
  matMulTangentsByPrimal,
  meanPoolJvp,
  reluTangent,
  softmaxTangent,
  tanhTangent,
} from './tangent.ts';

const FD_STEP = 1e-2;
const FD_TOLERANCE = 2e-3;
const GRAD_TOLERANCE = 1e-5;
const T = 3; // tangent directions per primal point

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A map from one primal batch [B, ...] to an output [B, ...] with its tangent rule. */
interface Rule {
  name: string;
  inputShape: number[];
  f: (x: tf.Tensor) => tf.Tensor;
  /** Tangent rule: primal x [B, ...], tangents [B, T, ...] → output tangents [B, T, ...]. */
  jvp: (x: tf.Tensor, dx: tf.Tensor) => tf.Tensor;
  /** Inputs away from kinks (ReLU) so finite differences are meaningful. */
  input?: () => tf.Tensor;
}

function seeded(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale));
}

const W = seeded([6, 5], 11, 0.5) as tf.Tensor2D;
const gamma = seeded([6], 12) as tf.Tensor1D;
const beta = seeded([6], 13) as tf.Tensor1D;
const K = seeded([2, 4, 6], 14) as tf.Tensor3D; // primal matrix for the matmul helpers

const RULES: Rule[] = [
  {
    name: 'dense',
    inputShape: [2, 4, 6],
    f: (x) => tf.add(tf.reshape(tf.matMul(tf.reshape(x, [-1, 6]), W), [2, 4, 5]), 0.3),
    jvp: (_x, dx) => denseTangent(dx, W),
  },
  {
    name: 'layerNorm',
    inputShape: [2, 4, 6],
    f: (x) => {
      const c = tf.sub(x, tf.mean(x, -1, true));
      return tf.add(tf.mul(tf.mul(gamma, tf.rsqrt(tf.add(tf.mean(tf.square(c), -1, true), 1e-6))), c), beta);
    },
    jvp: (x, dx) => layerNormTangent(x, dx, gamma, 1e-6),
  },
  {
    name: 'softmax',
    inputShape: [2, 3, 5],
    f: (x) => tf.softmax(x),
    jvp: (x, dx) => softmaxTangent(tf.softmax(x), dx),
  },
  {
    name: 'relu',
    inputShape: [2, 7],
    f: (x) => tf.relu(x),
    jvp: (x, dx) => reluTangent(x, dx),
    // |x| ≥ 0.1 keeps every unit at least 10 steps from its kink.
    input: () => tf.tidy(() => { const z = seeded([2, 7], 5); return tf.add(z, tf.mul(tf.sign(z), 0.1)); }),
  },
  {
    name: 'tanh',
    inputShape: [2, 7],
    f: (x) => tf.tanh(x),
    jvp: (x, dx) => tanhTangent(tf.tanh(x), dx),
  },
  {
    name: 'l2 normalisation',
    inputShape: [2, 7],
    f: (x) => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-12))),
    jvp: (x, dx) => l2NormalizeJvp({ x: x as tf.Tensor2D, dx: dx as tf.Tensor3D }, 1e-12).dx,
  },
  {
    name: 'l2 normalisation, clamped below ε',
    inputShape: [2, 7],
    f: (x) => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 100))),
    jvp: (x, dx) => l2NormalizeJvp({ x: x as tf.Tensor2D, dx: dx as tf.Tensor3D }, 100).dx,
  },
  {
    name: 'mean pooling',
    inputShape: [2, 4, 6],
    f: (x) => tf.mean(x, 1),
    jvp: (x, dx) => meanPoolJvp({ x: x as tf.Tensor3D, dx: dx as tf.Tensor4D }).dx,
  },
  {
    name: 'primal · tangent matmul',
    inputShape: [2, 6, 3],
    f: (x) => tf.matMul(K, x),
    jvp: (_x, dx) => matMulPrimalByTangents(K, dx as tf.Tensor4D),
  },
  {
    name: 'tangent · primalᵀ matmul',
    inputShape: [2, 3, 6],
    f: (x) => tf.matMul(x, K, false, true),
    jvp: (_x, dx) => matMulTangentsByPrimal(dx as tf.Tensor4D, K, true),
  },
];

/** J·v for every direction by reverse mode: full Jacobian from one-hot cotangents. */
async function jvpByGrad(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, dx: tf.Tensor): Promise<Float32Array> {
  const y = tf.tidy(() => f(x));
  const outShape = y.shape;
  const [b] = x.shape;
  const perPoint = y.size / b;
  const inPerPoint = x.size / b;
  const dxv = await dx.data();
  const out = new Float32Array(b * T * perPoint);
  const g = tf.grad(f);
  for (let o = 0; o < y.size; o++) {
    const row = tf.tidy(() => g(x, tf.reshape(tf.cast(tf.oneHot(o, y.size), 'float32'), outShape)));
    const rv = await row.data();
    row.dispose();
    const point = Math.floor(o / perPoint);
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let k = 0; k < inPerPoint; k++) s += rv[point * inPerPoint + k] * dxv[(point * T + t) * inPerPoint + k];
      out[(point * T + t) * perPoint + (o % perPoint)] = s;
    }
  }
  y.dispose();
  return out;
}

/** Central differences along each direction. */
function jvpByDifferences(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, dx: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const v = tf.squeeze(tf.slice(dx, [0, t], [-1, 1]), [1]);
      const diff = tf.div(tf.sub(f(tf.add(x, tf.mul(v, FD_STEP))), f(tf.sub(x, tf.mul(v, FD_STEP)))), 2 * FD_STEP);
      parts.push(tf.expandDims(diff, 1));
    }
    return tf.concat(parts, 1);
  });
}

function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

describe('shared tangent rules', () => {
  it.each(RULES.map((r) => [r.name, r]))('%s agrees with tf.grad and finite differences', async (_name, rule) => {
    const before = tf.memory().numTensors;
    const x = rule.input ? rule.input() : seeded(rule.inputShape, 1);
    const [b, ...rest] = rule.inputShape;
    const dx = seeded([b, T, ...rest], 2);
    const tangent = tf.tidy(() => rule.jvp(x, dx));
    const byGrad = await jvpByGrad(rule.f, x, dx);
    const fd = jvpByDifferences(rule.f, x, dx);
    const mine = await tangent.data();
    const gradErr = relative(mine, byGrad);
    const fdErr = relative(mine, await fd.data());
    console.log(`${rule.name}: vs tf.grad ${gradErr.toExponential(2)}, vs differences ${fdErr.toExponential(2)}`);
    expect(gradErr).toBeLessThan(GRAD_TOLERANCE);
    expect(fdErr).toBeLessThan(FD_TOLERANCE);
    tf.dispose([x, dx, tangent, fd]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
