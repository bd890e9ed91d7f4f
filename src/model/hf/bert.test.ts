/**
 * Each architecture's forward pass and tangent rules on the tiny seeded models (CPU),
 * and the shared operations' tangents. The oracles (reverse mode and finite
 * differences) are in tangent-check.test-support.ts.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrom } from '../encoder.ts';
import { rmsNormTangent } from '../tangent.ts';
import type { BertEncoder } from './bert.ts';
import type { PoolingMode } from './checkpoint.ts';
import { loadHfModel } from './load.ts';
import { bucketMatrix, relativePositionBucket } from './mpnet.ts';
import { activation, activationTangent, gated, gatedTangent, rmsNorm } from './ops.ts';
import { applyRotary, rotaryTables } from './rotary.ts';
import { checkEncodeFromTangent, checkLayerTangent, checkTangent, randn, relError } from './tangent-check.test-support.ts';
import { pool, poolJvp } from './pooling.ts';
import { TINY_ARCHS, tinyModelFiles } from './tiny-models.test-support.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('activations and their tangents', () => {
  for (const kind of ['gelu', 'gelu_tanh', 'relu', 'silu'] as const) {
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

describe('operations of the rotary, gated and RMS-normalised architectures', () => {
  it('RMSNorm and its tangent', () => {
    const scale = randn([7], 11, 0.5);
    const x = randn([2, 5, 7], 12, 2);
    checkTangent((z) => rmsNorm(z, scale as tf.Tensor1D, 1e-6), (z, dz) => ({ x: rmsNorm(z, scale as tf.Tensor1D, 1e-6), dx: rmsNormTangent(z, dz, scale as tf.Tensor1D, 1e-6) }), x, 13);
    tf.dispose([scale, x]);
  });

  for (const kind of ['gelu_tanh', 'silu'] as const) {
    it(`a gated unit (${kind}) and its tangent`, () => {
      // f(z) = act(z[..., :4]) ⊙ z[..., 4:], the gate and the up projection from one input.
      const split = (z: tf.Tensor) => tf.split(z, 2, -1);
      const f = (z: tf.Tensor) => {
        const [g, u] = split(z);
        return gated(kind, g, u);
      };
      const jvp = (z: tf.Tensor, dz: tf.Tensor) => {
        const [g, u] = split(z);
        const [dg, du] = split(dz);
        return { x: gated(kind, g, u), dx: gatedTangent(kind, g, dg, u, du) };
      };
      const x = randn([2, 5, 8], 14, 1.5);
      checkTangent(f, jvp, x, 15);
      x.dispose();
    });
  }

  it('rotary embeddings: a rotation whose scores depend only on the distance, and tangent = the same rotation', () => {
    tf.tidy(() => {
      const tables = rotaryTables(6, 8, 10_000);
      const x = randn([1, 2, 6, 8], 16);
      // A rotation keeps each token's length.
      expect(relError(tf.norm(applyRotary(x, tables), 2, -1), tf.norm(x, 2, -1))).toBeLessThan(1e-6);
      // The same q at position 1 and k at 3 score as at positions 2 and 4.
      const q = randn([8], 17);
      const k = randn([8], 18);
      const at = (v: tf.Tensor, p: number) => applyRotary(tf.reshape(v, [1, 8]), rotaryTables(1, 8, 10_000, [p]));
      const score = (pq: number, pk: number) => tf.sum(tf.mul(at(q, pq), at(k, pk))).dataSync()[0];
      expect(score(1, 3)).toBeCloseTo(score(2, 4), 5);
      expect(Math.abs(score(1, 3) - score(1, 4))).toBeGreaterThan(1e-3);
      // Linear: the tangent of x ↦ rotary(x) is the rotary of the tangent (here with partial rotary).
      const partial = rotaryTables(6, 4, 10_000);
      checkTangent((z) => applyRotary(z, partial), (z, dz) => ({ x: applyRotary(z, partial), dx: applyRotary(dz, partial) }), x, 19);
    });
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
          checkLayerTangent(model, l, x, 20 + l);
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
          checkEncodeFromTangent(model, start, x, 40 + from);
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
