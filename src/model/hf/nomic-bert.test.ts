/**
 * NomicBERT on tiny seeded models built in memory (CPU): config parsing, loading,
 * the tangent rules against tf.grad and finite differences, a hand-written layer
 * from the Hub code's equations on the raw PyTorch weights, and weights by name.
 * The forward pass and attributions against the reference code itself (PyTorch, on
 * test-models/nomic-bert): transformers-fixtures.test.ts.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrom } from '../encoder.ts';
import { ModelFileError } from '../files.ts';
import { familyFor } from './families.ts';
import { loadHfModel } from './load.ts';
import { parseNomicBertConfig } from './nomic-bert-config.ts';
import type { NomicBertEncoder } from './nomic-bert.ts';
import { nomicConfig, nomicModelFiles, nomicTensors, type RawTensors } from './nomic-bert.test-support.ts';
import { tinyModelFiles } from './tiny-models.test-support.ts';
import { checkEncodeFromTangent, checkLayerTangent, relError } from './tangent-check.test-support.ts';

const TEXT = 'The quick brown fox plays today.';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('NomicBERT config.json', () => {
  const parse = (overrides: Record<string, unknown>) => parseNomicBertConfig('config.json', nomicConfig(overrides));

  it('reads nomic-embed-text-v1.5’s keys (sizes scaled down)', () => {
    expect(parse({})).toEqual({
      architecture: 'nomic-bert',
      modelType: 'nomic_bert',
      vocabSize: 128, // 101 rounded up to pad_vocab_size_multiple 64
      hiddenSize: 32,
      numLayers: 2,
      numHeads: 4,
      intermediateSize: 256, // n_inner 128 rounded up to the gated MLP's multiple of 256
      activation: 'silu',
      layerNormEps: 1e-12,
      typeVocabSize: 2,
      rotaryDim: 8,
      rotaryBase: 1000,
      qkvBias: false,
      fc1Bias: false,
      fc2Bias: false,
      padTokenId: 0,
      maxPositions: 128,
      smoothLayers: true,
    });
  });

  it('keeps the published sizes: n_positions as the limit, unless dynamic NTK scaling is on', () => {
    const real = { n_embd: 768, n_head: 12, n_inner: 3072, n_layer: 12, n_positions: 8192, max_trained_positions: 2048, vocab_size: 30528 };
    expect(parse(real)).toMatchObject({ vocabSize: 30528, intermediateSize: 3072, rotaryDim: 64, maxPositions: 8192 });
    expect(parse({ ...real, rotary_scaling_factor: 2 }).maxPositions).toBe(2048);
    expect(parse({ ...real, vocab_size: 30522 }).vocabSize).toBe(30528);
  });

  it('takes the config classes’ defaults for keys left out', () => {
    const c = parseNomicBertConfig('config.json', { model_type: 'nomic_bert', activation_function: 'swiglu', rotary_emb_fraction: 1, n_embd: 32, n_head: 4, n_layer: 2, vocab_size: 101 });
    expect(c).toMatchObject({
      vocabSize: 101,
      intermediateSize: 256, // ⌊8·32/3⌋ = 85, rounded up to 256
      layerNormEps: 1e-5,
      rotaryBase: 10_000,
      qkvBias: true,
      fc1Bias: true,
      fc2Bias: true,
      typeVocabSize: 2,
      padTokenId: 0,
      maxPositions: 1024,
    });
    expect(parse({ activation_function: 'geglu', rotary_emb_fraction: 0.5, n_inner: null }).activation).toBe('gelu');
    expect(parse({ rotary_emb_fraction: 0.5 }).rotaryDim).toBe(4);
  });

  it('refuses what it does not implement, naming the key', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ activation_function: 'gelu' }, /activation_function "gelu" is not supported \(gated units only: swiglu, geglu\)/],
      [{ activation_function: 'glu' }, /activation_function "glu"/],
      [{ prenorm: true }, /prenorm true is not supported/],
      [{ parallel_block: true }, /parallel_block true/],
      [{ causal: true }, /causal true/],
      [{ rotary_emb_interleaved: true }, /rotary_emb_interleaved true/],
      [{ use_rms_norm: true }, /use_rms_norm true/],
      [{ norm_mlp: true }, /norm_mlp true/],
      [{ rotary_emb_scale_base: 512 }, /rotary_emb_scale_base 512/],
      [{ num_heads_kv: 2 }, /num_heads_kv 2/],
      [{ rotary_emb_fraction: 0 }, /rotary_emb_fraction 0 .*learned position tables/],
      [{ rotary_emb_fraction: undefined }, /rotary_emb_fraction undefined/],
      [{ rotary_emb_fraction: 0.3 }, /rotary_emb_fraction 0.3 of head size 8 is not an even number/],
      [{ n_embd: undefined }, /"n_embd" must be a positive integer, got undefined/],
      [{ n_head: 5 }, /n_embd 32 is not a multiple of n_head 5/],
      [{ n_inner: 0 }, /"n_inner" must be a positive integer or null/],
      [{ qkv_proj_bias: 'no' }, /"qkv_proj_bias" must be true or false/],
      [{ layer_norm_epsilon: -1 }, /"layer_norm_epsilon" must be a positive number/],
      [{ pad_token_id: -1 }, /"pad_token_id" must be a token id/],
      [{ model_type: 'bert' }, /model_type "bert" is not NomicBERT's/],
    ];
    for (const [overrides, message] of cases) {
      let error: unknown;
      try {
        parse(overrides);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(overrides)).toBeInstanceOf(ModelFileError);
      expect((error as Error).message).toMatch(/^config\.json: /);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('is registered for model_type nomic_bert (verified), and a folder it refuses fails to load with the file named', async () => {
    expect(familyFor('nomic_bert')?.name).toBe('NomicBERT');
    expect(familyFor('nomic_bert')?.unverified).toBeUndefined(); // test-models/nomic-bert pins it to nomic's code
    await expect(loadHfModel(nomicModelFiles(nomicConfig({ prenorm: true }), nomicTensors(nomicConfig())))).rejects.toThrow(/^config\.json: prenorm true/);
  });

  it('loads test-models/nomic-bert (built by nomic’s own code, config.json as published) with its sizes and nomic’s task prompts', async () => {
    const model = (await loadHfModel(tinyModelFiles('nomic-bert'))) as NomicBertEncoder;
    try {
      expect(model.config).toMatchObject({ vocabSize: 128, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 256, rotaryDim: 8, rotaryBase: 1000, qkvBias: false, fc1Bias: false, fc2Bias: false });
      expect(model.unverified).toBeUndefined();
      expect(model.prompts).toEqual({
        search_query: 'search_query: ',
        search_document: 'search_document: ',
        classification: 'classification: ',
        clustering: 'clustering: ',
      });
    } finally {
      model.dispose();
    }
  });

  it('reports a weight that does not match config.json by name, freeing what it made', async () => {
    const config = nomicConfig();
    const tensors = nomicTensors(config);
    const before = tf.memory().numTensors;
    const wrong = { ...tensors, 'encoder.layers.1.mlp.fc12.weight': { ...tensors['encoder.layers.1.mlp.fc12.weight'], shape: [128, 64] } };
    await expect(loadHfModel(nomicModelFiles(config, wrong))).rejects.toThrow(/tensor encoder\.layers\.1\.mlp\.fc12\.weight has shape \[128, 64\], config\.json implies \[256, 32\]/);
    const missing = { ...tensors };
    delete missing['encoder.layers.1.norm2.bias'];
    await expect(loadHfModel(nomicModelFiles(config, missing))).rejects.toThrow(/has no tensor encoder\.layers\.1\.norm2\.bias/);
    const biased = nomicConfig({ mlp_fc2_bias: true });
    await expect(loadHfModel(nomicModelFiles(biased, tensors))).rejects.toThrow(/has no tensor encoder\.layers\.0\.mlp\.fc2\.bias/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/**
 * One layer written out from the Hub code's equations (modeling_hf_nomic_bert.py) on
 * the raw PyTorch weights: rotation matrices per position built in float64 here, not
 * with rotary.ts. x: [S, H].
 */
