/**
 * `npm run make-exact`: builds use-lite's exact variant (issue 5; docs/method.md, "Exact
 * and approximate") and writes it to models/use-lite-exact/.
 *
 *  1. Sentences from public-domain texts shipped in npm packages (Moby-Dick, the
 *     State of the Union addresses), split by document into training and held-out.
 *  2. Pairs covering the whole similarity range (random, same document, neighbours,
 *     perturbed copies); targets = the original use-lite's cosine similarity.
 *  3. The shifted model ẽ(x) = f(x) − f(r_x) (r: "▁" repeated to the length) starts
 *     from use-lite's weights and is fine-tuned so its cosine matches the targets.
 *  4. Weights written in the bundled model's format (float16 matrices by default),
 *     reloaded through the same loader, and checked on held-out pairs against the
 *     un-fine-tuned shifted model: quality.json. Settings and sources: training.json.
 *
 * Seeded: the same flags give the same pairs and the same training order. Output is
 * written to a temporary folder and moved into place only when everything succeeded,
 * so a failed or cancelled run (Ctrl-C) leaves the previous variant as it was.
 */
import * as tf from '@tensorflow/tfjs-core';
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodeBackend, type NodeBackend } from '../src/cli/node-backend.ts';
import { buildPairSplit, sentenceDocuments, splitFigures, PAIR_KINDS, type PairKind, type TextPair } from '../src/exact/corpus.ts';
import { seededRandom } from '../src/shared/random.ts';
import { TRAINABLE_SCOPES, type TrainableScope } from '../src/exact/named-weights.ts';
import { embedMany, pairCosines, referenceIdsOf, type TokenPair } from '../src/exact/shifted.ts';
import { agreement, maxAbsDiff, meanSquaredDiff, type Agreement } from '../src/shared/stats.ts';
import { distill, type DistillSettings } from '../src/exact/train.ts';
import { trainableUseLite } from '../src/exact/use-lite.ts';
import { readCorpus } from './corpus.ts';
import { overlayFiles } from '../src/model/files.ts';
import { diskFiles } from '../src/model/node-files.ts';
import { bundledModelFolder, loadBundledModel } from '../src/model/node-models.ts';
import { loadModel } from '../src/model/registry.ts';
import { UseLite } from '../src/model/use-lite/model.ts';
import { encodeUseLiteWeights } from '../src/model/use-lite/weights.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXACT_ID = 'use-lite-exact';

/** The reference is use-lite's default (UseLite.defaultReference: "▁", id 30), the one exact mode uses. */
interface Settings extends Omit<DistillSettings, 'reference'> {
  out: string;
  trainPairs: number;
  heldOutPairs: number;
  scope: TrainableScope;
  float16: boolean;
  backend: NodeBackend;
}

const DEFAULTS: Settings = {
  out: join(ROOT, 'models', EXACT_ID),
  trainPairs: 2500,
  heldOutPairs: 600,
  epochs: 1,
  batchPairs: 32,
  learningRate: 3e-4,
  warmup: 0.05,
  seed: 20261122,
  scope: 'encoder',
  float16: true,
  backend: 'wasm',
};

/** A smoke run of the whole pipeline in about a minute; never overwrites the shipped variant by default. */
const QUICK = { trainPairs: 64, heldOutPairs: 32, out: join(tmpdir(), 'pairlens-make-exact-quick') };

const USAGE = `usage: npm run make-exact -- [options]
  --out DIR             where to write the variant (default models/use-lite-exact)
  --train-pairs N       training pairs (default ${DEFAULTS.trainPairs})
  --held-out-pairs N    held-out pairs for quality.json (default ${DEFAULTS.heldOutPairs})
  --epochs N            passes over the training pairs (default ${DEFAULTS.epochs})
  --batch N             pairs per step (default ${DEFAULTS.batchPairs})
  --lr X                peak learning rate (default ${DEFAULTS.learningRate})
  --seed N              seed for pairs and training order (default ${DEFAULTS.seed})
  --scope S             trainable weights: ${TRAINABLE_SCOPES.join(' | ')} (default ${DEFAULTS.scope})
  --fp32                store float32 weights (default: float16 matrices)
  --backend B           wasm | cpu (default wasm)
  --quick               smoke run: ${QUICK.trainPairs} training and ${QUICK.heldOutPairs} held-out pairs, written to
                        ${QUICK.out} unless --out is given`;

