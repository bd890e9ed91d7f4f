/**
 * Self-distillation of a shifted encoder (docs/method.md, "Exact and approximate"): the
 * shifted model ẽ(x) = f(x) − f(r_x) is fine-tuned so that cos(ẽ(a), ẽ(b)) matches
 * the original model's cos(f(a), f(b)) on unlabelled pairs. Loss: mean squared
 * difference, optionally weighted up on low-similarity pairs (shifting pushes their
 * scores up, issue 14), with optional early stopping on validation pairs. The student's reference maps to zero by construction, whatever its
 * weights, so the fine-tuned model stays exact.
 *
 * No Node APIs: the browser worker can run this too. Progress goes to a callback;
 * an AbortSignal stops it between steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Reference } from '../model/reference.ts';
import type { SentenceEncoder } from '../model/encoder.ts';
import { checkAborted, DistillError } from './errors.ts';
import { loadTrainingGradients } from './gradients.ts';
import { seededRandom, shuffle } from '../shared/random.ts';
import { embedMany, pairCosines, referenceIdsOf, unitRows, type PairEmbeddings, type ReferenceSpec, type TokenPair } from './shifted.ts';

export { DistillAbortedError, DistillError } from './errors.ts';

/** A model whose forward pass reads `variables`, which training updates in place. */
export interface TrainableEncoder {
  model: SentenceEncoder;
  variables: tf.Variable[];
}

export interface DistillSettings {
  epochs: number;
  /** Pairs per optimiser step. */
  batchPairs: number;
  /** Peak Adam learning rate; warms up linearly, then decays linearly to 0. */
  learningRate: number;
  /** Share of the steps spent warming up. */
  warmup: number;
  seed: number;
  /**
   * Weight of a pair whose target is below LOW_SIMILARITY (unrelated pairs) in the
   * loss, relative to 1 for the others (default 1: plain mean squared difference).
   */
  lowSimilarityWeight?: number;
  /**
   * Weight of the in-batch cross pairs (default 0: none). Besides its training pairs, a
   * batch of n pairs holds 2n texts, so 2n(2n−1)/2 − n other pairs of texts whose
   * targets are the original's cosines too: every step also learns from them, at no
   * extra forward pass. Most are unrelated texts, the kind shifting scores too high.
   * The loss adds crossPairWeight × their mean squared difference; the original's
   * embeddings come in DistillOptions.teacher.
   */
  crossPairWeight?: number;
  /**
   * Weight averaging (stochastic weight averaging): from this share of the steps on,
   * the rate is held at AVERAGING_RATE × the peak and the model's weights are the mean
   * of the weights after every step since. Tried because two runs' errors on the
   * everyday pairs correlate only 0.3 (the mean of two runs' weights did better than
   * either), but averaging within one run measured no gain for use-lite (tuning.json,
   * run K), so it is off by default. Undefined: no averaging, the rate decays to 0.
   */
  averageFrom?: number;
  /**
   * Each text's reference r_x (use-lite: token 30, "▁", repeated to the text's length;
   * Hugging Face encoders: their padding reference). Plain data, so settings can be
   * stored; it must be the reference exact mode later uses with the variant.
   */
  reference: Reference;
}

export interface DistillProgress {
  step: number;
  steps: number;
  epoch: number;
  /** This step's batch loss. */
  loss: number;
  /** Mean batch loss over the current epoch so far. */
  epochLoss: number;
  learningRate: number;
  elapsedMs: number;
}

/** Pairs never trained on whose loss is checked during training; the best weights are kept. */
export interface DistillValidation {
  pairs: readonly TokenPair[];
  targets: Float32Array;
  /** Check after every this many steps, and after the last one. */
  everySteps: number;
}

