/**
 * The T5 encoder (t5.ts): config.json as transformers' T5Config reads it, a tiny
 * random T5 folder loaded through loadHfModel, every tangent rule against tf.grad and
 * finite differences, T5's particular features (no absolute positions, one bias table
 * for every layer, the final norm in the last stage), and one layer against a plain
 * re-implementation of the reference's equations from the PyTorch-layout weights.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrom } from '../encoder.ts';
import { ModelFileError } from '../files.ts';
import { loadHfModel } from './load.ts';
import { relativePositionBucket } from './mpnet.ts';
import { estimateT5Bytes, parseT5Config } from './t5-config.ts';
import { t5PositionBias, type T5Encoder } from './t5.ts';
import { TINY_T5, tinyT5Config, tinyT5Files, type RawTensor } from './t5.test-support.ts';
import { checkEncodeFromTangent, checkLayerTangent, randn, relError } from './tangent-check.test-support.ts';

const TEXT = 'The quick brown fox is playing in the park today.';
/** A shorter text for the tangent checks (finite differences and tf.grad per direction). */
const SHORT = 'The fox is playing today.';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** sentence-transformers/sentence-t5-base's config.json keys and values. */
const SENTENCE_T5_BASE = {
  architectures: ['T5EncoderModel'],
  d_ff: 3072,
  d_kv: 64,
  d_model: 768,
  decoder_start_token_id: 0,
  dropout_rate: 0.1,
  eos_token_id: 1,
  feed_forward_proj: 'relu',
  initializer_factor: 1.0,
  is_encoder_decoder: true,
  layer_norm_epsilon: 1e-6,
  model_type: 't5',
  n_positions: 512,
  num_decoder_layers: 12,
  num_heads: 12,
  num_layers: 12,
  output_past: true,
  pad_token_id: 0,
  relative_attention_num_buckets: 32,
  torch_dtype: 'float32',
  transformers_version: '4.7.0.dev0',
  use_cache: true,
  vocab_size: 32128,
};

