/**
 * The benchmark page: runs the attribution suite on WebGPU (or WASM) in Chromium and
 * times the heatmap. Playwright calls `window.runBench(config)` and collects the JSON;
 * opened by hand, `?run=full` (or `?run=quick`) runs the same thing and prints the JSON.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { startWasm } from '../../src/worker/backend.ts';
import type { HeatmapData } from '../../src/app/heatmap/data.ts';
import { HeatmapView } from '../../src/app/heatmap/view.ts';
import '../../src/app/heatmap/heatmap.css';
import { embedIds } from '../../src/model/encoder.ts';
import { httpFiles } from '../../src/model/files.ts';
import { loadModel } from '../../src/model/registry.ts';
import { browserPlan, type BrowserBackend, type BrowserConfig, type BrowserPlanKind } from '../plans.ts';
import { median, runSuite, type Log, type SuiteResult } from '../suite.ts';

export interface HeatmapTimings {
  rows: number;
  cols: number;
  repetitions: number;
  /** First render into an empty view (layout + all cells), ms. */
  firstRenderMs: number;
  /** render() with new values, same labels: recolour in place. JS time, and to the next painted frame. */
  inPlaceMs: number;
  inPlaceFrameMs: number;
  /** render() with new labels: re-layout and redraw. */
  relayoutMs: number;
  relayoutFrameMs: number;
}

export interface BrowserMachine {
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  platform: string;
  gpuAdapter: Record<string, string> | null;
  wasmThreads?: number;
}

export interface BrowserResult {
  backend: string;
  /** Which plan ran: 'software' when the WebGPU adapter is SwiftShader (or the backend is not WebGPU). */
  planKind: BrowserPlanKind;
  planNote: string;
  machine: BrowserMachine;
  modelLoadMs: number;
  suite: SuiteResult;
  heatmap: HeatmapTimings | null;
  totalMs: number;
}

declare global {
  interface Window {
    runBench: (config: BrowserConfig) => Promise<BrowserResult>;
  }
}

interface GpuAdapterLike {
  info?: Record<string, unknown>;
}

async function adapterInfo(): Promise<Record<string, string> | null> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info ?? {};
  const out: Record<string, string> = {};
  for (const key of ['vendor', 'architecture', 'device', 'description']) {
    const v = info[key];
    if (v !== undefined && v !== '') out[key] = String(v);
  }
  return out;
}

async function startBackend(backend: BrowserBackend, threads?: number): Promise<void> {
  if (backend === 'wasm') setWasmPaths(new URL('tfjs-wasm/', location.href).href);
  // WASM starts as the app's worker starts it (threads past TF.js's halved core count).
  const started = backend === 'wasm' ? await startWasm(threads ?? Math.min(navigator.hardwareConcurrency || 1, 8)) : await tf.setBackend(backend);
  if (!started) throw new Error(`the ${backend} backend could not start`);
  await tf.ready();
}

const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

function heatmapData(n: number, seed: number, labelSet: number): HeatmapData {
  const values = new Float32Array(n * n);
  let x = seed >>> 0 || 1;
  for (let k = 0; k < values.length; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    values[k] = ((x >>> 0) / 4294967296 - 0.5) * 0.02;
  }
  const labels = Array.from({ length: n }, (_, i) => `${labelSet ? '▁word' : '▁tok'}${i}`);
  return { rowLabels: labels, colLabels: labels.slice(), values, rows: n, cols: n, title: `bench ${labelSet}` };
}

async function timeRender(view: HeatmapView, data: HeatmapData): Promise<{ js: number; frame: number }> {
  await nextFrame();
  const t0 = performance.now();
  view.render(data);
  const js = performance.now() - t0;
  // Two frames: the first callback runs before the frame that shows the change is painted.
  await nextFrame();
  await nextFrame();
  return { js, frame: performance.now() - t0 };
}