export interface DistillResult {
  steps: number;
  /**
   * Validation: [step, unweighted mean squared difference] of every check, and the step
   * whose weights were kept (with averaging, checks from its start are of the averaged weights).
   */
  validation?: { losses: Array<[number, number]>; bestStep: number };
  /** Batch loss of every step, in order. */
  stepLosses: number[];
  /** Mean batch loss of each epoch. */
  epochLosses: number[];
  ms: number;
}

export interface DistillOptions {
  onProgress?: (p: DistillProgress) => void;
  /** Early stopping: the weights of the check with the lowest validation loss are kept. */
  validation?: DistillValidation;
  /** The original's unit embeddings of every training pair's texts: needed when crossPairWeight > 0. */
  teacher?: PairEmbeddings;
  signal?: AbortSignal;
}

/** Adam whose learning rate can follow a schedule (the stock one fixes it at construction). */
class ScheduledAdam extends tf.AdamOptimizer {
  setLearningRate(rate: number): void {
    this.learningRate = rate;
  }
}

/** Throws DistillError naming the first setting out of range. */
export function checkDistillSettings(settings: DistillSettings): void {
  const positiveInteger = (name: string, value: number) => {
    if (!(Number.isInteger(value) && value >= 1)) throw new DistillError(`${name} must be an integer ≥ 1, got ${String(value)}`);
  };
  positiveInteger('epochs', settings.epochs);
  positiveInteger('batch size', settings.batchPairs);
  if (!(Number.isFinite(settings.learningRate) && settings.learningRate > 0)) {
    throw new DistillError(`the learning rate must be a number > 0, got ${String(settings.learningRate)}`);
  }
  if (!(settings.warmup >= 0 && settings.warmup <= 1)) throw new DistillError(`warm-up must be a share from 0 to 1, got ${String(settings.warmup)}`);
  if (!Number.isInteger(settings.seed)) throw new DistillError(`the seed must be an integer, got ${String(settings.seed)}`);
  const w = settings.lowSimilarityWeight ?? 1;
  if (!(Number.isFinite(w) && w > 0)) throw new DistillError(`the low-similarity weight must be a number > 0, got ${String(w)}`);
  const cross = settings.crossPairWeight ?? 0;
  if (!(Number.isFinite(cross) && cross >= 0)) throw new DistillError(`the cross-pair weight must be a number ≥ 0, got ${String(cross)}`);
  const from = settings.averageFrom;
  if (from !== undefined && !(from >= 0 && from < 1)) throw new DistillError(`averaging must start at a share of the steps from 0 to below 1, got ${String(from)}`);
}

/** Targets below this are unrelated pairs for lowSimilarityWeight (as UNRELATED_BELOW in quality-by-genre.ts). */
export const LOW_SIMILARITY = 0.3;

/** Per-pair loss weights, normalised to mean 1 over the batch. */
export function pairWeights(targets: ArrayLike<number>, lowSimilarityWeight = 1): Float32Array {
  const w = Float32Array.from(targets, (t) => (t < LOW_SIMILARITY ? lowSimilarityWeight : 1));
  const mean = w.reduce((s, x) => s + x, 0) / Math.max(1, w.length);
  return w.map((x) => x / mean);
}

/** The rate held while weights are averaged, as a share of the peak rate. */
export const AVERAGING_RATE = 0.5;

/** The first step (0-based) whose weights go into the average, or undefined without averaging. */
export function averagingStart(settings: Pick<DistillSettings, 'averageFrom'>, steps: number): number | undefined {
  return settings.averageFrom === undefined ? undefined : Math.min(steps - 1, Math.floor(steps * settings.averageFrom));
}

/**
 * Warm-up then linear decay, by step (0-based) of `steps`: to 0 at the end, or with
 * averaging to AVERAGING_RATE × the peak where averaging starts, then held there.
 */
