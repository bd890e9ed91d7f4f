/**
 * The WASM backend (the CLI's default, the browser's fallback) runs every tiny
 * architecture's forward pass and tangent rules like the CPU backend. Kernels differ
 * between backends (WASM's oneHot once returned 1.4e-45 for a float32 1, which made
 * max pooling's tangent vanish there), so the rules are checked on both.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/random.ts';
import { encodeFrom, hiddenAt } from '../encoder.ts';
import { encodeFromJvp } from '../tangent.ts';
import { loadHfModel } from './load.ts';
import { tinyModelFiles } from './tiny-models.test-support.ts';

async function run(backend: 'cpu' | 'wasm', name: string): Promise<{ e: Float32Array; de: Float32Array }> {
  await tf.setBackend(backend);
  const model = await loadHfModel(tinyModelFiles(name));
  try {
    const ids = model.tokenize('the quick brown fox is not happy today').ids;
    return tf.tidy(() => {
      const x = hiddenAt(model, ids, 1);
      const random = seededRandom(7);
      const [, s, h] = x.shape;
      const dx = tf.tensor4d(Float32Array.from({ length: 3 * x.size }, () => random() - 0.5), [1, 3, s, h]);
      return {
        e: encodeFrom(model, 1, x).dataSync() as Float32Array,
        de: encodeFromJvp(model, 1, { x, dx }).dx.dataSync() as Float32Array,
      };
    });
  } finally {
    model.dispose();
  }
}

function relativeDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

describe('tiny models on WASM agree with CPU', () => {
  for (const name of ['bert', 'bert-maxmean', 'roberta', 'mpnet', 'mpnet-exact']) {
    it(`${name}: embeddings and tangents within 1e-4 (relative)`, async () => {
      const cpu = await run('cpu', name);
      const wasm = await run('wasm', name);
      expect(relativeDiff(wasm.e, cpu.e)).toBeLessThan(1e-4);
      expect(relativeDiff(wasm.de, cpu.de)).toBeLessThan(1e-4);
    });
  }
});
