/**
 * Picks the TF.js backend by measurement: every backend the browser offers (WebGPU when
 * an adapter exists, WASM with SIMD and, when the page is cross-origin isolated, one
 * XNNPACK thread per core) times a short probe shaped like the engine's work, and the
 * fastest is kept. CPU is the last resort. A backend asked for (a setting or `backend=`
 * in the link) is started alone.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendName } from './protocol.ts';

/** What the WebGPU adapter says about itself (GPUAdapterInfo, plus the older `isFallbackAdapter`). */
export interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

interface GpuAdapterLike {
  info?: AdapterInfo;
  isFallbackAdapter?: boolean;
}

interface GpuNavigator {
  gpu?: { requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null> };
  hardwareConcurrency?: number;
}

/** A software rasteriser's adapter (SwiftShader, llvmpipe, lavapipe, WARP) or one the browser marks as fallback. */
export function isSoftwareAdapter(info: AdapterInfo): boolean {
  if (info.isFallbackAdapter) return true;
  const text = [info.vendor, info.architecture, info.device, info.description].join(' ');
  return /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|microsoft basic|warp/i.test(text);
}

/** "nvidia ampere", "swiftshader"…: the adapter as people read it. */
export function adapterLabel(info: AdapterInfo): string {
  const words = [info.vendor, info.architecture].filter((w): w is string => !!w && w.length > 0);
  return words.length ? [...new Set(words)].join(' ') : info.description || 'unknown adapter';
}

async function webGpuAdapter(): Promise<AdapterInfo | null> {
  const gpu = (navigator as GpuNavigator).gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return null;
    const info = adapter.info ?? {};
    return {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
    };
  } catch {
    return null;
  }
}

/**
 * The probe: a batch of rows through one transformer block's feed-forward widths (512 →
 * 1536 → 512, as use-lite and MiniLM-sized models have), the matmuls that dominate the
 * tangent route, read back as the engine reads its results. About 0.2 GFLOP: tens of ms
 * on WASM, a few ms on a real GPU. The first call (shader compilation, XNNPACK set-up)
 * is not timed; the best of the timed calls is returned. A backend still busy with its
 * first call after `limitMs` (a software adapter compiling shaders, seconds) is not
 * waited for: it reports the limit, `cut` (its work finishes in the background).
 */
export async function timeProbe(limitMs = Infinity, reps = 3, rows = 64): Promise<{ ms: number; cut: boolean }> {
  const [x, w1, w2] = tf.tidy(() => [tf.randomNormal([rows, 512], 0, 1, 'float32', 1), tf.randomNormal([512, 1536], 0, 0.05, 'float32', 2), tf.randomNormal([1536, 512], 0, 0.05, 'float32', 3)]);
  const once = async () => {
    const y = tf.tidy(() => tf.sum(tf.matMul(tf.relu(tf.matMul(x, w1)), w2), 0));
    try {
      await y.data();
    } finally {
      y.dispose();
    }
  };
  const started = performance.now();
  const first = once();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cut = await Promise.race([
    first.then(() => false),
    new Promise<boolean>((resolve) => {
      if (Number.isFinite(limitMs)) timer = setTimeout(() => resolve(true), limitMs);
    }),
  ]);
  clearTimeout(timer);
  if (cut) {
    first.catch(() => undefined).finally(() => tf.dispose([x, w1, w2]));
    return { ms: performance.now() - started, cut: true };
  }
  try {
    let best = performance.now() - started;
    for (let i = 0; i < reps && performance.now() - started < Math.min(limitMs, 2000); i++) {
      const t0 = performance.now();
      await once();
      best = Math.min(best, performance.now() - t0);
    }
    return { ms: best, cut: false };
  } finally {
    tf.dispose([x, w1, w2]);
  }
}

export interface ProbeResult {
  backend: BackendName;
  /** As people read it: "wasm (SIMD, 2 threads)", "webgpu (swiftshader, software adapter)". */
  label: string;
  ms: number;
  software: boolean;
  /** The probe was cut at the time limit (`ms` is then a lower bound). */
  cut?: boolean;
}

/**
 * The fastest probe. A software WebGPU adapter wins only when it measured faster than
 * WASM by a clear margin (it never does on a CPU, but the measurement decides).
 */
export function pickFastest(probes: readonly ProbeResult[]): { best: ProbeResult; reason: string } {
  if (probes.length === 0) throw new Error('no backend to choose from');
  const score = (p: ProbeResult) => (p.software ? p.ms * 1.5 : p.ms);
  const sorted = [...probes].sort((a, b) => score(a) - score(b));
  const [best, ...rest] = sorted;
  if (rest.length === 0) return { best, reason: '' };
  const others = rest.map((p) => `${p.label.replace(/ \(.*\)$/, '')}${p.software ? ' (software adapter)' : ''}`).join(', ');
  const times = sorted.map((p) => `${p.cut ? '>' : ''}${p.ms.toFixed(p.ms < 10 ? 1 : 0)}`).join(' vs ');
  return { best, reason: `faster than ${others} here (probe ${times} ms)` };
}

