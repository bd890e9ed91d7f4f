/**
 * WebGPU in Node (Dawn's binding): where an adapter exists, the same embedding and the
 * same small attribution on WebGPU and on WASM agree; where none does, the tests that
 * need one are reported as skipped with the reason, and the error is checked instead.
 * Without a GPU, Chromium's SwiftShader gives an adapter:
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx vitest run src/cli/node-backend.test.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AttributionEngine } from '../attribution/engine.ts';
import { embedText } from '../model/encoder.ts';
import { loadBundledModel } from '../model/node-models.ts';
import { describeNodeBackend, NoGpuError, nodeGpuAdapter, startNodeBackend } from './node-backend.ts';
import { parseBackend, UsageError } from './options.ts';

const noAdapter: string | null = await nodeGpuAdapter().then(
  () => null,
  (error: Error) => error.message,
);

describe('the --backend flag', () => {
  it('takes wasm, cpu and webgpu, and names them when it gets something else', () => {
    expect(parseBackend('webgpu')).toBe('webgpu');
    expect(parseBackend('wasm')).toBe('wasm');
    expect(() => parseBackend('gpu')).toThrow(UsageError);
    expect(() => parseBackend('gpu')).toThrow('wasm or cpu (or webgpu, on a GPU)');
  });
});

describe.skipIf(noAdapter === null)('without a WebGPU adapter', () => {
  it('says why and what to use instead', async () => {
    const error = await startNodeBackend('webgpu').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoGpuError);
    expect((error as Error).message).toMatch(/WebGPU|webgpu/);
    expect((error as Error).message).toContain('--backend wasm');
  });
});

describe.skipIf(noAdapter !== null)(`WebGPU in Node${noAdapter ? ` (skipped: ${noAdapter.split(':')[0]})` : ''}`, () => {
  it('embeds and attributes as WASM does', async () => {
    const text = { a: 'The cat sat on the mat.', b: 'A dog lay on the rug.' };
    const run = async (backend: 'wasm' | 'webgpu') => {
      await startNodeBackend(backend);
      const model = await loadBundledModel('use-lite');
      try {
        const embedding = (await embedText(model, text.a)).embedding;
        const engine = new AttributionEngine(model);
        const result = await engine.attribute({ ...text, layer: 1, steps: 8, rule: 'midpoint', mode: 'approx', sim: 'cos' });
        return { embedding, matrix: Float32Array.from(result.matrix), label: describeNodeBackend() };
      } finally {
        model.dispose();
      }
    };
    const wasm = await run('wasm');
    const gpu = await run('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(gpu.label).toMatch(/^webgpu \(/);
    const maxAbs = (xs: Float32Array) => xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const maxDiff = (x: Float32Array, y: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
    const embedding = maxDiff(gpu.embedding, wasm.embedding) / maxAbs(wasm.embedding);
    const matrix = maxDiff(gpu.matrix, wasm.matrix) / maxAbs(wasm.matrix);
    console.log(`${gpu.label} vs wasm, of the largest value: embedding ${embedding.toExponential(2)}, A ${matrix.toExponential(2)}`);
    // Bounds from measurement, Dawn on SwiftShader: embedding 5.6e-6, A 8.1e-7 (8.0e-4 and 5.3e-4 while
    // use-lite's timing signal came from WebGPU's 2⁻¹¹-accurate sin and cos; issue 12, scripts/backend-diff.ts).
    expect(embedding).toBeLessThan(1e-5);
    expect(matrix).toBeLessThan(5e-6);
  }, 600_000);
});
