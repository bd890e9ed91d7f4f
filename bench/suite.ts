/**
 * The attribution measurements, shared by the Node (WASM) and the Chromium (WebGPU)
 * runs: everything here uses only TF.js, the engine and the routes, so both hosts
 * measure the same code the same way. A `SuitePlan` says how much of each measurement
 * to run for real; whatever is not run in full is extrapolated linearly and labelled.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AttributionEngine, type AttributionResult } from '../src/attribution/engine.ts';
import { tangentEncoderFor } from '../src/attribution/encoders.ts';
import { quadraturePoints } from '../src/attribution/quadrature.ts';
import { DEFAULT_ROW_BUDGET, jvpChunk, loadGradients, pathTensors, vjpChunk, type PathTensors } from '../src/attribution/routes.ts';
import type { Reference } from '../src/model/reference.ts';
import { encodeFrom, type SentenceEncoder } from '../src/model/encoder.ts';
import { batchRecord, recordLine } from '../src/shared/batch-record.ts';
import { repeatedTexts, reuseOrder, type TextPair } from '../src/shared/pairs.ts';
import { engineJvpChunkSize, jvpChunkFlops, textJvpFlops } from './flops.ts';
import type { ModelDims } from '../src/model/dims.ts';
import { pairOf, type PairLength } from './texts.ts';

export type Log = (line: string) => void;

/** How the tangent route of one pair is measured. */
export type TangentPlan =
  /** AttributionEngine.attribute at `steps` (= the target N: a full real run; fewer: extrapolated). */
  | { kind: 'engine'; steps: number }
  /** jvpChunk on the first `points` α points of each text (after a warm-up chunk), extrapolated. */
  | { kind: 'chunks'; points: number };

export interface PairPlan {
  length: PairLength;
  tangent: TangentPlan;
  /** The reverse route: vjpChunk on `points` α points × the first `dims` output dimensions, per text. */
  reverse: { points: number; dims: number } | null;
  /** Also run the engine in full with this smaller chunk size (first-partial trade-off), at these layers. */
  smallChunk?: { chunkSize: number; layers: number[] };
}

export interface SuitePlan {
  steps: number;
  layers: number[];
  pairs: PairPlan[];
  /** One small attribution per layer before anything is timed (kernels, WASM heap growth). */
  globalWarmUp: boolean;
  /** Warm up every (pair, layer, route) shape before timing it (WebGPU compiles shaders per shape). */
  warmUpEachShape: boolean;
  /** The warm-up's N (default 8); the full N warms up exactly the chunk shapes the timed run uses. */
  warmUpSteps?: number;
  matmul: { sizes: Array<[number, number, number]>; reps: number };
  /** Reverse-route check of linear extrapolation over output dimensions: one α, all D dims. */
  reverseLinearityCheck?: { length: PairLength; layer: number };
  cacheSwitch: { length: PairLength; steps: number } | null;
}

export interface MatmulPeak {
  /** Best rate over sizes and repetitions after a warm-up, GFLOP/s. */
  gflops: number;
  best: { m: number; k: number; n: number; ms: number };
  all: Array<{ m: number; k: number; n: number; msMedian: number; msBest: number; gflopsBest: number }>;
}

export interface TangentMeasure {
  how: string;
  extrapolated: boolean;
  /** Time for the whole pair at N = steps (measured, or extrapolated from `measuredPoints`). */
  ms: number;
  /** α points measured per text, and how long the measured part took. */
  measuredPoints: number;
  measuredMs: number;
  /** Factor applied to the per-point part to reach N (1 for a full run). */
  extrapolationFactor: number;
  chunkSize: number;
  firstPartialMs: number | null;
  firstPartialExtrapolated: boolean;
  /** firstPartialMs / ms. */
  firstPartialFraction: number | null;
  partials: number;
  /** Matmul FLOPs of the measured work, and the rate achieved over the measured time. */
  flops: number;
  gflops: number;
  fractionOfPeak: number | null;
  /** Shader-compiling first chunk (WebGPU warm-up), ms, when one was run. */
  warmUpMs?: number;
  peakBytes: number;
  /** Where the time went, by kernel (from tf.profile; only where the backend times kernels synchronously, i.e. WASM). */
  kernels?: KernelShare[];
  integrationError?: number;
  sum?: number;
}

/** The kernel name that stands for every kernel outside the eight largest. */
export const OTHER_KERNELS = '(other)';