export interface ChosenBackend {
  backend: BackendName;
  detail: string;
}

/**
 * TF.js 4.22's WASM build caps XNNPACK's threads at navigator.hardwareConcurrency / 2
 * (it assumes two hardware threads per core: `num_cores = emscripten_num_logical_cores()
 * / 2` in backend.cc, read once when the module starts), so a 2-core machine got 1
 * thread whatever setThreadsCount asked. While the module starts we report twice the
 * cores, so the cap becomes the real core count; setThreadsCount still decides.
 */
export async function startWasm(threads: number): Promise<boolean> {
  const nav = navigator as GpuNavigator;
  const isolated = globalThis.crossOriginIsolated === true;
  if (isolated) setThreadsCount(threads);
  let patched = false;
  if (isolated && threads > 1) {
    try {
      Object.defineProperty(nav, 'hardwareConcurrency', { value: threads * 2, configurable: true });
      patched = true;
    } catch {
      // A navigator that cannot be shadowed: TF.js's own cap applies.
    }
  }
  try {
    return await tf.setBackend('wasm');
  } finally {
    if (patched) delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

function wasmLabel(): string {
  const threads = globalThis.crossOriginIsolated ? getThreadsCount() : 1;
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD, ' : '';
  return `wasm (${simd}${threads} thread${threads === 1 ? '' : 's'}${globalThis.crossOriginIsolated ? '' : ', not cross-origin isolated'})`;
}

async function start(backend: BackendName, threads: number, adapter: AdapterInfo | null): Promise<string> {
  const started = backend === 'wasm' ? await startWasm(threads) : await tf.setBackend(backend);
  if (!started) throw new Error('did not start');
  await tf.ready();
  if (backend === 'wasm') return wasmLabel();
  if (backend === 'webgpu' && adapter) return `webgpu (${adapterLabel(adapter)}${isSoftwareAdapter(adapter) ? ', software adapter' : ''})`;
  return backend;
}

/** Starts `forced` alone, or probes WebGPU and WASM and keeps the faster; CPU when neither starts. */
export async function chooseBackend(wasmBaseUrl: string, forced?: BackendName): Promise<ChosenBackend> {
  setWasmPaths(wasmBaseUrl);
  const threads = Math.max(1, Math.min((navigator as GpuNavigator).hardwareConcurrency ?? 1, 8));
  const adapter = !forced || forced === 'webgpu' ? await webGpuAdapter() : null;
  const failures: string[] = [];

  if (forced) {
    if (forced === 'webgpu' && !adapter) throw new Error('webgpu: no adapter');
    try {
      return { backend: forced, detail: await start(forced, threads, adapter) };
    } catch (error) {
      throw new Error(`${forced}: ${(error as Error).message}`, { cause: error });
    }
  }

  const probes: ProbeResult[] = [];
  const candidates: BackendName[] = adapter ? ['wasm', 'webgpu'] : ['wasm'];
  if (!adapter) failures.push('webgpu: no adapter');
  for (const backend of candidates) {
    try {
      const label = await start(backend, threads, adapter);
      // Later backends get 25× the best time so far (at least 250 ms) to finish their first call.
      const fastest = Math.min(...probes.map((p) => p.ms));
      const { ms, cut } = await timeProbe(probes.length ? Math.max(250, 25 * fastest) : Infinity);
      probes.push({ backend, label, ms, cut, software: backend === 'webgpu' && !!adapter && isSoftwareAdapter(adapter) });
    } catch (error) {
      failures.push(`${backend}: ${(error as Error).message}`);
    }
  }
  if (probes.length === 0) {
    try {
      return { backend: 'cpu', detail: `${await start('cpu', threads, null)}: ${failures.join('; ')}` };
    } catch (error) {
      failures.push(`cpu: ${(error as Error).message}`);
      throw new Error(`no TF.js backend could start (${failures.join('; ')})`, { cause: error });
    }
  }
  const { best, reason } = pickFastest(probes);
  if (tf.getBackend() !== best.backend) await tf.setBackend(best.backend);
  await tf.ready();
  // The losers' memory goes back (one still finishing a cut probe stays registered, idle).
  for (const p of probes) if (p.backend !== best.backend && !p.cut) tf.removeBackend(p.backend);
  const why = reason || failures.join('; ');
  return { backend: best.backend, detail: why ? `${best.label}: ${why}` : best.label };
}

/** Resolves when the WebGPU device behind the current backend is lost. */
export function whenGpuDeviceLost(): Promise<string> | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ message: string }> } }).device;
  return device?.lost?.then((info) => info.message || 'the GPU device was lost') ?? null;
}