describe('T5 config.json', () => {
  it('reads sentence-t5-base with T5Config’s defaults for the keys it lacks', () => {
    const c = parseT5Config('config.json', SENTENCE_T5_BASE);
    expect(c).toMatchObject({
      architecture: 't5',
      hiddenSize: 768,
      numLayers: 12,
      numHeads: 12,
      headDim: 64,
      innerDim: 768,
      ffnSize: 3072,
      activation: 'relu',
      gated: false,
      layerNormEps: 1e-6,
      relativeAttentionBuckets: 32,
      relativeAttentionMaxDistance: 128, // absent from the file: T5Config's default
      padTokenId: 0,
      maxPositions: 512,
      smoothLayers: false,
    });
    // About 110 M float32 parameters: 24.7 M embeddings + 12 × 7.08 M + the bias table and norms.
    const params = 32128 * 768 + 32 * 12 + 12 * (4 * 768 * 768 + 2 * 768 * 3072 + 2 * 768) + 768;
    expect(estimateT5Bytes(c)).toBe(4 * params);
  });

  it('reads a GTR / T5 v1.1 style gated unit: "gated-gelu" is the tanh GELU', () => {
    const c = parseT5Config('config.json', { ...SENTENCE_T5_BASE, feed_forward_proj: 'gated-gelu', d_ff: 2048 });
    expect(c).toMatchObject({ activation: 'gelu_tanh', gated: true, smoothLayers: true });
    expect(estimateT5Bytes(c)).toBeGreaterThan(estimateT5Bytes({ ...c, gated: false }));
    // Newer transformers write dense_act_fn and is_gated_act beside it; they win, as in T5Config.
    expect(parseT5Config('c', { ...SENTENCE_T5_BASE, feed_forward_proj: 'gated-gelu', dense_act_fn: 'gelu_new', is_gated_act: true })).toMatchObject({ activation: 'gelu_tanh', gated: true });
    expect(parseT5Config('c', { ...SENTENCE_T5_BASE, feed_forward_proj: 'gated-gelu', dense_act_fn: 'gelu' })).toMatchObject({ activation: 'gelu', gated: true });
    expect(parseT5Config('c', { ...SENTENCE_T5_BASE, feed_forward_proj: 'gated-silu' })).toMatchObject({ activation: 'silu', gated: true });
    expect(parseT5Config('c', { ...SENTENCE_T5_BASE, feed_forward_proj: 'gelu' })).toMatchObject({ activation: 'gelu', gated: false });
  });

  it('defaults what T5Config defaults, and takes n_positions as the input limit', () => {
    const bare: Record<string, unknown> = { ...SENTENCE_T5_BASE };
    for (const key of ['relative_attention_num_buckets', 'layer_norm_epsilon', 'pad_token_id', 'n_positions', 'feed_forward_proj']) delete bare[key];
    const c = parseT5Config('config.json', bare);
    expect(c).toMatchObject({ relativeAttentionBuckets: 32, relativeAttentionMaxDistance: 128, layerNormEps: 1e-6, padTokenId: 0, maxPositions: 512, activation: 'relu', gated: false });
    expect(parseT5Config('config.json', { ...SENTENCE_T5_BASE, n_positions: 256, d_kv: 32 })).toMatchObject({ maxPositions: 256, innerDim: 384 });
  });

  const refuses: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a missing d_kv', { d_kv: undefined }, /^config\.json: "d_kv" must be a positive integer, got undefined/],
    ['a string d_model', { d_model: '768' }, /"d_model" must be a positive integer, got "768"/],
    ['a missing num_layers', { num_layers: undefined }, /"num_layers" must be a positive integer/],
    ['another model_type', { model_type: 'mt5' }, /model_type "mt5" is not T5's/],
    ['a malformed feed_forward_proj', { feed_forward_proj: 'fancy-relu' }, /feed_forward_proj "fancy-relu" is not of the form/],
    ['a three-part feed_forward_proj', { feed_forward_proj: 'gated-gelu-new' }, /feed_forward_proj "gated-gelu-new" is not of the form/],
    ['an unsupported activation', { feed_forward_proj: 'gated-quick_gelu' }, /feed_forward_proj "quick_gelu" is not supported/],
    ['an unsupported dense_act_fn', { dense_act_fn: 'gelu_10' }, /dense_act_fn "gelu_10" is not supported/],
    ['a non-boolean is_gated_act', { is_gated_act: 'yes' }, /"is_gated_act" must be true or false/],
    ['a decoder', { is_decoder: true }, /"is_decoder" is true/],
    ['pruned heads', { pruned_heads: { 0: [1] } }, /"pruned_heads" is not supported/],
    ['too few buckets', { relative_attention_num_buckets: 2 }, /"relative_attention_num_buckets" must be at least 4/],
    ['a max distance inside the exact buckets', { relative_attention_max_distance: 8 }, /"relative_attention_max_distance" 8 must exceed the 8 exact buckets/],
    ['a string epsilon', { layer_norm_epsilon: '1e-6' }, /"layer_norm_epsilon" must be a non-negative number/],
    ['a pad id outside the vocabulary', { pad_token_id: 40000 }, /"pad_token_id" 40000 is outside the vocabulary/],
  ];
  for (const [what, change, message] of refuses) {
    it(`refuses ${what}`, () => {
      const raw: Record<string, unknown> = { ...SENTENCE_T5_BASE, ...change };
      for (const [k, v] of Object.entries(change)) if (v === undefined) delete raw[k];
      expect(() => parseT5Config('config.json', raw)).toThrow(ModelFileError);
      expect(() => parseT5Config('config.json', raw)).toThrow(message);
    });
  }
});

describe('T5 relative position buckets (bidirectional, with max_distance)', () => {
  it('puts keys after the query in the upper half and uses max_distance for the logarithmic buckets', () => {
    // 32 buckets: 16 per direction, 8 exact; 8 + ⌊ln(d/8)/ln(max/8)·8⌋ beyond.
    expect(relativePositionBucket(3, 32, 128)).toBe(16 + 3); // key 3 after the query
    expect(relativePositionBucket(-3, 32, 128)).toBe(3);
    expect(relativePositionBucket(-20, 32, 128)).toBe(10); // ⌊8·ln 2.5/ln 16⌋ = 2
    expect(relativePositionBucket(20, 32, 128)).toBe(26);
    expect(relativePositionBucket(-20, 32, 64)).toBe(11); // ⌊8·ln 2.5/ln 8⌋ = 3
    expect(relativePositionBucket(-500, 32, 128)).toBe(15);
    expect(relativePositionBucket(500, 32, 128)).toBe(31);
    // The tiny model's 8 buckets, max_distance 16: 4 per direction, 2 exact.
    expect([0, 1, 2, 3, 5, 6, 15, 16].map((d) => relativePositionBucket(-d, 8, 16))).toEqual([0, 1, 2, 2, 2, 3, 3, 3]);
    expect(relativePositionBucket(1, 8, 16)).toBe(5);
  });
});

