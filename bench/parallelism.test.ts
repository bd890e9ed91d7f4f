import { describe, expect, it } from 'vitest';
import { amdahl, kernelSplit, threadScaling } from './parallelism.ts';
import { OTHER_KERNELS, type AttributionCase, type SuiteResult } from './suite.ts';

/** A suite with one measured case: only the fields threadScaling reads are real. */
function suite(peakGflops: number, ms: number, matmulMs: number, otherMs: number, layer = 0): SuiteResult {
  const c = {
    pair: 'short',
    tokensA: 8,
    tokensB: 8,
    layer,
    tangent: {
      measuredMs: ms,
      measuredPoints: 64,
      kernels: [
        { kernel: 'BatchMatMul', ms: matmulMs * 0.75, share: 0, calls: 1 },
        { kernel: '_FusedMatMul', ms: matmulMs * 0.25, share: 0, calls: 1 },
        { kernel: 'Mul', ms: otherMs / 2, share: 0, calls: 1 },
        { kernel: OTHER_KERNELS, ms: otherMs / 2, share: 0, calls: 1 },
      ],
    },
  } as unknown as AttributionCase; // the rest of a case (reverse route, FLOPs, memory) plays no part here
  return { cases: [c], matmulPeak: { gflops: peakGflops } } as unknown as SuiteResult; // likewise
}

describe('Amdahl bound', () => {
  it('is the closed form T / (T − p + p / f)', () => {
    expect(amdahl(100, 80, 2)).toBeCloseTo(100 / 60, 12);
    expect(amdahl(100, 0, 8)).toBe(1);
    expect(amdahl(100, 80, 1)).toBe(1);
    expect(amdahl(100, 100, 4)).toBeCloseTo(4, 12);
  });
});

describe('kernel split', () => {
  it('puts matrix-product kernels on one side and everything else, "(other)" included, on the other', () => {
    expect(kernelSplit(suite(1, 100, 80, 16).cases[0].tangent.kernels)).toEqual({ matmulMs: 80, otherMs: 16 });
    expect(kernelSplit(undefined)).toBeNull();
    expect(kernelSplit([])).toBeNull();
  });
});

describe('thread scaling', () => {
  it('compares the runs case by case and bounds them by the one-thread profile', () => {
    const t = threadScaling([
      { threads: 2, suite: suite(36, 62, 44, 16) },
      { threads: 1, suite: suite(20, 100, 80, 16) },
    ]);
    expect(t.threads).toEqual([1, 2]);
    expect(t.matmulPeakSpeedup).toBeCloseTo(1.8, 12);
    const [r] = t.rows;
    expect(r.byThreads.map((b) => b.ms)).toEqual([100, 62]);
    expect(r.speedup).toBeCloseTo(100 / 62, 12);
    expect(r.matmulSpeedup).toBeCloseTo(80 / 44, 12);
    expect(r.otherSpeedup).toBe(1);
    expect(r.matmulShare).toBeCloseTo(0.8, 12);
    expect(r.ceilingAtPeakScaling).toBeCloseTo(100 / (20 + 80 / 1.8), 12);
    expect(r.ceilingAtPerfectScaling).toBeCloseTo(100 / 60, 12);
  });

  it('refuses runs that did not measure the same cases', () => {
    expect(() => threadScaling([{ threads: 1, suite: suite(20, 100, 80, 16, 0) }, { threads: 2, suite: suite(36, 62, 44, 16, 1) }])).toThrow(/short\/0 missing/);
  });
});
