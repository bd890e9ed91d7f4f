/**
 * Fidelity of our USE-lite against the original TF.js graph, executed by the
 * maintained @tensorflow/tfjs-converter on the CPU backend: every stage against its
 * graph node, and the final embeddings within 1e-5.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledModelFolder, loadBundledModel } from '../node-models.ts';
import { encodeFrom } from '../encoder.ts';
import type { UseLite } from './model.ts';
import { timingSignal } from './ops.ts';
import { FIDELITY_TEXTS } from './texts.test-support.ts';

const ENCODE = 'module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/';
const NODES = {
  embedding: `${ENCODE}Layer_0/add`,
  layer0: `${ENCODE}Layer_0/TransformerLayer/FFN/layer_postprocess/add`,
  layer1: `${ENCODE}Layer_1/TransformerLayer/FFN/layer_postprocess/add`,
  pooled: 'module_apply_default/Encoder_en/KonaTransformer/div',
  head: 'module_apply_default/Encoder_en/hidden_layers/tanh_layer_0/Tanh',
  output: 'module_apply_default/Encoder_en/hidden_layers/l2_normalize',
};

let graph: GraphModel;
let model: UseLite;
let worstOutputDiff = 0;

async function loadGraph(): Promise<GraphModel> {
  const folder = bundledModelFolder('use-lite');
  const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const shards = await Promise.all(group.paths.map((p: string) => readFile(join(folder, p))));
  const weightData = tf.io.concatenateArrayBuffers(shards.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
  return loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData }));
}

async function graphStages(ids: number[]): Promise<Record<keyof typeof NODES, Float32Array>> {
  const indices = tf.tensor2d(ids.map((_, i) => [0, i]), [ids.length, 2], 'int32');
  const values = tf.tensor1d(ids, 'int32');
  const names = Object.keys(NODES) as Array<keyof typeof NODES>;
  const outputs = (await graph.executeAsync({ indices, values }, names.map((n) => NODES[n]))) as tf.Tensor[];
  const result = {} as Record<keyof typeof NODES, Float32Array>;
  names.forEach((name, i) => (result[name] = outputs[i].dataSync() as Float32Array));
  tf.dispose([indices, values, ...outputs]);
  return result;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  [graph, model] = await Promise.all([loadGraph(), loadBundledModel('use-lite') as Promise<UseLite>]);
});

afterAll(() => {
  console.log(`worst embedding difference from the graph: ${worstOutputDiff.toExponential(2)}`);
  model?.dispose();
  graph?.dispose();
});

describe('use-lite against the original graph (CPU backend)', () => {
  it('has at least 30 varied texts, one of them over the token limit', () => {
    expect(FIDELITY_TEXTS.length).toBeGreaterThanOrEqual(30);
    expect(FIDELITY_TEXTS.some((t) => model.tokenize(t).droppedTokens > 0)).toBe(true);
  });

  it.each(FIDELITY_TEXTS.map((t) => [t]))('matches every stage for %j', async (text) => {
    const { ids } = model.tokenize(text);
    const expected = await graphStages(ids);
    const stages = tf.tidy(() => {
      const x0 = model.embed(ids);
      const x1 = model.layer(0, x0);
      const x2 = model.layer(1, x1);
      const pooled = model.pool(x2);
      const head = model.head(pooled);
      const output = model.normalize(head);
      return { embedding: x0, layer0: x1, layer1: x2, pooled, head, output };
    });
    const got = Object.fromEntries(Object.entries(stages).map(([k, t]) => [k, t.dataSync()]));
    tf.dispose(Object.values(stages));

    // Hidden states reach ~100 in magnitude, so compare them relative to their scale
    // (measured: embedding and layer 0 agree to 1e-6, layer 1 and pooling to 4e-6, the
    // graph's 1x1 convolutions summing in another order than our matMul);
    // the last two stages are O(1) and compared absolutely.
    for (const name of ['embedding', 'layer0', 'layer1', 'pooled'] as const) {
      const scale = Math.max(...Array.from(expected[name], Math.abs));
      expect(maxAbsDiff(got[name], expected[name]) / scale, name).toBeLessThanOrEqual(1e-5);
    }
    expect(maxAbsDiff(got.head, expected.head)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(got.output, expected.output)).toBeLessThanOrEqual(1e-5);
    worstOutputDiff = Math.max(worstOutputDiff, maxAbsDiff(got.output, expected.output));
  });

  it("computes the timing signal as the CPU backend's tf.sin and tf.cos would, bit for bit", () => {
    // Written in JavaScript because WebGPU's sin and cos are only 2⁻¹¹-accurate (issue 12; ops.ts).
    const [ours, kernels] = tf.tidy(() => {
      const angles = tf.mul(tf.expandDims(tf.range(0, model.maxTokens, 1, 'float32'), 1), model.weights.inverseTimescales);
      return [timingSignal(model.weights.inverseTimescales, model.maxTokens), tf.concat([tf.sin(angles), tf.cos(angles)], 1)];
    });
    expect(ours.shape).toEqual([model.maxTokens, 256]);
    expect(maxAbsDiff(ours.dataSync(), kernels.dataSync())).toBe(0);
    tf.dispose([ours, kernels]);
  });

  it('encodeFrom(L) on the hidden states at L reproduces the embedding', () => {
    const { ids } = model.tokenize('Starting from any layer gives the same embedding.');
    const diffs = tf.tidy(() => {
      const x0 = model.embed(ids);
      const full = encodeFrom(model, 0, x0);
      return [1, 2].map((L) => {
        let h = x0;
        for (let l = 0; l < L; l++) h = model.layer(l, h);
        return tf.max(tf.abs(tf.sub(encodeFrom(model, L, h), full))).dataSync()[0];
      });
    });
    for (const d of diffs) expect(d).toBe(0);
  });
});
