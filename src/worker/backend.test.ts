import { describe, expect, it } from 'vitest';
import { adapterLabel, isSoftwareAdapter, pickFastest, type ProbeResult } from './backend.ts';

const wasm: ProbeResult = { backend: 'wasm', label: 'wasm (SIMD, 2 threads)', ms: 8, software: false };

describe('choosing the backend by measurement', () => {
  it('recognises software and fallback adapters', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere' })).toBe(false);
    expect(adapterLabel({ vendor: 'nvidia', architecture: 'ampere' })).toBe('nvidia ampere');
    expect(adapterLabel({})).toBe('unknown adapter');
  });

  it('keeps the fastest and says why', () => {
    const swiftshader: ProbeResult = { backend: 'webgpu', label: 'webgpu (google swiftshader, software adapter)', ms: 273, software: true, cut: true };
    expect(pickFastest([wasm, swiftshader])).toEqual({ best: wasm, reason: 'faster than webgpu (software adapter) here (probe 8.0 vs >273 ms)' });
    const gpu: ProbeResult = { backend: 'webgpu', label: 'webgpu (nvidia ampere)', ms: 1.2, software: false };
    expect(pickFastest([wasm, gpu]).best).toBe(gpu);
    expect(pickFastest([wasm, gpu]).reason).toBe('faster than wasm here (probe 1.2 vs 8.0 ms)');
    expect(pickFastest([wasm])).toEqual({ best: wasm, reason: '' });
  });

  it('never prefers a software adapter that is only a little faster than WASM', () => {
    expect(pickFastest([wasm, { backend: 'webgpu', label: 'webgpu (swiftshader)', ms: 7, software: true }]).best).toBe(wasm);
  });
});