export interface KernelShare {
  kernel: string;
  ms: number;
  share: number;
  calls: number;
}

export interface ReverseMeasure {
  how: string;
  extrapolated: true;
  /** Time for the whole pair at N = steps and all D output dimensions (extrapolated). */
  ms: number;
  measuredPoints: number;
  measuredDims: number;
  outputSize: number;
  /** Measured time per text (both texts of the pair), ms. */
  measuredMsPerText: number[];
  /** steps / measuredPoints × D / measuredDims. */
  extrapolationFactor: number;
  /** ms per (α point × output dimension), averaged over both texts. */
  msPerPointPerDim: number;
  /** Rows the measured backward pass held, against the engine's batch for the same text. */
  measuredBatchRows: number;
  engineBatchRows: number;
  peakBytes: number;
  warmUpMs?: number;
}

export interface AttributionCase {
  pair: PairLength;
  tokensA: number;
  tokensB: number;
  layer: number;
  steps: number;
  tangent: TangentMeasure;
  tangentSmallChunk?: TangentMeasure;
  reverse: ReverseMeasure | null;
  /** reverse.ms / tangent.ms, both on this backend in this run. */
  reverseOverTangent: number | null;
}

export interface CacheSwitch {
  pair: PairLength;
  steps: number;
  /** attribute() for a pair whose P is cached, with another mode (exact → approx), ms (median). */
  modeSwitchMs: number;
  /** attribute() at a layer computed before (1 → 0, both cached), ms (median); null with one layer. */
  layerSwitchMs: number | null;
  /** Similarity switch (cos → dot), ms (median). */
  simSwitchMs: number;
  repetitions: number;
  /** The real engine runs that filled the cache (one per layer, exact mode), ms. */
  computeMs: Array<{ layer: number; ms: number }>;
  cacheHitsAdded: number;
  textsComputedDuringSwitches: number;
}

export interface ReverseLinearityCheck {
  length: PairLength;
  layer: number;
  /** One α point, all D dimensions in the engine's own batching, ms. */
  allDimsMs: number;
  /** The same text and α from `dims` dimensions, scaled to D. */
  subsetDims: number;
  subsetMs: number;
  subsetScaledMs: number;
  /** allDimsMs / subsetScaledMs: 1 when the extrapolation is exact, < 1 when it overestimates. */
  ratio: number;
}

export interface SuiteResult {
  steps: number;
  rowBudget: number;
  matmulPeak: MatmulPeak;
  baselineBytes: number;
  cases: AttributionCase[];
  cacheSwitch: CacheSwitch | null;
  reverseLinearityCheck?: ReverseLinearityCheck;
  warmUpMs: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function settle<T extends tf.Tensor>(t: T): Promise<void> {
  await t.data();
  t.dispose();
}

/** Large square and workload-shaped products, timed after one warm-up each; the best rate is the peak. */
export async function measureMatmulPeak(plan: SuitePlan['matmul'], log: Log): Promise<MatmulPeak> {
  const all: MatmulPeak['all'] = [];
  for (const [m, k, n] of plan.sizes) {
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    await settle(tf.matMul(a, b)); // warm-up (and shader compile on WebGPU)
    const times: number[] = [];
    for (let r = 0; r < plan.reps; r++) {
      const t0 = performance.now();
      await settle(tf.matMul(a, b));
      times.push(performance.now() - t0);
    }
    tf.dispose([a, b]);
    const best = Math.min(...times);
    const gflopsBest = (2 * m * k * n) / best / 1e6;
    all.push({ m, k, n, msMedian: median(times), msBest: best, gflopsBest });
    log(`  matmul ${m}×${k}×${n}: best ${best.toFixed(1)} ms, ${gflopsBest.toFixed(2)} GFLOP/s`);
  }
  const top = all.reduce((p, q) => (q.gflopsBest > p.gflopsBest ? q : p));
  return { gflops: top.gflopsBest, best: { m: top.m, k: top.k, n: top.n, ms: top.msBest }, all };
}

/**
 * Runs `f` under tf.profile for its peak memory and per-kernel times (overhead is within
 * noise on WASM: it records shapes and wraps each kernel in a clock read).
 */
async function profiled<T>(f: () => Promise<T>): Promise<{ value: T; peakBytes: number; kernels?: KernelShare[] }> {
  let value: T | undefined;
  const info = await tf.profile(async () => {
    value = await f();
  });
  const byName = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    byName.set(k.name, e);
    total += ms;
  }
  const kernels =
    total > 0
      ? [...byName]
          .map(([kernel, e]) => ({ kernel, ms: Math.round(e.ms), share: Math.round((e.ms / total) * 1000) / 1000, calls: e.calls }))
          .sort((p, q) => q.ms - p.ms)
      : undefined;
  // The eight largest by name, and the rest as one "(other)" entry, so the shares add up to 1.
  const rest = kernels?.slice(8) ?? [];
  const rows =
    kernels && rest.length
      ? [
          ...kernels.slice(0, 8),
          {
            kernel: OTHER_KERNELS,
            ms: rest.reduce((s, k) => s + k.ms, 0),
            share: Math.round(rest.reduce((s, k) => s + k.share, 0) * 1000) / 1000,
            calls: rest.reduce((s, k) => s + k.calls, 0),
          },
        ]
      : kernels;
  return { value: value as T, peakBytes: Math.max(info.peakBytes, tf.memory().numBytes), kernels: rows };
}

