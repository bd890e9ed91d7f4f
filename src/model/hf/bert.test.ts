/**
 * Each architecture's forward pass and tangent rules on the tiny seeded models (CPU).
 * Oracles for every tangent rule, as in src/model/tangent.test.ts:
 *  - tf.grad of a random projection c·f(x): c·(J v) must equal (cᵀJ)·v, which checks
 *    the whole Jacobian along v against reverse mode to float32 rounding;
 *  - central finite differences with h = 3e-3: truncation O(h²) is ~1e-4 of the
 *    tangent for these curved random models (h = 1e-2 measured up to 3.4e-3), and
 *    float32 rounding ~1e-7/h ≈ 3e-5; we allow 2e-3 of the tangent's largest entry.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrom } from '../encoder.ts';
import { encodeFromJvp, type Dual2, type Dual3 } from '../tangent.ts';
import type { BertEncoder } from './bert.ts';
import type { PoolingMode } from './checkpoint.ts';
import { loadHfModel } from './load.ts';
import { bucketMatrix, relativePositionBucket } from './mpnet.ts';
import { activation, activationTangent } from './ops.ts';
import { pool, poolJvp } from './pooling.ts';
import { TINY_ARCHS, tinyModelFiles } from './tiny-models.test-support.ts';

const T = 3;
const FD_STEP = 3e-3;
const FD_TOLERANCE = 2e-3;
const GRAD_TOLERANCE = 2e-5;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const randn = (shape: number[], seed: number, scale = 1) => tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale));

/** Largest |a − b| relative to the largest |b|. */
function relError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-12));
}

/**
 * Checks a tangent rule `jvp` for a map `f` at x ([B, ...]) along T random directions:
 * its primal equals f(x), and its tangents agree with tf.grad and finite differences.
 */
function checkTangent(f: (x: tf.Tensor) => tf.Tensor, jvp: (x: tf.Tensor, dx: tf.Tensor) => { x: tf.Tensor; dx: tf.Tensor }, x: tf.Tensor, seed: number) {
  tf.tidy(() => {
    const [b, ...rest] = x.shape;
    const dx = randn([b, T, ...rest], seed);
    const out = jvp(x, dx);
    const y = f(x);
    expect(relError(out.x, y)).toBeLessThan(1e-6);

    for (let t = 0; t < T; t++) {
      const v = tf.squeeze(tf.slice(dx, [0, t], [-1, 1]), [1]);
      const dy = tf.squeeze(tf.slice(out.dx, [0, t], [-1, 1]), [1]);
      // Reverse mode: a random output projection c, then (cᵀJ)·v against c·(Jv).
      const c = randn(y.shape, seed + 100 + t);
      const g = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(c, f(z))))(x);
      const viaGrad = tf.sum(tf.mul(g, v)).dataSync()[0];
      const viaJvp = tf.sum(tf.mul(c, dy)).dataSync()[0];
      const scale = tf.sum(tf.abs(tf.mul(c, dy))).dataSync()[0];
      expect(Math.abs(viaGrad - viaJvp)).toBeLessThan(GRAD_TOLERANCE * Math.max(scale, 1));
      // Finite differences.
      const fd = tf.div(tf.sub(f(tf.add(x, tf.mul(v, FD_STEP))), f(tf.sub(x, tf.mul(v, FD_STEP)))), 2 * FD_STEP);
      expect(relError(dy, fd)).toBeLessThan(FD_TOLERANCE);
    }
  });
}

describe('activations and their tangents', () => {
  for (const kind of ['gelu', 'gelu_tanh', 'relu'] as const) {
    it(kind, () => {
      const x = randn([2, 5, 7], 3, 2);
      checkTangent((z) => activation(kind, z), (z, dz) => ({ x: activation(kind, z), dx: activationTangent(kind, z, dz) }), x, 5);
      x.dispose();
    });
  }

  it('GELU (erf) matches x·Φ(x) at known points', () => {
    const y = tf.tidy(() => activation('gelu', tf.tensor1d([-3, -1, 0, 0.5, 2])).arraySync());
    [-0.00404969, -0.15865525, 0, 0.34573123, 1.95449974].forEach((v, i) => expect(y[i]).toBeCloseTo(v, 5));
  });
});

