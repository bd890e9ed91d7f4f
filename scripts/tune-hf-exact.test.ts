import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { VARIANT_DEFAULTS, type HeldOutFigures } from '../src/exact/variant.ts';
import { bertWords, chooseRate, chooseRecipe, crossOf, DEFAULTS, gridOf, mergeRuns, parseArgs, SPECIAL_TOKENS, spread, UsageError, wordPieceVocab, type RunFigures } from './tune-hf-exact.ts';

function figures(spearman: number, meanAbsDiff: number): HeldOutFigures {
  return { pairs: 128, spearman, pearson: spearman, meanAbsDiff, maxAbsDiff: 2 * meanAbsDiff, distillationLoss: meanAbsDiff ** 2 };
}

function run(learningRate: number, trainPairs: number, spearman: number, meanAbsDiff = 0.05): RunFigures {
  return { learningRate, trainPairs, steps: trainPairs / 16, heldOut: { variant: figures(spearman, meanAbsDiff), shiftedBaseline: figures(0.9, 0.1) } };
}

describe('tune-hf-exact arguments', () => {
  it("defaults to a grid around the browser's default rate and length", () => {
    expect(parseArgs([])).toEqual(DEFAULTS);
    expect(DEFAULTS.trainPairs).toContain(VARIANT_DEFAULTS.trainPairs);
    expect(DEFAULTS.learningRates).toContain(VARIANT_DEFAULTS.learningRate);
  });

  it('reads comma lists, and --quick is overridden by explicit options', () => {
    const s = parseArgs(['--quick', '--lr', '1e-4, 3e-4,1e-4', '--train-pairs', '1024,4096', '--backend', 'cpu']);
    expect(s.learningRates).toEqual([1e-4, 3e-4]);
    expect(s.trainPairs).toEqual([1024, 4096]);
    expect(s.backend).toBe('cpu');
    expect(parseArgs(['--quick']).trainPairs).toEqual([64]);
    expect(parseArgs(['--merge', 'a.json,b.json']).merge).toHaveLength(2);
    expect(parseArgs(['--cross-weight', '1']).crossPairWeight).toBe(1);
    expect(parseArgs([]).crossPairWeight).toBe(VARIANT_DEFAULTS.crossPairWeight);
  });

  it('rejects bad values and unknown flags', () => {
    for (const argv of [['--cross-weight', '-1'], ['--cross-weight'], ['--lr'], ['--lr', '0'], ['--lr', '1e-4,'], ['--train-pairs', '10.5'], ['--backend', 'webgl'], ['--epochs', '2']]) {
      expect(() => parseArgs(argv)).toThrow(UsageError);
    }
  });

  it('orders the grid by length, then rate', () => {
    expect(gridOf({ learningRates: [3e-4, 1e-4], trainPairs: [1024, 4096] })).toEqual([
      { learningRate: 1e-4, trainPairs: 1024 },
      { learningRate: 3e-4, trainPairs: 1024 },
      { learningRate: 1e-4, trainPairs: 4096 },
      { learningRate: 3e-4, trainPairs: 4096 },
    ]);
  });
});

describe('chooseRate', () => {
  it('takes the best held-out Spearman at the given length', () => {
    const runs = [run(3e-5, 1024, 0.95), run(1e-4, 1024, 0.97), run(3e-4, 1024, 0.96), run(1e-3, 4096, 0.99)];
    expect(chooseRate(runs, 1024)?.learningRate).toBe(1e-4);
    expect(chooseRate(runs, 4096)?.learningRate).toBe(1e-3);
    expect(chooseRate(runs, 64)).toBeUndefined();
  });

  it('breaks a near tie by the lower mean |Δ|, and skips NaN figures', () => {
    const runs = [run(1e-4, 1024, 0.97, 0.05), run(3e-4, 1024, 0.9695, 0.03), run(1e-3, 1024, NaN)];
    expect(chooseRate(runs, 1024)?.learningRate).toBe(3e-4);
    expect(chooseRate(runs, 1024, 0)?.learningRate).toBe(1e-4);
  });
});