/** T5's bucket as the reference writes it, for the closed-form check. */
function referenceBucket(relative: number, numBuckets: number, maxDistance: number): number {
  const half = Math.floor(numBuckets / 2);
  const offset = relative > 0 ? half : 0;
  const n = Math.abs(relative);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return offset + n;
  const large = maxExact + Math.floor((Math.log(n / maxExact) / Math.log(maxDistance / maxExact)) * (half - maxExact));
  return offset + Math.min(large, half - 1);
}

/**
 * One T5 block written out from the reference's equations with plain tf ops, head by
 * head, from the PyTorch-layout weights (y = x·Wᵀ), one sequence [S, d].
 */
function referenceBlock(raw: Record<string, RawTensor>, l: number, x: tf.Tensor2D, gated: boolean, act: (z: tf.Tensor) => tf.Tensor, last: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    const w = (name: string) => tf.tensor(raw[name].data, raw[name].shape);
    const lin = (z: tf.Tensor, name: string) => tf.matMul(z as tf.Tensor2D, w(`${name}.weight`) as tf.Tensor2D, false, true);
    const rms = (z: tf.Tensor, name: string) => tf.mul(w(name), tf.div(z, tf.sqrt(tf.add(tf.mean(tf.mul(z, z), 1, true), 1e-6))));
    const s = x.shape[0];
    const att = `encoder.block.${l}.layer.0.SelfAttention`;
    const n = rms(x, `encoder.block.${l}.layer.0.layer_norm.weight`);
    const q = lin(n, `${att}.q`);
    const k = lin(n, `${att}.k`);
    const v = lin(n, `${att}.v`);
    const table = raw['encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'];
    const heads: tf.Tensor[] = [];
    for (let h = 0; h < TINY_T5.heads; h++) {
      const cols = (z: tf.Tensor) => tf.slice(z, [0, h * TINY_T5.dKv], [s, TINY_T5.dKv]);
      const bias: number[][] = [];
      for (let i = 0; i < s; i++) {
        bias.push([]);
        for (let j = 0; j < s; j++) bias[i].push(table.data[referenceBucket(j - i, TINY_T5.buckets, TINY_T5.maxDistance) * TINY_T5.heads + h]);
      }
      const scores = tf.add(tf.matMul(cols(q) as tf.Tensor2D, cols(k) as tf.Tensor2D, false, true), tf.tensor2d(bias));
      heads.push(tf.matMul(tf.softmax(scores) as tf.Tensor2D, cols(v) as tf.Tensor2D));
    }
    const a = tf.add(x, lin(tf.concat(heads, 1), `${att}.o`));
    const m = rms(a, `encoder.block.${l}.layer.1.layer_norm.weight`);
    const ff = `encoder.block.${l}.layer.1.DenseReluDense`;
    const inner = gated ? tf.mul(act(lin(m, `${ff}.wi_0`)), lin(m, `${ff}.wi_1`)) : act(lin(m, `${ff}.wi`));
    const y = tf.add(a, lin(inner, `${ff}.wo`));
    return (last ? rms(y, 'encoder.final_layer_norm.weight') : y) as tf.Tensor2D;
  });
}

const geluTanh = (z: tf.Tensor) => tf.mul(tf.mul(z, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(z, tf.mul(0.044715, tf.pow(z, 3)))))));
const geluErf = (z: tf.Tensor) => tf.mul(tf.mul(z, 0.5), tf.add(1, tf.erf(tf.div(z, Math.SQRT2))));

const VARIANTS = [
  { proj: 'gated-gelu', gated: true, act: geluTanh, dense: false },
  { proj: 'gelu', gated: false, act: geluErf, dense: true },
  { proj: 'relu', gated: false, act: (z: tf.Tensor) => tf.relu(z), dense: true },
] as const;