describe('pooling modes and their tangents', () => {
  const modes: PoolingMode[][] = [['mean'], ['cls'], ['max'], ['mean_sqrt_len'], ['weighted_mean'], ['last_token'], ['cls', 'max', 'mean']];
  for (const m of modes) {
    it(m.join('+'), () => {
      // Token values 1 apart (plus small noise) per unit, so no finite-difference step crosses a tie of max.
      const spread = tf.tidy(() => tf.reshape(tf.mod(tf.add(tf.mul(tf.reshape(tf.range(0, 6), [1, 6, 1]), 7), tf.reshape(tf.range(0, 16), [2, 1, 8])), 6), [2, 6, 8]));
      const x = tf.tidy(() => tf.add(spread, randn([2, 6, 8], 7, 0.1))) as tf.Tensor3D;
      spread.dispose();
      checkTangent(
        (z) => pool(m, z as tf.Tensor3D),
        (z, dz) => poolJvp(m, { x: z as tf.Tensor3D, dx: dz as tf.Tensor4D }),
        x,
        9,
      );
      x.dispose();
    });
  }

  it('computes each mode as sentence-transformers does', () => {
    const x = tf.tensor3d([[[1, -2], [3, 4], [-5, 6]]]);
    const get = (m: PoolingMode) => tf.tidy(() => Array.from(pool([m], x).dataSync()));
    expect(get('cls')).toEqual([1, -2]);
    expect(get('last_token')).toEqual([-5, 6]);
    expect(get('max')).toEqual([3, 6]);
    expect(get('mean')[0]).toBeCloseTo(-1 / 3, 6);
    expect(get('mean_sqrt_len')[1]).toBeCloseTo(8 / Math.sqrt(3), 5);
    expect(get('weighted_mean')[0]).toBeCloseTo((1 + 6 - 15) / 6, 6);
    expect(tf.tidy(() => pool(['cls', 'max'], x).shape)).toEqual([1, 4]);
    x.dispose();
  });
});

describe('MPNet relative position buckets', () => {
  it('follows the bucket scheme: exact near, logarithmic far, by direction', () => {
    expect(relativePositionBucket(0, 32)).toBe(0);
    expect(relativePositionBucket(-1, 32)).toBe(1); // key before query
    expect(relativePositionBucket(1, 32)).toBe(17); // key after query: the upper half
    expect(relativePositionBucket(-7, 32)).toBe(7);
    expect(relativePositionBucket(-8, 32)).toBe(8);
    expect(relativePositionBucket(-20, 32)).toBe(10); // 8 + ⌊8·ln(2.5)/ln 16⌋
    expect(relativePositionBucket(-127, 32)).toBe(15);
    expect(relativePositionBucket(200, 32)).toBe(31);
    const m = bucketMatrix(3, 32);
    expect(Array.from(m)).toEqual([0, 17, 18, 1, 0, 17, 2, 1, 0]);
  });
});

