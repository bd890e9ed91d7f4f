import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../files.ts';
import {
  bfloat16ToFloat32,
  encodeSafetensors,
  float32ToHalf,
  halfToFloat32,
  openWeights,
  parseSafetensors,
} from './safetensors.ts';
import { withFiles } from './test-helpers.ts';
import { torchSaveFloat32 } from './torch-test-files.ts';

const toBuffer = (bytes: Uint8Array): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** A hand-made file: header JSON and raw data bytes, with an optional wrong length field. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), lengthField?: number): ArrayBuffer {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, lengthField ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out.buffer;
}

const emptyFiles = { location: 'memory', read: (name: string) => Promise.reject(new ModelFileError(name, 'missing')) };

describe('safetensors parsing', () => {
  it('round-trips float32 tensors with shapes and metadata', () => {
    const a = Float32Array.from([1, -2.5, 3.25, 1e-8, -1e30, 0]);
    const file = parseSafetensors('x.safetensors', toBuffer(encodeSafetensors({ a: { dtype: 'F32', shape: [2, 3], data: a }, b: { dtype: 'F32', shape: [], data: [7] } })));
    expect(file.tensors.get('a')?.shape).toEqual([2, 3]);
    expect(file.tensors.get('b')?.shape).toEqual([]);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(Array.from(file.float32('a'))).toEqual(Array.from(a));
    expect(Array.from(file.float32('b'))).toEqual([7]);
  });

  it('decodes float16 exactly, including subnormals, infinities and NaN', () => {
    const halves = Uint16Array.from([0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x3555, 0x7e00]);
    const values = halfToFloat32(halves);
    expect(Array.from(values.slice(0, 11))).toEqual([0, -0, 1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, 0.333251953125]);
    expect(Number.isNaN(values[11])).toBe(true);
  });

  it('encodes float16 with round-to-nearest-even, so every half survives a round trip', () => {
    for (let h = 0; h < 0x7c00; h += 7) expect(float32ToHalf(halfToFloat32(Uint16Array.of(h))[0])).toBe(h);
    expect(float32ToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float32ToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToHalf(1e6)).toBe(0x7c00); // overflow → ∞
  });

  it('reads F16 and BF16 tensors as float32 within their precision', () => {
    const data = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i) * 3);
    const bytes = encodeSafetensors({ h: { dtype: 'F16', shape: [5, 10], data }, b: { dtype: 'BF16', shape: [50], data } });
    const file = parseSafetensors('m.safetensors', toBuffer(bytes));
    const h = file.float32('h');
    const b = file.float32('b');
    for (let i = 0; i < data.length; i++) {
      expect(Math.abs(h[i] - data[i])).toBeLessThanOrEqual(Math.abs(data[i]) * 2 ** -11 + 1e-7);
      expect(Math.abs(b[i] - data[i])).toBeLessThanOrEqual(Math.abs(data[i]) * 2 ** -8 + 1e-7);
    }
    expect(Array.from(bfloat16ToFloat32(Uint16Array.of(0x3f80, 0xc040)))).toEqual([1, -3]);
  });

  it('reads tensors whose data is not 4-byte aligned', () => {
    // A header of odd length puts the data at an odd offset.
    let header = JSON.stringify({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
    if (header.length % 2 === 0) header += ' ';
    const file = parseSafetensors('odd', rawFile(header, new Uint8Array(new Float32Array([2.5]).buffer)));
    expect(Array.from(file.float32('a'))).toEqual([2.5]);
  });

  it.each([
    ['a file shorter than the length field', new ArrayBuffer(5), /too short/],
    ['a header length past the end', rawFile({}, new Uint8Array(0), 1000), /does not fit/],
    ['a header that is not JSON', rawFile('{nope'), /not valid JSON/],
    ['a header that is a list', rawFile([1, 2]), /not a JSON object/],
    ['an unknown dtype', rawFile({ a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /unknown dtype F8/],
    ['a bad shape', rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape/],
    ['offsets past the data', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), /outside the 4-byte data section/],
    ['a size that does not match the shape', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(8)), /needs 8/],
    [
      'overlapping tensors',
      rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
      /overlap/,
    ],
  ])('rejects %s, naming the file', (_what, buffer, message) => {
    expect(() => parseSafetensors('bad.safetensors', buffer)).toThrow(ModelFileError);
    expect(() => parseSafetensors('bad.safetensors', buffer)).toThrow(/^bad\.safetensors: /);
    expect(() => parseSafetensors('bad.safetensors', buffer)).toThrow(message);
  });

  it('lists integer tensors but refuses to use them as weights', () => {
    const file = parseSafetensors('ids', rawFile({ position_ids: { dtype: 'I64', shape: [1, 2], data_offsets: [0, 16] } }, new Uint8Array(16)));
    expect(file.tensors.get('position_ids')?.dtype).toBe('I64');
    expect(() => file.float32('position_ids')).toThrow(/dtype I64; only F32, F16, BF16 and F64/);
    expect(() => file.float32('nothing')).toThrow(/has no tensor nothing/);
  });
});

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
    expect(source.shape('b')).toEqual([1]);
    expect(source.has('c')).toBe(false);
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