interface Ctx {
  model: SentenceEncoder;
  dims: ModelDims;
  engine: AttributionEngine;
  reference: Reference;
  steps: number;
  peak: number;
  log: Log;
  hooks: SuiteHooks;
}

/** Optional observers of the suite's work (the GPU kit keeps the matrices it computed, to compare with PyTorch's). */
export interface SuiteHooks {
  /** The engine's result of each (pair, layer)'s measured tangent run at the full N. */
  onTangentResult?(pair: PairLength, layer: number, result: AttributionResult): void;
  /** After each (pair, layer): the cases so far and the matmul peak (a caller can keep partial results). */
  onCase?(cases: readonly AttributionCase[], matmulPeak: MatmulPeak): void;
}

function tokensOf(model: SentenceEncoder, text: string): number[] {
  return model.tokenize(text).ids;
}

/** Tangent route through the engine; N = steps is a full real run, fewer steps are extrapolated. */
async function tangentByEngine(ctx: Ctx, length: PairLength, layer: number, runSteps: number, chunkSize?: number, report = false): Promise<TangentMeasure> {
  const { engine, model, steps, dims } = ctx;
  const pair = pairOf(length);
  const sA = tokensOf(model, pair.a).length;
  const sB = tokensOf(model, pair.b).length;
  // The chunk the engine would use at the target N (extrapolated runs keep it, so the first partial is comparable).
  const chunk = chunkSize ?? engineJvpChunkSize(steps, Math.max(sA, sB));
  engine.clearCache();
  // The midpoint rule has one level, so the first feedback a user sees is the first
  // progress report (a chunk of both texts), not a partial heatmap.
  let firstProgressMs: number | null = null;
  let partials = 0;
  const started = performance.now();
  const { value: result, peakBytes, kernels } = await profiled(() =>
    engine.attribute(
      { a: pair.a, b: pair.b, layer, steps: runSteps, mode: 'approx', sim: 'cos', method: 'jvp', chunkSize: chunk },
      {
        onProgress: (p) => {
          if (p.stepsDone < runSteps) partials++;
          firstProgressMs ??= performance.now() - started;
        },
      },
    ),
  );
  const full = runSteps === steps;
  if (report && full) ctx.hooks.onTangentResult?.(length, layer, result);
  const factor = steps / runSteps;
  const ms = full ? result.ms : result.ms * factor;
  let firstPartialMs: number | null = partials > 0 ? firstProgressMs : null;
  let firstPartialExtrapolated = false;
  if (!full && chunk >= runSteps) {
    // No partial at the measured N: the first chunk of the target N covers `chunk` points.
    firstPartialMs = result.ms * (chunk / runSteps);
    firstPartialExtrapolated = true;
  }
  const flops = textJvpFlops(dims, layer, sA, runSteps, Math.min(chunk, runSteps)) + textJvpFlops(dims, layer, sB, runSteps, Math.min(chunk, runSteps));
  const gflops = flops / result.ms / 1e6;
  return {
    how: full
      ? `AttributionEngine.attribute, N = ${steps}, full real run`
      : `AttributionEngine.attribute at N = ${runSteps}, extrapolated ×${factor} to N = ${steps} (cost per α point is constant along the path)`,
    extrapolated: !full,
    ms,
    measuredPoints: runSteps,
    measuredMs: result.ms,
    extrapolationFactor: factor,
    chunkSize: chunk,
    firstPartialMs,
    firstPartialExtrapolated,
    firstPartialFraction: firstPartialMs === null ? null : firstPartialMs / ms,
    partials,
    flops,
    gflops,
    fractionOfPeak: ctx.peak > 0 ? gflops / ctx.peak : null,
    peakBytes,
    kernels,
    integrationError: full ? result.integrationError : undefined,
    sum: full ? result.sum : undefined,
  };
}

