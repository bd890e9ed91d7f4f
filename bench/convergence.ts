/**
 * How well each quadrature rule and the error estimate do (issue: explanations that
 * converge). Per model, layer and pair: one nested run per grid gives every level of
 * its rules from the same evaluations (the engine caches level sums): trapezoid and
 * Romberg on the dyadic grid, Clenshaw–Curtis, Gauss–Patterson (up to 63 points),
 * nested midpoint (tripling); midpoint
 * runs of 64 and 256 points are timed and compared too. The reference is the finest
 * Romberg level for smooth models, the finest nested-midpoint level (729 points)
 * where the integrand has kinks; how far it is from the finest level of the other
 * high-order rule (Clenshaw–Curtis; trapezoid) is recorded as its own accuracy.
 *
 * It times each rule's nested run (Clenshaw–Curtis and Gauss–Patterson evaluate their
 * mirrored point pairs apart, since their weights differ), and simulates steps=auto at several tolerances
 * from the levels measured: where it would stop, and whether the true error there is
 * over 3× the tolerance.
 *
 *     npm run bench -- --convergence [--quick] [--minilm FOLDER] [--only MODEL,…] [--out FILE]
 *     npm run bench -- --convergence --summarize FILE,… [--out FILE]
 *       (the summary of written files, no runs; with --out, their rows in one file)
 *     (npm run bench:convergence -- … is the same)
 *
 * FOLDER: a random BERT of all-MiniLM-L6-v2's size, made by
 * `npx tsx scripts/make-tiny-models.ts --shape minilm-l6 FOLDER`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { errorEstimate, LEVEL_CHANGE_CALIBRATION } from '../src/attribution/convergence.ts';
import { AttributionEngine, type AttributionResult, type ConcreteRule } from '../src/attribution/engine.ts';
import { AUTO_MIN_EVALUATIONS, AUTO_RULE } from '../src/attribution/parameters.ts';
import { startNodeBackend } from '../src/cli/node-backend.ts';
import type { SentenceEncoder } from '../src/model/encoder.ts';
import { loadNodeModel } from '../src/model/node-models.ts';
import { relativeDifference } from '../src/shared/vector.ts';

const PAIRS: Array<[string, string]> = [
  ['The old lighthouse guided ships home.', 'A beacon on the coast helped boats return safely.'],
  ['A man is playing a guitar.', 'Someone performs music.'],
  ['The cat sat on the mat.', 'The dog did not sit on the rug.'],
  ['Stocks fell sharply today.', 'I like green tea.'],
  ['She bought a new car.', 'He sold his old bicycle.'],
];

/** The nested rules compared, each with its own levels. */
const NESTED = ['gauss-patterson', 'clenshaw-curtis', 'romberg', 'trapezoid', 'nested-midpoint'] as const;
type Nested = (typeof NESTED)[number];
/** Tolerances steps=auto is simulated at. */
const TOLERANCES = [3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4];

interface Row {
  model: string;
  smooth: boolean;
  layer: number;
  pair: number;
  rule: string;
  evaluations: number;
  trueError: number;
  errorEstimate: number;
  levelChange: number | null;
  /** The two texts' completeness residuals, summed. */
  residuals: number;
  ms?: number;
}

interface Case {
  model: string;
  smooth: boolean;
  layer: number;
  pair: number;
  /** ‖reference − the other rule's finest level‖ / ‖reference‖: how far the reference itself can be trusted. */
  referenceAgreement: number;
  referenceRule: string;
  /** Per rule: the nested run's milliseconds and points per text (a fresh cache; two texts). */
  timings: Record<string, { ms: number; evaluations: number }>;
}

interface Spec {
  model: string;
  layers: number[];
  pairs: number;
  /** Intervals of the finest dyadic level (trapezoid, Romberg). */
  dyadic: number;
  /** Intervals of the finest Clenshaw–Curtis level. */
  cc: number;
}

function row(model: SentenceEncoder, layer: number, pair: number, rule: string, r: AttributionResult, reference: Float32Array): Row {
  return {
    model: model.id,
    smooth: model.smooth,
    layer,
    pair,
    rule,
    evaluations: r.evaluations,
    trueError: relativeDifference(r.matrix, reference),
    errorEstimate: r.errorEstimate,
    levelChange: r.levelChange,
    residuals: r.completeness.a + r.completeness.b,
  };
}