export function scheduledRate(settings: Pick<DistillSettings, 'learningRate' | 'warmup' | 'averageFrom'>, step: number, steps: number): number {
  const warm = Math.max(1, Math.round(steps * settings.warmup));
  if (step < warm) return (settings.learningRate * (step + 1)) / warm;
  const start = averagingStart(settings, steps);
  if (start === undefined) return settings.learningRate * Math.max(0, (steps - step) / Math.max(1, steps - warm));
  if (step >= start) return settings.learningRate * AVERAGING_RATE;
  return settings.learningRate * (1 - ((1 - AVERAGING_RATE) * (step - warm)) / Math.max(1, start - warm));
}

/**
 * The in-batch cross pairs of a batch (DistillSettings.crossPairWeight): texts in the
 * order distillLoss embeds them (a of every pair, then b of every pair), the original's
 * cosine of every two of them, and a weight per entry: `weight` shared equally by the
 * entries above the diagonal that are not one of the batch's training pairs, 0 elsewhere.
 */
export interface CrossPairs {
  targets: Float32Array;
  weights: Float32Array;
  /** Texts in the batch (2n): the matrices are size × size. */
  size: number;
}

export function crossPairs(teacher: PairEmbeddings, batch: readonly number[], weight: number): CrossPairs {
  const n = batch.length;
  const size = 2 * n;
  const { dim } = teacher;
  const row = (t: number) => (t < n ? teacher.a.subarray(batch[t] * dim, (batch[t] + 1) * dim) : teacher.b.subarray(batch[t - n] * dim, (batch[t - n] + 1) * dim));
  const targets = new Float32Array(size * size);
  const weights = new Float32Array(size * size);
  const count = (size * (size - 1)) / 2 - n;
  for (let i = 0; i < size; i++) {
    const u = row(i);
    for (let j = i + 1; j < size; j++) {
      const v = row(j);
      let dot = 0;
      for (let k = 0; k < dim; k++) dot += u[k] * v[k];
      targets[i * size + j] = dot;
      if (j !== i + n && count > 0) weights[i * size + j] = weight / count;
    }
  }
  return { targets, weights, size };
}

/**
 * The distillation loss of a batch: mean (cos(ẽa, ẽb) − target)², each term times its
 * weight when given, plus the weighted squared differences of the cross pairs when given.
 */
export function distillLoss(
  model: SentenceEncoder,
  pairs: readonly TokenPair[],
  targets: tf.Tensor1D,
  reference: ReferenceSpec,
  weights?: tf.Tensor1D,
  cross?: CrossPairs,
): tf.Scalar {
  return tf.tidy(() => {
    const n = pairs.length;
    const unit = unitRows(embedMany(model, [...pairs.map((p) => p.a), ...pairs.map((p) => p.b)], reference));
    const cos = tf.sum(tf.mul(tf.slice(unit, [0, 0], [n, -1]), tf.slice(unit, [n, 0], [n, -1])), 1);
    const squared = tf.squaredDifference(cos, targets);
    const loss = tf.mean(weights ? tf.mul(squared, weights) : squared) as tf.Scalar;
    if (!cross) return loss;
    const all = tf.matMul(unit, unit, false, true);
    const crossTerm = tf.sum(tf.mul(tf.squaredDifference(all, tf.tensor2d(cross.targets, [cross.size, cross.size])), tf.tensor2d(cross.weights, [cross.size, cross.size])));
    return tf.add(loss, crossTerm) as tf.Scalar;
  });
}

/** Unweighted mean squared difference of the student's shifted cosines from `targets`, without gradients. */
async function validationLoss(model: SentenceEncoder, v: DistillValidation, reference: ReferenceSpec, signal?: AbortSignal): Promise<number> {
  const cos = await pairCosines(model, v.pairs, reference, { signal });
  let sum = 0;
  for (let i = 0; i < cos.length; i++) sum += (cos[i] - v.targets[i]) ** 2;
  return sum / Math.max(1, cos.length);
}

