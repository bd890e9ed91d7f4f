/**
 * Where do TF.js backends disagree? (issue 12, cross-backend agreement.) Runs single
 * kernels on random inputs, then use-lite and a tiny BERT stage by stage, on a
 * reference backend (CPU) and on a second one (WebGPU through Dawn's Node binding by
 * default), and prints each operation's largest difference as a share of the largest
 * |value| of the reference output. Every stage gets the *reference's* inputs, so a row
 * measures that operation alone; the "chained" column runs the whole model on each
 * backend and shows how the differences grow. Finally the same attribution runs on
 * both backends.
 *
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
 *     npx tsx scripts/backend-diff.ts [--kernels] [--use-lite] [--bert] [--attribution]
 *       [--backend webgpu|wasm|cpu] [--against cpu|wasm] [--text TEXT] [--json FILE]
 *
 * Without any of the four part flags it runs them all. Without a GPU, the Vulkan
 * driver of Chromium's SwiftShader (the two variables above) gives Dawn a software
 * adapter. `--backend` is the backend measured (default webgpu), always against CPU
 * for kernels and stages; `--against` is its partner for the attributions (default
 * cpu; wasm is 20–40× faster and agrees with cpu to 1e-6). `--text` is the stages'
 * text. Takes about 3 minutes for kernels and stages on SwiftShader, 5 (wasm) to 12
 * (cpu) for the attributions, on a busy 2-core machine.
 */
import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AttributionEngine } from '../src/attribution/engine.ts';
import { describeNodeBackend, startNodeBackend, type NodeBackend } from '../src/cli/node-backend.ts';
import { embedText, type SentenceEncoder } from '../src/model/encoder.ts';
import { combineHeads, splitHeads } from '../src/model/heads.ts';
import { BertEncoder } from '../src/model/hf/bert.ts';
import { loadHfModel } from '../src/model/hf/load.ts';
import { activation, activationTangent, layerNorm as hfLayerNorm, linear } from '../src/model/hf/ops.ts';
import { loadBundledModel } from '../src/model/node-models.ts';
import { diskFiles } from '../src/model/node-files.ts';
import { l2NormalizeJvp, layerNormTangent, softmaxTangent, tanhTangent } from '../src/model/tangent.ts';
import { UseLite } from '../src/model/use-lite/model.ts';
import { dense, layerNorm, timingSignal } from '../src/model/use-lite/ops.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TINY_BERT = join(ROOT, 'test-models', 'bert');

/** A value as it left a backend: its numbers and its shape. */
export interface Values {
  data: Float32Array;
  shape: number[];
}

/** How far `y` is from the reference `x`. */
export interface Difference {
  /** max |y − x| / max |x|: the measure the attribution bounds use. */
  ofMax: number;
  /** max |y − x| / |x| over the entries with |x| ≥ 1e-3 · max |x| (elementwise, small entries left out). */
  relative: number;
  maxAbs: number;
}

export function difference(x: Float32Array, y: Float32Array): Difference {
  if (x.length !== y.length) throw new Error(`sizes differ: ${x.length} and ${y.length}`);
  let maxAbs = 0;
  for (const v of x) maxAbs = Math.max(maxAbs, Math.abs(v));
  let diff = 0;
  let relative = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(y[i] - x[i]);
    if (Number.isNaN(d)) return { ofMax: Infinity, relative: Infinity, maxAbs };
    diff = Math.max(diff, d);
    if (Math.abs(x[i]) >= 1e-3 * maxAbs && x[i] !== 0) relative = Math.max(relative, d / Math.abs(x[i]));
  }
  return { ofMax: maxAbs > 0 ? diff / maxAbs : diff, relative, maxAbs };
}

/** Deterministic uniform numbers in [-scale, scale] (a linear congruential generator; enough for test inputs). */
export function uniform(size: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 * 2 - 1) * scale;
  }
  return out;
}

async function read(t: tf.Tensor): Promise<Values> {
  return { data: Float32Array.from(await t.data()), shape: t.shape.slice() };
}

// ---------------------------------------------------------------------------------------
// Kernels on random inputs

export interface KernelCase {
  name: string;
  /** Input shapes, the range of their uniform entries, and an optional shift (e.g. to keep them positive). */
  inputs: { shape: number[]; scale: number; offset?: number }[];
  run: (...x: tf.Tensor[]) => tf.Tensor;
}