function referenceLayer(t: RawTensors, config: Record<string, unknown>, l: number, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const h = config.n_embd as number;
    const heads = config.n_head as number;
    const d = h / heads;
    const r = d * (config.rotary_emb_fraction as number);
    const base = config.rotary_emb_base as number;
    const eps = config.layer_norm_epsilon as number;
    const s = x.shape[0];
    const p = `encoder.layers.${l}.`;
    const w = (name: string) => tf.tensor(t[name].data, t[name].shape);
    const lin = (z: tf.Tensor2D, name: string) => {
      const y = tf.matMul(z, w(`${name}.weight`), false, true);
      return (`${name}.bias` in t ? tf.add(y, w(`${name}.bias`)) : y) as tf.Tensor2D;
    };
    const ln = (z: tf.Tensor2D, name: string) => {
      const mu = tf.mean(z, -1, true);
      const variance = tf.mean(tf.square(tf.sub(z, mu)), -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(z, mu), tf.sqrt(tf.add(variance, eps))), w(`${name}.weight`)), w(`${name}.bias`)) as tf.Tensor2D;
    };
    // R[pos] turns the pairs (i, i + r/2), i < r/2, by pos·base^(−2i/r); features ≥ r stay.
    const rotation = new Float32Array(s * d * d);
    for (let pos = 0; pos < s; pos++) {
      const m = (row: number, col: number, v: number) => (rotation[pos * d * d + row * d + col] = v);
      for (let i = r; i < d; i++) m(i, i, 1);
      for (let i = 0; i < r / 2; i++) {
        const angle = pos * Math.pow(base, (-2 * i) / r);
        const [c, sn] = [Math.cos(angle), Math.sin(angle)];
        m(i, i, c);
        m(i, i + r / 2, -sn);
        m(i + r / 2, i + r / 2, c);
        m(i + r / 2, i, sn);
      }
    }
    const rot = tf.tensor3d(rotation, [s, d, d]);
    const qkv = lin(x, `${p}attn.Wqkv`);
    const contexts: tf.Tensor2D[] = [];
    for (let head = 0; head < heads; head++) {
      const part = (which: number) => tf.slice(qkv, [0, which * h + head * d], [s, d]);
      // [S, d] → [S, d, 1], turned per position, back.
      const turn = (z: tf.Tensor) => tf.reshape(tf.matMul(rot, tf.reshape(z, [s, d, 1])), [s, d]);
      const scores = tf.div(tf.matMul(turn(part(0)), turn(part(1)), false, true), Math.sqrt(d));
      contexts.push(tf.matMul(tf.softmax(scores), part(2)) as tf.Tensor2D);
    }
    const a = ln(tf.add(x, lin(tf.concat(contexts, 1), `${p}attn.out_proj`)) as tf.Tensor2D, `${p}norm1`);
    const gate = lin(a, `${p}mlp.fc12`);
    const act =
      config.activation_function === 'swiglu'
        ? tf.div(gate, tf.add(1, tf.exp(tf.neg(gate))))
        : tf.mul(tf.mul(gate, 0.5), tf.add(1, tf.erf(tf.div(gate, Math.SQRT2))));
    const mlp = lin(tf.mul(lin(a, `${p}mlp.fc11`), act) as tf.Tensor2D, `${p}mlp.fc2`);
    return ln(tf.add(a, mlp) as tf.Tensor2D, `${p}norm2`);
  });
}