class UsageError extends Error {}

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

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    log(USAGE);
    return 0;
  }
  let settings: Settings;
  try {
    settings = parseArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`make-exact: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    throw error;
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

    const { documents, sources } = readCorpus();
    const split = buildPairSplit(sentenceDocuments(documents), seededRandom(settings.seed), {
      trainPairs: settings.trainPairs,
      heldOutPairs: settings.heldOutPairs,
    });
    log(
      `corpus: ${documents.length} documents; training ${split.trainDocuments} documents / ${split.trainSentences} sentences, ` +
        `held out ${split.heldOutDocuments} / ${split.heldOutSentences}; pairs ${split.train.length} + ${split.heldOut.length}`,
    );

    original = (await loadBundledModel('use-lite')) as UseLite;
    const reference = original.defaultReference;
    const referenceIds = referenceIdsOf(original, reference);
    const train = toTokens(original, split.train);
    const heldOut = toTokens(original, split.heldOut);
    let t0 = performance.now();
    const targets = await pairCosines(original, train);
    const heldOutOriginal = await pairCosines(original, heldOut);
    const heldOutShifted = await pairCosines(original, heldOut, referenceIds);
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
        onProgress: (p) => {
          if (p.step % every === 0 || p.step === p.steps) {
            log(
              `step ${p.step}/${p.steps} epoch ${p.epoch}: loss ${p.loss.toFixed(5)}, epoch mean ${p.epochLoss.toFixed(5)}, ` +
                `lr ${p.learningRate.toExponential(2)}, ${(p.elapsedMs / 1000).toFixed(0)} s`,
            );
          }
        },
      });
      log(`trained ${result.steps} steps in ${(result.ms / 1000).toFixed(1)} s; epoch losses ${result.epochLosses.map((l) => l.toFixed(5)).join(', ')}`);

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
        const heldOutExact = await pairCosines(shipped, heldOut, referenceIdsOf(shipped, reference));
        const probe = heldOut.slice(0, 32).flatMap((p) => [p.a, p.b]);
        const [trainedE, shippedE] = [embedMany(student.model, probe), embedMany(shipped, probe)];
        const storageDiff = maxAbsDiff(await trainedE.data(), await shippedE.data());
        tf.dispose([trainedE, shippedE]);
        const lossAfter = meanSquaredDiff(heldOutOriginal, heldOutExact);
        const exact = agreement(heldOutOriginal, heldOutExact);
        log(`held out, fine-tuned exact variant: Spearman ${exact.spearman.toFixed(4)}, mean |Δ| ${exact.meanAbsDiff.toFixed(4)}; loss ${lossAfter.toFixed(5)}`);
        log(`storage (${settings.float16 ? 'float16' : 'float32'}): max |Δ| of embeddings vs the trained weights ${storageDiff.toExponential(2)}`);

        const quality = {
          model: EXACT_ID,
          variantOf: 'use-lite',
          measuredOn: `${heldOut.length} held-out pairs from ${split.heldOutDocuments} documents never used in training`,
          similarity: 'cosine; reference "▁" (id 30) repeated to each text\'s length',
          pairKinds: Object.fromEntries(PAIR_KINDS.map((k) => [k, split.heldOut.filter((p) => p.kind === k).length])),
          fineTuned: { ...rounded(exact), distillationLoss: round(lossAfter, 6), byKind: byKind(split.heldOut, heldOutOriginal, heldOutExact) },
          shiftedBaseline: { ...rounded(baseline), distillationLoss: round(lossBefore, 6), byKind: byKind(split.heldOut, heldOutOriginal, heldOutShifted) },
          shippedVsTrained: {
            weights: settings.float16 ? 'float16' : 'float32',
            maxAbsEmbeddingDiff: Number(storageDiff.toExponential(2)),
          },
          originalSimilarityRange: histogram(heldOutOriginal),
        };
        const training = {
          model: EXACT_ID,
          command: `npm run make-exact${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
          settings: { ...settings, out: undefined, reference, referenceToken: '▁ (id 30)' },
          method:
            'self-distillation: shifted model e(x) = f(x) - f(r_x) starts from use-lite; loss = mean (cos(e(a), e(b)) - cos_use-lite(a, b))^2; Adam, linear warm-up then linear decay',
          trainableWeights: {
            encoder: 'both transformer layers and the tanh head; token embeddings frozen',
            top: 'last transformer layer and the tanh head',
          }[settings.scope],
          sources,
          corpus: { documents: documents.length, ...splitFigures(split), trainTargetsByRange: histogram(targets) },
          result: { steps: result.steps, epochLosses: result.epochLosses.map((l) => round(l, 6)), trainingSeconds: round(result.ms / 1000, 1) },
          totalSeconds: round((performance.now() - started) / 1000, 1),
          environment: { node: process.version, tfjs: tf.version_core, backend: tf.getBackend() },
        };
        await writeFile(join(temp, 'quality.json'), `${JSON.stringify(quality, null, 2)}\n`);
        await writeFile(join(temp, 'training.json'), `${JSON.stringify(training, null, 2)}\n`);
        await cp(join(bundledModelFolder('use-lite'), '..', 'LICENSE'), join(temp, 'LICENSE'));
        await writeFile(join(temp, 'README.md'), readme(settings, quality.fineTuned, quality.shiftedBaseline));
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

function readme(settings: Settings, fineTuned: Agreement, baseline: Agreement): string {
  return `# use-lite-exact

The exact variant of the bundled Universal Sentence Encoder lite (\`use-lite\`), for
PairLens's Exact mode: the shifted model ẽ(x) = f(x) − f(r_x), with r_x the text's
reference ("▁", id 30, repeated to its length), fine-tuned by self-distillation so
that its cosine similarities follow the original model's. Its reference maps to 0, so
attributions sum to its own prediction (up to integration error).

Made by \`npm run make-exact\` (scripts/make-exact.ts); settings, data sources and
losses are in training.json, held-out quality in quality.json.

* Files: model.json + group1-shard*, read by loadUseLiteArtifacts like the bundled
  model; the vocabulary is use-lite's vocab.json (not copied here).
* Weights: ${settings.float16 ? 'matrices stored as float16 (TF.js manifest quantization; decoded to float32 on load), biases, norms and scalars as float32. The model is defined by these stored weights, so its exactness is unaffected by the rounding' : 'float32'}.
* Held-out agreement with the original use-lite: Spearman ${fineTuned.spearman.toFixed(4)}, mean |Δ| ${fineTuned.meanAbsDiff.toFixed(4)}
  (shifted, not fine-tuned: ${baseline.spearman.toFixed(4)}, ${baseline.meanAbsDiff.toFixed(4)}).
* Licence: Apache-2.0, as the original model (LICENSE is its licence file). Training
  text: public domain (see training.json).
`;
}
