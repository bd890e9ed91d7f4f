/**
 * The GPU kit's Node side (bench/gpu-kit.md). `npm run gpu-kit` bundles this file into
 * one ESM file that the kit's own Node binary runs; it also runs unbundled:
 * `npx tsx scripts/gpu-kit-bench.ts COMMAND …`.
 *
 *   pairs   --out PAIRS.json [--use-lite DIR] [--minilm DIR] [--steps N] [--pairs short,medium,long]
 *           The benchmark pairs with their token ids and reference ids, for the PyTorch side
 *           (CPU backend: only tokenizers and model facts are needed).
 *   bench   --out PAIRLENS.json [--backend webgpu|wasm|cpu] [--fallback wasm|cpu] [--use-lite DIR]
 *           [--minilm DIR] [--models minilm,use-lite] [--steps N] [--pairs …] [--reverse-dims M]
 *           [--auto-tol T] [--auto-reference-steps N] [--no-auto] [--deadline-s S]
 *           PairLens's tangent route at N on every pair at the first and last layer
 *           (bench/suite.ts), its matrices, and steps=auto to a tolerance on the medium
 *           MiniLM pair at layer 0. Without a WebGPU adapter it says so and exits 3,
 *           unless --fallback names a backend to run on instead.
 *   combine --dir OUT [--kit MANIFEST.json]
 *           Joins OUT/pairlens.json and OUT/torch.json into OUT/kit-results.json and
 *           OUT/summary.txt, and prints the summary.
 *   selftest [--use-lite DIR]
 *           Loads Dawn's binding (an adapter is not required), starts WASM, and, given
 *           use-lite's folder, embeds a sentence (the kit builder's check).
 */
import { hostFacts } from '../bench/machine.ts';
import { relativeDifference } from '../src/shared/vector.ts';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AttributionEngine, type AttributionResult } from '../src/attribution/engine.ts';
import { describeNodeBackend, NoGpuError, nodeGpuAdapter, startNodeBackend, type NodeBackend, type NodeGpuInfo } from '../src/cli/node-backend.ts';
import { embedIds, type SentenceEncoder } from '../src/model/encoder.ts';
import { loadHfModel } from '../src/model/hf/load.ts';
import { bundledModelFolder } from '../src/model/node-models.ts';
import { diskFiles } from '../src/model/node-files.ts';
import { loadModel, modelFiles } from '../src/model/registry.ts';
import { planForLayers } from '../bench/plans.ts';
import { runSuite, type SuitePlan, type SuiteResult } from '../bench/suite.ts';
import { pairOf, type PairLength } from '../bench/texts.ts';
import {
  combineKit, kitMarkdown, kitTable, modelPairs, NODE_SCHEMA, PAIRS_SCHEMA,
  type AutoMeasure, type AutoRun, type KitMatrix, type KitModelPairs, type NodeKitRun, type NodeModelRun, type PairsExport, type TorchRun,
} from './gpu-kit-results.ts';

const LENGTHS: readonly PairLength[] = ['short', 'medium', 'long'];
const MODEL_KEYS = ['minilm', 'use-lite'] as const;
type ModelKey = (typeof MODEL_KEYS)[number];

export interface KitOptions {
  command: string;
  out: string;
  dir: string;
  backend: NodeBackend;
  fallback: NodeBackend | null;
  useLite: string;
  minilm: string;
  models: ModelKey[];
  steps: number;
  lengths: PairLength[];
  reverseDims: number;
  autoTolerance: number;
  autoReferenceSteps: number;
  auto: boolean;
  deadlineS: number;
  kit: string;
}

function usage(message: string): never {
  throw new Error(`${message} (see the top of scripts/gpu-kit-bench.ts)`);
}