describe('the recorded tuning', () => {
  it("chose VARIANT_DEFAULTS' rate and length by chooseRecipe", async () => {
    type Chosen = { learningRate: number; trainPairs: number; crossPairWeight?: number };
    const recorded = JSON.parse(await readFile(new URL('../bench/hf-exact-tuning.json', import.meta.url), 'utf8')) as { chosen: Chosen; runs: RunFigures[] };
    const { learningRate, trainPairs } = recorded.chosen;
    const crossPairWeight = crossOf(recorded.chosen);
    expect({ learningRate, trainPairs, crossPairWeight }).toEqual({
      learningRate: VARIANT_DEFAULTS.learningRate,
      trainPairs: VARIANT_DEFAULTS.trainPairs,
      crossPairWeight: VARIANT_DEFAULTS.crossPairWeight ?? 0,
    });
    const again = chooseRecipe(recorded.runs);
    expect(again && { learningRate: again.learningRate, trainPairs: again.trainPairs, crossPairWeight: crossOf(again) }).toEqual({ learningRate, trainPairs, crossPairWeight });
  });
});

describe('chooseRecipe', () => {
  it("takes each length's best rate, then the shortest length within the tolerance of the best", () => {
    const runs = [run(1e-5, 1024, 0.99), run(3e-5, 1024, 0.985), run(1e-5, 2048, 0.9935), run(3e-5, 2048, 0.991), run(1e-5, 4096, 0.995)];
    expect(chooseRecipe(runs)).toMatchObject({ learningRate: 1e-5, trainPairs: 2048 });
    expect(chooseRecipe(runs, 0.001)).toMatchObject({ learningRate: 1e-5, trainPairs: 4096 });
    expect(chooseRecipe([])).toBeUndefined();
  });
});

describe('mergeRuns', () => {
  it('keeps runs that differ only in the cross-pair weight apart, a missing weight counting as 0', () => {
    const merged = mergeRuns([[run(1e-5, 1024, 0.9)], [{ ...run(1e-5, 1024, 0.95), crossPairWeight: 1 }, { ...run(1e-5, 1024, 0.91), crossPairWeight: 0 }]]);
    expect(merged.map((r) => [crossOf(r), r.heldOut.variant.spearman])).toEqual([
      [0, 0.91],
      [1, 0.95],
    ]);
  });

  it('joins lists, a later run of the same rate and length replacing an earlier one', () => {
    const merged = mergeRuns([[run(1e-4, 1024, 0.9), run(1e-4, 4096, 0.95)], [run(3e-5, 1024, 0.8), run(1e-4, 1024, 0.91)]]);
    expect(merged.map((r) => [r.trainPairs, r.learningRate, r.heldOut.variant.spearman])).toEqual([
      [1024, 3e-5, 0.8],
      [1024, 1e-4, 0.91],
      [4096, 1e-4, 0.95],
    ]);
  });
});

describe('the vocabulary', () => {
  it('splits like BERT: lower case, no accents, punctuation apart', () => {
    expect(bertWords("Café, it's  DONE!")).toEqual(['cafe', ',', 'it', "'", 's', 'done', '!']);
  });

  it('has exactly the size asked for: specials, characters with ## forms, words by frequency, then unused', () => {
    const vocab = wordPieceVocab(['the cat', 'the dog'], 26); // 5 specials, 8 characters twice, 3 words, 2 unused
    expect(vocab).toHaveLength(26);
    expect(new Set(vocab).size).toBe(26);
    expect(vocab.slice(0, SPECIAL_TOKENS.length)).toEqual(SPECIAL_TOKENS);
    expect(vocab).toContain('##g');
    const words = vocab.filter((t) => ['the', 'cat', 'dog'].includes(t));
    expect(words).toEqual(['the', 'cat', 'dog']); // "the" is the most frequent; ties in code-point order
    expect(vocab.at(-1)).toMatch(/^\[unused\d+\]$/);
    expect(wordPieceVocab(['the cat', 'the dog'], 8)).toHaveLength(8);
  });
});

describe('spread', () => {
  it('gives quantiles and moments', () => {
    expect(spread([0, 0.25, 0.5, 0.75, 1])).toEqual({ pairs: 5, min: 0, p10: 0, median: 0.5, p90: 1, max: 1, mean: 0.5, std: 0.3536 });
  });
});
