import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../../files.ts';
import { withFiles } from '../tiny-models.test-support.ts';
import { openWeights } from './open-weights.ts';
import { encodeSafetensors } from './safetensors.ts';
import { torchSaveFloat32 } from './torch-save.test-support.ts';

const emptyFiles = { location: 'memory', read: (name: string) => Promise.reject(new ModelFileError(name, 'missing')) };

describe('opening a checkpoint', () => {
  const a = { dtype: 'F32' as const, shape: [2], data: [1, 2] };
  const b = { dtype: 'F16' as const, shape: [1], data: [0.5] };

  it('opens a single model.safetensors', async () => {
    const files = withFiles(emptyFiles, { 'model.safetensors': encodeSafetensors({ a, b }) });
    const source = await openWeights(files);
    expect(source.names().sort()).toEqual(['a', 'b']);
    expect(source.dtypes()).toEqual({ F32: 1, F16: 1 });
    expect(Array.from(source.float32('b'))).toEqual([0.5]);
  });

  it('falls back to the shard index, and finds each tensor in its shard', async () => {
    const files = withFiles(emptyFiles, {
      'model.safetensors.index.json': { metadata: { total_size: 10 }, weight_map: { a: 's1.safetensors', b: 's2.safetensors' } },
      's1.safetensors': encodeSafetensors({ a }),
      's2.safetensors': encodeSafetensors({ b }),
    });
    const source = await openWeights(files);
    expect(Array.from(source.float32('a'))).toEqual([1, 2]);
    expect(source.compact('b')).toEqual({ dtype: 'F16', bits: Uint16Array.of(0x3800) });
    expect(source.shape('b')).toEqual([1]);
    expect(source.has('c')).toBe(false);
    expect(() => source.compact('c')).toThrow(/^s1\.safetensors: has no tensor c/);
  });

  it('reports a shard that lacks a tensor the index places there', async () => {
    const files = withFiles(emptyFiles, {
      'model.safetensors.index.json': { weight_map: { a: 's1.safetensors', b: 's1.safetensors' } },
      's1.safetensors': encodeSafetensors({ a }),
    });
    await expect(openWeights(files)).rejects.toThrow(/^s1\.safetensors: has no tensor b/);
  });

  it('reports a missing checkpoint, naming every file it looked for', async () => {
    await expect(openWeights(emptyFiles)).rejects.toThrow(
      /^model\.safetensors: missing, and there is no model\.safetensors\.index\.json, pytorch_model\.bin or pytorch_model\.bin\.index\.json either$/,
    );
    await expect(openWeights(emptyFiles, { prefix: '2_Dense/' })).rejects.toThrow(/^2_Dense\/model\.safetensors: missing, and there is no model\.safetensors\.index\.json, pytorch_model\.bin/);
  });

  const bin = (tensors: Record<string, number[]>) =>
    torchSaveFloat32('pytorch_model', Object.fromEntries(Object.entries(tensors).map(([name, data]) => [name, { shape: [data.length], data: Float32Array.from(data) }])));

  it('opens pytorch_model.bin when there is no safetensors, reporting its progress', async () => {
    const progress: unknown[] = [];
    const files = withFiles(emptyFiles, { 'pytorch_model.bin': bin({ a: [1, 2], c: [3] }) });
    const source = await openWeights(files, { onProgress: (p) => progress.push(p) });
    expect(source.file).toBe('pytorch_model.bin');
    expect(source.names().sort()).toEqual(['a', 'c']);
    expect(source.dtypes()).toEqual({ F32: 2 });
    expect(Array.from(source.float32('a'))).toEqual([1, 2]);
    expect(progress).toEqual([{ file: 'pytorch_model.bin', loadedBytes: expect.any(Number), totalBytes: expect.any(Number) }]);
  });

  it('prefers safetensors to .bin, and a single file to shards', async () => {
    const all = withFiles(emptyFiles, {
      'model.safetensors': encodeSafetensors({ a }),
      'model.safetensors.index.json': { weight_map: { a: 'never-read.safetensors' } },
      'pytorch_model.bin': bin({ a: [9, 9] }),
      'pytorch_model.bin.index.json': { weight_map: { a: 'never-read.bin' } },
    });
    expect((await openWeights(all)).file).toBe('model.safetensors');
    const noSafetensors = withFiles(all, { 'model.safetensors': null, 'model.safetensors.index.json': null });
    const source = await openWeights(noSafetensors);
    expect(source.file).toBe('pytorch_model.bin');
    expect(Array.from(source.float32('a'))).toEqual([9, 9]);
  });

  it('opens .bin shards through pytorch_model.bin.index.json', async () => {
    const files = withFiles(emptyFiles, {
      'pytorch_model.bin.index.json': { metadata: { total_size: 12 }, weight_map: { a: 'p-1.bin', c: 'p-2.bin' } },
      'p-1.bin': bin({ a: [1, 2] }),
      'p-2.bin': bin({ c: [3] }),
    });
    const source = await openWeights(files);
    expect(source.file).toBe('pytorch_model.bin.index.json');
    expect(Array.from(source.float32('c'))).toEqual([3]);
    const wrong = withFiles(files, { 'p-2.bin': bin({ d: [3] }) });
    await expect(openWeights(wrong)).rejects.toThrow(/^p-2\.bin: has no tensor c, which pytorch_model\.bin\.index\.json places there/);
  });

  it('refuses a .bin checkpoint over the size limit', async () => {
    const files = withFiles(emptyFiles, { 'pytorch_model.bin': bin({ a: [1, 2] }) });
    await expect(openWeights(files, { maxBytes: 100 })).rejects.toThrow(/^pytorch_model\.bin: the model is \d+ bytes, over the 100 bytes limit/);
    const sharded = withFiles(emptyFiles, { 'pytorch_model.bin.index.json': { metadata: { total_size: 5e9 }, weight_map: { a: 'never-read.bin' } } });
    await expect(openWeights(sharded, { maxBytes: 1e9 })).rejects.toThrow(/^pytorch_model\.bin\.index\.json: the model is 5\.00 GB, over the 1\.00 GB limit/);
  });

  it('refuses a checkpoint over the size limit, before reading shards when the index says so', async () => {
    const big = withFiles(emptyFiles, { 'model.safetensors': encodeSafetensors({ a }) });
    await expect(openWeights(big, { maxBytes: 16 })).rejects.toThrow(/over the 16 bytes limit/);
    const sharded = withFiles(emptyFiles, { 'model.safetensors.index.json': { metadata: { total_size: 5e9 }, weight_map: { a: 'never-read.safetensors' } } });
    await expect(openWeights(sharded, { maxBytes: 1e9 })).rejects.toThrow(/^model\.safetensors\.index\.json: the model is 5\.00 GB, over the 1\.00 GB limit/);
  });
});