export function parseKitArgs(argv: readonly string[]): KitOptions {
  const [command = '', ...rest] = argv;
  if (!['pairs', 'bench', 'combine', 'selftest'].includes(command)) usage(`unknown command "${command}"`);
  const opts: KitOptions = {
    command,
    out: '',
    dir: '',
    backend: 'webgpu',
    fallback: null,
    useLite: '',
    minilm: '',
    models: [...MODEL_KEYS],
    steps: 64,
    lengths: [...LENGTHS],
    reverseDims: 16,
    autoTolerance: 1e-3,
    autoReferenceSteps: 512,
    auto: true,
    deadlineS: 0,
    kit: '',
  };
  const backends: readonly string[] = ['webgpu', 'wasm', 'cpu'];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    const number = () => {
      const v = Number(value());
      if (!Number.isFinite(v)) usage(`${arg} needs a number`);
      return v;
    };
    switch (arg) {
      case '--out': opts.out = value(); break;
      case '--dir': opts.dir = value(); break;
      case '--kit': opts.kit = value(); break;
      case '--use-lite': opts.useLite = value(); break;
      case '--minilm': opts.minilm = value(); break;
      case '--backend': {
        const v = value();
        if (!backends.includes(v)) usage(`--backend ${v}`);
        opts.backend = v as NodeBackend;
        break;
      }
      case '--fallback': {
        const v = value();
        if (v === 'none') opts.fallback = null;
        else if (v === 'wasm' || v === 'cpu') opts.fallback = v;
        else usage(`--fallback ${v} (wasm, cpu or none)`);
        break;
      }
      case '--models': {
        const v = value().split(',').filter(Boolean);
        for (const m of v) if (!(MODEL_KEYS as readonly string[]).includes(m)) usage(`--models: unknown model ${m}`);
        opts.models = v as ModelKey[];
        break;
      }
      case '--pairs': {
        const v = value().split(',').filter(Boolean);
        for (const p of v) if (!(LENGTHS as readonly string[]).includes(p)) usage(`--pairs: unknown pair ${p}`);
        opts.lengths = v as PairLength[];
        break;
      }
      case '--steps': {
        const v = number();
        if (!(v >= 8 && v <= 1024 && Number.isInteger(Math.log2(v)))) usage('--steps must be a power of two from 8 to 1024');
        opts.steps = v;
        break;
      }
      case '--reverse-dims': opts.reverseDims = Math.max(0, Math.floor(number())); break;
      case '--auto-tol': opts.autoTolerance = number(); break;
      case '--auto-reference-steps': opts.autoReferenceSteps = number(); break;
      case '--no-auto': opts.auto = false; break;
      case '--deadline-s': opts.deadlineS = number(); break;
      default: usage(`unknown option ${arg}`);
    }
  }
  if ((command === 'pairs' || command === 'bench') && !opts.out) usage(`${command} needs --out FILE`);
  if (command === 'combine' && !opts.dir) usage('combine needs --dir OUT');
  return opts;
}

/** The kit's plan: every pair in full at N, first and last layer, and PairLens's own reverse route on a few dims (extrapolated). */
export function kitPlan(steps: number, lengths: readonly PairLength[], backend: NodeBackend, reverseDims: number, numLayers: number, softwareGpu = false): SuitePlan {
  const gpu = backend === 'webgpu';
  const plan: SuitePlan = {
    steps,
    layers: [0, 1],
    pairs: lengths.map((length) => ({
      length,
      tangent: { kind: 'engine', steps },
      reverse: reverseDims > 0 ? { points: gpu ? 4 : 1, dims: reverseDims } : null,
    })),
    globalWarmUp: true,
    // WebGPU compiles shaders for each new shape: run every (pair, layer) once in full, with
    // the same chunks, before timing it (a real GPU only; on a software adapter that would double minutes).
    warmUpEachShape: gpu,
    warmUpSteps: gpu && !softwareGpu ? steps : 8,
    matmul: gpu && !softwareGpu
      ? { sizes: [[1024, 1024, 1024], [2048, 2048, 2048], [4096, 4096, 4096], [4096, 512, 1536], [4096, 1536, 512]], reps: 3 }
      : softwareGpu
        ? { sizes: [[256, 256, 256], [512, 512, 512]], reps: 2 }
        : { sizes: [[512, 512, 512], [1024, 1024, 1024]], reps: 2 },
    cacheSwitch: null,
  };
  return planForLayers(plan, numLayers);
}

const here = dirname(fileURLToPath(import.meta.url));

/** The kit's manifest (written by scripts/gpu-kit.ts beside the app folder), when there is one. */
function readManifest(path: string): Record<string, unknown> | null {
  const candidates = path ? [path] : [join(here, '..', 'manifest.json')];
  for (const p of candidates) {
    if (existsSync(p)) return JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  }
  return null;
}

