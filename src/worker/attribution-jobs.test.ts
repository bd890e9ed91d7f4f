import { describe, expect, it } from 'vitest';
import { progressThrottle } from './attribution-jobs.ts';

describe('progress messages', () => {
  it('posts the first report, then at most one per interval, and always the end of a level', () => {
    const throttle = progressThrottle(50);
    const report = (stepsDone: number, levelEvaluations = 65) => ({ stepsDone, levelEvaluations, level: 6 });
    expect(throttle(report(36), 0)).toBe(true);
    expect(throttle(report(40), 10)).toBe(false);
    expect(throttle(report(44), 49)).toBe(false);
    expect(throttle(report(48), 50)).toBe(true);
    expect(throttle(report(52), 60)).toBe(false);
    // The report that completes the level always goes out, however soon.
    expect(throttle(report(65), 61)).toBe(true);
    expect(throttle(report(66, 129), 62)).toBe(false);
  });
});
