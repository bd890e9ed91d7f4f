/**
 * The token-embedding table kept out of TF.js (embedding-table.ts): its rows are bit for
 * bit what the float32 path gave (the whole tensor decoded, then tf.gather) for F32, F16
 * and BF16 files; bad ids are refused; a loaded model holds the table's float32 size
 * less in TF.js; repeated embeds leave nothing behind; a rebuilt model shares the table.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeFrom } from '../encoder.ts';
import type { BertEncoder } from './bert.ts';
import { EmbeddingTable } from './embedding-table.ts';
import { encodeSafetensors, parseSafetensors } from './formats/safetensors.ts';
import { parseTorchWeights } from './formats/torch-bin.ts';
import type { WeightFile } from './formats/weight-file.ts';
import type { Gemma3Encoder } from './gemma3.ts';
import { TINY_GEMMA3_CONFIG, tinyGemma3Files, tinyGemma3Tensors } from './gemma3.test-support.ts';
import { loadHfModel } from './load.ts';
import { tinyModelFiles, tinyModelFolder, withFiles } from './tiny-models.test-support.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const toBuffer = (bytes: Uint8Array): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** A tensor's float32 values as their bit patterns, so -0 and 0 differ and the comparison is exact. */
const bitsOf = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer));

/** What the float32 path gave for rows `ids`: the whole tensor decoded to float32, then tf.gather. */
function float32Path(file: WeightFile, name: string, ids: readonly number[]): number[] {
  const [rows, width] = file.tensors.get(name)!.shape;
  return tf.tidy(() => bitsOf(tf.gather(tf.tensor2d(file.float32(name), [rows, width]), tf.tensor1d(ids as number[], 'int32'))));
}

function tableOf(file: WeightFile, name: string): EmbeddingTable {
  const [rows, width] = file.tensors.get(name)!.shape;
  return new EmbeddingTable(rows, width, file.compact(name));
}

function gathered(table: EmbeddingTable, ids: readonly number[]): number[] {
  return tf.tidy(() => bitsOf(table.gather(ids)));
}

const ROWS = 9;
const WIDTH = 5;
/** Repeats, first and last rows, out of order. */
const IDS = [3, 0, 8, 3, 3, 1, 8];

/** Ordinary values and the edge cases of the 16-bit formats: ±0, half subnormals, the largest half, ±∞, a value that underflows in half. */
function values(): Float32Array {
  const out = Float32Array.from({ length: ROWS * WIDTH }, (_, i) => Math.sin(i * 1.3) * 4);
  out.set([0, -0, 2 ** -24, -3 * 2 ** -20, 65504, Infinity, -Infinity, 1e-30], 7);
  return out;
}

describe.each(['F32', 'F16', 'BF16'] as const)('a table from a %s safetensors tensor', (dtype) => {
  const file = parseSafetensors('t.safetensors', toBuffer(encodeSafetensors({ table: { dtype, shape: [ROWS, WIDTH], data: values() } })));

  it('keeps the file\'s own 16-bit patterns (2 bytes a value), or float32', () => {
    const table = tableOf(file, 'table');
    expect(file.compact('table').dtype).toBe(dtype);
    expect(table.byteLength).toBe(ROWS * WIDTH * (dtype === 'F32' ? 4 : 2));
  });

  it('gives bit for bit the float32 path\'s rows, repeated ids included', () => {
    const table = tableOf(file, 'table');
    const rows = tf.tidy(() => table.gather(IDS).shape);
    expect(rows).toEqual([IDS.length, WIDTH]);
    expect(gathered(table, IDS)).toEqual(float32Path(file, 'table', IDS));
    // Every row, each on its own: the same as the whole tensor decoded.
    const all = Array.from({ length: ROWS }, (_, i) => i);
    expect(gathered(table, all)).toEqual(Array.from(new Uint32Array(file.float32('table').buffer)));
  });
});

describe('tables from PyTorch checkpoints', () => {
  const bytes = (path: string) => toBuffer(new Uint8Array(readFileSync(tinyModelFolder(path))));

  it('a float16 checkpoint (mpnet-exact-bin): word embeddings as F16 patterns, rows bit for bit', () => {
    const file = parseTorchWeights('mpnet', bytes('mpnet-exact-bin/pytorch_model.bin'));
    const name = [...file.tensors.keys()].find((n) => n.endsWith('embeddings.word_embeddings.weight'))!;
    const table = tableOf(file, name);
    expect(file.compact(name).dtype).toBe('F16');
    expect(table.byteLength).toBe(table.rows * table.width * 2);
    const ids = [0, 2, table.rows - 1, 2, 5];
    expect(gathered(table, ids)).toEqual(float32Path(file, name, ids));
  });

  it('BF16, a transposed F32 view, and F64 (kept as float32) from views.bin', () => {
    const file = parseTorchWeights('views.bin', bytes('torch/views.bin'));
    for (const [name, dtype] of [['bf16', 'BF16'], ['transposed', 'F32']] as const) {
      expect(file.compact(name).dtype, name).toBe(dtype);
      expect(gathered(tableOf(file, name), [1, 0, 1]), name).toEqual(float32Path(file, name, [1, 0, 1]));
    }
    const f64 = file.compact('f64');
    expect(f64).toEqual({ dtype: 'F32', values: file.float32('f64') });
  });
});

