import { describe, expect, it } from 'vitest';
import { phaseMsLeft } from '../use-make-exact.ts';
import { formatLeft, pairChoices } from './ExactVariantPanel.tsx';

describe('the Make exact panel', () => {
  it("offers the model's default size among the others, once, smallest first", () => {
    expect(pairChoices(1024)).toEqual([128, 384, 1024, 2048, 4096]);
    expect(pairChoices(12000)).toEqual([128, 384, 1024, 2048, 4096, 12000]);
    expect(pairChoices(null)).toEqual([128, 384, 1024, 2048, 4096]);
  });

  it("estimates the time left in a phase from its steps' pace since its first report", () => {
    const training = (step: number, elapsedMs: number) => ({ phase: 'training' as const, step, steps: 100, elapsedMs });
    // First report of the phase at step 1, 60 s in; step 11 at 80 s: 2 s a step, 89 steps left.
    expect(phaseMsLeft({ progress: training(11, 80_000), phaseStart: { ms: 60_000, step: 1 } })).toBeCloseTo(178_000, 6);
    expect(phaseMsLeft({ progress: training(2, 62_000), phaseStart: { ms: 60_000, step: 1 } })).toBeNull(); // one step timed
    expect(phaseMsLeft({ progress: training(100, 260_000), phaseStart: { ms: 60_000, step: 1 } })).toBeNull(); // done
    expect(phaseMsLeft({ progress: null, phaseStart: { ms: 0, step: 0 } })).toBeNull();
  });

  it('rounds the estimate as an estimate', () => {
    expect(formatLeft(178_000)).toBe('about 3 min');
    expect(formatLeft(42_000)).toBe('about 40 s');
    expect(formatLeft(200)).toBe('about 1 s');
    expect(formatLeft(40 * 60_000)).toBe('about 40 min');
  });
});
