/**
 * Gemma 3 as a bidirectional encoder (EmbeddingGemma) on a tiny seeded model built in
 * memory (gemma3.test-support.ts): config parsing, loading, the tangent rules against
 * tf.grad and finite differences, the sliding window and the rotary positions, and a
 * closed-form re-implementation of one layer from the raw PyTorch-named weights.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrom } from '../encoder.ts';
import { estimateGemma3Bytes, parseGemma3Config } from './gemma3-config.ts';
import type { Gemma3Encoder } from './gemma3.ts';
import { TINY_DENSE_WIDTH, TINY_GEMMA3_CONFIG, tinyGemma3Files, tinyGemma3Tensors } from './gemma3.test-support.ts';
import { loadHfModel } from './load.ts';
import { checkEncodeFromTangent, checkLayerTangent, randn, relError } from './tangent-check.test-support.ts';

const TEXT = 'The quick brown fox is playing in the park today.';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** google/embeddinggemma-300m's config.json at full size. */
const EMBEDDINGGEMMA = {
  ...TINY_GEMMA3_CONFIG,
  head_dim: 256,
  hidden_size: 768,
  intermediate_size: 1152,
  layer_types: Array.from({ length: 24 }, (_, i) => ((i + 1) % 6 === 0 ? 'full_attention' : 'sliding_attention')),
  max_position_embeddings: 2048,
  num_attention_heads: 3,
  num_hidden_layers: 24,
  num_key_value_heads: 1,
  query_pre_attn_scalar: 256,
  sliding_window: 512,
  vocab_size: 262144,
};