/** The kernels the models and their tangent rules run, at the shapes they run them (use-lite: 512 wide, 4 heads, 12 tokens, 64 points). */
export const KERNELS: KernelCase[] = [
  { name: 'matMul [768,512]·[512,1536]', inputs: [{ shape: [768, 512], scale: 1 }, { shape: [512, 1536], scale: 0.05 }], run: (a, b) => tf.matMul(a, b) },
  { name: 'matMul [768,1536]·[1536,512]', inputs: [{ shape: [768, 1536], scale: 1 }, { shape: [1536, 512], scale: 0.03 }], run: (a, b) => tf.matMul(a, b) },
  { name: 'batchMatMul Q·Kᵀ [256,12,128]', inputs: [{ shape: [256, 12, 128], scale: 1 }, { shape: [256, 12, 128], scale: 1 }], run: (a, b) => tf.matMul(a, b, false, true) },
  { name: 'batchMatMul P·V [256,12,12]·[256,12,128]', inputs: [{ shape: [256, 12, 12], scale: 1 }, { shape: [256, 12, 128], scale: 1 }], run: (a, b) => tf.matMul(a, b) },
  { name: 'softmax [64,4,12,12]', inputs: [{ shape: [64, 4, 12, 12], scale: 8 }], run: (x) => tf.softmax(x) },
  { name: 'exp [64,4,12,12] (|x| ≤ 8)', inputs: [{ shape: [64, 4, 12, 12], scale: 8 }], run: (x) => tf.exp(x) },
  { name: 'tanh [64,512] (|x| ≤ 3)', inputs: [{ shape: [64, 512], scale: 3 }], run: (x) => tf.tanh(x) },
  { name: 'tanh [64,512] (|x| ≤ 0.01)', inputs: [{ shape: [64, 512], scale: 0.01 }], run: (x) => tf.tanh(x) },
  { name: 'sigmoid [64,512] (|x| ≤ 6)', inputs: [{ shape: [64, 512], scale: 6 }], run: (x) => tf.sigmoid(x) },
  { name: 'erf [64,1536] (|x| ≤ 3)', inputs: [{ shape: [64, 1536], scale: 3 }], run: (x) => tf.erf(x) },
  { name: 'GELU (erf) [64,1536]', inputs: [{ shape: [64, 1536], scale: 4 }], run: (x) => activation('gelu', x) },
  { name: 'GELU (tanh) [64,1536]', inputs: [{ shape: [64, 1536], scale: 4 }], run: (x) => activation('gelu_tanh', x) },
  { name: 'pow(x, 3) [64,1536]', inputs: [{ shape: [64, 1536], scale: 3 }], run: (x) => tf.pow(x, 3) },
  { name: 'rsqrt [768,1]', inputs: [{ shape: [768, 1], scale: 1, offset: 1.001 }], run: (x) => tf.rsqrt(x) },
  { name: 'sqrt [768,1]', inputs: [{ shape: [768, 1], scale: 1, offset: 1.001 }], run: (x) => tf.sqrt(x) },
  { name: 'mean over 512 [64,12,512]', inputs: [{ shape: [64, 12, 512], scale: 3 }], run: (x) => tf.mean(x, -1, true) },
  { name: 'sum over tokens [64,12,512]', inputs: [{ shape: [64, 12, 512], scale: 3 }], run: (x) => tf.sum(x, 1) },
  { name: 'sin, cos (|x| ≤ π)', inputs: [{ shape: [128, 128], scale: Math.PI }], run: (x) => tf.concat([tf.sin(x), tf.cos(x)], 1) },
  { name: 'sin, cos (|x| ≤ 127)', inputs: [{ shape: [128, 128], scale: 127 }], run: (x) => tf.concat([tf.sin(x), tf.cos(x)], 1) },
  {
    // The timing signal as use-lite computed it before issue 12: tf.sin and tf.cos of i·ω, i < 128, ω ≤ 1.
    name: 'timing signal via tf.sin/tf.cos [128,256]',
    inputs: [],
    run: () => {
      const omega = tf.exp(tf.mul(tf.range(0, 128, 1, 'float32'), -Math.log(1e4) / 127));
      const angles = tf.mul(tf.expandDims(tf.range(0, 128, 1, 'float32'), 1), tf.expandDims(omega, 0));
      return tf.concat([tf.sin(angles), tf.cos(angles)], 1);
    },
  },
];

export interface KernelRow {
  name: string;
  difference: Difference;
}

