/**
 * ModernBERT on a tiny seeded model built in memory (modernbert.test-support.ts):
 * config parsing, loading, the forward pass against a plain re-implementation written
 * here from transformers' equations, the sliding window and rotary positions, every
 * tangent rule against reverse mode and finite differences, and weights by name.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrom, hiddenAt } from '../encoder.ts';
import { ModelFileError } from '../files.ts';
import { loadHfModel } from './load.ts';
import { parseModernBertConfig } from './modernbert-config.ts';
import type { ModernBertEncoder } from './modernbert.ts';
import { slidingWindowMask } from './modernbert.ts';
import { TINY_MODERNBERT_CONFIG, tinyModernBertFiles, tinyModernBertTensors, type TinyTensors } from './modernbert.test-support.ts';
import { checkEncodeFromTangent, checkLayerTangent, randn, relError } from './tangent-check.test-support.ts';

const TEXT = 'The quick brown fox is playing in the park today.';
const parse = (raw: Record<string, unknown>) => parseModernBertConfig('config.json', raw);
const read = (f: () => tf.Tensor) => tf.tidy(() => Array.from(f().dataSync()));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ModernBERT config.json', () => {
  it('reads the keys of the published models', () => {
    const c = parse(TINY_MODERNBERT_CONFIG);
    expect(c).toMatchObject({
      architecture: 'modernbert',
      modelType: 'modernbert',
      vocabSize: 101,
      hiddenSize: 32,
      numLayers: 3,
      numHeads: 4,
      headDim: 8,
      intermediateSize: 48,
      activation: 'gelu',
      normEps: 1e-5,
      maxPositionEmbeddings: 64,
      maxPositions: 64,
      padTokenId: 0,
      globalLayers: [true, false, false],
      localAttention: 4,
      globalRopeTheta: 160000,
      localRopeTheta: 10000,
      smoothLayers: true,
    });
  });

  it("fills in transformers' defaults", () => {
    const c = parse({ model_type: 'modernbert', vocab_size: 50368, hidden_size: 768, num_hidden_layers: 22, num_attention_heads: 12, intermediate_size: 1152 });
    expect(c).toMatchObject({ normEps: 1e-5, activation: 'gelu', localAttention: 128, globalRopeTheta: 160000, localRopeTheta: 10000, padTokenId: 50283, maxPositions: 8192 });
    expect(c.globalLayers.map((g, l) => (g ? l : -1)).filter((l) => l >= 0)).toEqual([0, 3, 6, 9, 12, 15, 18, 21]);
    // transformers 4.x: a null local_rope_theta means the global base everywhere.
    expect(parse({ ...TINY_MODERNBERT_CONFIG, local_rope_theta: null }).localRopeTheta).toBe(160000);
  });

  it("reads transformers 5's layer_types and rope_parameters", () => {
    const rest: Record<string, unknown> = { ...TINY_MODERNBERT_CONFIG };
    delete rest.global_rope_theta;
    delete rest.local_rope_theta;
    const c = parse({
      ...rest,
      layer_types: ['full_attention', 'sliding_attention', 'sliding_attention'],
      rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 80000 }, sliding_attention: { rope_type: 'default', rope_theta: 5000 } },
    });
    expect(c).toMatchObject({ globalLayers: [true, false, false], globalRopeTheta: 80000, localRopeTheta: 5000 });
  });

  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    ['another model type', { model_type: 'bert' }, /model_type "bert" is not ModernBERT's/],
    ['a missing size', { hidden_size: undefined }, /"hidden_size" must be a positive integer/],
    ['a fractional size', { intermediate_size: 47.5 }, /"intermediate_size" must be a positive integer/],
    ['heads that do not divide the width', { num_attention_heads: 5 }, /hidden_size 32 is not a multiple of num_attention_heads 5/],
    ['a head_dim of its own', { head_dim: 16 }, /"head_dim" 16 is not supported/],
    ['attention biases', { attention_bias: true }, /"attention_bias" true is not supported/],
    ['MLP biases', { mlp_bias: true }, /"mlp_bias" true is not supported/],
    ['norm biases', { norm_bias: true }, /"norm_bias" true is not supported/],
    ['an unknown activation', { hidden_activation: 'tanh' }, /hidden_activation "tanh" is not supported/],
    ['a bad eps', { norm_eps: -1 }, /"norm_eps" must be a positive number/],
    ['a bad window', { local_attention: 0 }, /"local_attention" must be a positive integer/],
    ['rotary scaling', { rope_scaling: { rope_type: 'linear', factor: 2 } }, /"rope_scaling" .* is not supported/],
    ['another rotary type', { rope_parameters: { full_attention: { rope_type: 'yarn', rope_theta: 1 } } }, /"rope_parameters.full_attention.rope_type" "yarn" is not supported/],
    ['a layer pattern other than every n-th', { layer_types: ['full_attention', 'full_attention', 'sliding_attention'] }, /"layer_types" \(full_attention at layer 1\) is not every 3-th layer global/],
    ['a layer_types list of the wrong length', { layer_types: ['full_attention'] }, /"layer_types" must list one attention type per layer \(3\)/],
    ['a bad pad id', { pad_token_id: 'x' }, /"pad_token_id" must be a token id/],
  ];
  for (const [what, change, message] of refusals) {
    it(`refuses ${what}, naming the file and key`, () => {
      const call = () => parse({ ...TINY_MODERNBERT_CONFIG, ...change });
      expect(call).toThrow(ModelFileError);
      expect(call).toThrow(/^config\.json: /);
      expect(call).toThrow(message);
    });
  }

  it('refuses a checkpoint that does not match its config, freeing what it built', async () => {
    const before = tf.memory().numTensors;
    const tensors = tinyModernBertTensors();
    const bad: TinyTensors = { ...tensors, 'layers.1.attn.Wqkv.weight': { ...tensors['layers.1.attn.Wqkv.weight'], shape: [32, 96] } };
    await expect(loadHfModel(tinyModernBertFiles({ tensors: bad }))).rejects.toThrow(
      /model\.safetensors: tensor layers\.1\.attn\.Wqkv\.weight has shape \[32, 96\], config\.json implies \[96, 32\]/,
    );
    const missing: TinyTensors = { ...tensors };
    delete missing['layers.2.mlp.Wo.weight'];
    await expect(loadHfModel(tinyModernBertFiles({ tensors: missing }))).rejects.toThrow(/has no tensor layers\.2\.mlp\.Wo\.weight/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/**
 * ModernBertModel's forward pass written out with plain tf ops from the raw PyTorch
 * weights ([out, in]) and transformers' equations, one head at a time: the hidden
 * states after the embedding and after each layer (final_norm applied after the last).
 */