for (const arch of TINY_ARCHS) {
  describe(`${arch}: forward and tangent rules`, () => {
    let model: BertEncoder;
    let ids: number[];
    beforeAll(async () => {
      model = (await loadHfModel(tinyModelFiles(arch), { id: `tiny-${arch}` })) as BertEncoder; // positionIds is the BERT family's own
      ids = model.tokenize('The quick brown fox is playing in the park today.').ids;
    });
    afterAll(() => model.dispose());

    it('has the configured shapes and is deterministic', () => {
      expect(model.numLayers).toBe(2);
      tf.tidy(() => {
        const x = model.embed(ids);
        expect(x.shape).toEqual([1, ids.length, 32]);
        const h = model.layer(0, x);
        expect(h.shape).toEqual([1, ids.length, 32]);
        const e1 = encodeFrom(model, 0, x);
        const e2 = encodeFrom(model, 0, model.embed(ids));
        expect(e1.shape).toEqual([1, model.outputSize]);
        expect(Array.from(e1.dataSync())).toEqual(Array.from(e2.dataSync()));
        expect(e1.dataSync().every(Number.isFinite)).toBe(true);
        if (model.checkpoint.normalize) expect(tf.norm(e1).dataSync()[0]).toBeCloseTo(1, 5);
      });
    });

    it('runs a batch of sequences like each sequence alone', () => {
      tf.tidy(() => {
        const a = model.embed(ids);
        const b = tf.add(a, randn(a.shape, 4, 0.3)) as tf.Tensor3D;
        const both = encodeFrom(model, 0, tf.concat([a, b], 0) as tf.Tensor3D);
        const alone = encodeFrom(model, 0, b);
        expect(relError(tf.slice(both, [1, 0], [1, -1]), alone)).toBeLessThan(1e-5);
      });
    });

    it('gives the layer tangent rule the same Jacobian as tf.grad and finite differences', () => {
      tf.tidy(() => {
        const x = tf.concat([model.embed(ids), model.embed(model.referenceIds(ids))], 0);
        for (let l = 0; l < model.numLayers; l++) {
          checkTangent(
            (z) => model.layer(l, z as tf.Tensor3D),
            (z, dz) => model.layerJvp(l, { x: z as tf.Tensor3D, dx: dz as tf.Tensor4D }),
            x,
            20 + l,
          );
        }
      });
    });

    it('gives pooling, head and normalisation tangents that match', () => {
      tf.tidy(() => {
        const h = model.layer(1, model.layer(0, model.embed(ids)));
        checkTangent((z) => model.pool(z as tf.Tensor3D), (z, dz) => model.poolJvp({ x: z as tf.Tensor3D, dx: dz as tf.Tensor4D }), h, 30);
        const p = model.pool(h);
        checkTangent((z) => model.head(z as tf.Tensor2D), (z, dz) => model.headJvp({ x: z as tf.Tensor2D, dx: dz as tf.Tensor3D }), p, 31);
        const e = model.head(p);
        checkTangent((z) => model.normalize(z as tf.Tensor2D), (z, dz) => model.normalizeJvp({ x: z as tf.Tensor2D, dx: dz as tf.Tensor3D }), e, 32);
      });
    });

    it('gives g_L and its tangent (encodeFrom / encodeFromJvp) that agree from every layer', () => {
      tf.tidy(() => {
        let x = model.embed(ids);
        for (let from = 0; from <= model.numLayers; from++) {
          const start = from;
          checkTangent(
            (z) => encodeFrom(model, start, z as tf.Tensor3D),
            (z, dz) => encodeFromJvp(model, start, { x: z as tf.Tensor3D, dx: dz as tf.Tensor4D } as Dual3) as Dual2,
            x,
            40 + from,
          );
          if (from < model.numLayers) x = model.layer(from, x);
        }
      });
    });

    it('builds the reference from the frame tokens and padding, with transformers’ position ids', () => {
      const ref = model.referenceIds(ids);
      expect(ref[0]).toBe(ids[0]);
      expect(ref[ref.length - 1]).toBe(ids[ids.length - 1]);
      expect(ref.slice(1, -1).every((id) => id === model.padTokenId)).toBe(true);
      const positions = model.positionIds(ref);
      if (arch === 'bert') expect(positions).toEqual(ref.map((_, i) => i));
      else {
        // Padding sits at padding_idx; other tokens count from padding_idx + 1.
        expect(positions[0]).toBe(2);
        expect(positions.slice(1, -1).every((p) => p === 1)).toBe(true);
        expect(positions[positions.length - 1]).toBe(3);
        expect(model.positionIds(ids)).toEqual(ids.map((_, i) => i + 2));
      }
    });

    it('rejects ids it cannot embed', () => {
      expect(() => model.embed([model.vocabSize])).toThrow(/outside the vocabulary/);
      expect(() => model.embed(new Array<number>(model.maxTokens + 1).fill(5))).toThrow(/at most/);
      expect(() => model.layer(2, tf.zeros([1, 2, 32]) as tf.Tensor3D)).toThrow(/no layer 2/);
    });
  });
}