/** Path tensors plus f(x), f(r), as SideJob.start computes them; returns the time taken. */
async function startSide(ctx: Ctx, ids: number[], layer: number): Promise<{ path: PathTensors; ms: number }> {
  const t0 = performance.now();
  const path = pathTensors(ctx.model, ids, layer, ctx.reference);
  await settle(tf.tidy(() => encodeFrom(ctx.model, layer, tf.concat([path.x, path.r], 0) as tf.Tensor3D)));
  return { path, ms: performance.now() - t0 };
}

function disposePath(path: PathTensors): void {
  tf.dispose([path.x, path.r, path.delta]);
}

/** Tangent route by jvpChunk on a few α points per text after a warm-up chunk, extrapolated to N. */
async function tangentByChunks(ctx: Ctx, length: PairLength, layer: number, points: number, warmUp: boolean): Promise<TangentMeasure> {
  const { model, steps, dims } = ctx;
  const tangent = tangentEncoderFor(model)!;
  const pair = pairOf(length);
  const ids = [tokensOf(model, pair.a), tokensOf(model, pair.b)];
  const chunk = engineJvpChunkSize(steps, Math.max(ids[0].length, ids[1].length));
  const alphas = quadraturePoints(steps, 'midpoint').slice(0, points);
  let measuredMs = 0;
  let setupMs = 0;
  let warmUpMs = 0;
  let flops = 0;
  let perPointTotal = 0;
  let peakBytes = 0;
  let kernels: KernelShare[] | undefined;
  for (const side of ids) {
    const { path, ms } = await startSide(ctx, side, layer);
    setupMs += ms;
    try {
      if (warmUp) {
        const t0 = performance.now();
        await settle(jvpChunk(tangent, layer, path, alphas));
        warmUpMs += performance.now() - t0;
      }
      const { value: chunkMs, peakBytes: peak, kernels: k } = await profiled(async () => {
        const t0 = performance.now();
        await settle(jvpChunk(tangent, layer, path, alphas));
        return performance.now() - t0;
      });
      peakBytes = Math.max(peakBytes, peak);
      kernels ??= k;
      measuredMs += chunkMs;
      perPointTotal += chunkMs / points;
      flops += jvpChunkFlops(dims, layer, side.length, points);
    } finally {
      disposePath(path);
    }
  }
  const ms = setupMs + perPointTotal * steps;
  // The engine's first partial comes after the setup of both texts and one chunk of each.
  const firstPartialMs = chunk < steps ? setupMs + perPointTotal * chunk : null;
  const gflops = flops / measuredMs / 1e6;
  return {
    how: `jvpChunk on ${points} α point(s) per text after a warm-up chunk, extrapolated ×${steps / points} to N = ${steps} (cost per α point is constant along the path)`,
    extrapolated: points !== steps,
    ms,
    measuredPoints: points,
    measuredMs: measuredMs + setupMs,
    extrapolationFactor: steps / points,
    chunkSize: chunk,
    firstPartialMs,
    firstPartialExtrapolated: true,
    firstPartialFraction: firstPartialMs === null ? null : firstPartialMs / ms,
    partials: 0,
    flops,
    gflops,
    fractionOfPeak: ctx.peak > 0 ? gflops / ctx.peak : null,
    warmUpMs: warmUp ? warmUpMs : undefined,
    peakBytes,
    kernels,
  };
}

/** The reverse route's batch rows for one α chunk of `points`, as vjpChunk sizes it. */
function reverseBatchRows(s: number, points: number, dims: number): number {
  const budget = Math.max(1, Math.floor(DEFAULT_ROW_BUDGET / 2));
  const alphaBatch = Math.max(1, Math.min(points, Math.floor(budget / s)));
  const dimBatch = Math.max(1, Math.min(dims, Math.floor(budget / (alphaBatch * s))));
  return alphaBatch * dimBatch * s;
}

