import { describe, expect, it } from 'vitest';
import {
  allowedValues,
  choiceOf,
  choiceProblem,
  integerChoices,
  integerProblem,
  integerRange,
  impliedRule,
  isPowerOfTwo,
  largestPowerOfThree,
  numberProblem,
  PARAMETERS,
  plannedPoints,
  rulesFor,
} from './parameters.ts';

describe('the attribution parameter table', () => {
  it('declares every choice with its default among the values and a label for each value', () => {
    for (const p of [PARAMETERS.mode, PARAMETERS.sim, PARAMETERS.method, PARAMETERS.rule]) {
      expect(p.values).toContain(p.default);
      expect(Object.keys(p.labels).sort()).toEqual([...p.values].sort());
      expect(p.description.length).toBeGreaterThan(10);
    }
  });

  it('accepts exactly the declared choices', () => {
    expect(choiceOf(PARAMETERS.sim, 'dot')).toBe('dot');
    expect(choiceOf(PARAMETERS.sim, 'DOT')).toBeUndefined();
    expect(choiceOf(PARAMETERS.mode, undefined)).toBeUndefined();
    expect(choiceProblem(PARAMETERS.mode, 'exact')).toBeUndefined();
    expect(choiceProblem(PARAMETERS.mode, 'xyz')).toBe('mode must be exact or approx, got xyz');
    expect(allowedValues(PARAMETERS.rule)).toBe('auto, clenshaw-curtis, gauss-patterson, romberg, trapezoid, nested-midpoint, midpoint or right');
  });

  it('bounds steps to powers of two within the declared range', () => {
    const steps = PARAMETERS.steps;
    expect(integerChoices(steps)).toEqual([8, 16, 32, 64, 128, 256, 512, 1024]);
    for (const ok of [8, 64, 1024]) expect(integerProblem(steps, ok)).toBeUndefined();
    for (const bad of [4, 48, 2048, 64.5, '64', NaN, null]) {
      expect(integerProblem(steps, bad)).toBe(`steps must be auto or a power of two from 8 to 1024, got ${String(bad)}`);
    }
    expect(integerProblem(steps, 'auto')).toBeUndefined();
    expect(integerProblem(steps, steps.default)).toBeUndefined();
    expect(integerProblem(PARAMETERS.layer, 'auto', 5)).toBe('layer must be an integer from 0 to 5, got auto');
  });

  it("takes the layer's upper bound from the model", () => {
    expect(integerProblem(PARAMETERS.layer, 5, 5)).toBeUndefined();
    expect(integerProblem(PARAMETERS.layer, 6, 5)).toBe('layer must be an integer from 0 to 5, got 6');
    expect(integerProblem(PARAMETERS.layer, -1, 5)).toBe('layer must be an integer from 0 to 5, got -1');
    expect(integerRange(PARAMETERS.layer)).toBe('an integer from 0');
  });

  it('knows which rules refine level by level, and how many points a run plans', () => {
    expect(rulesFor('auto')).toEqual(['auto', 'clenshaw-curtis', 'gauss-patterson', 'romberg', 'trapezoid', 'nested-midpoint']);
    expect(rulesFor(64)).toEqual(PARAMETERS.rule.values);
    expect(plannedPoints(64, 'midpoint')).toBe(64);
    expect(plannedPoints(64, 'romberg')).toBe(65);
    expect(plannedPoints(64, 'clenshaw-curtis')).toBe(65);
    // Gauss–Patterson: N − 1 points, at most 63.
    expect([8, 16, 64, 1024].map((n) => plannedPoints(n, 'gauss-patterson'))).toEqual([7, 15, 63, 63]);
    // Tripling: at most N points, the largest power of three.
    expect([8, 16, 64, 1024].map((n) => plannedPoints(n, 'nested-midpoint'))).toEqual([3, 9, 27, 729]);
    // With rule auto the model decides, and its rules plan different points.
    expect(plannedPoints(64, 'auto')).toBeUndefined();
    expect(largestPowerOfThree(1)).toBe(1);
    expect(largestPowerOfThree(243)).toBe(243);
    expect(plannedPoints('auto', 'auto')).toBeUndefined();
    expect(impliedRule(64, undefined)).toBe('midpoint');
    expect(impliedRule('auto', undefined)).toBe('auto');
    expect(impliedRule(64, 'trapezoid')).toBe('trapezoid');
    expect(numberProblem(PARAMETERS.tol, PARAMETERS.tol.default)).toBeUndefined();
    for (const bad of [0, -1, 1, NaN, Infinity, '0.01']) expect(numberProblem(PARAMETERS.tol, bad)).toMatch(/tol must be a number from/);
  });

  it('knows powers of two', () => {
    expect([1, 2, 8, 1024].every(isPowerOfTwo)).toBe(true);
    expect([0, -2, 3, 6, 1.5].some(isPowerOfTwo)).toBe(false);
  });
});