async function benchHeatmap(n: number, reps: number, log: Log): Promise<HeatmapTimings> {
  const host = document.getElementById('heatmap-host')!;
  const view = new HeatmapView(host);
  try {
    const first = await timeRender(view, heatmapData(n, 1, 0));
    const inPlace: Array<{ js: number; frame: number }> = [];
    for (let r = 0; r < reps; r++) inPlace.push(await timeRender(view, heatmapData(n, r + 2, 0)));
    const relayout: Array<{ js: number; frame: number }> = [];
    for (let r = 0; r < reps; r++) relayout.push(await timeRender(view, heatmapData(n, r + 100, (r + 1) % 2)));
    const result: HeatmapTimings = {
      rows: n,
      cols: n,
      repetitions: reps,
      firstRenderMs: first.js,
      inPlaceMs: median(inPlace.map((t) => t.js)),
      inPlaceFrameMs: median(inPlace.map((t) => t.frame)),
      relayoutMs: median(relayout.map((t) => t.js)),
      relayoutFrameMs: median(relayout.map((t) => t.frame)),
    };
    log(`heatmap ${n}×${n}: in place ${result.inPlaceMs.toFixed(1)} ms, re-layout ${result.relayoutMs.toFixed(1)} ms`);
    return result;
  } finally {
    view.dispose();
  }
}

async function runBench(config: BrowserConfig): Promise<BrowserResult> {
  const started = performance.now();
  const status = document.getElementById('status')!;
  const log: Log = (line) => {
    status.textContent = line;
    console.log(`[bench] ${line}`);
  };
  await startBackend(config.backend, config.wasmThreads);
  log(`backend ${tf.getBackend()}`);
  const machine: BrowserMachine = {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    platform: navigator.platform,
    gpuAdapter: config.backend === 'webgpu' ? await adapterInfo() : null,
    wasmThreads: config.backend === 'wasm' ? getThreadsCount() : undefined,
  };
  const adapter = machine.gpuAdapter;
  const software =
    config.backend !== 'webgpu' ||
    !adapter ||
    Object.values(adapter).some((v) => /swiftshader|llvmpipe|software/i.test(v));
  const planKind: BrowserPlanKind = config.planKind ?? (software ? 'software' : 'gpu');
  const plan = browserPlan(config, planKind);
  const planNote = config.plan
    ? 'custom plan'
    : planKind === 'software'
      ? 'software rasteriser plan: a few α points per text, extrapolated; no long pair'
      : 'GPU plan: full engine runs at N = 64 (quick: N = 8 for medium and long)';
  log(`plan: ${planKind} (adapter ${JSON.stringify(adapter)})`);
  const t0 = performance.now();
  const model = await loadModel('use-lite', httpFiles(new URL('models/use-lite/', location.href).href));
  // Weights are uploaded lazily on WebGPU: include one embedding so "loaded" means usable.
  await embedIds(model, [30, 31]);
  const modelLoadMs = performance.now() - t0;
  log(`model loaded in ${modelLoadMs.toFixed(0)} ms`);
  try {
    const heatmap = config.heatmap ? await benchHeatmap(config.heatmap.size, config.heatmap.reps, log) : null;
    const suite = await runSuite(model, plan, log);
    return { backend: config.backend, planKind, planNote, machine, modelLoadMs, suite, heatmap, totalMs: performance.now() - started };
  } finally {
    model.dispose();
  }
}

window.runBench = runBench;

const run = new URLSearchParams(location.search).get('run');
if (run === 'full' || run === 'quick') {
  const backend = (new URLSearchParams(location.search).get('backend') ?? 'webgpu') as BrowserBackend;
  runBench({ mode: run, backend, heatmap: { size: 128, reps: 10 } }).then(
    (r) => {
      document.getElementById('out')!.textContent = JSON.stringify(r, null, 2);
    },
    (e: unknown) => {
      document.getElementById('out')!.textContent = `failed: ${(e as Error).stack ?? String(e)}`;
    },
  );
} else {
  document.getElementById('status')!.textContent = 'Ready: call window.runBench(config), or open with ?run=full.';
}