/**
 * One optimiser step on `loss`, returning the loss. Everything the step makes is
 * freed even when it fails: TF.js keeps the tensors its gradient tape saved for the
 * backward pass out of every tidy scope and frees them only after a successful
 * backward pass, so a failing gradient (a kernel the backend lacks) would leave
 * them all behind.
 */
function optimizerStep(optimizer: tf.Optimizer, variables: tf.Variable[], loss: () => tf.Scalar): tf.Scalar {
  try {
    return tf.tidy(() => {
      const value = optimizer.minimize(loss, true, variables);
      if (!value) throw new DistillError('the optimiser returned no loss');
      return value;
    });
  } catch (error) {
    const engine = tf.engine();
    if (engine.state.gradientDepth === 0) {
      for (const node of engine.state.activeTape ?? []) tf.dispose(node.saved ?? []);
      engine.state.activeTape = [];
    }
    throw error;
  }
}

/**
 * Batches of pairs for one epoch. Texts in a batch are run per length, so pairs are
 * sorted by length within pools of 32 batches (fewer, fuller length groups) and
 * the batches then shuffled: cheaper steps, order still random.
 */
export function epochBatches(pairs: readonly TokenPair[], batchPairs: number, random: () => number, pool = 32): number[][] {
  const order = shuffle(random, Array.from({ length: pairs.length }, (_, i) => i));
  const batches: number[][] = [];
  const poolSize = batchPairs * pool;
  for (let start = 0; start < order.length; start += poolSize) {
    const chunk = order.slice(start, start + poolSize);
    const key = (i: number) => {
      const [short, long] = [pairs[i].a.length, pairs[i].b.length].sort((x, y) => x - y);
      return short * 1000 + long;
    };
    chunk.sort((i, j) => key(i) - key(j));
    for (let k = 0; k < chunk.length; k += batchPairs) batches.push(chunk.slice(k, k + batchPairs));
  }
  return shuffle(random, batches);
}