function referenceStates(tensors: TinyTensors, config: typeof TINY_MODERNBERT_CONFIG, ids: number[]): tf.Tensor2D[] {
  const w = (name: string): tf.Tensor2D => tf.tensor<tf.Rank>(tensors[name].data, tensors[name].shape) as tf.Tensor2D;
  const eps = config.norm_eps;
  const norm = (x: tf.Tensor2D, name: string): tf.Tensor2D => {
    const mean = tf.mean(x, 1, true);
    const variance = tf.mean(tf.square(tf.sub(x, mean)), 1, true);
    return tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), w(name)) as tf.Tensor2D;
  };
  const byWeight = (x: tf.Tensor2D, name: string) => tf.matMul(x, w(name), false, true);
  const gelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
  const s = ids.length;
  const hidden = config.hidden_size;
  const heads = config.num_attention_heads;
  const d = hidden / heads;
  const inner = config.intermediate_size;

  const rotate = (x: tf.Tensor2D, theta: number): tf.Tensor2D => {
    const cos: number[][] = [];
    const sin: number[][] = [];
    for (let p = 0; p < s; p++) {
      cos.push([]);
      sin.push([]);
      for (let i = 0; i < d / 2; i++) {
        const angle = p * Math.pow(theta, (-2 * i) / d);
        cos[p].push(Math.cos(angle));
        sin[p].push(Math.sin(angle));
      }
    }
    const c = tf.tensor2d(cos);
    const sn = tf.tensor2d(sin);
    const x1 = tf.slice(x, [0, 0], [s, d / 2]);
    const x2 = tf.slice(x, [0, d / 2], [s, d / 2]);
    return tf.concat([tf.sub(tf.mul(x1, c), tf.mul(x2, sn)), tf.add(tf.mul(x2, c), tf.mul(x1, sn))], 1) as tf.Tensor2D;
  };

  let h = norm(tf.gather(w('embeddings.tok_embeddings.weight'), ids) as tf.Tensor2D, 'embeddings.norm.weight');
  const states = [h];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const global = l % config.global_attn_every_n_layers === 0;
    const theta = global ? config.global_rope_theta : config.local_rope_theta;
    const attnIn = l === 0 ? h : norm(h, `layers.${l}.attn_norm.weight`);
    const qkv = byWeight(attnIn, `layers.${l}.attn.Wqkv.weight`);
    const outs: tf.Tensor2D[] = [];
    for (let head = 0; head < heads; head++) {
      const q = rotate(tf.slice(qkv, [0, head * d], [s, d]) as tf.Tensor2D, theta);
      const k = rotate(tf.slice(qkv, [0, hidden + head * d], [s, d]) as tf.Tensor2D, theta);
      const v = tf.slice(qkv, [0, 2 * hidden + head * d], [s, d]);
      let scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(d));
      if (!global) {
        const allowed: boolean[] = [];
        for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) allowed.push(Math.abs(i - j) <= Math.floor(config.local_attention / 2));
        scores = tf.where(tf.tensor2d(allowed, [s, s], 'bool'), scores, tf.fill([s, s], -Infinity));
      }
      outs.push(tf.matMul(tf.softmax(scores), v));
    }
    h = tf.add(h, byWeight(tf.concat(outs, 1), `layers.${l}.attn.Wo.weight`));
    const wi = byWeight(norm(h, `layers.${l}.mlp_norm.weight`), `layers.${l}.mlp.Wi.weight`);
    const input = tf.slice(wi, [0, 0], [s, inner]);
    const gate = tf.slice(wi, [0, inner], [s, inner]);
    h = tf.add(h, byWeight(tf.mul(gelu(input), gate) as tf.Tensor2D, `layers.${l}.mlp.Wo.weight`));
    if (l === config.num_hidden_layers - 1) h = norm(h, 'final_norm.weight');
    states.push(h);
  }
  return states;
}