function useLiteFolder(opts: KitOptions): string {
  return opts.useLite || bundledModelFolder('use-lite');
}

async function loadKitModel(key: ModelKey, opts: KitOptions): Promise<SentenceEncoder> {
  if (key === 'use-lite') return loadModel('use-lite', modelFiles('use-lite', () => diskFiles(useLiteFolder(opts))));
  if (!opts.minilm || !existsSync(join(opts.minilm, 'config.json'))) throw new Error(`no MiniLM-sized model folder (--minilm ${opts.minilm || '?'})`);
  return loadHfModel(diskFiles(opts.minilm), { id: 'minilm-sized-random' });
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 1)}\n`);
}

async function commandPairs(opts: KitOptions, log: (s: string) => void): Promise<number> {
  await startNodeBackend('cpu');
  const models: KitModelPairs[] = [];
  for (const key of opts.models) {
    let model: SentenceEncoder;
    try {
      model = await loadKitModel(key, opts);
    } catch (error) {
      log(`${key}: skipped (${(error as Error).message})`);
      continue;
    }
    try {
      models.push(modelPairs(model, key, key === 'use-lite' ? 'use-lite' : 'hf', opts.lengths));
      log(`${key}: ${models[models.length - 1].pairs.map((p) => `${p.length} ${p.a.ids.length}+${p.b.ids.length}`).join(', ')} tokens`);
    } finally {
      model.dispose();
    }
  }
  const out: PairsExport = { schema: PAIRS_SCHEMA, steps: opts.steps, rule: 'midpoint', models };
  writeJson(opts.out, out);
  log(`wrote ${opts.out}`);
  return models.length ? 0 : 1;
}

function autoRun(r: AttributionResult): AutoRun {
  return { ms: r.ms, evaluations: r.evaluations, errorEstimate: r.errorEstimate, converged: r.converged };
}

/** steps=auto on one pair, twice (the first compiles shaders), and its true error against a fine Clenshaw–Curtis run. */
async function measureAuto(
  model: SentenceEncoder,
  key: string,
  length: PairLength,
  layer: number,
  opts: KitOptions,
  midpoint: KitMatrix | undefined,
  log: (s: string) => void,
): Promise<AutoMeasure> {
  const engine = new AttributionEngine(model);
  const pair = pairOf(length);
  const request = { a: pair.a, b: pair.b, layer, steps: 'auto' as const, tolerance: opts.autoTolerance, mode: 'approx' as const, sim: 'cos' as const };
  const cold = await engine.attribute(request);
  engine.clearCache();
  const warm = await engine.attribute(request);
  log(`  steps=auto (tolerance ${opts.autoTolerance}): ${warm.ms.toFixed(0)} ms (first run ${cold.ms.toFixed(0)} ms), ${warm.evaluations} points per text (${warm.rule}), estimate ${warm.errorEstimate.toExponential(1)}`);
  engine.clearCache();
  const reference = await engine.attribute({ ...request, steps: opts.autoReferenceSteps, rule: 'clenshaw-curtis' });
  const trueError = relativeDifference(warm.matrix, reference.matrix);
  log(`  reference: clenshaw-curtis on ${reference.evaluations} points (${reference.ms.toFixed(0)} ms); true error of the auto run ${trueError.toExponential(2)}`);
  engine.clearCache();
  return {
    model: key,
    pair: length,
    layer,
    tolerance: opts.autoTolerance,
    rule: warm.rule,
    cold: autoRun(cold),
    warm: autoRun(warm),
    reference: { rule: reference.rule, steps: opts.autoReferenceSteps, evaluations: reference.evaluations, ms: reference.ms },
    trueError,
    midpoint: midpoint ? { steps: midpoint.steps, trueError: relativeDifference(Float32Array.from(midpoint.values), reference.matrix) } : null,
  };
}

/** A CPU rasteriser standing in for a GPU (SwiftShader, llvmpipe): the plan then keeps its matmul sizes small. */
export function softwareAdapter(info: unknown): boolean {
  if (!info || typeof info !== 'object') return false;
  const i = info as Partial<NodeGpuInfo>;
  return Boolean(i.isFallbackAdapter) || /swiftshader|llvmpipe|lavapipe/i.test(`${i.vendor} ${i.architecture} ${i.device} ${i.description}`);
}

function machine(): Record<string, unknown> {
  return { ...hostFacts(), tfjsCore: tf.version_core };
}

async function commandBench(opts: KitOptions, argv: readonly string[], log: (s: string) => void): Promise<number> {
  const started = performance.now();
  let backend = opts.backend;
  let fellBack: NodeKitRun['fellBack'] = null;
  try {
    await startNodeBackend(backend);
  } catch (error) {
    const reason = (error as Error).message;
    if (!opts.fallback) {
      log(`the ${backend} backend could not start: ${reason}`);
      log('no PairLens figures (give --fallback wasm to run on the CPU instead)');
      return error instanceof NoGpuError ? 3 : 1;
    }
    log(`the ${backend} backend could not start: ${reason}`);
    log(`falling back to ${opts.fallback} (--fallback): these are CPU figures, not GPU ones`);
    fellBack = { from: backend, reason };
    backend = opts.fallback;
    await startNodeBackend(backend);
  }
  log(`backend ${describeNodeBackend()}`);
  const run: NodeKitRun = {
    schema: NODE_SCHEMA,
    generatedAt: new Date().toISOString(),
    command: `pairlens-kit ${argv.join(' ')}`,
    backend,
    backendDetail: describeNodeBackend(),
    gpuAdapter: backend === 'webgpu' ? (await nodeGpuAdapter()).info : null,
    fellBack,
    steps: opts.steps,
    machine: machine(),
    models: [],
    matrices: [],
    errors: [],
    totalMs: 0,
  };
  const save = () => {
    run.totalMs = performance.now() - started;
    writeJson(opts.out, run);
  };
  save();
  const overDeadline = () => opts.deadlineS > 0 && (performance.now() - started) / 1000 > opts.deadlineS;
  for (const key of opts.models) {
    if (overDeadline()) {
      run.errors.push(`${key}: skipped, past the deadline of ${opts.deadlineS} s`);
      log(`${key}: skipped, past the deadline`);
      continue;
    }
    log(`== ${key}`);
    let model: SentenceEncoder;
    const t0 = performance.now();
    try {
      model = await loadKitModel(key, opts);
      await embedIds(model, model.tokenize('a probe').ids);
    } catch (error) {
      run.errors.push(`${key}: ${(error as Error).message}`);
      log(`${key}: not loaded (${(error as Error).message})`);
      continue;
    }
    const modelLoadMs = performance.now() - t0;
    try {
      const matrices: KitMatrix[] = [];
      // Partial results are saved after every case, so a run stopped by its time limit keeps what it measured.
      const entry: NodeModelRun = { key, id: model.id, modelLoadMs, suite: null as unknown as SuiteResult, auto: null, partial: true };
      const suite = await runSuite(model, kitPlan(opts.steps, opts.lengths, backend, opts.reverseDims, model.numLayers, softwareAdapter(run.gpuAdapter)), log, {
        onTangentResult: (pair, layer, result) => {
          const matrix = { model: key, pair, layer, steps: opts.steps, rows: result.rows, cols: result.cols, values: Array.from(result.matrix) };
          matrices.push(matrix);
          run.matrices.push(matrix);
        },
        onCase: (cases, matmulPeak) => {
          entry.suite = { steps: opts.steps, rowBudget: 0, matmulPeak, baselineBytes: 0, cases: [...cases], cacheSwitch: null, warmUpMs: 0 };
          if (!run.models.includes(entry)) run.models.push(entry);
          save();
        },
      });
      entry.suite = suite;
      entry.partial = false;
      if (!run.models.includes(entry)) run.models.push(entry);
      save();
      if (key === 'minilm' && opts.auto && opts.lengths.includes('medium')) {
        if (overDeadline()) {
          run.errors.push('steps=auto: skipped, past the deadline');
        } else {
          log('steps=auto on the medium pair at layer 0');
          entry.auto = await measureAuto(model, key, 'medium', 0, opts, matrices.find((m) => m.pair === 'medium' && m.layer === 0), log);
          save();
        }
      }
    } catch (error) {
      run.errors.push(`${key}: ${(error as Error).message}`);
      log(`${key}: FAILED ${(error as Error).stack ?? (error as Error).message}`);
    } finally {
      model.dispose();
    }
    save();
  }
  save();
  log(`wrote ${opts.out} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  return run.models.length ? 0 : 1;
}