export async function distill(
  student: TrainableEncoder,
  pairs: readonly TokenPair[],
  targets: Float32Array,
  settings: DistillSettings,
  options: DistillOptions = {},
): Promise<DistillResult> {
  const { onProgress, signal, validation, teacher } = options;
  if (pairs.length === 0) throw new DistillError('no training pairs');
  if (targets.length !== pairs.length) throw new DistillError(`${targets.length} targets for ${pairs.length} pairs`);
  if (student.variables.length === 0) throw new DistillError(`model "${student.model.id}" has no trainable weights`);
  checkDistillSettings(settings);
  const crossWeight = settings.crossPairWeight ?? 0;
  if (crossWeight > 0 && !teacher) throw new DistillError('a cross-pair weight needs the original\'s embeddings of the training pairs');
  if (teacher && (teacher.a.length !== pairs.length * teacher.dim || teacher.b.length !== pairs.length * teacher.dim)) {
    throw new DistillError(`the original's embeddings cover ${teacher.a.length / teacher.dim} pairs, training has ${pairs.length}`);
  }
  const referenceIds = referenceIdsOf(student.model, settings.reference);
  await loadTrainingGradients();

  const started = performance.now();
  const random = seededRandom(settings.seed);
  const perEpoch = Math.ceil(pairs.length / settings.batchPairs);
  const steps = perEpoch * settings.epochs;
  const optimizer = new ScheduledAdam(settings.learningRate, 0.9, 0.999, 1e-7);
  const epochLosses: number[] = [];
  const stepLosses: number[] = [];
  const validationLosses: Array<[number, number]> = [];
  let best: { step: number; loss: number; values: tf.Tensor[] } | undefined;
  // Weight averaging: the running mean of the weights after each step from averageStart on.
  const averageStart = averagingStart(settings, steps);
  let average: { count: number; values: tf.Tensor[] } | undefined;
  const addToAverage = () => {
    if (!average) {
      average = { count: 1, values: student.variables.map((v) => tf.clone(v)) };
      return;
    }
    const { values } = average;
    const count = ++average.count;
    student.variables.forEach((v, i) => {
      const old = values[i];
      values[i] = tf.tidy(() => tf.add(old, tf.div(tf.sub(v, old), count)));
      old.dispose();
    });
  };
  /** Runs `f` with the averaged weights in the model (when averaging), then puts the trained ones back. */
  const withAverage = async <T>(f: () => Promise<T>): Promise<T> => {
    if (!average) return f();
    const current = student.variables.map((v) => tf.clone(v));
    try {
      student.variables.forEach((v, i) => v.assign(average!.values[i]));
      return await f();
    } finally {
      student.variables.forEach((v, i) => v.assign(current[i]));
      tf.dispose(current);
    }
  };
  const check = async () => {
    if (!validation) return;
    // With averaging, the averaged weights are what is checked and kept.
    await withAverage(async () => {
      const loss = await validationLoss(student.model, validation, referenceIds, signal);
      validationLosses.push([step, loss]);
      if (!best || loss < best.loss) {
        tf.dispose(best?.values ?? []);
        best = { step, loss, values: student.variables.map((v) => tf.clone(v)) };
      }
    });
  };
  let step = 0;
  try {
    if (validation && !(Number.isInteger(validation.everySteps) && validation.everySteps >= 1)) {
      throw new DistillError(`validation needs a check every ≥ 1 steps, got ${String(validation.everySteps)}`);
    }
    if (validation && validation.targets.length !== validation.pairs.length) {
      throw new DistillError(`${validation.targets.length} validation targets for ${validation.pairs.length} pairs`);
    }
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      let sum = 0;
      let count = 0;
      // Draw the epoch's order from the seeded generator only: reproducible runs.
      const batches = epochBatches(pairs, settings.batchPairs, random);
      for (const batch of batches) {
        // Hosts (a worker's "cancel" message) need a turn between steps to abort.
        await checkAborted(signal);
        const rate = scheduledRate(settings, step, steps);
        optimizer.setLearningRate(rate);
        const batchPairs = batch.map((i) => pairs[i]);
        const batchTargetValues = batch.map((i) => targets[i]);
        const weighted = (settings.lowSimilarityWeight ?? 1) !== 1;
        const lossTensor = optimizerStep(optimizer, student.variables, () => {
          const batchTargets = tf.tensor1d(batchTargetValues);
          const weights = weighted ? tf.tensor1d(pairWeights(batchTargetValues, settings.lowSimilarityWeight)) : undefined;
          const cross = crossWeight > 0 && teacher ? crossPairs(teacher, batch, crossWeight) : undefined;
          return distillLoss(student.model, batchPairs, batchTargets, referenceIds, weights, cross);
        });
        const loss = (await lossTensor.data())[0];
        lossTensor.dispose();
        if (!Number.isFinite(loss)) {
          throw new DistillError(`the loss became ${loss} at step ${step + 1}; try a lower learning rate`);
        }
        stepLosses.push(loss);
        sum += loss;
        count++;
        if (averageStart !== undefined && step >= averageStart) addToAverage();
        step++;
        onProgress?.({
          step,
          steps,
          epoch: epoch + 1,
          loss,
          epochLoss: sum / count,
          learningRate: rate,
          elapsedMs: performance.now() - started,
        });
        if (validation && (step % validation.everySteps === 0 || step === steps)) await check();
      }
      epochLosses.push(sum / Math.max(1, count));
    }
    // Early stopping: the weights of the best check; without validation, the average when averaging.
    const kept = best?.values ?? average?.values;
    if (kept) student.variables.forEach((v, i) => v.assign(kept[i]));
  } finally {
    optimizer.dispose();
    tf.dispose(best?.values ?? []);
    tf.dispose(average?.values ?? []);
  }
  const result: DistillResult = { steps, stepLosses, epochLosses, ms: performance.now() - started };
  if (best) result.validation = { losses: validationLosses, bestStep: best.step };
  return result;
}