async function levels(engine: AttributionEngine, a: string, b: string, layer: number, rule: ConcreteRule, steps: number): Promise<AttributionResult[]> {
  const out: AttributionResult[] = [];
  const final = await engine.attribute({ a, b, layer, steps, rule, mode: 'approx', sim: 'cos' }, { onPartial: (r) => out.push(r) });
  out.push(final);
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const outIndex = argv.indexOf('--out');
  const out = outIndex >= 0 ? argv[outIndex + 1] : 'bench/convergence.json';
  const summarizeAt = argv.indexOf('--summarize');
  if (summarizeAt >= 0) {
    const files = argv[summarizeAt + 1].split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as { rows: Row[]; cases: Case[] });
    const rows = files.flatMap((f) => f.rows);
    const cases = files.flatMap((f) => f.cases);
    if (outIndex >= 0) write(out, rows, cases);
    summarize(rows, cases);
    return 0;
  }
  const quick = argv.includes('--quick');
  await startNodeBackend('wasm');
  const spec = (model: string, layers: number[], pairs: number, dyadic: number, cc: number): Spec =>
    quick ? { model, layers, pairs: 1, dyadic: Math.min(dyadic, 256), cc: Math.min(cc, 128) } : { model, layers, pairs, dyadic, cc };
  // Points cost from 6 ms (tiny BERT, layer 1) to 300 ms (MiniLM-sized, layer 0) on WASM: the slow models get fewer pairs and levels.
  const specs: Spec[] = [
    spec('test-models/bert', [0, 1], 5, 1024, 256),
    spec('test-models/mpnet', [0, 1], 5, 1024, 256),
    spec('test-models/bert-maxmean', [0, 1], 3, 1024, 256),
    spec('test-models/roberta', [0, 1], 1, 256, 128),
    spec('use-lite', [0, 1], 1, 256, 128),
  ];
  const minilmAt = argv.indexOf('--minilm');
  if (minilmAt >= 0) specs.push(spec(argv[minilmAt + 1], [0, 3], 1, 256, 128));
  // --only a,b: just these models (folders or ids), as specified above or layers 0 and 1, one pair each.
  const onlyAt = argv.indexOf('--only');
  if (onlyAt >= 0) {
    const only = argv[onlyAt + 1].split(',');
    const chosen = only.map((m) => specs.find((s) => s.model === m) ?? spec(m, [0, 1], 1, 256, 128));
    specs.splice(0, specs.length, ...chosen);
  }
  const cases: Case[] = [];
  const rows: Row[] = [];
  for (const { model: id, layers, pairs, dyadic, cc } of specs) {
    const model: SentenceEncoder = await loadNodeModel(id);
    const engine = new AttributionEngine(model, { cacheSize: 1024, cacheBytes: 1024 * 2 ** 20 });
    for (const layer of layers) {
      for (let p = 0; p < pairs; p++) {
        const [a, b] = PAIRS[p];
        const t0 = performance.now();
        const timings: Case['timings'] = {};
        const timed = async (rule: ConcreteRule, steps: number) => {
          const t = performance.now();
          const results = await levels(engine, a, b, layer, rule, steps);
          timings[rule] = { ms: performance.now() - t, evaluations: results[results.length - 1].evaluations };
          return results;
        };
        const runs: Record<Nested, AttributionResult[]> = {
          trapezoid: await timed('trapezoid', dyadic),
          romberg: await levels(engine, a, b, layer, 'romberg', dyadic), // the trapezoid's cached levels
          'clenshaw-curtis': await timed('clenshaw-curtis', cc),
          'gauss-patterson': await timed('gauss-patterson', 64),
          'nested-midpoint': await timed('nested-midpoint', model.smooth ? 256 : 1024),
        };
        const nestedMs = performance.now() - t0;
        const finest = (rule: Nested) => runs[rule][runs[rule].length - 1].matrix;
        const [referenceRule, otherRule]: [Nested, Nested] = model.smooth ? ['romberg', 'clenshaw-curtis'] : ['nested-midpoint', 'trapezoid'];
        const reference = finest(referenceRule);
        for (const rule of NESTED) {
          // The reference's own last level compares with itself: left out.
          const measured = rule === referenceRule ? runs[rule].slice(0, -1) : runs[rule];
          for (const r of measured) rows.push(row(model, layer, p, rule, r, reference));
        }
        for (const n of [64, 256]) {
          const t1 = performance.now();
          const [mid] = (await levels(engine, a, b, layer, 'midpoint', n)).slice(-1);
          rows.push({ ...row(model, layer, p, 'midpoint', mid, reference), ms: performance.now() - t1 });
        }
        cases.push({
          model: model.id,
          smooth: model.smooth,
          layer,
          pair: p,
          referenceRule,
          referenceAgreement: relativeDifference(finest(otherRule), reference),
          timings,
        });
        engine.clearCache();
        console.log(`${model.id} layer ${layer} pair ${p}: nested levels in ${(nestedMs / 1000).toFixed(1)} s`);
      }
    }
    model.dispose();
  }
  write(out, rows, cases);
  summarize(rows, cases);
  return 0;
}

/** The rows and cases, with each row's estimate under the current calibration and the choices it led to. */
function write(out: string, rows: Row[], cases: Case[]): void {
  const calibrated = rows.map((r) => ({ ...r, errorEstimate: estimate(r) }));
  writeFileSync(out, `${JSON.stringify({ calibration: LEVEL_CHANGE_CALIBRATION, autoRule: AUTO_RULE, rows: calibrated, cases }, null, 1)}\n`);
  console.log(`wrote ${rows.length} rows to ${out}`);
}