function readIfThere<T>(path: string, schema: string, log: (s: string) => void): T | null {
  if (!existsSync(path)) {
    log(`${path}: missing`);
    return null;
  }
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as { schema?: string };
    if (value.schema !== schema) {
      log(`${path}: schema ${String(value.schema)}, expected ${schema}`);
      return null;
    }
    return value as T;
  } catch (error) {
    log(`${path}: unreadable (${(error as Error).message})`);
    return null;
  }
}

function commandCombine(opts: KitOptions, log: (s: string) => void): number {
  const node = readIfThere<NodeKitRun>(join(opts.dir, 'pairlens.json'), NODE_SCHEMA, log);
  const torch = readIfThere<TorchRun>(join(opts.dir, 'torch.json'), 'pairlens-gpu-kit-torch/1', log);
  const kit = combineKit(node, torch, readManifest(opts.kit));
  writeJson(join(opts.dir, 'kit-results.json'), kit);
  const text = `${kitTable(kit)}\n\nMarkdown (README):\n\n${kitMarkdown(kit)}\n`;
  writeFileSync(join(opts.dir, 'summary.txt'), text);
  console.log(text);
  log(`wrote ${join(opts.dir, 'kit-results.json')} and summary.txt`);
  return node || torch ? 0 : 1;
}

