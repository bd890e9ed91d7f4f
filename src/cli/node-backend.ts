/**
 * TF.js in Node for the CLI and scripts: WASM by default (20-40x faster than CPU), CPU,
 * or WebGPU through Dawn's Node binding (the optional `webgpu` package) on a machine
 * with a GPU.
 *
 * WASM runs one thread in Node: tfjs-backend-wasm 4.22 hard-codes
 * WASM_HAS_MULTITHREAD_SUPPORT to false when IS_NODE, and forcing the flag fails with
 * ERR_WORKER_PATH because its pthread workers are started from a blob: URL, which
 * Node's worker_threads do not load (tensorflow/tfjs#3830). Parallel work in Node is
 * processes: `pairlens batch --shard K/N`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export type NodeBackend = 'wasm' | 'cpu' | 'webgpu';
export const NODE_BACKENDS: readonly NodeBackend[] = ['wasm', 'cpu', 'webgpu'];

/** A WebGPU adapter as GPUAdapterInfo describes it, plus Dawn's fallback flag. */
export interface NodeGpuInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

interface GpuAdapterLike {
  info?: Partial<NodeGpuInfo>;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

/** Why WebGPU cannot run here, worded for a person; thrown by startNodeBackend('webgpu'). */
export class NoGpuError extends Error {}

let dawn: { gpu: GpuLike; info: NodeGpuInfo } | null = null;

/**
 * Loads Dawn and asks it for an adapter. Without a GPU driver (no libvulkan.so.1 on
 * Linux) there is none; Chromium's SwiftShader can stand in for tests:
 * LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
 */
export async function nodeGpuAdapter(): Promise<{ gpu: GpuLike; info: NodeGpuInfo }> {
  if (dawn) return dawn;
  let mod: DawnModule;
  try {
    mod = (await import('webgpu')) as unknown as DawnModule;
  } catch (error) {
    throw new NoGpuError(
      `--backend webgpu needs the optional "webgpu" package (Dawn's Node binding) for ${process.platform}-${process.arch}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  // TF.js's WebGPU backend reads the usage flags (GPUBufferUsage, GPUMapMode…) from globals.
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new NoGpuError(
      'no WebGPU adapter: Dawn found no GPU (on Linux it needs libvulkan.so.1 and a Vulkan driver; without a GPU, ' +
        'LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json gives a software one). Use --backend wasm.',
    );
  }
  const raw = adapter.info ?? {};
  const info: NodeGpuInfo = {
    vendor: raw.vendor ?? '',
    architecture: raw.architecture ?? '',
    device: raw.device ?? '',
    description: raw.description ?? '',
    isFallbackAdapter: raw.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
  };
  dawn = { gpu, info };
  return dawn;
}

/** Registers TF.js's WebGPU backend on Dawn's adapter (TF.js registers it itself only where navigator.gpu exists). */
async function registerNodeWebGpu(): Promise<void> {
  const { gpu } = await nodeGpuAdapter();
  if (tf.findBackendFactory('webgpu')) return;
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav && !nav.gpu) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else if (!nav) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  // Importing the backend after navigator.gpu exists lets it register itself, with its own device set-up.
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu')) throw new NoGpuError('TF.js did not register its WebGPU backend on Dawn');
}

export async function startNodeBackend(backend: NodeBackend): Promise<NodeBackend> {
  if (backend === 'webgpu') await registerNodeWebGpu();
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend could not start`);
  await tf.ready();
  return backend;
}

/** "wasm (SIMD, 1 thread)", "webgpu (nvidia ampere)": the running backend as people read it. */
export function describeNodeBackend(): string {
  const backend = tf.getBackend();
  if (backend === 'webgpu' && dawn) {
    const { info } = dawn;
    const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || info.description || 'unknown adapter';
    return `webgpu (${name}${info.isFallbackAdapter ? ', fallback adapter' : ''})`;
  }
  if (backend === 'wasm') return `wasm (${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD, ' : ''}1 thread)`;
  return backend;
}