describe('tiny ModernBERT', () => {
  let model: ModernBertEncoder;
  let ids: number[];
  beforeAll(async () => {
    model = (await loadHfModel(tinyModernBertFiles(), { id: 'tiny-modernbert' })) as ModernBertEncoder;
    ids = model.tokenize(TEXT).ids;
  });
  afterAll(() => model?.dispose());

  it('loads with the configured shapes, and is deterministic', () => {
    expect(model.numLayers).toBe(3);
    expect(model.outputSize).toBe(32);
    expect(model.unverified).toBeUndefined(); // test-models/modernbert pins it to transformers
    expect(model.dims.layers).toEqual(new Array(3).fill({ hIn: 32, attn: 32, hOut: 32, ffn: 48, gated: true, denseResidual: false }));
    expect(model.dims.head).toEqual([]);
    const t = model.tokenize(TEXT);
    expect(t.pieces[0]).toBe('[CLS]');
    expect(t.pieces[t.pieces.length - 1]).toBe('[SEP]');
    expect(t.special[0] && t.special[t.special.length - 1]).toBe(true);
    expect(ids.length).toBeGreaterThan(8); // longer than the local window (±2), so the mask matters
    expect(model.referenceIds(ids)).toEqual(ids.map((id, i) => (i === 0 || i === ids.length - 1 ? id : 0)));
    tf.tidy(() => {
      const x = model.embed(ids);
      expect(x.shape).toEqual([1, ids.length, 32]);
      for (let l = 0; l < 3; l++) expect(model.layer(l, x).shape).toEqual([1, ids.length, 32]);
      const e1 = encodeFrom(model, 0, x);
      const e2 = encodeFrom(model, 0, model.embed(ids));
      expect(e1.shape).toEqual([1, 32]);
      expect(Array.from(e1.dataSync())).toEqual(Array.from(e2.dataSync()));
      expect(tf.norm(e1).dataSync()[0]).toBeCloseTo(1, 5);
    });
    expect(() => model.embed([101])).toThrow(/outside the vocabulary/);
    expect(() => model.layer(3, tf.zeros([1, 2, 32]) as tf.Tensor3D)).toThrow(/no layer 3/);
  });

  it("matches transformers' equations written out by hand, layer by layer", () => {
    tf.tidy(() => {
      const states = referenceStates(tinyModernBertTensors(), TINY_MODERNBERT_CONFIG, ids);
      for (let l = 0; l <= 3; l++) {
        const ours = tf.squeeze(hiddenAt(model, ids, l), [0]);
        expect(relError(ours, states[l])).toBeLessThan(2e-5);
      }
      // Non-trivial: the layers change the states, and the attention is far from uniform.
      expect(relError(states[1], states[0])).toBeGreaterThan(0.1);
      expect(relError(states[2], states[1])).toBeGreaterThan(0.1);
    });
  });

  it('reads checkpoints saved with the head prefix ("model.") the same', async () => {
    const prefixed = await loadHfModel(tinyModernBertFiles({ prefix: 'model.' }), { id: 'tiny-modernbert-mlm' });
    try {
      expect(read(() => encodeFrom(prefixed, 0, prefixed.embed(ids)))).toEqual(read(() => encodeFrom(model, 0, model.embed(ids))));
    } finally {
      prefixed.dispose();
    }
  });

  it('runs a batch of sequences like each sequence alone', () => {
    tf.tidy(() => {
      const a = model.embed(ids);
      const b = tf.add(a, randn(a.shape, 4, 0.3)) as tf.Tensor3D;
      const both = encodeFrom(model, 0, tf.concat([a, b], 0) as tf.Tensor3D);
      expect(relError(tf.slice(both, [1, 0], [1, -1]), encodeFrom(model, 0, b))).toBeLessThan(1e-5);
    });
  });

  it('lets a local layer see only tokens within ⌊local_attention/2⌋, a global layer every token', () => {
    expect(model.isGlobal(0)).toBe(true);
    expect(model.isGlobal(1)).toBe(false);
    expect(model.isGlobal(2)).toBe(false);
    tf.tidy(() => {
      const s = ids.length;
      const i = 2;
      /** Layer l's output at token i after token j of its input (the states before layer l) changes. */
      const changeAt = (l: number, j: number) => {
        const x = hiddenAt(model, ids, l);
        const bump = tf.mul(tf.reshape(tf.cast(tf.oneHot(tf.tensor1d([j], 'int32'), s), 'float32'), [1, s, 1]), randn([1, 1, 32], 50 + j, 0.5));
        const y0 = tf.slice(model.layer(l, x), [0, i, 0], [1, 1, -1]);
        const y1 = tf.slice(model.layer(l, tf.add(x, bump) as tf.Tensor3D), [0, i, 0], [1, 1, -1]);
        return tf.max(tf.abs(tf.sub(y1, y0))).dataSync()[0];
      };
      for (const l of [1, 2]) {
        expect(changeAt(l, i + 2)).toBeGreaterThan(1e-4); // distance 2: inside the window
        expect(changeAt(l, 0)).toBeGreaterThan(1e-4);
        expect(changeAt(l, i + 3)).toBe(0); // distance 3: outside
        expect(changeAt(l, s - 1)).toBe(0);
      }
      expect(changeAt(0, i + 3)).toBeGreaterThan(1e-4);
      expect(changeAt(0, s - 1)).toBeGreaterThan(1e-4);
    });
    const mask = slidingWindowMask(5, 1);
    expect(mask?.arraySync().map((row) => row.map((v) => (v === 0 ? 1 : 0)))).toEqual([
      [1, 1, 0, 0, 0],
      [1, 1, 1, 0, 0],
      [0, 1, 1, 1, 0],
      [0, 0, 1, 1, 1],
      [0, 0, 0, 1, 1],
    ]);
    mask?.dispose();
    expect(slidingWindowMask(3, 2)).toBeUndefined();
  });

  it('depends on positions only through distances (rotary): a local layer is shift-equivariant inside the text', () => {
    tf.tidy(() => {
      const a = hiddenAt(model, ids, 1);
      const s = a.shape[1];
      const shifted = tf.concat([randn([1, 1, 32], 60), a], 1) as tf.Tensor3D;
      const ya = model.layer(1, a);
      const yb = model.layer(1, shifted);
      // Token i of a and token i + 1 of the shifted text see the same neighbours at the same distances.
      const inside = tf.slice(ya, [0, 2, 0], [1, s - 4, -1]);
      expect(relError(tf.slice(yb, [0, 3, 0], [1, s - 4, -1]), inside)).toBeLessThan(1e-5);
      // Near the start the windows differ, and a global layer sees the new token everywhere.
      expect(relError(tf.slice(yb, [0, 2, 0], [1, 1, -1]), tf.slice(ya, [0, 1, 0], [1, 1, -1]))).toBeGreaterThan(1e-3);
      const e = model.embed(ids);
      const eShifted = tf.concat([model.embed([5]), e], 1) as tf.Tensor3D;
      const g = relError(tf.slice(model.layer(0, eShifted), [0, 3, 0], [1, s - 4, -1]), tf.slice(model.layer(0, e), [0, 2, 0], [1, s - 4, -1]));
      expect(g).toBeGreaterThan(1e-3);
    });
  });

  it('gives every layer a tangent rule with the Jacobian of tf.grad and finite differences', () => {
    tf.tidy(() => {
      const x = tf.concat([model.embed(ids), model.embed(model.referenceIds(ids))], 0);
      for (let l = 0; l < model.numLayers; l++) {
        checkLayerTangent(model, l, l === 0 ? x : tf.concat([hiddenAt(model, ids, l), hiddenAt(model, model.referenceIds(ids), l)], 0), 20 + l);
      }
    });
  });

  it('gives g_L and its tangent (encodeFrom / encodeFromJvp) that agree from every layer', () => {
    tf.tidy(() => {
      let x = model.embed(ids);
      for (let from = 0; from <= model.numLayers; from++) {
        const start = from;
        checkEncodeFromTangent(model, start, x, 40 + from);
        if (from < model.numLayers) x = model.layer(from, x);
      }
    });
  });

  it('names every weight once, rebuilds from the same tensors, and frees them all', async () => {
    const list = model.namedWeights().list();
    const names = list.map((w) => w.name);
    expect(new Set(names).size).toBe(names.length);
    // The embedding norm (the table is no tensor: embedding-table.ts); layer 0 without attn_norm; 6 tensors in layers 1 and 2; the final norm.
    expect(list.length).toBe(1 + 5 + 6 + 6 + 1);
    expect(names).toContain('layers.2.finalNorm.scale');
    expect(names.filter((n) => n.startsWith('layers.0.'))).toEqual(['layers.0.qkv.kernel', 'layers.0.attnOut.kernel', 'layers.0.mlpNorm.scale', 'layers.0.mlpIn.kernel', 'layers.0.mlpOut.kernel']);
    const shapes = Object.fromEntries(list.map((w) => [w.name, w.tensor.shape]));
    expect(model.weights.tokEmbeddings).toMatchObject({ rows: 101, width: 32 });
    expect(shapes['layers.1.qkv.kernel']).toEqual([32, 96]);
    expect(shapes['layers.1.mlpIn.kernel']).toEqual([32, 96]);
    expect(shapes['layers.1.mlpOut.kernel']).toEqual([48, 32]);
    const nw = model.namedWeights();
    expect(nw.isTrainable('layers.2.finalNorm.scale', 'top')).toBe(true);
    expect(nw.isTrainable('layers.1.qkv.kernel', 'top')).toBe(false);
    expect(nw.isTrainable('embeddings.norm.scale', 'encoder')).toBe(false);

    const same = nw.rebuild('tiny-modernbert-copy', (_, t) => t);
    expect(read(() => encodeFrom(same, 0, same.embed(ids)))).toEqual(read(() => encodeFrom(model, 0, model.embed(ids))));
    // A rebuild with other tensors changes the result.
    const other = nw.rebuild('tiny-modernbert-other', (name, t) => (name === 'layers.1.mlpOut.kernel' ? tf.mul(t, 0.5) : t));
    expect(tf.tidy(() => relError(encodeFrom(other, 0, other.embed(ids)), encodeFrom(model, 0, model.embed(ids))))).toBeGreaterThan(1e-4);
    tf.dispose(other.namedWeights().list().find((w) => w.name === 'layers.1.mlpOut.kernel')?.tensor);

    const before = tf.memory().numTensors;
    const fresh = await loadHfModel(tinyModernBertFiles(), { id: 'tiny-modernbert-fresh' });
    expect(tf.memory().numTensors).toBe(before + list.length);
    fresh.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