/** The published layout (no biases, full rotary, SwiGLU), and the other options: biases, half rotary, GeGLU, no token types, a "bert." prefix. */
const VARIANTS = {
  published: { config: nomicConfig(), prefix: '' },
  options: {
    config: nomicConfig({
      qkv_proj_bias: true,
      mlp_fc1_bias: true,
      mlp_fc2_bias: true,
      rotary_emb_fraction: 0.5,
      rotary_emb_base: 10_000,
      activation_function: 'geglu',
      type_vocab_size: 0,
      n_layer: 3,
      n_inner: null,
    }),
    prefix: 'bert.',
  },
};

for (const [variant, { config, prefix }] of Object.entries(VARIANTS)) {
  describe(`NomicBERT (${variant}): forward and tangent rules`, () => {
    const tensors = nomicTensors(config, variant === 'published' ? 1 : 2);
    let model: NomicBertEncoder;
    let ids: number[];
    beforeAll(async () => {
      const named = Object.fromEntries(Object.entries(tensors).map(([k, v]) => [prefix + k, v]));
      model = (await loadHfModel(nomicModelFiles(config, named), { id: `tiny-nomic-${variant}` })) as NomicBertEncoder;
      ids = model.tokenize(TEXT).ids;
    });
    afterAll(() => model.dispose());

    it('has the configured shapes, dims and tokens, and is deterministic', () => {
      const layers = config.n_layer as number;
      expect(model.numLayers).toBe(layers);
      expect(model.outputSize).toBe(32);
      expect(model.maxTokens).toBe(48);
      expect(model.unverified).toBeUndefined();
      expect(model.dims.layers).toHaveLength(layers);
      expect(model.dims.layers[0]).toEqual({ hIn: 32, attn: 32, hOut: 32, ffn: 256, gated: true, denseResidual: false });
      const tokens = model.tokenize(TEXT);
      expect(ids[0]).toBe(tokens.ids[0]);
      expect(ids.length).toBeGreaterThan(8);
      expect(model.referenceIds(ids).slice(1, -1).every((id) => id === 0)).toBe(true);
      tf.tidy(() => {
        const x = model.embed(ids);
        expect(x.shape).toEqual([1, ids.length, 32]);
        expect(model.layer(0, x).shape).toEqual([1, ids.length, 32]);
        const e1 = encodeFrom(model, 0, x);
        const e2 = encodeFrom(model, 0, model.embed(ids));
        expect(e1.shape).toEqual([1, 32]);
        expect(Array.from(e1.dataSync())).toEqual(Array.from(e2.dataSync()));
        expect(e1.dataSync().every(Number.isFinite)).toBe(true);
        expect(tf.norm(e1).dataSync()[0]).toBeCloseTo(1, 5);
      });
      tf.dispose(model.embed([101])); // a padded-vocabulary row exists
      expect(() => model.embed([128])).toThrow(/outside the vocabulary/);
      const zeros = tf.zeros([1, 2, 32]) as tf.Tensor3D;
      expect(() => model.layer(layers, zeros)).toThrow(new RegExp(`no layer ${layers}`));
      zeros.dispose();
    });

    it('embeds as LN(word + token type 0), and computes each layer as the hand-written reference', () => {
      tf.tidy(() => {
        const h = 32;
        const word = tf.tensor2d(tensors['embeddings.word_embeddings.weight'].data, tensors['embeddings.word_embeddings.weight'].shape as [number, number]);
        let e = tf.gather(word, ids);
        const types = tensors['embeddings.token_type_embeddings.weight'];
        if (types) e = tf.add(e, tf.tensor1d(types.data.slice(0, h)));
        const mu = tf.mean(e, -1, true);
        const sd = tf.sqrt(tf.add(tf.mean(tf.square(tf.sub(e, mu)), -1, true), config.layer_norm_epsilon as number));
        const expected = tf.add(tf.mul(tf.div(tf.sub(e, mu), sd), tf.tensor1d(tensors['emb_ln.weight'].data)), tf.tensor1d(tensors['emb_ln.bias'].data));
        let x = model.embed(ids);
        expect(relError(tf.squeeze(x, [0]), expected)).toBeLessThan(1e-5);
        for (let l = 0; l < model.numLayers; l++) {
          const y = model.layer(l, x);
          expect(relError(tf.squeeze(y, [0]), referenceLayer(tensors, config, l, tf.squeeze(x, [0]) as tf.Tensor2D))).toBeLessThan(2e-5);
          x = y;
        }
      });
    });

    it('gives every layer’s tangent rule the Jacobian of tf.grad and finite differences', () => {
      tf.tidy(() => {
        const x = tf.concat([model.embed(ids), model.embed(model.referenceIds(ids))], 0);
        for (let l = 0; l < model.numLayers; l++) {
          checkLayerTangent(model, l, x, 20 + l);
        }
      });
    });

    it('gives g_L and its tangent (encodeFrom / encodeFromJvp) that agree, from layer 0 and a middle layer', () => {
      tf.tidy(() => {
        const x0 = model.embed(ids);
        for (const [from, x] of [
          [0, x0],
          [1, model.layer(0, x0)],
        ] as const) {
          checkEncodeFromTangent(model, from, x, 40 + from);
        }
      });
    });

    it('uses positions only through q·k: with Wq = Wk = 0 attention is uniform and the layer treats tokens as a set', () => {
      tf.tidy(() => {
        const x = model.embed(ids);
        const s = ids.length;
        const order = Array.from({ length: s }, (_, i) => s - 1 - i);
        const permute = (z: tf.Tensor3D) => tf.gather(z, order, 1) as tf.Tensor3D;
        // With its weights, reordering the tokens changes more than the order.
        expect(relError(model.layer(0, permute(x)), permute(model.layer(0, x)))).toBeGreaterThan(1e-2);

        const zeroed = model.namedWeights().rebuild('qk-zero', (name, t) => {
          if (name !== 'layers.0.qkv.kernel' && name !== 'layers.0.qkv.bias') return t;
          const width = t.shape[t.shape.length - 1] / 3;
          const keep = tf.concat([tf.zeros([width * 2]), tf.ones([width])]);
          return tf.mul(t, keep);
        }) as NomicBertEncoder;
        const y = zeroed.layer(0, x);
        expect(relError(zeroed.layer(0, permute(x)), permute(y))).toBeLessThan(1e-5);
        // By hand: a = LN₁(x + out_proj(mean of v)), y = LN₂(a + fc2(fc11(a) ⊙ act(fc12(a)))).
        const w = zeroed.weights.layers[0];
        const lin = (z: tf.Tensor, p: { kernel: tf.Tensor2D; bias?: tf.Tensor1D }) => {
          const out = tf.matMul(tf.reshape(z, [-1, z.shape[z.shape.length - 1]]), p.kernel);
          return p.bias ? tf.add(out, p.bias) : out;
        };
        const eps = config.layer_norm_epsilon as number;
        const ln = (z: tf.Tensor, n: { scale: tf.Tensor1D; bias: tf.Tensor1D }) => {
          const c = tf.sub(z, tf.mean(z, -1, true));
          return tf.add(tf.mul(tf.div(c, tf.sqrt(tf.add(tf.mean(tf.square(c), -1, true), eps))), n.scale), n.bias);
        };
        const v = tf.slice(lin(x, w.qkv), [0, 64], [-1, 32]);
        const a = ln(tf.add(tf.reshape(x, [s, 32]), lin(tf.mean(v, 0, true), w.attentionOut)), w.attentionNorm);
        const g = lin(a, w.gate);
        const act = config.activation_function === 'swiglu' ? tf.mul(g, tf.sigmoid(g)) : tf.mul(tf.mul(g, 0.5), tf.add(1, tf.erf(tf.div(g, Math.SQRT2))));
        const expected = ln(tf.add(a, lin(tf.mul(lin(a, w.up), act), w.down)), w.outputNorm);
        expect(relError(tf.reshape(y, [s, 32]), expected)).toBeLessThan(1e-5);
      });
    });

    it('names every tensor once, rebuilds the same model from them, and frees them all', async () => {
      const list = model.namedWeights().list();
      const names = list.map((w) => w.name);
      expect(new Set(names).size).toBe(names.length);
      expect(new Set(list.map((w) => w.tensor.id)).size).toBe(list.length);
      const biases = config.qkv_proj_bias === true;
      expect(names.includes('layers.0.qkv.bias')).toBe(biases);
      expect(names.includes('embeddings.tokenType')).toBe(config.type_vocab_size !== 0);
      expect(names).toContain(`layers.${model.numLayers - 1}.gate.kernel`);
      const nw = model.namedWeights();
      expect(nw.kind).toBe('nomic-bert');
      expect(nw.isTrainable('layers.0.up.kernel', 'encoder')).toBe(true);
      expect(nw.isTrainable('embeddings.norm.scale', 'encoder')).toBe(false);
      const copy = nw.rebuild('copy', (_, t) => t);
      tf.tidy(() => {
        const a = encodeFrom(model, 0, model.embed(ids)).dataSync();
        const b = encodeFrom(copy, 0, copy.embed(ids)).dataSync();
        expect(Array.from(b)).toEqual(Array.from(a));
      });

      const start = tf.memory().numTensors;
      const other = await loadHfModel(nomicModelFiles(config, Object.fromEntries(Object.entries(tensors).map(([k, v]) => [prefix + k, v]))));
      // Every tensor the load made (there are no Dense modules) has a name, and dispose frees them all.
      expect(other.namedWeights().list().length).toBe(tf.memory().numTensors - start);
      other.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });
  });
}
