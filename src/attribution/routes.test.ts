/**
 * The tangent route against the reverse route (the papers' way, and the oracle for the
 * whole g_L tangent) on the real model, CPU backend. The reverse route costs one
 * backward pass per output dimension, so it is checked on a sample of dimensions here;
 * engine.test.ts compares both routes end to end on all 512.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundledModel } from '../model/node-models.ts';
import type { UseLite } from '../model/use-lite/model.ts';
import { jvpChunk, loadGradients, pathTensors, vjpChunk } from './routes.ts';
import { relativeDifference as relativeDiff } from '../shared/vector.ts';

let model: UseLite;
let tangent: UseLite;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await loadGradients();
  model = (await loadBundledModel('use-lite')) as UseLite;
  tangent = model;
});

afterAll(() => model?.dispose());

describe('P by the tangent route equals P by the reverse route (CPU)', () => {
  // 24 of the 512 output dimensions, spread over the range.
  const dims = Array.from({ length: 24 }, (_, k) => (k * 149 + 7) % 512);

  it.each([
    [0, 'A cat sat.', { kind: 'token', id: 30 }],
    [1, 'A cat sat.', { kind: 'token', id: 30 }],
    [1, 'Why?', { kind: 'zeros' }],
  ] as const)('layer %i, %j, reference %o', async (layer, text, reference) => {
    const before = tf.memory().numTensors;
    const path = pathTensors(model, model.tokenize(text).ids, layer, reference);
    const alphas = [0.3, 0.9];
    const [jvp, vjp] = [jvpChunk(tangent, layer, path, alphas), vjpChunk(model, layer, path, alphas, 512, dims)];
    const s = path.delta.shape[1];
    const full = await jvp.data();
    const sampled = new Float32Array(s * dims.length);
    for (let i = 0; i < s; i++) dims.forEach((d, k) => (sampled[i * dims.length + k] = full[i * 512 + d]));
    const rel = relativeDiff(sampled, await vjp.data());
    console.log(`layer ${layer} ${JSON.stringify(text)}: relative difference ${rel.toExponential(2)}`);
    expect(rel).toBeLessThanOrEqual(1e-4);
    tf.dispose([jvp, vjp, path.x, path.r, path.delta]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
