/**
 * `npm run bench [-- options]`: the PairLens benchmark (issue 7).
 *
 *   --quick                 ~2-minute smoke run (writes bench/results-quick.json)
 *   --skip-node             no Node part
 *   --backend=B             the Node part's backend: wasm (default), webgpu (a GPU through
 *                           Dawn's Node binding, the optional `webgpu` package) or cpu
 *   --skip-browser          no Chromium part
 *   --browser-backend=B     webgpu (default) or wasm
 *   --browser-plan=K        auto (default: software on SwiftShader, gpu otherwise), software or gpu
 *   --wasm-threads=N        with --browser-backend=wasm: XNNPACK threads, 1 to 8 (default: the cores)
 *   --wasm-threads=1,2      thread scaling instead: the tangent route in Chromium on WASM once
 *                           per count, one after the other, with Amdahl's bound from the
 *                           kernel profile (bench/parallelism.ts); implies --skip-node
 *   --shard-scaling         also time `pairlens batch` as one process and as one shard per core
 *   --chromium=PATH         Chromium binary (default CHROMIUM_PATH or /usr/bin/chromium)
 *   --chromium-arg=FLAG     extra Chromium flag, repeatable (e.g. --use-angle=vulkan)
 *   --headed                show the browser window (a real GPU may need it)
 *   --out=PATH              where to write the JSON (default bench/results.json)
 *   --model=ID|FOLDER       time another model in Node (a Hugging Face folder or id, as the
 *                           CLI takes it) at its first and last layer; skips the browser part.
 *                           `npx tsx scripts/make-tiny-models.ts --shape minilm-l6 DIR` makes
 *                           a random model of all-MiniLM-L6-v2's size to time.
 *
 * Writes the JSON and prints a table. Targets are reported, never asserted.
 */
import { hostFacts, loadAverage } from './machine.ts';
import { CHROMIUM_PATH } from '../scripts/chromium.ts';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runBrowser, type BrowserRun } from './browser-run.ts';
import { runNode, type NodeRun } from './node-run.ts';
import { measureShards, threadScaling, threadScalingPlan, type ShardScaling, type ThreadScaling } from './parallelism.ts';
import type { NodeBackend } from '../src/cli/node-backend.ts';
import type { BenchMode, BrowserBackend, BrowserPlanKind } from './plans.ts';
import type { AttributionCase, SuiteResult, TangentMeasure } from './suite.ts';

interface Options {
  mode: BenchMode;
  node: boolean;
  nodeBackend: NodeBackend;
  browser: boolean;
  browserBackend: BrowserBackend;
  browserPlan: BrowserPlanKind | 'auto';
  chromium: string;
  chromiumArgs: string[];
  headless: boolean;
  out: string;
  model: string;
  /** WASM in Chromium: XNNPACK threads (default: the cores, at most 8); several counts: thread scaling. */
  wasmThreads: number[];
  shardScaling: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = {
    mode: 'full',
    node: true,
    nodeBackend: 'wasm',
    browser: true,
    browserBackend: 'webgpu',
    browserPlan: 'auto',
    chromium: CHROMIUM_PATH,
    chromiumArgs: [],
    headless: true,
    out: '',
    model: 'use-lite',
    wasmThreads: [],
    shardScaling: false,
  };
  for (const arg of argv) {
    const [key, value] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, ''];
    if (key === '--quick') opts.mode = 'quick';
    else if (key === '--skip-node') opts.node = false;
    else if (key === '--skip-browser') opts.browser = false;
    else if (key === '--backend' && (value === 'wasm' || value === 'webgpu' || value === 'cpu')) opts.nodeBackend = value;
    else if (key === '--browser-backend' && (value === 'webgpu' || value === 'wasm')) opts.browserBackend = value;
    else if (key === '--wasm-threads' && /^[1-8](,[1-8])*$/.test(value)) {
      opts.wasmThreads = value.split(',').map(Number);
      if (opts.wasmThreads.length > 1) {
        opts.browserBackend = 'wasm';
        opts.node = false;
      }
    } else if (key === '--shard-scaling') opts.shardScaling = true;
    else if (key === '--browser-plan' && (value === 'auto' || value === 'software' || value === 'gpu')) opts.browserPlan = value;
    else if (key === '--chromium' && value) opts.chromium = value;
    else if (key === '--chromium-arg' && value) opts.chromiumArgs.push(value);
    else if (key === '--headed') opts.headless = false;
    else if (key === '--out' && value) opts.out = value;
    else if (key === '--model' && value) {
      opts.model = value;
      opts.browser = false; // the browser part serves the bundled model only
    }
    else throw new Error(`unknown option ${arg} (see bench/main.ts)`);
  }
  opts.out ||= fileURLToPath(new URL(opts.mode === 'quick' ? './results-quick.json' : './results.json', import.meta.url));
  return opts;
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function machine() {
  return {
    ...hostFacts(),
    tfjsCore: packageVersion('@tensorflow/tfjs-core'),
    tfjsBackendWasm: packageVersion('@tensorflow/tfjs-backend-wasm'),
    tfjsBackendWebgpu: packageVersion('@tensorflow/tfjs-backend-webgpu'),
    playwright: packageVersion('@playwright/test'),
  };
}