describe('bad input', () => {
  const table = new EmbeddingTable(3, 2, { dtype: 'BF16', bits: Uint16Array.of(0x3f80, 0, 0x4000, 0, 0x4040, 0) });

  it('refuses ids outside the table, naming the id, and makes no tensor', () => {
    const before = tf.memory().numTensors;
    for (const id of [3, -1, 1.5, NaN, 2 ** 40]) {
      expect(() => table.gather([0, id]), String(id)).toThrow(RangeError);
      expect(() => table.gather([0, id]), String(id)).toThrow(`token id ${id} is outside the embedding table's rows 0..2`);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.tidy(() => Array.from(table.gather([2, 0]).dataSync()))).toEqual([3, 0, 1, 0]);
    expect(tf.tidy(() => table.gather([]).shape)).toEqual([0, 2]);
  });

  it('refuses stored values that do not fill rows × width', () => {
    expect(() => new EmbeddingTable(3, 2, { dtype: 'F16', bits: new Uint16Array(5) })).toThrow(/3 × 2 needs 6 values/);
    expect(() => new EmbeddingTable(3, 2, { dtype: 'F32', values: new Float32Array(7) })).toThrow(/3 × 2 needs 6 values/);
  });
});

describe('a loaded model', () => {
  /** The tiny EmbeddingGemma with every transformer tensor stored as bfloat16, as the published model is. */
  const tensors = tinyGemma3Tensors();
  const bf16Files = () =>
    withFiles(tinyGemma3Files(), {
      'model.safetensors': encodeSafetensors(Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, { ...t, dtype: 'BF16' as const }]))),
    });
  const vocab = TINY_GEMMA3_CONFIG.vocab_size;
  const h = TINY_GEMMA3_CONFIG.hidden_size;

  it('holds the table in JS memory as bfloat16, and that much float32 less in TF.js', async () => {
    const before = tf.memory().numBytes;
    const model = (await loadHfModel(bf16Files(), { id: 'tiny-gemma3-bf16' })) as Gemma3Encoder;
    const held = tf.memory().numBytes - before;
    const table = model.weights.embedTokens;
    expect([table.rows, table.width, table.byteLength]).toEqual([vocab, h, 2 * vocab * h]);
    // The float32 path held every tensor of the file as float32 (fusing keeps the count), and the Dense modules.
    const fileFloats = Object.values(tensors).reduce((n, t) => n + t.data.length, 0);
    const denseFloats = model.dense.reduce((n, d) => n + d.kernel.size + d.bias.size, 0);
    expect(held).toBe(4 * (fileFloats + denseFloats) - 4 * vocab * h);
    model.dispose();
    expect(tf.memory().numBytes).toBe(before);
  });

  it('keeps BERT\'s table as the file stores it: float32, or float16 (bert-fp16)', async () => {
    for (const [folder, bytesPerValue] of [['bert', 4], ['bert-fp16', 2]] as const) {
      const model = (await loadHfModel(tinyModelFiles(folder), { id: `tiny-${folder}` })) as BertEncoder;
      const table = model.weights.wordEmbeddings;
      expect(table.byteLength, folder).toBe(table.rows * table.width * bytesPerValue);
      model.dispose();
    }
  });

  it('leaves no tensors or bytes behind over repeated embeds, and refuses an id past the vocabulary', async () => {
    const model = (await loadHfModel(bf16Files(), { id: 'tiny-gemma3-bf16' })) as Gemma3Encoder;
    const ids = model.tokenize('The quick brown fox is playing in the park today.').ids;
    const first = tf.tidy(() => bitsOf(model.embed(ids)));
    const start = tf.memory();
    for (let i = 0; i < 5; i++) {
      const e = model.embed(ids);
      expect(bitsOf(e)).toEqual(first);
      e.dispose();
    }
    expect(() => model.embed([0, vocab])).toThrow(/outside the vocabulary/);
    expect(tf.memory().numTensors).toBe(start.numTensors);
    expect(tf.memory().numBytes).toBe(start.numBytes);
    model.dispose();
  });

  it('shares the table with a model rebuilt from its named weights; disposing either frees only its own tensors', async () => {
    const before = tf.memory().numTensors;
    const model = (await loadHfModel(bf16Files(), { id: 'tiny-gemma3-bf16' })) as Gemma3Encoder;
    const named = model.namedWeights();
    expect(named.list().some((w) => w.name.startsWith('embeddings.'))).toBe(false);
    const copy = named.rebuild('copy', (_, t) => t.clone()) as Gemma3Encoder;
    expect(copy.weights.embedTokens).toBe(model.weights.embedTokens);
    const ids = model.tokenize('a short text').ids;
    const embedding = (m: Gemma3Encoder) => tf.tidy(() => bitsOf(encodeFrom(m, 0, m.embed(ids))));
    const expected = embedding(model);
    expect(embedding(copy)).toEqual(expected);
    copy.dispose();
    expect(embedding(model)).toEqual(expected);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