/**
 * The kit's own check: Dawn's binding loads (an adapter is not required), WASM finds its
 * binaries, use-lite loads and embeds a sentence as a unit vector.
 */
async function commandSelftest(opts: KitOptions, log: (s: string) => void): Promise<number> {
  let failed = false;
  try {
    await import('webgpu');
    log('selftest: Dawn\'s Node binding (webgpu) loads');
    try {
      const { info } = await nodeGpuAdapter();
      log(`selftest: WebGPU adapter ${JSON.stringify(info)}`);
    } catch (error) {
      log(`selftest: no WebGPU adapter here (${(error as Error).message.split('.')[0]})`);
    }
  } catch (error) {
    failed = true;
    log(`selftest: FAILED to load Dawn's Node binding: ${(error as Error).message}`);
  }
  await startNodeBackend('wasm');
  log(`selftest: backend ${describeNodeBackend()}`);
  const product = tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync()[0]);
  if (product !== 64) {
    failed = true;
    log(`selftest: FAILED, a 64×64 matmul of ones gave ${product} on ${tf.getBackend()}`);
  }
  if (!opts.useLite) {
    log("selftest: no use-lite folder given (the kit's use-lite/ is not here), so no model loaded");
    return failed ? 1 : 0;
  }
  const model = await loadKitModel('use-lite', opts);
  try {
    const e = await embedIds(model, model.tokenize('A young man is playing a guitar.').ids);
    let norm = 0;
    for (const x of e) norm += x * x;
    log(`selftest: use-lite loaded, embedding of ${e.length} values, norm ${Math.sqrt(norm).toFixed(4)}`);
    if (Math.abs(Math.sqrt(norm) - 1) > 1e-3) failed = true;
  } finally {
    model.dispose();
  }
  return failed ? 1 : 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const started = performance.now();
  const log = (line: string) => console.log(`[node ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  let opts: KitOptions;
  try {
    opts = parseKitArgs(argv);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  switch (opts.command) {
    case 'pairs':
      return commandPairs(opts, log);
    case 'bench':
      return commandBench(opts, argv, log);
    case 'combine':
      return commandCombine(opts, log);
    default:
      return commandSelftest(opts, log);
  }
}

// Run when executed (bundled, or `npx tsx scripts/gpu-kit-bench.ts`), not when imported by a test.
const entry = process.argv[1] ?? '';
if (/gpu-kit-bench\.(ts|mjs)$|pairlens-kit\.mjs$/.test(entry)) {
  process.exitCode = await main(process.argv.slice(2));
}