/** The estimate a row would have under the current calibration (convergence.ts), from its level change and residuals. */
function estimate(r: Row): number {
  return errorEstimate(r.rule as ConcreteRule, r.levelChange, [r.residuals / 2, r.residuals / 2]);
}

/**
 * Per model and layer: the points each rule needs to match midpoint-64 and -256 (per
 * pair); per rule: how the estimate compares with the true error over the levels of 9
 * points or more whose true error is measurable (over 10× the reference's own
 * disagreement with the other high-order rule), and where steps=auto would stop at
 * each tolerance.
 */
function summarize(rows: Row[], cases: Case[]): void {
  const agreement = new Map(cases.map((c) => [`${c.model}|${c.layer}|${c.pair}`, c.referenceAgreement]));
  const measurable = (r: Row) => r.trueError > 10 * (agreement.get(`${r.model}|${r.layer}|${r.pair}`) ?? 0);
  const keyOf = (r: Row) => `${r.model} layer ${r.layer}`;
  const keys = [...new Set(rows.map(keyOf))];
  for (const key of keys) {
    const mine = rows.filter((r) => keyOf(r) === key);
    const pairs = [...new Set(mine.map((r) => r.pair))];
    const needed = (rule: string, n: number) =>
      pairs
        .map((p) => {
          const target = mine.find((r) => r.pair === p && r.rule === 'midpoint' && r.evaluations === n)!.trueError;
          const levels = mine.filter((r) => r.pair === p && r.rule === rule).sort((x, y) => x.evaluations - y.evaluations);
          return levels.find((r) => r.trueError <= target)?.evaluations ?? `>${levels[levels.length - 1]?.evaluations}`;
        })
        .join(',');
    const parts = NESTED.map((rule) => `${rule} ${needed(rule, 64)} / ${needed(rule, 256)}`);
    console.log(`${key}: points to match midpoint-64 / -256: ${parts.join('; ')}`);
  }
  console.log('estimate / true error (measurable levels of 9 points or more), and steps=auto simulated (stop: first such level with estimate ≤ tol):');
  for (const smooth of [true, false]) {
    for (const rule of NESTED) {
      const mine = rows.filter((r) => r.rule === rule && r.smooth === smooth && r.evaluations >= AUTO_MIN_EVALUATIONS && measurable(r));
      if (mine.length === 0) continue;
      const ratios = mine.map((r) => estimate(r) / r.trueError);
      const within = ratios.filter((x) => x >= 1 / 3 && x <= 3).length / ratios.length;
      const below = ratios.filter((x) => x < 1).length / ratios.length;
      const stops = simulateAuto(rows.filter((r) => r.rule === rule && r.smooth === smooth));
      const converged = stops.filter((s) => s.converged);
      const over = converged.filter((s) => s.trueError > 3 * s.tolerance).length;
      const medianPoints = TOLERANCES.map((t) => {
        const at = stops.filter((s) => s.tolerance === t).map((s) => s.evaluations).sort((x, y) => x - y);
        return `${t}: ${at[Math.floor(at.length / 2)]}`;
      });
      console.log(
        `${smooth ? 'smooth' : 'kinked'} ${rule}: estimate/true ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(1)}, ` +
          `within 3× ${(100 * within).toFixed(0)}%, below the truth ${(100 * below).toFixed(0)}% (${ratios.length} levels); ` +
          `auto runs converged ${converged.length} of ${stops.length}, of those with true error > 3 tol: ${over}; median points ${medianPoints.join(', ')}`,
      );
    }
  }
}

interface AutoStop {
  tolerance: number;
  evaluations: number;
  trueError: number;
  /** Whether the estimate reached the tolerance (else the run ends at the last level measured). */
  converged: boolean;
}

/** Where steps=auto would stop for every pair-layer in `rows` (one rule) and tolerance, with the true error there. */
function simulateAuto(rows: Row[]): AutoStop[] {
  const runs = new Map<string, Row[]>();
  for (const r of rows) runs.set(`${r.model}|${r.layer}|${r.pair}`, [...(runs.get(`${r.model}|${r.layer}|${r.pair}`) ?? []), r]);
  const out: AutoStop[] = [];
  for (const levels of runs.values()) {
    levels.sort((x, y) => x.evaluations - y.evaluations);
    for (const tolerance of TOLERANCES) {
      const stop = levels.find((r) => r.evaluations >= AUTO_MIN_EVALUATIONS && estimate(r) <= tolerance);
      const last = levels[levels.length - 1];
      out.push({ tolerance, evaluations: (stop ?? last).evaluations, trueError: (stop ?? last).trueError, converged: stop !== undefined });
    }
  }
  return out;
}