// ---------------------------------------------------------------------------------------
// Summary

interface Row {
  run: string;
  backend: string;
  pair: string;
  tokens: string;
  layer: number;
  tangentMs: number;
  tangentHow: string;
  /** α points per text measured, when the tangent time is extrapolated. */
  tangentMeasuredPoints: number | null;
  reverseMs: number | null;
  reverseHow: string | null;
  reverseMeasured: { points: number; dims: number } | null;
  reverseOverTangent: number | null;
  firstPartialMs: number | null;
  firstPartialFraction: number | null;
  firstPartialHow: string;
  chunkSize: number;
  smallChunk: { chunkSize: number; ms: number; firstPartialMs: number | null; firstPartialFraction: number | null; costOverDefault: number } | null;
  gflops: number;
  fractionOfPeak: number | null;
  /** Peak TF.js memory (weights included) during the tangent run, and during the measured reverse batch. */
  tangentPeakMiB: number;
  reversePeakMiB: number | null;
}

function tangentHow(t: TangentMeasure): string {
  return t.extrapolated ? `extrapolated ×${t.extrapolationFactor} from ${t.measuredPoints} α point(s) per text` : 'measured (full run)';
}

function rowsOf(run: string, backend: string, suite: SuiteResult): Row[] {
  return suite.cases.map((c: AttributionCase) => ({
    run,
    backend,
    pair: c.pair,
    tokens: `${c.tokensA}+${c.tokensB}`,
    layer: c.layer,
    tangentMs: c.tangent.ms,
    tangentHow: tangentHow(c.tangent),
    tangentMeasuredPoints: c.tangent.extrapolated ? c.tangent.measuredPoints : null,
    reverseMs: c.reverse?.ms ?? null,
    reverseHow: c.reverse
      ? `extrapolated ×${c.reverse.extrapolationFactor} from ${c.reverse.measuredPoints} α point(s) × ${c.reverse.measuredDims}/${c.reverse.outputSize} output dims per text`
      : null,
    reverseMeasured: c.reverse ? { points: c.reverse.measuredPoints, dims: c.reverse.measuredDims } : null,
    reverseOverTangent: c.reverseOverTangent,
    firstPartialMs: c.tangent.firstPartialMs,
    firstPartialFraction: c.tangent.firstPartialFraction,
    firstPartialHow: c.tangent.firstPartialMs === null ? 'none' : c.tangent.firstPartialExtrapolated ? 'extrapolated' : 'measured',
    chunkSize: c.tangent.chunkSize,
    smallChunk: c.tangentSmallChunk
      ? {
          chunkSize: c.tangentSmallChunk.chunkSize,
          ms: c.tangentSmallChunk.ms,
          firstPartialMs: c.tangentSmallChunk.firstPartialMs,
          firstPartialFraction: c.tangentSmallChunk.firstPartialFraction,
          costOverDefault: c.tangentSmallChunk.ms / c.tangent.ms,
        }
      : null,
    gflops: c.tangent.gflops,
    fractionOfPeak: c.tangent.fractionOfPeak,
    tangentPeakMiB: Math.round(c.tangent.peakBytes / 2 ** 20),
    reversePeakMiB: c.reverse ? Math.round(c.reverse.peakBytes / 2 ** 20) : null,
  }));
}