describe('Gemma 3 config.json', () => {
  const parse = (raw: Record<string, unknown>) => parseGemma3Config('config.json', raw);

  it("reads EmbeddingGemma's keys", () => {
    const c = parse(EMBEDDINGGEMMA);
    expect(c).toMatchObject({
      architecture: 'gemma3',
      modelType: 'gemma3_text',
      vocabSize: 262144,
      hiddenSize: 768,
      numLayers: 24,
      numHeads: 3,
      numKvHeads: 1,
      headDim: 256,
      intermediateSize: 1152,
      activation: 'gelu_tanh',
      rmsNormEps: 1e-6,
      queryPreAttnScalar: 256,
      slidingWindow: 512,
      window: 257, // bidirectional: ⌊512/2⌋ + 1, so 256 tokens each side
      ropeTheta: 1e6,
      ropeLocalTheta: 1e4,
      padTokenId: 0,
      maxPositions: 2048,
      smoothLayers: true,
    });
    expect(c.layerTypes.filter((t) => t === 'full_attention').length).toBe(4);
    expect(c.layerTypes[5]).toBe('full_attention');
    // ~302M float32 parameters in the transformer.
    expect(estimateGemma3Bytes(c) / 4).toBeCloseTo(262144 * 768 + 24 * (768 * 256 * 8 + 512 + 3 * 768 * 1152 + 4 * 768) + 768, -1);
    expect(parse(TINY_GEMMA3_CONFIG)).toMatchObject({ window: 3, headDim: 16, numKvHeads: 2, queryPreAttnScalar: 24 });
  });

  it("defaults as transformers' Gemma3TextConfig", () => {
    const c = parse({
      model_type: 'gemma3_text',
      use_bidirectional_attention: true,
      vocab_size: 50,
      hidden_size: 8,
      num_hidden_layers: 7,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      intermediate_size: 16,
    });
    expect(c).toMatchObject({ headDim: 256, activation: 'gelu_tanh', rmsNormEps: 1e-6, queryPreAttnScalar: 256, slidingWindow: 4096, window: 2049 });
    expect(c).toMatchObject({ ropeTheta: 1e6, ropeLocalTheta: 1e4, maxPositions: 131072, padTokenId: 0 });
    // sliding_window_pattern 6: layers 6, 12, … (1-based) are full.
    expect(c.layerTypes).toEqual(['sliding_attention', 'sliding_attention', 'sliding_attention', 'sliding_attention', 'sliding_attention', 'full_attention', 'sliding_attention']);
    const alternating = parse({ ...EMBEDDINGGEMMA, layer_types: undefined, sliding_window_pattern: 2, num_hidden_layers: 4 });
    expect(alternating.layerTypes).toEqual(['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention']);
  });

  it('reads the rotary bases from rope_parameters (newer transformers)', () => {
    const c = parse({
      ...EMBEDDINGGEMMA,
      rope_theta: undefined,
      rope_local_base_freq: undefined,
      rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 5e5 }, sliding_attention: { rope_type: 'default', rope_theta: 2e4 } },
    });
    expect(c).toMatchObject({ ropeTheta: 5e5, ropeLocalTheta: 2e4 });
  });

  it('refuses what it does not implement, naming the key', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...EMBEDDINGGEMMA, hidden_size: undefined }, /^config\.json: "hidden_size" must be a positive integer/],
      [{ ...EMBEDDINGGEMMA, num_key_value_heads: 0 }, /"num_key_value_heads" must be a positive integer/],
      [{ ...EMBEDDINGGEMMA, num_key_value_heads: 2 }, /num_attention_heads 3 is not a multiple of num_key_value_heads 2/],
      [{ ...EMBEDDINGGEMMA, use_bidirectional_attention: false }, /"use_bidirectional_attention" is not true/],
      [{ ...EMBEDDINGGEMMA, use_bidirectional_attention: undefined }, /"use_bidirectional_attention" is not true/],
      [{ ...EMBEDDINGGEMMA, attention_bias: true }, /"attention_bias" true is not supported/],
      [{ ...EMBEDDINGGEMMA, attn_logit_softcapping: 50 }, /"attn_logit_softcapping" 50 is not supported/],
      [{ ...EMBEDDINGGEMMA, rope_scaling: { rope_type: 'linear', factor: 8 } }, /"rope_scaling" rope_type "linear" is not supported/],
      [{ ...EMBEDDINGGEMMA, rope_parameters: { full_attention: { rope_type: 'yarn', rope_theta: 1e6 } } }, /"rope_parameters\.full_attention" rope_type "yarn"/],
      [{ ...EMBEDDINGGEMMA, layer_types: ['full_attention'] }, /"layer_types" must list 24 layer types/],
      [{ ...EMBEDDINGGEMMA, layer_types: [...EMBEDDINGGEMMA.layer_types.slice(1), 'chunked_attention'] }, /"layer_types"\[23\] "chunked_attention" is not supported/],
      [{ ...EMBEDDINGGEMMA, hidden_activation: 'tanh' }, /hidden_activation "tanh" is not supported/],
      [{ ...EMBEDDINGGEMMA, head_dim: 15 }, /"head_dim" must be even/],
      [{ ...EMBEDDINGGEMMA, rms_norm_eps: -1 }, /"rms_norm_eps" must be a positive number/],
      [{ ...EMBEDDINGGEMMA, query_pre_attn_scalar: 'x' }, /"query_pre_attn_scalar" must be a positive number/],
      [{ ...EMBEDDINGGEMMA, sliding_window: 0 }, /"sliding_window" must be a positive integer/],
      [{ ...EMBEDDINGGEMMA, pad_token_id: 262144 }, /"pad_token_id" 262144 is outside the vocabulary/],
      [{ ...EMBEDDINGGEMMA, model_type: 'gemma3' }, /model_type "gemma3" is not Gemma 3's text model/],
    ];
    for (const [raw, message] of bad) expect(() => parse(raw), String(message)).toThrow(message);
  });

  it('reports through loadHfModel with the file name, freeing what it built', async () => {
    await expect(loadHfModel(tinyGemma3Files({ config: { ...TINY_GEMMA3_CONFIG, attention_bias: true } }))).rejects.toThrow(/^config\.json: "attention_bias"/);
    const before = tf.memory().numTensors;
    const tensors = tinyGemma3Tensors();
    delete tensors['layers.2.mlp.up_proj.weight'];
    await expect(loadHfModel(tinyGemma3Files({ tensors }))).rejects.toThrow(/^model\.safetensors: has no tensor layers\.2\.mlp\.up_proj\.weight/);
    await expect(loadHfModel(tinyGemma3Files({ config: { ...TINY_GEMMA3_CONFIG, head_dim: 8 } }))).rejects.toThrow(
      /^model\.safetensors: tensor layers\.0\.self_attn\.q_proj\.weight has shape \[64, 32\], config\.json implies \[32, 32\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('tiny EmbeddingGemma', () => {
  let model: Gemma3Encoder;
  let ids: number[];
  const tensors = tinyGemma3Tensors();
  beforeAll(async () => {
    model = (await loadHfModel(tinyGemma3Files(), { id: 'tiny-gemma3' })) as Gemma3Encoder;
    ids = model.tokenize(TEXT).ids;
  });
  afterAll(() => model?.dispose());

  it('has the configured shapes, dims and tokens, and is deterministic', () => {
    expect(model.numLayers).toBe(3);
    expect(model.outputSize).toBe(32);
    expect(model.unverified).toBeUndefined(); // test-models/gemma3 pins it to transformers
    expect(model.smooth).toBe(true);
    expect(model.maxTokens).toBe(48);
    expect(model.dims.layers).toHaveLength(3);
    expect(model.dims.layers[0]).toEqual({ hIn: 32, attn: 64, kv: 32, hOut: 32, ffn: 48, gated: true, denseResidual: false });
    expect(model.dims.head).toEqual([[32, TINY_DENSE_WIDTH], [TINY_DENSE_WIDTH, 32]]);
    const t = model.tokenize(TEXT);
    expect(t.pieces[0]).toBe('[CLS]');
    expect(t.pieces[t.pieces.length - 1]).toBe('[SEP]');
    expect(ids.length).toBeGreaterThan(8); // longer than the sliding window, so the mask matters
    tf.tidy(() => {
      const x = model.embed(ids);
      expect(x.shape).toEqual([1, ids.length, 32]);
      for (let l = 0; l < 3; l++) expect(model.layer(l, x).shape).toEqual([1, ids.length, 32]);
      const e1 = encodeFrom(model, 0, x);
      const e2 = encodeFrom(model, 0, model.embed(ids));
      expect(e1.shape).toEqual([1, 32]);
      expect(Array.from(e1.dataSync())).toEqual(Array.from(e2.dataSync()));
      expect(tf.norm(e1).dataSync()[0]).toBeCloseTo(1, 5);
      // Non-trivial: another text gives another embedding.
      const other = encodeFrom(model, 0, model.embed(model.tokenize('A cat sleeps.').ids));
      expect(tf.sum(tf.mul(e1, other)).dataSync()[0]).toBeLessThan(0.99);
    });
  });

  it('embeds as the table row times √H (float32)', () => {
    tf.tidy(() => {
      const x = model.embed(ids).arraySync()[0];
      const table = tensors['embed_tokens.weight'].data;
      const scale = Math.fround(Math.sqrt(32));
      ids.forEach((id, i) => {
        const expected = Array.from(table.subarray(id * 32, (id + 1) * 32), (v) => Math.fround(v * scale));
        expect(x[i]).toEqual(expected);
      });
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

  it('computes each layer as the reference equations written out by hand', () => {
    tf.tidy(() => {
      let x = model.embed(ids);
      for (let l = 0; l < 3; l++) {
        const expected = referenceLayer(tensors, l, tf.squeeze(x, [0]));
        const actual = model.layer(l, x);
        expect(relError(tf.squeeze(actual, [0]), expected), `layer ${l}`).toBeLessThan(2e-5);
        x = actual;
      }
    });
  });

  /** A shorter text for the tangent checks (each runs tf.grad and finite differences), still longer than the window. */
  const shortIds = () => {
    const short = model.tokenize('The quick brown fox is playing.').ids;
    expect(short.length).toBeGreaterThan(model.config.window + 2);
    return short;
  };

  it('gives every layer tangent rule the Jacobian of tf.grad and finite differences', () => {
    tf.tidy(() => {
      const short = shortIds();
      const x = tf.concat([model.embed(short), model.embed(model.referenceIds(short))], 0);
      for (let l = 0; l < model.numLayers; l++) {
        checkLayerTangent(model, l, x, 20 + l);
      }
    });
  });

  it('gives g_L and its tangent (encodeFrom / encodeFromJvp) that agree from every layer', () => {
    tf.tidy(() => {
      let x = model.embed(shortIds());
      for (let from = 0; from <= model.numLayers; from++) {
        const start = from;
        checkEncodeFromTangent(model, start, x, 40 + from);
        if (from < model.numLayers) x = model.layer(from, x);
      }
    });
  });

  it('sliding layers see only |i − j| < ⌊sliding_window/2⌋ + 1 (here 3), both ways; full layers see everything', () => {
    tf.tidy(() => {
      const x = model.embed(ids);
      const s = ids.length;
      const j = 6;
      const bump = tf.mul(tf.reshape(tf.oneHot(tf.tensor1d([j], 'int32'), s), [1, s, 1]), randn([1, 1, 32], 5, 2));
      const y = tf.add(x, bump) as tf.Tensor3D;
      const changed = (l: number) => {
        const a = model.layer(l, x).arraySync()[0];
        const b = model.layer(l, y).arraySync()[0];
        return a.map((row, i) => row.some((v, k) => v !== b[i][k]));
      };
      expect(model.isSliding(0) && model.isSliding(1) && !model.isSliding(2)).toBe(true);
      const expected = Array.from({ length: s }, (_, i) => Math.abs(i - j) <= 2);
      expect(changed(0)).toEqual(expected);
      expect(changed(1)).toEqual(expected);
      expect(changed(2).every(Boolean)).toBe(true);
    });
  });

  it('depends on positions only through distances (rotary): a sliding layer is shift-invariant away from the ends', () => {
    tf.tidy(() => {
      const x = model.embed(ids);
      const s = ids.length;
      const shifted = tf.concat([randn([1, 1, 32], 6, 3), x], 1) as tf.Tensor3D;
      for (const l of [0, 1]) {
        const a = tf.slice(model.layer(l, x), [0, 2, 0], [1, s - 4, 32]);
        const b = tf.slice(model.layer(l, shifted), [0, 3, 0], [1, s - 4, 32]);
        expect(relError(b, a), `layer ${l}`).toBeLessThan(1e-5);
        // The two ends see different neighbourhoods: they do change.
        expect(relError(tf.slice(model.layer(l, shifted), [0, 1, 0], [1, 1, 32]), tf.slice(model.layer(l, x), [0, 0, 0], [1, 1, 32]))).toBeGreaterThan(1e-3);
      }
    });
  });

  it('names every weight once, rebuilds to the same model and frees everything on dispose', async () => {
    const before = tf.memory().numTensors;
    const fresh = (await loadHfModel(tinyGemma3Files(), { id: 'tiny-gemma3-named' })) as Gemma3Encoder;
    const owned = tf.memory().numTensors - before;
    const named = fresh.namedWeights();
    const list = named.list();
    expect(new Set(list.map((w) => w.name)).size).toBe(list.length);
    expect(new Set(list.map((w) => w.tensor.id)).size).toBe(list.length);
    expect(list.length).toBe(owned);
    // 10 per layer, the final norm, 2 Dense kernels + their (zero) biases; the token table is no tensor (embedding-table.ts).
    expect(list.length).toBe(3 * 10 + 1 + 4);
    expect(list.map((w) => w.name)).toContain('layers.2.finalNorm.scale');
    expect(named.isTrainable('layers.2.finalNorm.scale', 'top')).toBe(true);
    // Stored γ = 1 + w.
    const q = list.find((w) => w.name === 'layers.1.qNorm.scale')!.tensor.dataSync();
    expect(Array.from(q)).toEqual(Array.from(tensors['layers.1.self_attn.q_norm.weight'].data, (w) => Math.fround(1 + w)));

    const copy = named.rebuild('copy', (_, t) => t);
    const fIds = fresh.tokenize(TEXT).ids;
    const embed = (m: Gemma3Encoder) => tf.tidy(() => Array.from(encodeFrom(m, 0, m.embed(fIds)).dataSync()));
    expect(embed(copy as Gemma3Encoder)).toEqual(embed(fresh));
    // A prefixed checkpoint ("model.", as a Gemma3ForCausalLM saves it) loads to the same model.
    const prefixed = (await loadHfModel(tinyGemma3Files({ tensors: tinyGemma3Tensors(undefined, 7, 'model.') }))) as Gemma3Encoder;
    expect(embed(prefixed)).toEqual(embed(fresh));
    prefixed.dispose();
    fresh.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects ids it cannot embed and layers it does not have', () => {
    expect(() => model.embed([model.vocabSize])).toThrow(/outside the vocabulary/);
    expect(() => model.embed(new Array<number>(model.maxTokens + 1).fill(5))).toThrow(/at most/);
    expect(() => model.layer(3, tf.zeros([1, 2, 32]) as tf.Tensor3D)).toThrow(/no layer 3/);
  });
});

/**
 * One layer of Gemma3TextModel written straight from the reference's equations with
 * the PyTorch-named weights ([out, in]): plain ops, one head at a time, rotation and
 * mask by index. x: [S, H] → [S, H].
 */
function referenceLayer(t: ReturnType<typeof tinyGemma3Tensors>, l: number, x: tf.Tensor2D): tf.Tensor2D {
  const c = TINY_GEMMA3_CONFIG;
  const p = `layers.${l}.`;
  const weight = (name: string) => tf.tensor(t[name].data, t[name].shape);
  const linear = (v: tf.Tensor2D, name: string) => tf.matMul(v, weight(name) as tf.Tensor2D, false, true) as tf.Tensor2D;
  const norm = (v: tf.Tensor2D, name: string) =>
    tf.mul(tf.div(v, tf.sqrt(tf.add(tf.mean(tf.square(v), -1, true), c.rms_norm_eps))), tf.add(1, weight(name))) as tf.Tensor2D;
  const geluTanh = (v: tf.Tensor) => tf.mul(tf.mul(0.5, v), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(v, tf.mul(0.044715, tf.pow(v, 3)))))));
  const [s] = x.shape;
  const d = c.head_dim;
  const sliding = c.layer_types[l] === 'sliding_attention';
  const base = sliding ? c.rope_local_base_freq : c.rope_theta;
  // rotate_half convention: feature i pairs with i + d/2, angle = position · base^(−2i/d).
  const rotate = (v: tf.Tensor2D) => {
    const a = v.arraySync();
    return tf.tensor2d(
      a.map((row, pos) =>
        row.map((value, i) => {
          const k = i % (d / 2);
          const angle = pos * Math.pow(base, (-2 * k) / d);
          const partner = i < d / 2 ? -row[i + d / 2] : row[i - d / 2];
          return value * Math.cos(angle) + partner * Math.sin(angle);
        }),
      ),
    );
  };
  const window = Math.floor(c.sliding_window / 2) + 1;
  const mask = tf.tensor2d(Array.from({ length: s }, (_, i) => Array.from({ length: s }, (_, j) => (sliding && Math.abs(i - j) >= window ? -Infinity : 0))));

  const h = norm(x, `${p}input_layernorm.weight`);
  const q = linear(h, `${p}self_attn.q_proj.weight`);
  const k = linear(h, `${p}self_attn.k_proj.weight`);
  const v = linear(h, `${p}self_attn.v_proj.weight`);
  const perKv = c.num_attention_heads / c.num_key_value_heads;
  const heads: tf.Tensor2D[] = [];
  for (let head = 0; head < c.num_attention_heads; head++) {
    const kv = Math.floor(head / perKv);
    const qh = rotate(norm(tf.slice(q, [0, head * d], [s, d]) as tf.Tensor2D, `${p}self_attn.q_norm.weight`));
    const kh = rotate(norm(tf.slice(k, [0, kv * d], [s, d]) as tf.Tensor2D, `${p}self_attn.k_norm.weight`));
    const vh = tf.slice(v, [0, kv * d], [s, d]);
    const scores = tf.add(tf.div(tf.matMul(qh, kh, false, true), Math.sqrt(c.query_pre_attn_scalar)), mask);
    heads.push(tf.matMul(tf.softmax(scores), vh));
  }
  const attention = linear(tf.concat(heads, 1), `${p}self_attn.o_proj.weight`);
  const a = tf.add(x, norm(attention, `${p}post_attention_layernorm.weight`)) as tf.Tensor2D;
  const f = norm(a, `${p}pre_feedforward_layernorm.weight`);
  const mlp = linear(tf.mul(geluTanh(linear(f, `${p}mlp.gate_proj.weight`)), linear(f, `${p}mlp.up_proj.weight`)) as tf.Tensor2D, `${p}mlp.down_proj.weight`);
  const y = tf.add(a, norm(mlp, `${p}post_feedforward_layernorm.weight`)) as tf.Tensor2D;
  return l === c.num_hidden_layers - 1 ? norm(y, 'norm.weight') : y;
}
