import { describe, expect, it } from 'vitest';
import { recipeOf } from '../src/exact/variant.ts';
import { DEFAULTS } from './make-exact.ts';

describe('make-exact', () => {
  it("trains use-lite's recipe, the one the browser's Make exact uses, on its own split and seed", () => {
    const recipe = recipeOf('use-lite');
    const training = ['trainPairs', 'validationPairs', 'checkEvery', 'randomShare', 'epochs', 'batchPairs', 'learningRate', 'warmup', 'lowSimilarityWeight', 'crossPairWeight', 'averageFrom', 'scope'] as const;
    for (const key of training) expect([key, DEFAULTS[key]]).toEqual([key, recipe[key]]);
    expect(DEFAULTS.heldOutPairs).toBe(2 * recipe.heldOutPairs);
  });
});
