/**
 * use-lite's tangent rules on the real weights and real hidden states of a short
 * text (CPU backend), stage by stage, against
 *  - the forward pass: the primal each rule carries is the model's own output;
 *  - tf.grad: ⟨u, J·v⟩ = ⟨∇_x ⟨u, f(x)⟩, v⟩ for random cotangents u and directions v;
 *  - central finite differences in float32. Hidden states reach ~100, so the step
 *    is relative: h = fdStep · ‖x‖∞ / ‖v‖∞. Steps and tolerances were measured here
 *    (relative Frobenius error, best step of 1e-1…3e-6) and are stated per stage:
 *    through the layers, float32 rounding and ReLU kinks leave differences good to
 *    only ~1e-3, while tf.grad agrees to ~1e-7, so tf.grad is the tight oracle.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hiddenAt } from '../encoder.ts';
import { loadBundledModel } from '../node-models.ts';
import { encodeFromJvp } from '../tangent.ts';
import type { UseLite } from './model.ts';
import { relativeDifference as relative } from '../../shared/vector.ts';

const T = 3;
let model: UseLite;
let tangent: UseLite;

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = (await loadBundledModel('use-lite')) as UseLite;
  tangent = model;
});

afterAll(() => model?.dispose());

interface Stage {
  name: string;
  /** Primal input, [B, ...]. */
  input: () => tf.Tensor;
  forward: (x: tf.Tensor) => tf.Tensor;
  jvp: (x: tf.Tensor, dx: tf.Tensor) => { x: tf.Tensor; dx: tf.Tensor };
  fdStep: number;
  fdTolerance: number;
}

const TEXT = 'A cat sat.';
// hiddenAt does not dispose the intermediate layers' outputs, hence the tidy.
const hidden = (l: number) => () => tf.tidy(() => hiddenAt(model, model.tokenize(TEXT).ids, l));
const pooledInput = () => tf.tidy(() => model.pool(hiddenAt(model, model.tokenize(TEXT).ids, 2)));
const headInput = () => tf.tidy(() => model.head(pooledInput()));

const STAGES: Stage[] = [
  {
    name: 'layer 0',
    input: hidden(0),
    forward: (x) => model.layer(0, x as tf.Tensor3D),
    jvp: (x, dx) => tangent.layerJvp(0, { x: x as tf.Tensor3D, dx: dx as tf.Tensor4D }),
    // measured 9.4e-4 (best of steps 1e-1…3e-6)
    fdStep: 1e-4,
    fdTolerance: 5e-3,
  },
  {
    name: 'layer 1',
    input: hidden(1),
    forward: (x) => model.layer(1, x as tf.Tensor3D),
    jvp: (x, dx) => tangent.layerJvp(1, { x: x as tf.Tensor3D, dx: dx as tf.Tensor4D }),
    // measured 2.4e-3 (best of steps 1e-1…3e-6)
    fdStep: 1e-5,
    fdTolerance: 1e-2,
  },
  {
    name: 'mean pooling',
    input: hidden(2),
    forward: (x) => model.pool(x as tf.Tensor3D),
    jvp: (x, dx) => tangent.poolJvp({ x: x as tf.Tensor3D, dx: dx as tf.Tensor4D }),
    // linear: measured 1.5e-6
    fdStep: 1e-2,
    fdTolerance: 1e-4,
  },
  {
    name: 'tanh head',
    input: pooledInput,
    forward: (x) => model.head(x as tf.Tensor2D),
    jvp: (x, dx) => tangent.headJvp({ x: x as tf.Tensor2D, dx: dx as tf.Tensor3D }),
    // measured 5.1e-5
    fdStep: 1e-3,
    fdTolerance: 1e-3,
  },
  {
    name: 'L2 normalisation',
    input: headInput,
    forward: (x) => model.normalize(x as tf.Tensor2D),
    jvp: (x, dx) => tangent.normalizeJvp({ x: x as tf.Tensor2D, dx: dx as tf.Tensor3D }),
    // measured 1.1e-5
    fdStep: 1e-2,
    fdTolerance: 1e-3,
  },
  {
    name: 'g_0 (whole network from the embedding output)',
    input: hidden(0),
    forward: (x) => model.normalize(model.head(model.pool(model.layer(1, model.layer(0, x as tf.Tensor3D))))),
    jvp: (x, dx) => encodeFromJvp(tangent, 0, { x: x as tf.Tensor3D, dx: dx as tf.Tensor4D }),
    // measured 8.0e-3: two layers of ReLU kinks and float32 rounding
    fdStep: 1e-5,
    fdTolerance: 3e-2,
  },
];

function maxAbs(t: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]);
}

describe('use-lite tangent rules (CPU, real weights)', () => {
  it.each(STAGES.map((s) => [s.name, s]))('%s', async (_name, stage) => {
    const before = tf.memory().numTensors;
    const x = stage.input();
    const [, ...rest] = x.shape;
    const dx = tf.tidy(() => tf.randomNormal([1, T, ...rest], 0, 1, 'float32', 7));
    const out = tf.tidy(() => stage.jvp(x, dx));

    // Primal: exactly the forward pass.
    const forward = tf.tidy(() => stage.forward(x));
    expect(tf.tidy(() => maxAbs(tf.sub(out.x, forward)))).toBe(0);

    // tf.grad: ⟨u, J v_t⟩ against ⟨Jᵀu, v_t⟩ for two cotangents.
    let worstGrad = 0;
    for (const seed of [21, 22]) {
      const [lhs, rhs] = tf.tidy(() => {
        const u = tf.randomNormal(forward.shape, 0, 1, 'float32', seed);
        const g = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(stage.forward(z), u)))(x); // [1, ...]
        const after = (t: tf.Tensor) => Array.from({ length: t.rank - 2 }, (_, k) => k + 2);
        return [
          tf.sum(tf.mul(tf.expandDims(u, 1), out.dx), after(out.dx)),
          tf.sum(tf.mul(tf.expandDims(g, 1), dx), after(dx)),
        ];
      });
      worstGrad = Math.max(worstGrad, relative(await lhs.data(), await rhs.data()));
      tf.dispose([lhs, rhs]);
    }

    // Finite differences, step relative to the input's scale.
    const h = (stage.fdStep * maxAbs(x)) / maxAbs(dx);
    const fd = tf.tidy(() => {
      const parts: tf.Tensor[] = [];
      for (let t = 0; t < T; t++) {
        const v = tf.squeeze(tf.slice(dx, [0, t], [-1, 1]), [1]);
        const plus = stage.forward(tf.add(x, tf.mul(v, h)));
        const minus = stage.forward(tf.sub(x, tf.mul(v, h)));
        parts.push(tf.expandDims(tf.div(tf.sub(plus, minus), 2 * h), 1));
      }
      return tf.concat(parts, 1);
    });
    const fdErr = relative(await out.dx.data(), await fd.data());
    console.log(`${stage.name}: vs tf.grad ${worstGrad.toExponential(2)}, vs differences ${fdErr.toExponential(2)} (h = ${h.toExponential(1)})`);
    expect(worstGrad).toBeLessThan(1e-4);
    expect(fdErr).toBeLessThan(stage.fdTolerance);
    tf.dispose([x, dx, out.x, out.dx, forward, fd]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
