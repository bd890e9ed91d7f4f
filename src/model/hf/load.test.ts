/** Loading the tiny Hub-layout folders end to end from disk, and every kind of bad input. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeFrom, hiddenAt } from '../encoder.ts';
import { ModelFileError } from '../files.ts';
import { encodeFromJvp } from '../tangent.ts';
import type { HfSentenceEncoder } from './sentence-encoder.ts';
import { readCheckpoint } from './checkpoint.ts';
import { loadHfModel } from './load.ts';
import { encodeSafetensors, parseSafetensors } from './formats/safetensors.ts';
import { patchCentralRecord, stateDictPickle, torchSaveBytes, torchSaveFloat32, type PickledTensor } from './formats/torch-save.test-support.ts';
import { readStoredZip } from './formats/zip.ts';
import { readJson, TINY_ARCHS, tinyModelFiles, withFiles } from './tiny-models.test-support.ts';

const TEXT = 'A man is playing the guitar outside today.';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function embedText(model: HfSentenceEncoder, text = TEXT): Float32Array {
  return tf.tidy(() => encodeFrom(model, 0, model.embed(model.tokenize(text).ids)).dataSync() as Float32Array);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

describe('loading tiny models from disk', () => {
  it.each(TINY_ARCHS)('%s loads, embeds, and frees every tensor on dispose', async (arch) => {
    const before = tf.memory().numTensors;
    const model = await loadHfModel(tinyModelFiles(arch));
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    const e = embedText(model);
    expect(e.length).toBe(model.outputSize);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads the sentence-transformers modules of each folder', async () => {
    const bert = await readCheckpoint(tinyModelFiles('bert'));
    expect(bert).toMatchObject({ pooling: ['mean'], normalize: true, dense: [], exact: false, maxSeqLength: 48 });
    expect(bert.config).toMatchObject({ architecture: 'bert', hiddenSize: 32, numLayers: 2, numHeads: 4, activation: 'gelu', layerNormEps: 1e-12 });
    const roberta = await readCheckpoint(tinyModelFiles('roberta'));
    expect(roberta).toMatchObject({ pooling: ['cls'], normalize: false });
    expect(roberta.config).toMatchObject({ architecture: 'roberta', activation: 'gelu_tanh', padTokenId: 1, typeVocabSize: 1 });
    const mpnet = await readCheckpoint(tinyModelFiles('mpnet'));
    expect(mpnet).toMatchObject({ pooling: ['mean'], normalize: true, dense: [{ path: '2_Dense/', inFeatures: 32, outFeatures: 16, activation: 'tanh' }] });
  });

  it('gives the same embedding from fp32, sharded and (within fp16 precision) fp16 weights', async () => {
    const [fp32, sharded, fp16] = await Promise.all(['bert', 'bert-sharded', 'bert-fp16'].map((n) => loadHfModel(tinyModelFiles(n))));
    const e = embedText(fp32);
    expect(maxDiff(embedText(sharded), e)).toBe(0);
    const d16 = maxDiff(embedText(fp16), e);
    expect(d16).toBeGreaterThan(0);
    expect(d16).toBeLessThan(5e-3);
    [fp32, sharded, fp16].forEach((m) => m.dispose());
  });

  it.each([
    ['bert-bin', 'bert'],
    ['roberta-bin-sharded', 'roberta'],
  ])('%s (PyTorch .bin) gives exactly the embeddings of %s (safetensors)', async (bin, safetensors) => {
    const before = tf.memory().numTensors;
    const [fromBin, reference] = await Promise.all([loadHfModel(tinyModelFiles(bin)), loadHfModel(tinyModelFiles(safetensors))]);
    for (const text of [TEXT, 'Short.', 'Another sentence, with punctuation; and more words than before!']) {
      expect(maxDiff(embedText(fromBin, text), embedText(reference, text)), text).toBe(0);
    }
    const paddingIds = fromBin.referenceIds(fromBin.tokenize(TEXT).ids);
    const embedReference = (m: HfSentenceEncoder) => tf.tidy(() => encodeFrom(m, 0, m.embed(paddingIds)).dataSync() as Float32Array);
    expect(maxDiff(embedReference(fromBin), embedReference(reference))).toBe(0);
    [fromBin, reference].forEach((m) => m.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads the float16 .bin of an exact checkpoint as exact, within float16 rounding of its float32 folder', async () => {
    const [fromBin, reference] = await Promise.all(['mpnet-exact-bin', 'mpnet-exact'].map((n) => loadHfModel(tinyModelFiles(n))));
    expect(fromBin.exact).toBe(true);
    expect(fromBin.checkpoint.config.architecture).toBe('mpnet');
    const d16 = maxDiff(embedText(fromBin), embedText(reference));
    expect(d16).toBeGreaterThan(0);
    expect(d16).toBeLessThan(5e-3);
    [fromBin, reference].forEach((m) => m.dispose());
  });

  it('reads a Dense module from 2_Dense/pytorch_model.bin', async () => {
    const base = tinyModelFiles('mpnet');
    const dense = parseSafetensors('2_Dense/model.safetensors', await base.read('2_Dense/model.safetensors'));
    const tensors = Object.fromEntries([...dense.tensors].map(([name, info]) => [name, { shape: info.shape, data: dense.float32(name) }]));
    const files = withFiles(base, { '2_Dense/model.safetensors': null, '2_Dense/pytorch_model.bin': torchSaveFloat32('pytorch_model', tensors) });
    const [fromBin, reference] = await Promise.all([loadHfModel(files), loadHfModel(base)]);
    expect(fromBin.outputSize).toBe(16);
    expect(maxDiff(embedText(fromBin), embedText(reference))).toBe(0);
    [fromBin, reference].forEach((m) => m.dispose());
  });

  it('reports the progress of .bin shards by file, never past 100%', async () => {
    const reports: Array<{ file: string; loadedBytes: number; totalBytes: number }> = [];
    const model = await loadHfModel(tinyModelFiles('roberta-bin-sharded'), { onProgress: (p) => reports.push(p) });
    expect(reports.map((r) => r.file)).toEqual(['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin']);
    for (const r of reports) expect(r.loadedBytes).toBeLessThanOrEqual(r.totalBytes);
    model.dispose();
  });

  it('treats a folder without modules.json as a plain transformer with mean pooling', async () => {
    const files = withFiles(tinyModelFiles('bert'), { 'modules.json': null });
    const checkpoint = await readCheckpoint(files);
    expect(checkpoint).toMatchObject({ pooling: ['mean'], normalize: false });
  });

  it('concatenates several pooling modes in sentence-transformers order', async () => {
    const base = tinyModelFiles('roberta');
    const pooling = await readJson(base, '1_Pooling/config.json');
    const files = withFiles(base, { '1_Pooling/config.json': { ...pooling, pooling_mode_max_tokens: true, pooling_mode_mean_tokens: true } });
    const model = await loadHfModel(files);
    expect(model.checkpoint.pooling).toEqual(['cls', 'max', 'mean']);
    expect(model.outputSize).toBe(96);
    expect(embedText(model).length).toBe(96);
    model.dispose();
  });

  it('loads a checkpoint of the papers’ shifting model as an exact model with their reference ids', async () => {
    const base = tinyModelFiles('roberta');
    const modules = (await readJson(base, 'modules.json')) as unknown as Array<Record<string, unknown>>;
    modules[0].type = 'xsbert.models.ShiftingReferenceTransformer';
    const model = await loadHfModel(withFiles(base, { 'modules.json': modules }));
    expect(model.exact).toBe(true);
    expect(model.referenceIds([0, 50, 60, 70, 2])).toEqual([0, 1, 1, 1, 2]);
    model.dispose();
  });

  it('satisfies completeness along the path to its reference (Σ_i P[:, i] = f(x) − f(r))', async () => {
    const model = await loadHfModel(tinyModelFiles('mpnet'));
    const ids = model.tokenize('the cat sat on the mat').ids;
    const steps = 64;
    tf.tidy(() => {
      for (const layer of [0, 1]) {
        const x = hiddenAt(model, ids, layer);
        const r = hiddenAt(model, model.referenceIds(ids), layer);
        const delta = tf.sub(x, r);
        const alphas = Array.from({ length: steps }, (_, k) => (k + 0.5) / steps); // midpoint rule
        const points = tf.add(r, tf.mul(tf.tensor3d(alphas, [steps, 1, 1]), delta)) as tf.Tensor3D;
        const dx = tf.tile(tf.expandDims(delta, 1), [steps, 1, 1, 1]) as tf.Tensor4D; // v = Δ (all tokens at once)
        const integral = tf.div(tf.sum(encodeFromJvp(model, layer, { x: points, dx }).dx, [0, 1]), steps);
        const exact = tf.sub(encodeFrom(model, layer, x), encodeFrom(model, layer, r));
        const err = tf.max(tf.abs(tf.sub(integral, exact))).dataSync()[0];
        const size = tf.max(tf.abs(exact)).dataSync()[0];
        expect(err).toBeLessThan(2e-3 * size);
      }
    });
    model.dispose();
  });
});

describe('bad input is reported by file', () => {
  const bert = () => tinyModelFiles('bert');

  async function rejects(files: Parameters<typeof loadHfModel>[0], message: RegExp, options = {}): Promise<void> {
    const before = tf.memory().numTensors;
    const error = await loadHfModel(files, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as Error).message).toMatch(message);
    expect(tf.memory().numTensors).toBe(before); // nothing leaks from a failed load
  }

  it('an unknown architecture', async () => {
    const config = await readJson(bert(), 'config.json');
    await rejects(withFiles(bert(), { 'config.json': { ...config, model_type: 'gpt2' } }), /^config\.json: model_type "gpt2" is not supported/);
  });

  it('an unsupported activation or position embedding', async () => {
    const config = await readJson(bert(), 'config.json');
    await rejects(withFiles(bert(), { 'config.json': { ...config, hidden_act: 'quick_gelu' } }), /hidden_act "quick_gelu" is not supported/);
    await rejects(withFiles(bert(), { 'config.json': { ...config, position_embedding_type: 'relative_key' } }), /relative_key/);
  });

  it('a missing or corrupt file', async () => {
    await rejects(withFiles(bert(), { 'config.json': null }), /^config\.json: missing/);
    await rejects(withFiles(bert(), { 'config.json': '{ not json' }), /^config\.json: not valid JSON/);
    await rejects(withFiles(bert(), { 'tokenizer.json': null }), /^tokenizer\.json: missing/);
    await rejects(
      withFiles(bert(), { 'model.safetensors': null }),
      /^model\.safetensors: missing, and there is no model\.safetensors\.index\.json, pytorch_model\.bin or pytorch_model\.bin\.index\.json either$/,
    );
    await rejects(withFiles(bert(), { 'model.safetensors': new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) }), /^model\.safetensors: header length/);
    await rejects(withFiles(bert(), { '1_Pooling/config.json': { pooling_mode_mean_tokens: false } }), /^1_Pooling\/config\.json: enables no pooling mode/);
    await rejects(withFiles(bert(), { 'modules.json': [{ idx: 0, path: '', type: 'sentence_transformers.models.CNN' }] }), /^modules\.json: module type .*CNN is not supported/);
  });

  it('weights that do not match config.json', async () => {
    const config = await readJson(bert(), 'config.json');
    await rejects(withFiles(bert(), { 'config.json': { ...config, intermediate_size: 48 } }), /^model\.safetensors: tensor encoder\.layer\.0\.intermediate\.dense\.weight has shape \[64, 32\], config\.json implies \[48, 32\]/);
    const partial = encodeSafetensors({ 'embeddings.word_embeddings.weight': { dtype: 'F32', shape: [config.vocab_size as number, 32], data: new Float32Array((config.vocab_size as number) * 32) } });
    await rejects(withFiles(bert(), { 'model.safetensors': partial }), /^model\.safetensors: has no tensor embeddings\.position_embeddings\.weight/);
    await rejects(withFiles(tinyModelFiles('bert-bin'), { 'config.json': { ...config, intermediate_size: 48 } }), /^pytorch_model\.bin: tensor encoder\.layer\.0\.intermediate\.dense\.weight has shape \[64, 32\], config\.json implies \[48, 32\]/);
    await rejects(withFiles(tinyModelFiles('roberta-bin-sharded'), { 'config.json': { ...(await readJson(tinyModelFiles('roberta'), 'config.json')), num_hidden_layers: 3 } }), /^pytorch_model\.bin\.index\.json: has no tensor encoder\.layer\.2\./);
  });

  describe('a broken PyTorch checkpoint', () => {
    const bin = () => tinyModelFiles('bert-bin');
    const original = async () => new Uint8Array(await bin().read('pytorch_model.bin'));
    const withBin = (bytes: Uint8Array) => withFiles(bin(), { 'pytorch_model.bin': bytes });

    it('truncated', async () => {
      const bytes = await original();
      await rejects(withBin(bytes.slice(0, bytes.length >> 1)), /^pytorch_model\.bin: is truncated/);
    });

    it('with a corrupt pickle', async () => {
      const bytes = await original();
      const pickle = readStoredZip('pytorch_model.bin', bytes.buffer as ArrayBuffer).bytes('pytorch_model/data.pkl');
      bytes[pickle.byteOffset + 2] = 'i'.charCodeAt(0); // GLOBAL → INST
      await rejects(withBin(bytes), /^pytorch_model\.bin: pytorch_model\/data\.pkl, byte 2: opcode 0x69 'i' \(INST\) is not one torch\.save writes/);
    });

    it('naming a forbidden global', async () => {
      const tensors: Record<string, PickledTensor> = { 'embeddings.word_embeddings.weight': { storageType: 'FloatStorage', key: '0', numel: 1, shape: [1] } };
      const evil = torchSaveBytes('pytorch_model', stateDictPickle(tensors, ['os', 'system']), { '0': new Uint8Array(4) });
      await rejects(withBin(evil), /^pytorch_model\.bin: pytorch_model\/data\.pkl, byte \d+: names the global os\.system, which is not allowed/);
    });

    it('with a compressed entry', async () => {
      const compressed = patchCentralRecord(await original(), 'pytorch_model/data/5', (v, at) => v.setUint16(at + 10, 8, true));
      await rejects(withBin(compressed), /^pytorch_model\.bin: entry pytorch_model\/data\/5 is compressed \(deflate\)/);
    });

    it('missing a storage entry', async () => {
      const renamed = patchCentralRecord(await original(), 'pytorch_model/data/5', (v, at) => v.setUint8(at + 46 + 19, 'x'.charCodeAt(0)));
      await rejects(withBin(renamed), /^pytorch_model\.bin: has no entry pytorch_model\/data\/5, the storage data\.pkl refers to/);
    });

    it('with an integer tensor where a weight should be, after other weights were built', async () => {
      const reference = parseSafetensors('model.safetensors', await tinyModelFiles('bert').read('model.safetensors'));
      const tensors: Record<string, PickledTensor> = {};
      const storages: Record<string, Uint8Array> = {};
      [...reference.tensors].forEach(([name, info], i) => {
        const numel = info.shape.reduce((a, b) => a * b, 1);
        const integer = name === 'encoder.layer.1.output.dense.weight';
        tensors[name] = { storageType: integer ? 'LongStorage' : 'FloatStorage', key: String(i), numel, shape: info.shape };
        storages[String(i)] = new Uint8Array(numel * (integer ? 8 : 4));
      });
      await rejects(
        withBin(torchSaveBytes('pytorch_model', stateDictPickle(tensors), storages)),
        /^pytorch_model\.bin: tensor encoder\.layer\.1\.output\.dense\.weight has dtype I64; only F32, F16, BF16 and F64 weights are supported/,
      );
    });
  });

  it('an unsupported dtype', async () => {
    const header = JSON.stringify({ 'embeddings.word_embeddings.weight': { dtype: 'I8', shape: [1, 1], data_offsets: [0, 1] } });
    const bytes = new Uint8Array(8 + header.length + 1);
    new DataView(bytes.buffer).setUint32(0, header.length, true);
    bytes.set(new TextEncoder().encode(header), 8);
    const config = await readJson(bert(), 'config.json');
    await rejects(withFiles(bert(), { 'model.safetensors': bytes, 'config.json': { ...config, vocab_size: 1, hidden_size: 1, num_attention_heads: 1 } }), /^model\.safetensors: tensor embeddings\.word_embeddings\.weight has dtype I8; only F32, F16, BF16 and F64/);
  });

  it('a model over the size limit, refused from its config before any weights are read', async () => {
    const files = withFiles(bert(), { 'model.safetensors': null });
    await rejects(files, /^config\.json: describes a model of about \d+ kB \(float32\), over the 1000 bytes limit/, { maxBytes: 1000 });
    const big = await readJson(bert(), 'config.json');
    await rejects(withFiles(bert(), { 'config.json': { ...big, vocab_size: 250_000, hidden_size: 1024, num_attention_heads: 16, intermediate_size: 4096, num_hidden_layers: 24 } }), /about 2\.\d\d GB .*over the 600\.0 MB limit/);
  });
});