/** Reverse route: vjpChunk on a few α points × a subset of output dimensions per text, extrapolated to N × D. */
async function reverse(ctx: Ctx, length: PairLength, layer: number, points: number, dims: number, warmUp: boolean): Promise<ReverseMeasure> {
  await loadGradients();
  const { model, steps } = ctx;
  const d = model.outputSize;
  const pair = pairOf(length);
  const ids = [tokensOf(model, pair.a), tokensOf(model, pair.b)];
  const alphas = quadraturePoints(steps, 'midpoint').slice(0, points);
  const dimList = Array.from({ length: Math.min(dims, d) }, (_, k) => k);
  const measuredMsPerText: number[] = [];
  let peakBytes = 0;
  let warmUpMs = 0;
  for (const side of ids) {
    const { path } = await startSide(ctx, side, layer);
    try {
      if (warmUp) {
        const t0 = performance.now();
        await settle(vjpChunk(model, layer, path, alphas, DEFAULT_ROW_BUDGET, dimList));
        warmUpMs += performance.now() - t0;
      }
      const { value, peakBytes: peak } = await profiled(async () => {
        const t0 = performance.now();
        await settle(vjpChunk(model, layer, path, alphas, DEFAULT_ROW_BUDGET, dimList));
        return performance.now() - t0;
      });
      peakBytes = Math.max(peakBytes, peak);
      measuredMsPerText.push(value);
    } finally {
      disposePath(path);
    }
  }
  const factor = (steps / points) * (d / dimList.length);
  const total = measuredMsPerText.reduce((p, q) => p + q, 0);
  const sMax = Math.max(ids[0].length, ids[1].length);
  return {
    how: `vjpChunk (one backward pass per output dimension, batched) on ${points} α point(s) × ${dimList.length} of ${d} output dimensions per text, extrapolated ×${factor} to N = ${steps} and all ${d} dimensions (every α point and every output dimension costs the same backward pass, so the cost is linear in both)`,
    extrapolated: true,
    ms: total * factor,
    measuredPoints: points,
    measuredDims: dimList.length,
    outputSize: d,
    measuredMsPerText,
    extrapolationFactor: factor,
    msPerPointPerDim: total / 2 / (points * dimList.length),
    measuredBatchRows: reverseBatchRows(sMax, points, dimList.length),
    engineBatchRows: reverseBatchRows(sMax, Math.min(4, steps), d),
    peakBytes,
    warmUpMs: warmUp ? warmUpMs : undefined,
  };
}

async function reverseLinearity(ctx: Ctx, length: PairLength, layer: number, subsetDims: number): Promise<ReverseLinearityCheck> {
  await loadGradients();
  const { model } = ctx;
  const ids = tokensOf(model, pairOf(length).a);
  const alphas = [0.5];
  const { path } = await startSide(ctx, ids, layer);
  try {
    const d = model.outputSize;
    const sub = Array.from({ length: subsetDims }, (_, k) => k);
    let t0 = performance.now();
    await settle(vjpChunk(model, layer, path, alphas, DEFAULT_ROW_BUDGET, sub));
    const subsetMs = performance.now() - t0;
    t0 = performance.now();
    await settle(vjpChunk(model, layer, path, alphas));
    const allDimsMs = performance.now() - t0;
    const subsetScaledMs = subsetMs * (d / subsetDims);
    return { length, layer, allDimsMs, subsetDims, subsetMs, subsetScaledMs, ratio: allDimsMs / subsetScaledMs };
  } finally {
    disposePath(path);
  }
}