for (const variant of VARIANTS) {
  describe(`tiny T5 (${variant.proj}${variant.dense ? ', Dense without bias' : ''})`, () => {
    let model: T5Encoder;
    let raw: Record<string, RawTensor>;
    let ids: number[];
    let before: number;
    beforeAll(async () => {
      before = tf.memory().numTensors;
      const built = tinyT5Files({ feedForwardProj: variant.proj, dense: variant.dense });
      raw = built.tensors;
      model = (await loadHfModel(built.files, { id: `tiny-t5-${variant.proj}` })) as T5Encoder;
      ids = model.tokenize(TEXT).ids;
    });
    afterAll(() => model.dispose());

    it('loads as the T5 family with the configured sizes, and is deterministic', () => {
      expect(model.config).toMatchObject({ architecture: 't5', numLayers: 3, hiddenSize: 32, innerDim: 36, gated: variant.gated });
      expect(model.unverified).toBeUndefined(); // test-models/t5 and t5-gated pin it to transformers
      expect(model.smooth).toBe(variant.proj !== 'relu');
      expect(model.maxTokens).toBe(40); // sentence_bert_config.json's max_seq_length
      expect(model.outputSize).toBe(variant.dense ? TINY_T5.denseOut : 32);
      expect(model.dims.layers).toEqual(new Array(3).fill({ hIn: 32, attn: 36, hOut: 32, ffn: 48, gated: variant.gated, denseResidual: false }));
      expect(model.dims.head).toEqual(variant.dense ? [[32, 24]] : []);
      // The tiny tokenizer frames with [CLS] … [SEP]; the reference keeps them and pads the rest.
      expect(ids.length).toBeGreaterThan(10);
      expect(model.referenceIds(ids).slice(1, -1).every((id) => id === 0)).toBe(true);
      tf.tidy(() => {
        const x = model.embed(ids);
        expect(x.shape).toEqual([1, ids.length, 32]);
        // The embedding is the bare table row: no positions, no scaling.
        expect(Array.from(tf.slice(x, [0, 2, 0], [1, 1, 32]).dataSync())).toEqual(Array.from(raw['shared.weight'].data.subarray(ids[2] * 32, ids[2] * 32 + 32)));
        const e1 = encodeFrom(model, 0, x);
        const e2 = encodeFrom(model, 0, model.embed(ids));
        expect(e1.shape).toEqual([1, model.outputSize]);
        expect(Array.from(e1.dataSync())).toEqual(Array.from(e2.dataSync()));
        expect(tf.norm(e1).dataSync()[0]).toBeCloseTo(1, 5);
        // Not a trivial map: different texts, different embeddings; every layer moves the states.
        const other = encodeFrom(model, 0, model.embed(model.tokenize('A cat sleeps.').ids));
        expect(tf.sum(tf.mul(e1, other)).dataSync()[0]).toBeLessThan(0.99);
        let h = x;
        for (let l = 0; l < 3; l++) {
          const next = model.layer(l, h);
          expect(relError(next, h)).toBeGreaterThan(0.05);
          h = next;
        }
      });
    });

    it('computes each layer as the reference’s equations say (a plain re-implementation)', () => {
      tf.tidy(() => {
        let x = tf.add(model.embed(ids), randn([1, ids.length, 32], 3, 0.5)) as tf.Tensor3D;
        for (let l = 0; l < 3; l++) {
          const ours = model.layer(l, x);
          const ref = referenceBlock(raw, l, tf.squeeze(x, [0]) as tf.Tensor2D, variant.gated, variant.act, l === 2);
          expect(relError(tf.squeeze(ours, [0]), ref)).toBeLessThan(2e-5);
          x = ours;
        }
        // The final norm: the last stage's tokens have RMS = the norm's scale applied to unit-RMS states.
        const scale = tf.tensor1d(raw['encoder.final_layer_norm.weight'].data);
        const unit = tf.div(x, scale);
        expect(relError(tf.sqrt(tf.mean(tf.square(unit), -1)), tf.onesLike(tf.mean(unit, -1)))).toBeLessThan(1e-4);
      });
    });

    it('runs a batch of sequences like each sequence alone', () => {
      tf.tidy(() => {
        const a = model.embed(ids);
        const b = tf.add(a, randn(a.shape, 4, 0.3)) as tf.Tensor3D;
        const both = encodeFrom(model, 0, tf.concat([a, b], 0) as tf.Tensor3D);
        expect(relError(tf.slice(both, [1, 0], [1, -1]), encodeFrom(model, 0, b))).toBeLessThan(1e-5);
      });
    });

    if (variant.proj === 'relu') {
      // Finite differences straddle ReLU's kinks; the rule is checked against reverse mode only.
      it('gives each layer’s tangent rule the Jacobian of tf.grad', () => {
        tf.tidy(() => {
          const x = model.embed(ids);
          for (let l = 0; l < 3; l++) {
            const v = randn(x.shape, 50 + l);
            const out = model.layerJvp(l, { x, dx: tf.expandDims(v, 1) as tf.Tensor4D });
            const c = randn(out.x.shape, 60 + l);
            const g = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(c, model.layer(l, z as tf.Tensor3D))))(x);
            const viaGrad = tf.sum(tf.mul(g, v)).dataSync()[0];
            const viaJvp = tf.sum(tf.mul(c, tf.squeeze(out.dx, [1]))).dataSync()[0];
            expect(Math.abs(viaGrad - viaJvp)).toBeLessThan(1e-4 * Math.max(Math.abs(viaGrad), 1));
            expect(relError(out.x, model.layer(l, x))).toBeLessThan(1e-6);
          }
        });
      });
    } else {
      it('gives every layer’s tangent rule the Jacobian of tf.grad and finite differences', () => {
        tf.tidy(() => {
          const short = model.tokenize(SHORT).ids;
          const x = tf.concat([model.embed(short), model.embed(model.referenceIds(short))], 0);
          for (let l = 0; l < 3; l++) {
            checkLayerTangent(model, l, x, 20 + l);
          }
        });
      });

      it('gives g_L and its tangent that agree, from layer 0 and from a middle layer', () => {
        tf.tidy(() => {
          const x0 = model.embed(model.tokenize(SHORT).ids);
          const x1 = model.layer(0, x0);
          for (const [from, x] of [[0, x0], [1, x1]] as const) {
            checkEncodeFromTangent(model, from, x, 40 + from);
          }
        });
      });
    }

    it('rejects ids it cannot embed and layers it does not have', () => {
      expect(() => model.embed([101])).toThrow(/outside the vocabulary/);
      expect(() => model.embed(new Array<number>(41).fill(5))).toThrow(/at most 40/);
      tf.tidy(() => {
        expect(() => model.layer(3, tf.zeros([1, 2, 32]) as tf.Tensor3D)).toThrow(/no layer 3/);
      });
    });

    it('names every weight once; rebuilding with the same tensors gives the same embedding; dispose frees all', async () => {
      const named = model.namedWeights();
      const list = named.list();
      const names = list.map((w) => w.name);
      expect(new Set(names).size).toBe(names.length);
      // Bias table, 6 per layer, the final norm, and the Dense kernel and (zero) bias; the token table is no tensor (embedding-table.ts).
      expect(names.length).toBe(1 + 3 * 6 + 1 + (variant.dense ? 2 : 0));
      // Every tensor the model holds is listed: loading made exactly these.
      expect(tf.memory().numTensors - before).toBe(list.length);
      expect(named.isTrainable('relativeAttentionBias', 'encoder')).toBe(false);
      expect(named.isTrainable('layers.2.finalNorm', 'top')).toBe(true);
      expect(named.isTrainable('layers.1.qkv', 'top')).toBe(false);
      const copy = named.rebuild('copy', (_, t) => t);
      tf.tidy(() => {
        const a = encodeFrom(model, 0, model.embed(ids));
        const b = encodeFrom(copy, 0, copy.embed(ids));
        expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      });
      // A second load and its dispose leave the count where it was.
      const count = tf.memory().numTensors;
      const again = await loadHfModel(tinyT5Files({ feedForwardProj: variant.proj, dense: variant.dense }).files);
      expect(tf.memory().numTensors).toBeGreaterThan(count);
      again.dispose();
      expect(tf.memory().numTensors).toBe(count);
    });
  });
}