async function runKernels(cases: readonly KernelCase[]): Promise<Values[]> {
  const out: Values[] = [];
  for (const [c, kernel] of cases.entries()) {
    const inputs = kernel.inputs.map((spec, i) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const data = uniform(size, 1000 * c + 17 * i + 1, spec.scale).map((v) => v + (spec.offset ?? 0));
      return tf.tensor(data, spec.shape);
    });
    const y = kernel.run(...inputs);
    out.push(await read(y));
    tf.dispose([...inputs, y]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Models stage by stage

/** One operation of a model: it reads earlier values by name and makes one new value. */
export interface Stage {
  name: string;
  inputs: string[];
  run: (...x: tf.Tensor[]) => tf.Tensor;
}

export interface StageRow {
  name: string;
  shape: number[];
  /** This stage alone: both backends fed the reference's inputs. */
  isolated: Difference;
  /** The whole model run on each backend up to here. */
  chained: Difference;
}

/** Runs stages in order; a stage's inputs come from `feed` when given (the reference's values), else from this run. */
async function runStages(stages: readonly Stage[], feed?: ReadonlyMap<string, Values>): Promise<Map<string, Values>> {
  const values = new Map<string, Values>();
  for (const stage of stages) {
    const inputs = stage.inputs.map((name) => {
      const v = (feed ?? values).get(name);
      if (!v) throw new Error(`stage ${stage.name} reads ${name}, which nothing made`);
      return tf.tensor(v.data, v.shape);
    });
    const y = stage.run(...inputs);
    values.set(stage.name, await read(y));
    tf.dispose([...inputs, y]);
  }
  return values;
}

/** A fixed tangent direction per token and unit, [1, T, S, H], for the tangent-rule stages. */
function directions(x: tf.Tensor, t: number, seed: number): tf.Tensor4D {
  const [b, s, h] = x.shape as [number, number, number];
  return tf.tensor4d(uniform(b * t * s * h, seed), [b, t, s, h]);
}

/** use-lite, stage by stage, in model.ts's order (docs/use-lite.md, "Equations"). */
export function stagesOfUseLite(model: UseLite, ids: readonly number[]): Stage[] {
  const w = model.weights;
  const eps = w.layerNormEpsilon;
  const heads = 4;
  const stages: Stage[] = [
    { name: 'timing signal (model)', inputs: [], run: () => timingSignal(w.inverseTimescales, ids.length) },
    { name: 'embedding', inputs: [], run: () => model.embed(ids) },
  ];
  let x = 'embedding';
  for (const [l, lw] of w.layers.entries()) {
    const p = `layer ${l}: `;
    const qkv = (t: tf.Tensor) => tf.split(t, 3, -1) as tf.Tensor3D[];
    stages.push(
      { name: `${p}LayerNorm (attention)`, inputs: [x], run: (v) => layerNorm(v as tf.Tensor3D, lw.attentionNormScale, lw.attentionNormBias, eps) },
      { name: `${p}Q, K, V (dense)`, inputs: [`${p}LayerNorm (attention)`], run: (h) => dense(h as tf.Tensor3D, lw.qkvKernel, lw.qkvBias) },
      {
        name: `${p}scores q·Kᵀ`,
        inputs: [`${p}Q, K, V (dense)`],
        run: (t) => {
          const [q, k] = qkv(t);
          return tf.matMul(tf.mul(splitHeads(q, heads), lw.queryScale), splitHeads(k, heads), false, true);
        },
      },
      { name: `${p}softmax`, inputs: [`${p}scores q·Kᵀ`], run: (s) => tf.softmax(s) },
      { name: `${p}context p·V`, inputs: [`${p}softmax`, `${p}Q, K, V (dense)`], run: (pr, t) => tf.matMul(pr, splitHeads(qkv(t)[2], heads)) },
      { name: `${p}attention output (dense)`, inputs: [`${p}context p·V`], run: (c) => dense(combineHeads(c as tf.Tensor4D), lw.outputKernel, lw.outputBias) },
      {
        name: `${p}residual + attention`,
        inputs: [x, `${p}attention output (dense)`],
        run: (v, a) => tf.add(lw.residualKernel && lw.residualBias ? dense(v as tf.Tensor3D, lw.residualKernel, lw.residualBias) : v, a),
      },
      { name: `${p}LayerNorm (feed-forward)`, inputs: [`${p}residual + attention`], run: (y) => layerNorm(y as tf.Tensor3D, lw.ffnNormScale, lw.ffnNormBias, eps) },
      { name: `${p}feed-forward in (dense)`, inputs: [`${p}LayerNorm (feed-forward)`], run: (h) => dense(h as tf.Tensor3D, lw.ffnInKernel, lw.ffnInBias) },
      { name: `${p}ReLU`, inputs: [`${p}feed-forward in (dense)`], run: (h) => tf.relu(h) },
      { name: `${p}feed-forward out (dense)`, inputs: [`${p}ReLU`], run: (h) => dense(h as tf.Tensor3D, lw.ffnOutKernel, lw.ffnOutBias) },
      { name: `${p}output`, inputs: [`${p}feed-forward out (dense)`, `${p}residual + attention`], run: (f, y) => tf.add(f, y) },
      { name: `${p}whole layer`, inputs: [x], run: (v) => model.layer(l, v as tf.Tensor3D) },
      { name: `${p}LayerNorm tangent`, inputs: [x], run: (v) => layerNormTangent(v, directions(v, 8, 7 + l), lw.attentionNormScale, eps) },
      { name: `${p}softmax tangent`, inputs: [`${p}softmax`], run: (pr) => softmaxTangent(pr, tf.tensor(uniform(pr.size * 8, 9 + l), [pr.shape[0], 8, ...pr.shape.slice(1)])) },
      { name: `${p}layerJvp tangent`, inputs: [x], run: (v) => model.layerJvp(l, { x: v as tf.Tensor3D, dx: directions(v, 8, 11 + l) }).dx },
    );
    x = `${p}output`;
  }
  stages.push(
    { name: 'mean pooling', inputs: [x], run: (v) => model.pool(v as tf.Tensor3D) },
    { name: 'head pre-activation (matMul + bias)', inputs: ['mean pooling'], run: (u) => tf.add(tf.matMul(u as tf.Tensor2D, w.headKernel), w.headBias) },
    { name: 'head tanh', inputs: ['head pre-activation (matMul + bias)'], run: (z) => tf.tanh(z) },
    { name: 'head (model)', inputs: ['mean pooling'], run: (u) => model.head(u as tf.Tensor2D) },
    { name: 'tanh tangent', inputs: ['head tanh'], run: (y) => tanhTangent(y, tf.tensor3d(uniform(y.size * 8, 13), [y.shape[0], 8, y.shape[1] as number])) },
    { name: 'L2 normalisation', inputs: ['head (model)'], run: (e) => model.normalize(e as tf.Tensor2D) },
    {
      name: 'L2 normalisation tangent',
      inputs: ['head (model)'],
      run: (e) => l2NormalizeJvp({ x: e as tf.Tensor2D, dx: tf.tensor3d(uniform(e.size * 8, 15), [e.shape[0], 8, e.shape[1] as number]) }, w.l2Epsilon).dx,
    },
  );
  return stages;
}

/** A BERT-family encoder (the tiny GELU BERT of test-models/), stage by stage, in bert.ts's order. */
export function stagesOfBert(model: BertEncoder, ids: readonly number[]): Stage[] {
  const c = model.config;
  const w = model.weights;
  const heads = c.numHeads;
  const eps = c.layerNormEps;
  const scale = 1 / Math.sqrt(c.hiddenSize / heads);
  const stages: Stage[] = [{ name: 'embedding (+ LayerNorm)', inputs: [], run: () => model.embed(ids) }];
  let x = 'embedding (+ LayerNorm)';
  for (const [l, lw] of w.layers.entries()) {
    const p = `layer ${l}: `;
    const qkv = (t: tf.Tensor) => tf.split(t, 3, -1) as tf.Tensor3D[];
    stages.push(
      { name: `${p}Q, K, V (linear)`, inputs: [x], run: (v) => linear(v, lw.qkv) },
      {
        name: `${p}scores q·Kᵀ`,
        inputs: [`${p}Q, K, V (linear)`],
        run: (t) => {
          const [q, k] = qkv(t);
          return tf.mul(tf.matMul(splitHeads(q, heads), splitHeads(k, heads), false, true), scale);
        },
      },
      { name: `${p}softmax`, inputs: [`${p}scores q·Kᵀ`], run: (s) => tf.softmax(s) },
      { name: `${p}context p·V`, inputs: [`${p}softmax`, `${p}Q, K, V (linear)`], run: (pr, t) => tf.matMul(pr, splitHeads(qkv(t)[2], heads)) },
      {
        name: `${p}LayerNorm(attention + x)`,
        inputs: [`${p}context p·V`, x],
        run: (ctx, v) => hfLayerNorm(tf.add(linear(combineHeads(ctx as tf.Tensor4D), lw.attentionOut), v), lw.attentionNorm, eps),
      },
      { name: `${p}intermediate (linear)`, inputs: [`${p}LayerNorm(attention + x)`], run: (a) => linear(a, lw.intermediate) },
      { name: `${p}${c.activation}`, inputs: [`${p}intermediate (linear)`], run: (h) => activation(c.activation, h) },
      {
        name: `${p}${c.activation} tangent`,
        inputs: [`${p}intermediate (linear)`],
        run: (h) => activationTangent(c.activation, h, directions(h, 8, 21 + l)),
      },
      { name: `${p}output (linear)`, inputs: [`${p}${c.activation}`], run: (h) => linear(h, lw.output) },
      { name: `${p}output`, inputs: [`${p}output (linear)`, `${p}LayerNorm(attention + x)`], run: (f, a) => hfLayerNorm(tf.add(f, a), lw.outputNorm, eps) },
      { name: `${p}whole layer`, inputs: [x], run: (v) => model.layer(l, v as tf.Tensor3D) },
      { name: `${p}layerJvp tangent`, inputs: [x], run: (v) => model.layerJvp(l, { x: v as tf.Tensor3D, dx: directions(v, 8, 31 + l) }).dx },
    );
    x = `${p}output`;
  }
  stages.push(
    { name: 'pooling', inputs: [x], run: (v) => model.pool(v as tf.Tensor3D) },
    { name: 'head (Dense modules, normalisation)', inputs: ['pooling'], run: (u) => model.normalize(model.head(u as tf.Tensor2D)) },
  );
  return stages;
}

async function compareStages(
  backends: readonly [NodeBackend, NodeBackend],
  load: () => Promise<{ stages: Stage[]; dispose(): void }>,
): Promise<StageRow[]> {
  const runs: { chained: Map<string, Values>; isolated?: Map<string, Values> }[] = [];
  for (const [i, backend] of backends.entries()) {
    await startNodeBackend(backend);
    const model = await load();
    try {
      const chained = await runStages(model.stages);
      runs.push({ chained, isolated: i === 0 ? undefined : await runStages(model.stages, runs[0].chained) });
    } finally {
      model.dispose();
    }
  }
  const [ref, other] = runs;
  return [...ref.chained.entries()].map(([name, v]) => ({
    name,
    shape: v.shape,
    isolated: difference(v.data, other.isolated!.get(name)!.data),
    chained: difference(v.data, other.chained.get(name)!.data),
  }));
}

export async function compareUseLite(backends: readonly [NodeBackend, NodeBackend], text: string): Promise<StageRow[]> {
  return compareStages(backends, async () => {
    const model = (await loadBundledModel('use-lite')) as UseLite;
    return { stages: stagesOfUseLite(model, model.tokenize(text).ids), dispose: () => model.dispose() };
  });
}

export async function compareBert(backends: readonly [NodeBackend, NodeBackend], text: string): Promise<StageRow[]> {
  return compareStages(backends, async () => {
    const model = await loadHfModel(diskFiles(TINY_BERT), { id: 'tiny-bert' });
    if (!(model instanceof BertEncoder)) throw new Error('test-models/bert is not a BERT');
    return { stages: stagesOfBert(model, model.tokenize(text).ids), dispose: () => model.dispose() };
  });
}

// ---------------------------------------------------------------------------------------
// Attributions

export interface AttributionRow {
  model: string;
  pair: [string, string];
  layer: number;
  /** max |ΔA| / max |A| of the reference. */
  matrix: number;
  /** max |Δe| / max |e| over the two embeddings. */
  embedding: number;
  prediction: number;
  backends: string[];
}

export async function attributionRows(
  backends: readonly [NodeBackend, NodeBackend],
  cases: readonly { model: string; pair: [string, string]; layer: number }[],
): Promise<AttributionRow[]> {
  const results: { matrix: Float32Array; embedding: Float32Array; prediction: number; label: string }[][] = [];
  for (const backend of backends) {
    await startNodeBackend(backend);
    const perCase = [];
    for (const c of cases) {
      const model: SentenceEncoder = c.model === 'use-lite' ? await loadBundledModel('use-lite') : await loadHfModel(diskFiles(c.model), { id: c.model });
      try {
        const [ea, eb] = [(await embedText(model, c.pair[0])).embedding, (await embedText(model, c.pair[1])).embedding];
        const result = await new AttributionEngine(model).attribute({ a: c.pair[0], b: c.pair[1], layer: c.layer, steps: 8, rule: 'midpoint', mode: 'approx', sim: 'cos' });
        perCase.push({ matrix: Float32Array.from(result.matrix), embedding: Float32Array.from([...ea, ...eb]), prediction: result.prediction, label: describeNodeBackend() });
      } finally {
        model.dispose();
      }
    }
    results.push(perCase);
  }
  return cases.map((c, i) => ({
    model: c.model === 'use-lite' ? 'use-lite' : 'tiny BERT',
    pair: c.pair,
    layer: c.layer,
    matrix: difference(results[0][i].matrix, results[1][i].matrix).ofMax,
    embedding: difference(results[0][i].embedding, results[1][i].embedding).ofMax,
    prediction: Math.abs(results[0][i].prediction - results[1][i].prediction),
    backends: [results[0][i].label, results[1][i].label],
  }));
}

// ---------------------------------------------------------------------------------------
// Command line

const exp = (x: number) => (x === 0 ? '0' : x.toExponential(2));

function printStages(title: string, rows: readonly StageRow[]): void {
  console.log(`\n${title}\n| stage | shape | alone: of max | alone: elementwise | chained: of max |\n| --- | --- | --- | --- | --- |`);
  for (const r of rows) console.log(`| ${r.name} | ${r.shape.join('×')} | ${exp(r.isolated.ofMax)} | ${exp(r.isolated.relative)} | ${exp(r.chained.ofMax)} |`);
}

async function main(args: string[]): Promise<number> {
  const flag = (name: string) => args.includes(`--${name}`);
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const parts = ['kernels', 'use-lite', 'bert', 'attribution'].filter(flag);
  const all = parts.length === 0;
  const second = (value('backend') ?? 'webgpu') as NodeBackend;
  const against = (value('against') ?? 'cpu') as NodeBackend;
  const pair: [NodeBackend, NodeBackend] = ['cpu', second];
  const report: Record<string, unknown> = {};

  if (all || flag('kernels')) {
    const rows: KernelRow[] = [];
    await startNodeBackend(pair[0]);
    const ref = await runKernels(KERNELS);
    await startNodeBackend(pair[1]);
    const other = await runKernels(KERNELS);
    KERNELS.forEach((k, i) => rows.push({ name: k.name, difference: difference(ref[i].data, other[i].data) }));
    console.log(`\nKernels, ${pair[1]} vs ${pair[0]} (${describeNodeBackend()})\n| kernel | of max | elementwise |\n| --- | --- | --- |`);
    for (const r of rows) console.log(`| ${r.name} | ${exp(r.difference.ofMax)} | ${exp(r.difference.relative)} |`);
    report.kernels = rows;
  }
  const text = value('text') ?? 'The cat sat on the mat.';
  if (all || flag('use-lite')) {
    const rows = await compareUseLite(pair, text);
    printStages(`use-lite on "${text}", ${pair[1]} vs ${pair[0]}`, rows);
    report.useLite = rows;
  }
  if (all || flag('bert')) {
    const rows = await compareBert(pair, text);
    printStages(`tiny BERT (test-models/bert, GELU) on "${text}", ${pair[1]} vs ${pair[0]}`, rows);
    report.bert = rows;
  }
  if (all || flag('attribution')) {
    const cases = [
      { model: 'use-lite', pair: ['Cats sleep.', 'Dogs nap.'] as [string, string], layer: 1 },
      { model: 'use-lite', pair: ['The cat sat on the mat.', 'A dog lay on the rug.'] as [string, string], layer: 1 },
      { model: 'use-lite', pair: ['The cat sat on the mat.', 'A dog lay on the rug.'] as [string, string], layer: 0 },
      { model: TINY_BERT, pair: ['The cat sat on the mat.', 'A dog lay on the rug.'] as [string, string], layer: 0 },
    ];
    const rows = await attributionRows([against, second], cases);
    console.log(`\nAttributions (layer L, 8 midpoint steps, Approximate, cosine), ${second} vs ${against}\n| model | pair | layer | A: of max |A| | embeddings: of max | cosine |\n| --- | --- | --- | --- | --- | --- |`);
    for (const r of rows) console.log(`| ${r.model} | ${r.pair.join(' / ')} | ${r.layer} | ${exp(r.matrix)} | ${exp(r.embedding)} | ${exp(r.prediction)} |`);
    report.attribution = rows;
  }
  const out = value('json');
  if (out) writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

if (process.argv[1] && /backend-diff\.ts$/.test(process.argv[1])) process.exitCode = await main(process.argv.slice(2));
