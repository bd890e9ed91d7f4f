/**
 * How much of each measurement runs for real, per host and mode. Sized for a 2-core
 * machine without a GPU (WASM in Node; WebGPU on SwiftShader in Chromium): the full
 * run takes about 15 minutes, `--quick` about 2. What is not run in full is
 * extrapolated linearly in α points (and, for the reverse route, output dimensions),
 * and every result says so.
 */
import type { SuitePlan } from './suite.ts';

export type BenchMode = 'full' | 'quick';
export type BrowserBackend = 'webgpu' | 'wasm';

export interface BrowserConfig {
  mode: BenchMode;
  backend: BrowserBackend;
  heatmap: { size: number; reps: number } | null;
  /** Forces the plan kind (default: 'software' on SwiftShader or without WebGPU, else 'gpu'). */
  planKind?: BrowserPlanKind;
  /** Replaces the plan altogether (experiments). */
  plan?: SuitePlan;
  /** WASM: XNNPACK threads to start with (default: the cores, at most 8), as the app's worker starts them. */
  wasmThreads?: number;
}

export const STEPS = 64;
export const LAYERS = [0, 1];

export function nodePlan(mode: BenchMode): SuitePlan {
  if (mode === 'quick') {
    return {
      steps: STEPS,
      layers: LAYERS,
      pairs: [
        { length: 'short', tangent: { kind: 'engine', steps: STEPS }, reverse: { points: 1, dims: 16 } },
        { length: 'medium', tangent: { kind: 'engine', steps: 8 }, reverse: { points: 1, dims: 8 } },
        { length: 'long', tangent: { kind: 'chunks', points: 1 }, reverse: { points: 1, dims: 4 } },
      ],
      globalWarmUp: true,
    warmUpEachShape: false,
      matmul: { sizes: [[512, 512, 512], [1024, 1024, 1024]], reps: 2 },
      cacheSwitch: { length: 'short', steps: STEPS },
    };
  }
  return {
    steps: STEPS,
    layers: LAYERS,
    pairs: [
      {
        length: 'short',
        tangent: { kind: 'engine', steps: STEPS },
        reverse: { points: 1, dims: 128 },
        smallChunk: { chunkSize: 4, layers: [1] },
      },
      {
        length: 'medium',
        tangent: { kind: 'engine', steps: STEPS },
        reverse: { points: 1, dims: 64 },
        smallChunk: { chunkSize: 4, layers: [1] },
      },
      { length: 'long', tangent: { kind: 'engine', steps: 8 }, reverse: { points: 1, dims: 32 } },
    ],
    globalWarmUp: true,
    warmUpEachShape: false,
    matmul: {
      sizes: [
        [512, 512, 512],
        [1024, 1024, 1024],
        [4096, 512, 1536],
        [4096, 1536, 512],
      ],
      reps: 3,
    },
    reverseLinearityCheck: { length: 'short', layer: 1 },
    cacheSwitch: { length: 'short', steps: STEPS },
  };
}

/**
 * The plan for a model with `numLayers` layers: its first and last layer in place of
 * use-lite's 0 and 1 (the same plan for use-lite itself).
 */
export function planForLayers(plan: SuitePlan, numLayers: number): SuitePlan {
  const last = numLayers - 1;
  const map = (layer: number) => (layer === 1 ? last : layer);
  return {
    ...plan,
    layers: [...new Set(plan.layers.map(map))],
    pairs: plan.pairs.map((p) => (p.smallChunk ? { ...p, smallChunk: { ...p.smallChunk, layers: p.smallChunk.layers.map(map) } } : p)),
    reverseLinearityCheck: plan.reverseLinearityCheck && { ...plan.reverseLinearityCheck, layer: map(plan.reverseLinearityCheck.layer) },
  };
}

/**
 * `software`: WebGPU on a CPU rasteriser (SwiftShader), ~0.5 GFLOP/s: a few α points
 * per text, short and medium pairs only (one α point of the long pair alone would take
 * minutes). `gpu`: a real GPU: full engine runs as in Node.
 */
export type BrowserPlanKind = 'software' | 'gpu';

export function browserPlan(config: BrowserConfig, kind: BrowserPlanKind): SuitePlan {
  if (config.plan) return config.plan;
  const quick = config.mode === 'quick';
  if (kind === 'gpu') {
    const full = { kind: 'engine', steps: STEPS } as const;
    return {
      steps: STEPS,
      layers: LAYERS,
      pairs: [
        { length: 'short', tangent: full, reverse: { points: 4, dims: quick ? 32 : 128 }, smallChunk: quick ? undefined : { chunkSize: 4, layers: [1] } },
        { length: 'medium', tangent: quick ? { kind: 'engine', steps: 8 } : full, reverse: { points: 4, dims: quick ? 16 : 64 }, smallChunk: quick ? undefined : { chunkSize: 4, layers: [1] } },
        { length: 'long', tangent: quick ? { kind: 'engine', steps: 8 } : full, reverse: { points: 4, dims: quick ? 8 : 32 } },
      ],
      globalWarmUp: true,
      warmUpEachShape: true,
      matmul: { sizes: quick ? [[1024, 1024, 1024]] : [[1024, 1024, 1024], [2048, 2048, 2048], [4096, 512, 1536], [4096, 1536, 512]], reps: 3 },
      reverseLinearityCheck: quick ? undefined : { length: 'short', layer: 1 },
      cacheSwitch: { length: 'short', steps: STEPS },
    };
  }
  if (quick) {
    return {
      steps: STEPS,
      layers: [1],
      pairs: [{ length: 'short', tangent: { kind: 'chunks', points: 1 }, reverse: { points: 1, dims: 2 } }],
      globalWarmUp: false,
      warmUpEachShape: true,
      matmul: { sizes: [[256, 256, 256]], reps: 1 },
      cacheSwitch: null,
    };
  }
  return {
    steps: STEPS,
    layers: LAYERS,
    pairs: [
      { length: 'short', tangent: { kind: 'chunks', points: 2 }, reverse: { points: 1, dims: 8 } },
      { length: 'medium', tangent: { kind: 'chunks', points: 1 }, reverse: { points: 1, dims: 4 } },
    ],
    globalWarmUp: false,
      warmUpEachShape: true,
    matmul: { sizes: [[512, 512, 512], [1024, 1024, 1024]], reps: 2 },
    cacheSwitch: { length: 'short', steps: 8 },
  };
}