describe('T5 position information', () => {
  let model: T5Encoder;
  beforeAll(async () => {
    model = (await loadHfModel(tinyT5Files().files)) as T5Encoder;
  });
  afterAll(() => model.dispose());

  /** The model with block 0's bias table replaced (a rebuild shares every other tensor). */
  const withTable = (table: tf.Tensor) => model.namedWeights().rebuild('other-bias', (name, t) => (name === 'relativeAttentionBias' ? table : t)) as T5Encoder;

  it('has none but the relative bias: without it every layer is permutation-equivariant', () => {
    const zeros = tf.zeros([TINY_T5.buckets, TINY_T5.heads]);
    const flat = withTable(zeros);
    tf.tidy(() => {
      const x = randn([1, 9, 32], 70) as tf.Tensor3D;
      const perm = tf.tensor1d([3, 0, 8, 1, 5, 2, 7, 4, 6], 'int32');
      for (let l = 0; l < 3; l++) {
        expect(relError(flat.layer(l, tf.gather(x, perm, 1) as tf.Tensor3D), tf.gather(flat.layer(l, x), perm, 1))).toBeLessThan(1e-5);
        // With the table, the order matters.
        expect(relError(model.layer(l, tf.gather(x, perm, 1) as tf.Tensor3D), tf.gather(model.layer(l, x), perm, 1))).toBeGreaterThan(1e-2);
      }
    });
    zeros.dispose();
  });

  it('shares block 0’s table with every layer, and a constant table changes nothing', () => {
    const shifted = tf.tidy(() => tf.add(tf.zeros([TINY_T5.buckets, TINY_T5.heads]), tf.tensor1d([0.7, -1.3, 2.1])));
    const other = tf.tidy(() => randn([TINY_T5.buckets, TINY_T5.heads], 71));
    const constant = withTable(shifted);
    const changed = withTable(other);
    tf.tidy(() => {
      const x = randn([1, 9, 32], 72) as tf.Tensor3D;
      const flat = withTable(tf.zeros([TINY_T5.buckets, TINY_T5.heads]));
      for (let l = 0; l < 3; l++) {
        // A per-head constant cancels in the softmax: only differences between buckets count.
        expect(relError(constant.layer(l, x), flat.layer(l, x))).toBeLessThan(1e-5);
        // Layers 1 and 2 have no table of their own, yet the shared one changes them.
        expect(relError(changed.layer(l, x), model.layer(l, x))).toBeGreaterThan(1e-2);
      }
    });
    tf.dispose([shifted, other]);
  });

  it('scores depend on positions only through their distance: shifting a text within a longer one keeps the bias', () => {
    tf.tidy(() => {
      const table = model.weights.relativeAttentionBias;
      const small = t5PositionBias(table, 5, TINY_T5.maxDistance);
      const large = t5PositionBias(table, 12, TINY_T5.maxDistance);
      // The 5 × 5 block at any offset of the 12 × 12 bias equals the 5 × 5 bias.
      for (const offset of [0, 3, 7]) expect(relError(tf.slice(large, [0, 0, offset, offset], [1, -1, 5, 5]), small)).toBe(0);
      expect(table.shape).toEqual([TINY_T5.buckets, TINY_T5.heads]);
    });
  });
});

