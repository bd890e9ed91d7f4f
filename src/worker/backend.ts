/**
 * Picks the fastest TF.js backend the browser offers: WebGPU when an adapter exists,
 * else WASM (SIMD, and threads when the page is cross-origin isolated), else CPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BACKENDS, type BackendName } from './protocol.ts';

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<unknown> };
  hardwareConcurrency?: number;
}

async function hasWebGpuAdapter(): Promise<boolean> {
  const gpu = (navigator as GpuNavigator).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

export interface ChosenBackend {
  backend: BackendName;
  detail: string;
}

/** Tries `forced` only, or every backend in order of speed; returns the first that starts. */
export async function chooseBackend(wasmBaseUrl: string, forced?: BackendName): Promise<ChosenBackend> {
  setWasmPaths(wasmBaseUrl);
  const threads = Math.min((navigator as GpuNavigator).hardwareConcurrency ?? 1, 8);
  if (globalThis.crossOriginIsolated) setThreadsCount(threads);

  const failures: string[] = [];
  for (const backend of forced ? [forced] : BACKENDS) {
    if (backend === 'webgpu' && !(await hasWebGpuAdapter())) {
      failures.push('webgpu: no adapter');
      continue;
    }
    try {
      if (await tf.setBackend(backend)) {
        await tf.ready();
        return { backend, detail: describe(backend) };
      }
      failures.push(`${backend}: did not start`);
    } catch (error) {
      failures.push(`${backend}: ${(error as Error).message}`);
    }
  }
  throw new Error(`no TF.js backend could start (${failures.join('; ')})`);
}

function describe(backend: BackendName): string {
  if (backend !== 'wasm') return backend;
  const threads = globalThis.crossOriginIsolated ? getThreadsCount() : 1;
  return `wasm (SIMD, ${threads} thread${threads === 1 ? '' : 's'})`;
}

/** Resolves when the WebGPU device behind the current backend is lost. */
export function whenGpuDeviceLost(): Promise<string> | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ message: string }> } }).device;
  return device?.lost?.then((info) => info.message || 'the GPU device was lost') ?? null;
}