/** Mode, similarity and layer switches for a pair whose P is cached at both layers. */
async function cacheSwitch(ctx: Ctx, length: PairLength, steps: number, layers: number[], reps = 5): Promise<CacheSwitch> {
  const { engine } = ctx;
  const pair = pairOf(length);
  engine.clearCache();
  const base = { a: pair.a, b: pair.b, steps, sim: 'cos' as const, method: 'jvp' as const };
  const computeMs: CacheSwitch['computeMs'] = [];
  for (const layer of layers) {
    const t0 = performance.now();
    await engine.attribute({ ...base, layer, mode: 'exact' });
    computeMs.push({ layer, ms: performance.now() - t0 });
  }
  const hits0 = engine.stats.cacheHits;
  const computed0 = engine.stats.textsComputed;
  const top = layers[layers.length - 1];
  const low = layers[0];
  const mode: number[] = [];
  const layer: number[] = [];
  const sim: number[] = [];
  for (let r = 0; r < reps; r++) {
    let t0 = performance.now();
    await engine.attribute({ ...base, layer: top, mode: r % 2 ? 'exact' : 'approx' });
    mode.push(performance.now() - t0);
    t0 = performance.now();
    await engine.attribute({ ...base, layer: r % 2 ? top : low, mode: 'exact' });
    layer.push(performance.now() - t0);
    t0 = performance.now();
    await engine.attribute({ ...base, layer: top, mode: 'exact', sim: r % 2 ? 'cos' : 'dot' });
    sim.push(performance.now() - t0);
  }
  return {
    pair: length,
    steps,
    modeSwitchMs: median(mode),
    layerSwitchMs: layers.length > 1 ? median(layer) : null,
    simSwitchMs: median(sim),
    repetitions: reps,
    computeMs,
    cacheHitsAdded: engine.stats.cacheHits - hits0,
    textsComputedDuringSwitches: engine.stats.textsComputed - computed0,
  };
}

export interface BatchRun {
  ms: number;
  pairsPerMinute: number;
  textsComputed: number;
  cacheHits: number;
}

/** `pairlens batch`'s loop without the file: pairs/min, and the P cache's gain where texts repeat. */
export interface BatchMeasure {
  pairs: number;
  steps: number;
  /** Distinct texts, and texts in more than one pair. */
  distinctTexts: number;
  repeatedTexts: number;
  /** In reuseOrder with the engine's default cache, as `batch` runs. */
  withCache: BatchRun;
  /** The same pairs with the cache cleared before each pair: every text computed every time. */
  withoutCache: BatchRun;
  /** withoutCache.ms / withCache.ms. */
  cacheSpeedup: number;
}

async function batchRun(model: SentenceEncoder, pairs: readonly TextPair[], steps: number, reuse: boolean): Promise<BatchRun> {
  const engine = new AttributionEngine(model);
  const layer = model.numLayers - 1;
  const t0 = performance.now();
  for (const pair of reuse ? reuseOrder(pairs) : pairs) {
    if (!reuse) engine.clearCache();
    const result = await engine.attribute({ a: pair.a, b: pair.b, layer, steps, mode: 'approx', sim: 'cos' });
    recordLine(batchRecord(pair, model.id, result, { backend: tf.getBackend() }));
  }
  const ms = performance.now() - t0;
  engine.clearCache();
  return { ms, pairsPerMinute: (pairs.length / ms) * 60_000, textsComputed: engine.stats.textsComputed, cacheHits: engine.stats.cacheHits };
}

/** Batch throughput at the last layer (midpoint, `steps` points), with and without the P cache. */
export async function measureBatch(model: SentenceEncoder, pairs: readonly TextPair[], steps: number, log: Log): Promise<BatchMeasure> {
  log(`batch: ${pairs.length} pairs, N = ${steps}, with the P cache, then without`);
  const withCache = await batchRun(model, pairs, steps, true);
  const withoutCache = await batchRun(model, pairs, steps, false);
  log(`  ${withCache.pairsPerMinute.toFixed(1)} pairs/min with the cache (${withCache.textsComputed} texts computed), ${withoutCache.pairsPerMinute.toFixed(1)} without (${withoutCache.textsComputed})`);
  return {
    pairs: pairs.length,
    steps,
    distinctTexts: new Set(pairs.flatMap((p) => [p.a, p.b])).size,
    repeatedTexts: repeatedTexts(pairs),
    withCache,
    withoutCache,
    cacheSpeedup: withoutCache.ms / withCache.ms,
  };
}

function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
}