describe('T5 checkpoints that do not match config.json', () => {
  it('names the file and tensor, and frees what it built', async () => {
    const count = tf.memory().numTensors;
    // An ungated checkpoint under a gated config.
    const files = tinyT5Files({ feedForwardProj: 'relu', config: { feed_forward_proj: 'gated-gelu' } }).files;
    await expect(loadHfModel(files)).rejects.toThrow(/^model\.safetensors: has no tensor encoder\.block\.0\.layer\.1\.DenseReluDense\.wi_0\.weight/);
    const wide = tinyT5Files({ config: { d_kv: 16 } }).files;
    await expect(loadHfModel(wide)).rejects.toThrow(/tensor encoder\.block\.0\.layer\.0\.SelfAttention\.q\.weight has shape \[36, 32\], config\.json implies \[48, 32\]/);
    const noFinal = tinyT5Files({ drop: ['encoder.final_layer_norm.weight'] }).files;
    await expect(loadHfModel(noFinal)).rejects.toThrow(/has no tensor encoder\.final_layer_norm\.weight/);
    expect(tf.memory().numTensors).toBe(count);
  });

  it('takes encoder.embed_tokens.weight when the file names the table so, and caps inputs at 512 without max_seq_length', async () => {
    const built = tinyT5Files({ maxSeqLength: null, config: { n_positions: undefined }, embeddingName: 'encoder.embed_tokens.weight' });
    const model = (await loadHfModel(built.files)) as T5Encoder;
    expect(model.maxTokens).toBe(512);
    tf.tidy(() => {
      const row = Array.from(tf.slice(model.embed([7]), [0, 0, 0], [1, 1, 32]).dataSync());
      expect(row).toEqual(Array.from(built.tensors['encoder.embed_tokens.weight'].data.subarray(7 * 32, 8 * 32)));
    });
    model.dispose();
    expect(tinyT5Config().n_positions).toBe(512);
  });
});
