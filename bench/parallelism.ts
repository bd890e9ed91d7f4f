/**
 * What more cores buy (issue 12, item 2), in two forms:
 *
 * - WASM threads in Chromium (`--wasm-threads=1,2`): the same suite once per XNNPACK
 *   thread count, and per case how the matrix-product kernels and all other kernels
 *   scaled. TF.js threads only what it hands to XNNPACK, so the whole route can go no
 *   faster than Amdahl's law allows for the matrix-product share; the ceiling is computed
 *   from the one-thread profile and the matmul peak's own scaling in the same run.
 * - Processes in Node (`--shard-scaling`): `pairlens batch` on the example pairs as one
 *   process, then as `--shard 0/N … N-1/N` side by side, the way a dataset uses every core
 *   where TF.js gives Node one WASM thread.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttributionCase, KernelShare, Log, SuitePlan, SuiteResult } from './suite.ts';

/** TF.js kernels that are matrix products (XNNPACK runs them on its threads). */
const MATMUL_KERNELS = new Set(['BatchMatMul', '_FusedMatMul', 'MatMul']);

/**
 * The plan for thread scaling: the tangent route only (the reverse route's extrapolation
 * is not what threads change), full N for short and medium pairs, a quarter for long.
 */
export function threadScalingPlan(steps: number, layers: number[]): SuitePlan {
  return {
    steps,
    layers,
    pairs: [
      { length: 'short', tangent: { kind: 'engine', steps }, reverse: null },
      { length: 'medium', tangent: { kind: 'engine', steps }, reverse: null },
      { length: 'long', tangent: { kind: 'engine', steps: steps / 4 }, reverse: null },
    ],
    globalWarmUp: true,
    warmUpEachShape: true,
    matmul: { sizes: [[1024, 1024, 1024], [4096, 512, 1536], [4096, 1536, 512]], reps: 3 },
    cacheSwitch: null,
  };
}

/** Kernel time of one measured run, split into matrix products and everything else, ms. */
export function kernelSplit(kernels: readonly KernelShare[] | undefined): { matmulMs: number; otherMs: number } | null {
  if (!kernels?.length) return null;
  let matmulMs = 0;
  let otherMs = 0;
  for (const k of kernels) {
    if (MATMUL_KERNELS.has(k.kernel)) matmulMs += k.ms;
    else otherMs += k.ms;
  }
  return { matmulMs, otherMs };
}

/**
 * Amdahl's bound: the speed-up of a run of `totalMs` whose `parallelMs` part runs
 * `factor` times faster and whose rest does not change.
 */
export function amdahl(totalMs: number, parallelMs: number, factor: number): number {
  return totalMs / (totalMs - parallelMs + parallelMs / factor);
}

export interface ThreadScalingRow {
  pair: string;
  tokens: string;
  layer: number;
  /** Measured α points per text (the time is for these, not extrapolated). */
  points: number;
  /** Per thread count: the measured run's wall time and its kernel split, ms. */
  byThreads: Array<{ threads: number; ms: number; matmulMs: number | null; otherMs: number | null }>;
  /** Wall time, one thread over the most threads. */
  speedup: number;
  /** Matrix-product kernels, and all other kernels, one thread over the most threads. */
  matmulSpeedup: number | null;
  otherSpeedup: number | null;
  /** Share of the one-thread run's wall time spent in matrix-product kernels. */
  matmulShare: number | null;
  /** Amdahl's bound when only the matrix products speed up, by the matmul peak's measured factor, and by the thread count. */
  ceilingAtPeakScaling: number | null;
  ceilingAtPerfectScaling: number | null;
}

export interface ThreadScaling {
  threads: number[];
  /** Matmul peak per thread count (GFLOP/s) and its ratio, most threads over one. */
  matmulPeakGflops: number[];
  matmulPeakSpeedup: number;
  rows: ThreadScalingRow[];
  how: string;
}