export async function runSuite(model: SentenceEncoder, plan: SuitePlan, log: Log, hooks: SuiteHooks = {}): Promise<SuiteResult> {
  const engine = new AttributionEngine(model);
  const reference: Reference = model.defaultReference;

  log('matmul peak');
  const matmulPeak = await measureMatmulPeak(plan.matmul, log);
  const ctx: Ctx = { model, dims: model.dims, engine, reference, steps: plan.steps, peak: matmulPeak.gflops, log, hooks };
  const baselineBytes = tf.memory().numBytes;

  // Warm-up: one small attribution per layer (kernels, WASM memory growth, shaders for the short shape).
  const w0 = performance.now();
  if (plan.globalWarmUp) {
    const short = pairOf('short');
    for (const layer of plan.layers) {
      await engine.attribute({ a: short.a, b: short.b, layer, steps: 8, mode: 'approx', sim: 'cos' });
    }
    engine.clearCache();
    log(`warm-up ${fmtMs(performance.now() - w0)}`);
  }
  const warmUpMs = performance.now() - w0;

  const cases: AttributionCase[] = [];
  for (const p of plan.pairs) {
    const pair = pairOf(p.length);
    const tokensA = tokensOf(model, pair.a).length;
    const tokensB = tokensOf(model, pair.b).length;
    for (const layer of plan.layers) {
      log(`${p.length} (${tokensA}+${tokensB} tokens), layer ${layer}`);
      let tangent: TangentMeasure;
      if (p.tangent.kind === 'engine') {
        if (plan.warmUpEachShape) await tangentByEngine(ctx, p.length, layer, plan.warmUpSteps ?? 8);
        tangent = await tangentByEngine(ctx, p.length, layer, p.tangent.steps, undefined, true);
      } else {
        tangent = await tangentByChunks(ctx, p.length, layer, p.tangent.points, plan.warmUpEachShape);
      }
      log(
        `  tangent ${fmtMs(tangent.ms)}${tangent.extrapolated ? ` (extrapolated from ${tangent.measuredPoints} pts)` : ''}` +
          `, first partial ${tangent.firstPartialMs === null ? '-' : fmtMs(tangent.firstPartialMs)}, ${tangent.gflops.toFixed(2)} GFLOP/s`,
      );
      let tangentSmallChunk: TangentMeasure | undefined;
      if (p.smallChunk && p.smallChunk.layers.includes(layer) && p.tangent.kind === 'engine' && p.tangent.steps === plan.steps) {
        tangentSmallChunk = await tangentByEngine(ctx, p.length, layer, plan.steps, p.smallChunk.chunkSize);
        log(`  tangent, chunk ${p.smallChunk.chunkSize}: ${fmtMs(tangentSmallChunk.ms)}, first partial ${fmtMs(tangentSmallChunk.firstPartialMs ?? NaN)}`);
      }
      let rev: ReverseMeasure | null = null;
      if (p.reverse) {
        rev = await reverse(ctx, p.length, layer, p.reverse.points, p.reverse.dims, plan.warmUpEachShape);
        log(`  reverse ${fmtMs(rev.ms)} (extrapolated ×${rev.extrapolationFactor.toFixed(0)} from ${fmtMs(rev.measuredMsPerText.reduce((a, b) => a + b, 0))})`);
      }
      cases.push({
        pair: p.length,
        tokensA,
        tokensB,
        layer,
        steps: plan.steps,
        tangent,
        tangentSmallChunk,
        reverse: rev,
        reverseOverTangent: rev ? rev.ms / tangent.ms : null,
      });
      hooks.onCase?.(cases, matmulPeak);
    }
  }

  let reverseLinearityCheck: ReverseLinearityCheck | undefined;
  if (plan.reverseLinearityCheck) {
    const { length, layer } = plan.reverseLinearityCheck;
    const dims = plan.pairs.find((p) => p.length === length)?.reverse?.dims ?? 64;
    log(`reverse-route linearity check (${length}, layer ${layer}, 1 α, all dims vs ${dims})`);
    reverseLinearityCheck = await reverseLinearity(ctx, length, layer, dims);
    log(`  all dims ${fmtMs(reverseLinearityCheck.allDimsMs)}, subset scaled ${fmtMs(reverseLinearityCheck.subsetScaledMs)}`);
  }

  let cache: CacheSwitch | null = null;
  if (plan.cacheSwitch) {
    log('cache switches');
    cache = await cacheSwitch(ctx, plan.cacheSwitch.length, plan.cacheSwitch.steps, plan.layers);
    log(`  mode ${cache.modeSwitchMs.toFixed(1)} ms, layer ${cache.layerSwitchMs?.toFixed(1) ?? '-'} ms`);
  }
  engine.clearCache();
  return {
    steps: plan.steps,
    rowBudget: DEFAULT_ROW_BUDGET,
    matmulPeak,
    baselineBytes,
    cases,
    cacheSwitch: cache,
    reverseLinearityCheck,
    warmUpMs,
  };
}
