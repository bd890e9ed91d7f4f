/**
 * Held-out quality of an exact variant by genre (issue 14): for each genre (a corpus
 * source, or the hand-written everyday pairs) how closely the variant's similarities
 * follow the original's: Spearman, mean |Δ|, and the mean signed error on the
 * unrelated pairs (original below UNRELATED_BELOW), where shifting pushes scores up.
 * Plain arithmetic, no TF.js: scripts/make-exact.ts and the tuning script use it.
 */
import { meanAbsDiff, spearman } from '../shared/stats.ts';

/** Pairs whose original similarity is below this count as unrelated. */
export const UNRELATED_BELOW = 0.3;

/** What every genre should reach (issue 14). */
export const GENRE_GOALS = { minSpearman: 0.985, maxMeanAbsDiff: 0.03, maxAbsUnrelatedBias: 0.03 } as const;

export interface GenreFigures {
  pairs: number;
  spearman: number;
  meanAbsDiff: number;
  /** Mean (candidate − original) over the pairs whose original is below UNRELATED_BELOW; null when there are none. */
  unrelatedBias: number | null;
  unrelatedPairs: number;
  /** Mean (candidate − original) over all pairs. */
  meanSignedDiff: number;
  meetsGoals: boolean;
}

export function genreFigures(original: ArrayLike<number>, candidate: ArrayLike<number>): GenreFigures {
  if (original.length !== candidate.length || original.length < 2) {
    throw new Error(`genreFigures needs two equal lists of at least 2 scores, got ${original.length} and ${candidate.length}`);
  }
  let signed = 0;
  let unrelated = 0;
  let unrelatedSum = 0;
  for (let i = 0; i < original.length; i++) {
    const d = candidate[i] - original[i];
    signed += d;
    if (original[i] < UNRELATED_BELOW) {
      unrelated++;
      unrelatedSum += d;
    }
  }
  const figures = {
    pairs: original.length,
    spearman: spearman(original, candidate),
    meanAbsDiff: meanAbsDiff(original, candidate),
    unrelatedBias: unrelated > 0 ? unrelatedSum / unrelated : null,
    unrelatedPairs: unrelated,
    meanSignedDiff: signed / original.length,
  };
  return { ...figures, meetsGoals: meetsGoals(figures) };
}

export function meetsGoals(f: Pick<GenreFigures, 'spearman' | 'meanAbsDiff' | 'unrelatedBias'>): boolean {
  return (
    f.spearman >= GENRE_GOALS.minSpearman &&
    f.meanAbsDiff <= GENRE_GOALS.maxMeanAbsDiff &&
    (f.unrelatedBias === null || Math.abs(f.unrelatedBias) <= GENRE_GOALS.maxAbsUnrelatedBias)
  );
}

/** Figures for each genre, in the order given, of scores listed pair by pair with their genre. */
export function qualityByGenre(
  genres: readonly string[],
  original: ArrayLike<number>,
  candidate: ArrayLike<number>,
): Record<string, GenreFigures> {
  const out: Record<string, GenreFigures> = {};
  for (const genre of [...new Set(genres)]) {
    const idx = genres.flatMap((g, i) => (g === genre ? [i] : []));
    out[genre] = genreFigures(
      idx.map((i) => original[i]),
      idx.map((i) => candidate[i]),
    );
  }
  return out;
}

/** Rounded copy for JSON files. */
export function roundedFigures(f: GenreFigures, digits = 4): GenreFigures {
  const r = (x: number) => Number(x.toFixed(digits));
  return { ...f, spearman: r(f.spearman), meanAbsDiff: r(f.meanAbsDiff), unrelatedBias: f.unrelatedBias === null ? null : r(f.unrelatedBias), meanSignedDiff: r(f.meanSignedDiff) };
}