/** Compares suites run with 1 … n threads (the same plan, one after the other in one bench run). */
export function threadScaling(runs: ReadonlyArray<{ threads: number; suite: SuiteResult }>): ThreadScaling {
  const sorted = [...runs].sort((p, q) => p.threads - q.threads);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const peakSpeedup = last.suite.matmulPeak.gflops / first.suite.matmulPeak.gflops;
  const key = (c: AttributionCase) => `${c.pair}/${c.layer}`;
  const rows = first.suite.cases.map((c1): ThreadScalingRow => {
    const cases = sorted.map((r) => {
      const c = r.suite.cases.find((x) => key(x) === key(c1));
      if (!c) throw new Error(`case ${key(c1)} missing from the ${r.threads}-thread run`);
      return { threads: r.threads, c, split: kernelSplit(c.tangent.kernels) };
    });
    const one = cases[0];
    const most = cases[cases.length - 1];
    const t1 = one.c.tangent.measuredMs;
    const m1 = one.split?.matmulMs ?? null;
    const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? a / b : null);
    return {
      pair: c1.pair,
      tokens: `${c1.tokensA}+${c1.tokensB}`,
      layer: c1.layer,
      points: one.c.tangent.measuredPoints,
      byThreads: cases.map((x) => ({ threads: x.threads, ms: x.c.tangent.measuredMs, matmulMs: x.split?.matmulMs ?? null, otherMs: x.split?.otherMs ?? null })),
      speedup: t1 / most.c.tangent.measuredMs,
      matmulSpeedup: ratio(m1, most.split?.matmulMs),
      otherSpeedup: ratio(one.split?.otherMs, most.split?.otherMs),
      matmulShare: m1 === null ? null : m1 / t1,
      ceilingAtPeakScaling: m1 === null ? null : amdahl(t1, m1, peakSpeedup),
      ceilingAtPerfectScaling: m1 === null ? null : amdahl(t1, m1, last.threads / first.threads),
    };
  });
  return {
    threads: sorted.map((r) => r.threads),
    matmulPeakGflops: sorted.map((r) => r.suite.matmulPeak.gflops),
    matmulPeakSpeedup: peakSpeedup,
    rows,
    how:
      'The same suite in Chromium with XNNPACK started at each thread count, one run after the other. Times are the measured tangent runs ' +
      '(not extrapolated); matmul and other kernel times are tf.profile sums (BatchMatMul/_FusedMatMul/MatMul vs the rest). ' +
      'Ceilings are Amdahl bounds from the one-thread run: only the matmul kernels speed up, by the matmul peak\'s measured factor, or by the thread count.',
  };
}

// ---------------------------------------------------------------------------------------
// Processes: `pairlens batch --shard`

const BIN = fileURLToPath(new URL('../bin/pairlens.mjs', import.meta.url));
const EXAMPLE_PAIRS = fileURLToPath(new URL('../examples/pairs.tsv', import.meta.url));

export interface ShardScaling {
  pairs: number;
  steps: number;
  processes: number;
  /** Wall time of one process over all pairs, and of `processes` shards started together, ms. */
  oneProcessMs: number;
  shardedMs: number;
  speedup: number;
  /** Pairs each shard attributed (FNV-1a of the id decides, so they are not exactly equal). */
  pairsPerShard: number[];
  /**
   * Texts whose P was computed: one process (its P cache reuses a text shared by several
   * pairs), and per shard (a text shared across shards is computed in each).
   */
  textsComputed: { oneProcess: number; perShard: number[] };
  how: string;
}

/** Runs `pairlens batch`; resolves to the texts whose P it computed (from its closing line). */
function runBatch(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'batch', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const computed = /(\d+) texts? computed/.exec(stderr);
      if (code === 0 && computed) resolve(Number(computed[1]));
      else reject(new Error(`pairlens batch ${args.join(' ')} exited ${code}: ${stderr.slice(-400)}`));
    });
  });
}

function countLines(file: string): number {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).length;
}

/** `pairlens batch` on the first `pairs` example pairs: one process, then `processes` shards at once. */
export async function measureShards(opts: { pairs: number; steps: number; processes: number }, log: Log): Promise<ShardScaling> {
  const dir = mkdtempSync(join(tmpdir(), 'pairlens-shards-'));
  try {
    const lines = readFileSync(EXAMPLE_PAIRS, 'utf8').split('\n').filter((l) => l.trim());
    const input = join(dir, 'pairs.tsv');
    writeFileSync(input, `${lines.slice(0, opts.pairs + 1).join('\n')}\n`);
    const common = ['--input', input, '--steps', String(opts.steps)];
    log(`shards: pairlens batch, ${opts.pairs} pairs, N = ${opts.steps}, one process`);
    let t0 = performance.now();
    const oneProcessTexts = await runBatch([...common, '--output', join(dir, 'all.jsonl')]);
    const oneProcessMs = performance.now() - t0;
    log(`shards: ${(oneProcessMs / 1000).toFixed(1)} s; now ${opts.processes} shards side by side`);
    const outputs = Array.from({ length: opts.processes }, (_, i) => join(dir, `shard-${i}.jsonl`));
    t0 = performance.now();
    const shardTexts = await Promise.all(outputs.map((out, i) => runBatch([...common, '--shard', `${i}/${opts.processes}`, '--output', out])));
    const shardedMs = performance.now() - t0;
    const pairsPerShard = outputs.map(countLines);
    const total = pairsPerShard.reduce((s, n) => s + n, 0);
    if (total !== countLines(join(dir, 'all.jsonl'))) throw new Error(`the shards wrote ${total} records, one process ${countLines(join(dir, 'all.jsonl'))}`);
    log(`shards: ${(shardedMs / 1000).toFixed(1)} s (${(oneProcessMs / shardedMs).toFixed(2)}×)`);
    return {
      pairs: opts.pairs,
      steps: opts.steps,
      processes: opts.processes,
      oneProcessMs,
      shardedMs,
      speedup: oneProcessMs / shardedMs,
      pairsPerShard,
      textsComputed: { oneProcess: oneProcessTexts, perShard: shardTexts },
      how:
        `node bin/pairlens.mjs batch --input (the first ${opts.pairs} pairs of examples/pairs.tsv) --steps ${opts.steps} (WASM, one thread per process, ` +
        `the CLI's default layer), once alone, then as ${opts.processes} processes with --shard i/${opts.processes} started together; wall time includes each process's start and model load.`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