interface Target {
  target: string;
  run: string;
  case: string;
  value: number | null;
  threshold: number;
  met: boolean | null;
  note?: string;
}

function targetsOf(rows: Row[]): Target[] {
  const out: Target[] = [];
  for (const r of rows) {
    const name = `${r.pair} (${r.tokens}), layer ${r.layer}`;
    if (r.pair === 'medium') {
      out.push({
        target: 'tangent route ≥ 10× faster than reverse route on medium pairs',
        run: r.run,
        case: name,
        value: r.reverseOverTangent,
        threshold: 10,
        met: r.reverseOverTangent === null ? null : r.reverseOverTangent >= 10,
        note: `reverse ${r.reverseHow ?? 'not measured'}; tangent ${r.tangentHow}`,
      });
    }
    out.push({
      target: 'first progress report within 10% of the final time (engine default chunk size; fixed rules draw the heatmap at the end, nested rules after each level)',
      run: r.run,
      case: name,
      value: r.firstPartialFraction,
      threshold: 0.1,
      met: r.firstPartialFraction === null ? null : r.firstPartialFraction <= 0.1,
      note: `chunk of ${r.chunkSize} of 64 α points; first partial ${r.firstPartialHow}` +
        (r.smallChunk
          ? `; with chunk ${r.smallChunk.chunkSize}: ${fmtPct(r.smallChunk.firstPartialFraction)} of a ${fmtPct(r.smallChunk.costOverDefault)} total`
          : ''),
    });
    if (r.backend === 'wasm') {
      out.push({
        target: '≥ 30% of the measured matmul peak on WASM (tangent route)',
        run: r.run,
        case: name,
        value: r.fractionOfPeak,
        threshold: 0.3,
        met: r.fractionOfPeak === null ? null : r.fractionOfPeak >= 0.3,
        note: `${r.gflops.toFixed(2)} GFLOP/s (matmul FLOPs only)`,
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Printing

function fmtMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(1)} ms`;
}

function fmtPct(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function printReport(rows: Row[], targets: Target[], nodeRun: NodeRun | null, browserRuns: ReadonlyArray<{ name: string; run: BrowserRun }>, browserError: string | null): void {
  const out: string[] = [];
  out.push('\nAttribution time per pair at N = 64 (same backend, same run). *k = extrapolated from k α points per text;');
  out.push('reverse †k×m = extrapolated from k α points × m of the model’s output dims per text (cost is linear in both).');
  out.push('MiB tan/rev: peak tf.memory() (weights included; a Hugging Face token-embedding table lives outside TF.js) in the tangent run / in the measured reverse batch.');
  out.push(
    table(
      ['backend', 'pair', 'tokens', 'L', 'tangent', 'reverse', 'rev/tan', 'first partial', 'chunk', 'GFLOP/s', '% peak', 'MiB tan/rev'],
      rows.map((r) => {
        return [
          r.run,
          r.pair,
          r.tokens,
          String(r.layer),
          `${fmtMs(r.tangentMs)}${r.tangentMeasuredPoints === null ? '' : ` *${r.tangentMeasuredPoints}`}`,
          r.reverseMs === null ? '-' : `${fmtMs(r.reverseMs)} †${r.reverseMeasured?.points}×${r.reverseMeasured?.dims}`,
          r.reverseOverTangent === null ? '-' : `${r.reverseOverTangent.toFixed(0)}×`,
          r.firstPartialMs === null ? '-' : `${fmtMs(r.firstPartialMs)} (${fmtPct(r.firstPartialFraction)})${r.firstPartialHow === 'extrapolated' ? ' *' : ''}`,
          `${r.chunkSize}`,
          r.gflops.toFixed(2),
          fmtPct(r.fractionOfPeak),
          `${r.tangentPeakMiB}/${r.reversePeakMiB ?? '-'}`,
        ];
      }),
    ),
  );
  const small = rows.filter((r) => r.smallChunk);
  if (small.length) {
    out.push('\nSmaller chunks (first partial sooner, at a cost in total time):');
    out.push(
      table(
        ['backend', 'pair', 'L', 'chunk', 'total', 'vs default', 'first partial'],
        small.map((r) => [
          r.run,
          r.pair,
          String(r.layer),
          String(r.smallChunk!.chunkSize),
          fmtMs(r.smallChunk!.ms),
          `${r.smallChunk!.costOverDefault.toFixed(2)}×`,
          `${fmtMs(r.smallChunk!.firstPartialMs)} (${fmtPct(r.smallChunk!.firstPartialFraction)})`,
        ]),
      ),
    );
  }
  out.push('');
  for (const { name, run } of [
    ...(nodeRun ? [{ name: `${nodeRun.backend}-node`, run: nodeRun }] : []),
    ...browserRuns,
  ]) {
    const s = run.suite;
    out.push(
      `${name}: model load ${fmtMs(run.modelLoadMs)}; matmul peak ${s.matmulPeak.gflops.toFixed(2)} GFLOP/s ` +
        `(${s.matmulPeak.best.m}×${s.matmulPeak.best.k}×${s.matmulPeak.best.n}); weights ${(s.baselineBytes / 2 ** 20).toFixed(0)} MiB; ` +
        `peak TF.js memory: tangent route ${(Math.max(...s.cases.map((c) => c.tangent.peakBytes)) / 2 ** 20).toFixed(0)} MiB, ` +
        `reverse route ${(Math.max(0, ...s.cases.map((c) => c.reverse?.peakBytes ?? 0)) / 2 ** 20).toFixed(0)} MiB (measured batch)`,
    );
    if (s.cacheSwitch) {
      out.push(
        `  from the P cache (${s.cacheSwitch.pair}, N = ${s.cacheSwitch.steps}): mode switch ${fmtMs(s.cacheSwitch.modeSwitchMs)}, ` +
          `layer switch ${fmtMs(s.cacheSwitch.layerSwitchMs)}, similarity switch ${fmtMs(s.cacheSwitch.simSwitchMs)}`,
      );
    }
    if (run === nodeRun && nodeRun.batch) {
      const b = nodeRun.batch;
      out.push(
        `  batch (${b.pairs} example pairs, ${b.distinctTexts} texts, ${b.repeatedTexts} repeated; N = ${b.steps}, last layer): ` +
          `${b.withCache.pairsPerMinute.toFixed(1)} pairs/min with the P cache (${b.withCache.textsComputed} texts computed), ` +
          `${b.withoutCache.pairsPerMinute.toFixed(1)} without (${b.withoutCache.textsComputed}): ${b.cacheSpeedup.toFixed(2)}× from the cache`,
      );
    }
    if (s.reverseLinearityCheck) {
      const l = s.reverseLinearityCheck;
      out.push(
        `  reverse-route check (${l.length}, layer ${l.layer}, 1 α): all 512 dims ${fmtMs(l.allDimsMs)} vs ${l.subsetDims} dims scaled ${fmtMs(l.subsetScaledMs)} (ratio ${l.ratio.toFixed(2)})`,
      );
    }
  }
  for (const { run } of browserRuns) {
    if (run.heatmap) {
      const h = run.heatmap;
      out.push(
        `heatmap ${h.rows}×${h.cols} (Chromium, median of ${h.repetitions}): in place ${fmtMs(h.inPlaceMs)} JS / ${fmtMs(h.inPlaceFrameMs)} to painted frame; ` +
          `re-layout ${fmtMs(h.relayoutMs)} JS / ${fmtMs(h.relayoutFrameMs)}; first render ${fmtMs(h.firstRenderMs)}`,
      );
    }
    out.push(`browser: ${run.backend} (${run.planNote}); adapter ${JSON.stringify(run.machine.gpuAdapter)}; Chromium ${run.chromiumVersion}`);
  }
  if (browserError) out.push(`browser part FAILED: ${browserError}`);
  out.push('\nTargets (reported, not asserted):');
  out.push(
    table(
      ['', 'target', 'run', 'case', 'value'],
      targets.map((t) => [
        t.met === null ? '?' : t.met ? 'met' : 'MISSED',
        t.target,
        t.run,
        t.case,
        t.value === null ? '-' : t.threshold >= 1 ? `${t.value.toFixed(1)}×` : fmtPct(t.value),
      ]),
    ),
  );
  console.log(out.join('\n'));
}

function threadReport(t: ThreadScaling): string {
  const x = (v: number | null) => (v === null ? '-' : `${v.toFixed(2)}×`);
  const most = t.threads[t.threads.length - 1];
  return [
    `\nWASM threads in Chromium, ${t.threads.join(' vs ')} (tangent route, measured runs): matmul peak ${t.matmulPeakGflops.map((g) => g.toFixed(1)).join(' → ')} GFLOP/s (${x(t.matmulPeakSpeedup)}).`,
    `Ceiling = Amdahl's bound from the 1-thread profile if only matmul kernels speed up (by the peak's factor / by ${most}×).`,
    table(
      ['pair', 'tokens', 'L', 'N', ...t.threads.map((n) => `${n} thr`), 'speed-up', 'matmul', 'other kernels', 'matmul share', 'ceiling'],
      t.rows.map((r) => [
        r.pair,
        r.tokens,
        String(r.layer),
        String(r.points),
        ...r.byThreads.map((b) => fmtMs(b.ms)),
        x(r.speedup),
        x(r.matmulSpeedup),
        x(r.otherSpeedup),
        fmtPct(r.matmulShare),
        `${x(r.ceilingAtPeakScaling)} / ${x(r.ceilingAtPerfectScaling)}`,
      ]),
    ),
  ].join('\n');
}

function shardReport(s: ShardScaling): string {
  return `\npairlens batch, ${s.pairs} pairs at N = ${s.steps}: one process ${fmtMs(s.oneProcessMs)}, ${s.processes} shards side by side ${fmtMs(s.shardedMs)} (${s.speedup.toFixed(2)}×; pairs per shard ${s.pairsPerShard.join('/')}; texts computed ${s.textsComputed.oneProcess} alone, ${s.textsComputed.perShard.join('+')} in the shards)`;
}

// ---------------------------------------------------------------------------------------

const NOTES = [
  'All times are wall-clock on a shared machine; compare ratios within one run rather than absolute times.',
  'Extrapolation: the cost of one α point is the same anywhere on the path (same shapes, same ops), so time for N points is linear in N; for the reverse route every output dimension is one more backward pass of the same shape, so time is also linear in the number of dimensions. Measured parts, factors and the resulting estimates are recorded per case (tangent.how / reverse.how, measuredPoints, measuredDims, extrapolationFactor).',
  'Reverse-route extrapolation uses smaller backward batches than the engine would (measuredBatchRows vs engineBatchRows), which changes the cost per output dimension somewhat; reverseLinearityCheck (full WASM run) times one α point with all 512 dimensions in the engine\'s own batching against the scaled subset: a ratio above 1 means the extrapolation underestimates the reverse route, which only strengthens the tangent route\'s lead.',
  'GFLOP/s counts matmul FLOPs only (2 per multiply-add), for the work the route really does including recomputed primals; see bench/README.md. The peak is the best rate of plain tf.matMul calls timed in the same run on the same backend.',
  'Peak memory is the highest tf.memory().numBytes seen by tf.profile during the measured work (model weights included; baselineBytes is the memory before the suite).',
  'First partial: time from the attribute() call to the first onPartial callback, as a fraction of the time to the final result.',
];

export async function main(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  const started = performance.now();
  const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const host = machine();
  log(`PairLens benchmark (${opts.mode}) on ${host.cpuModel}, ${host.cores} cores, ${host.os}, Node ${host.nodeVersion}`);

  let nodeRun: NodeRun | null = null;
  if (opts.node) {
    log(`== ${opts.nodeBackend} in Node`);
    nodeRun = await runNode(opts.mode, log, opts.model, opts.nodeBackend);
  }
  // One browser run, or one per thread count when thread scaling is asked for.
  const scaling = opts.wasmThreads.length > 1;
  const browserRuns: Array<{ name: string; threads?: number; run: BrowserRun }> = [];
  let browserError: string | null = null;
  if (opts.browser) {
    for (const threads of scaling ? opts.wasmThreads : [opts.wasmThreads[0]]) {
      log(`== ${opts.browserBackend} in Chromium${threads ? ` (${threads} thread${threads > 1 ? 's' : ''})` : ''}`);
      try {
        const run = await runBrowser(
          {
            mode: opts.mode,
            backend: opts.browserBackend,
            heatmap: scaling ? null : { size: 128, reps: opts.mode === 'quick' ? 5 : 15 },
            planKind: opts.browserPlan === 'auto' ? undefined : opts.browserPlan,
            plan: scaling ? threadScalingPlan(64, [0, 1]) : undefined,
            wasmThreads: threads,
          },
          { executablePath: opts.chromium, extraArgs: opts.chromiumArgs, headless: opts.headless, timeoutMs: 20 * 60_000 },
          log,
        );
        browserRuns.push({ name: `${opts.browserBackend}-chromium${scaling ? `-${threads}t` : ''}`, threads, run });
      } catch (error) {
        browserError = (error as Error).message;
        log(`browser part failed: ${browserError}`);
        break;
      }
    }
  }
  const threads =
    scaling && browserRuns.length === opts.wasmThreads.length
      ? threadScaling(browserRuns.map((r) => ({ threads: r.run.machine.wasmThreads ?? r.threads ?? 1, suite: r.run.suite })))
      : null;
  const shards = opts.shardScaling ? await measureShards({ pairs: 40, steps: 32, processes: hostFacts().cores }, log) : null;

  const rows = [
    ...(nodeRun ? rowsOf(`${nodeRun.backend}-node`, nodeRun.backend, nodeRun.suite) : []),
    ...browserRuns.flatMap((b) => rowsOf(b.name, b.run.backend, b.run.suite)),
  ];
  const targets = targetsOf(rows);
  const results = {
    schema: 'pairlens-bench/1',
    generatedAt: new Date().toISOString(),
    mode: opts.mode,
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    gitCommit: gitCommit(),
    model: opts.model,
    steps: 64,
    notes: NOTES,
    machine: { ...host, loadAverageAtEnd: loadAverage() },
    summary: rows,
    targets,
    threadScaling: threads,
    shardScaling: shards,
    runs: {
      [`${opts.nodeBackend}-node`]: nodeRun,
      ...Object.fromEntries(browserRuns.map((b) => [b.name, b.run])),
      ...(browserError ? { [`${opts.browserBackend}-chromium-error`]: { error: browserError } } : {}),
    },
    totalMs: performance.now() - started,
  };
  writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  printReport(rows, targets, nodeRun, browserRuns, browserError);
  if (threads) console.log(threadReport(threads));
  if (shards) console.log(shardReport(shards));
  log(`wrote ${opts.out} (${fmtMs(results.totalMs)} in all)`);
  return browserError && !nodeRun && !browserRuns.length ? 1 : 0;
}
