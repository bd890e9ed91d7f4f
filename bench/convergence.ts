/**
 * How well each quadrature rule and the error estimate do (issue: explanations that
 * converge). One nested run of 2^K intervals per pair gives every trapezoid and Romberg
 * level from the same evaluations (the engine caches level sums); the reference is the
 * finest level (Romberg for smooth models, trapezoid where the integrand has kinks).
 * Midpoint runs of 64 and 256 points are timed and compared against it too.
 *
 * It also times steps=auto to a 1e-3 estimate against midpoint-64 (fresh caches).
 *
 *     npm run bench -- --convergence [--quick] [--minilm FOLDER] [--only MODEL,…] [--out FILE]
 *     (npm run bench:convergence -- … is the same)
 *
 * FOLDER: a random BERT of all-MiniLM-L6-v2's size, made by
 * `npx tsx scripts/make-tiny-models.ts --shape minilm-l6 FOLDER`.
 */
import { writeFileSync } from 'node:fs';
import { AttributionEngine, type AttributionResult, type ConcreteRule } from '../src/attribution/engine.ts';
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

interface Row {
  model: string;
  layer: number;
  pair: number;
  rule: string;
  evaluations: number;
  trueError: number;
  errorEstimate: number;
  levelChange: number | null;
  residuals: number;
  ms?: number;
}

function row(model: SentenceEncoder, layer: number, pair: number, rule: string, r: AttributionResult, reference: Float32Array): Row {
  return {
    model: model.id,
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
  const quick = argv.includes('--quick');
  const outIndex = argv.indexOf('--out');
  const out = outIndex >= 0 ? argv[outIndex + 1] : 'bench/convergence.json';
  await startNodeBackend('wasm');
  const minilmAt = argv.indexOf('--minilm');
  const specs: Array<[string, number[], number]> = [
    ['test-models/bert', [0, 1], quick ? 1 : 5],
    ['test-models/mpnet', [0, 1], quick ? 1 : 5],
    ['test-models/roberta', [0, 1], quick ? 1 : 3],
    ['use-lite', [0, 1], quick ? 1 : 3],
  ];
  if (minilmAt >= 0) specs.push([argv[minilmAt + 1], [0, 3], quick ? 1 : 2]);
  // --only a,b: just these models (folders or ids), layers 0 and 1, three pairs each.
  const onlyAt = argv.indexOf('--only');
  if (onlyAt >= 0) specs.splice(0, specs.length, ...argv[onlyAt + 1].split(',').map((m): [string, number[], number] => [m, [0, 1], quick ? 1 : 3]));
  const timings: Array<{ model: string; layer: number; pair: number; autoMs: number; autoEvaluations: number; autoEstimate: number; autoTrueError: number; midpoint64Ms: number }> = [];
  const rows: Row[] = [];
  for (const [spec, layers, pairCount] of specs) {
    const model: SentenceEncoder = await loadNodeModel(spec);
    const engine = new AttributionEngine(model, { cacheSize: 1024 });
    const K = quick ? 256 : 1024;
    for (const layer of layers) {
      for (let p = 0; p < pairCount; p++) {
        const [a, b] = PAIRS[p];
        const t0 = performance.now();
        const trap = await levels(engine, a, b, layer, 'trapezoid', K);
        const nestedMs = performance.now() - t0;
        const romberg = await levels(engine, a, b, layer, 'romberg', K);
        const reference = (model.smooth ? romberg : trap)[trap.length - 1].matrix;
        for (const [rule, results] of [['trapezoid', trap], ['romberg', romberg]] as const) {
          for (const r of results.slice(0, -1)) rows.push(row(model, layer, p, rule, r, reference));
        }
        // Time to a 1e-3 estimate with steps=auto against midpoint-64, each on a fresh cache.
        const autoEngine = new AttributionEngine(model);
        const tAuto = performance.now();
        const auto = await autoEngine.attribute({ a, b, layer, steps: 'auto', tolerance: 1e-3, mode: 'approx', sim: 'cos' });
        const autoMs = performance.now() - tAuto;
        const midEngine = new AttributionEngine(model);
        const tMid = performance.now();
        await midEngine.attribute({ a, b, layer, steps: 64, mode: 'approx', sim: 'cos' });
        timings.push({
          model: model.id,
          layer,
          pair: p,
          autoMs,
          autoEvaluations: auto.evaluations,
          autoEstimate: auto.errorEstimate,
          autoTrueError: relativeDifference(auto.matrix, reference),
          midpoint64Ms: performance.now() - tMid,
        });
        autoEngine.clearCache();
        midEngine.clearCache();
        for (const n of [64, 256]) {
          const t1 = performance.now();
          const [mid] = (await levels(engine, a, b, layer, 'midpoint', n)).slice(-1);
          rows.push({ ...row(model, layer, p, 'midpoint', mid, reference), ms: performance.now() - t1 });
        }
        console.log(`${model.id} layer ${layer} pair ${p}: nested ${K + 1} points in ${(nestedMs / 1000).toFixed(1)} s`);
      }
    }
    engine.clearCache();
    model.dispose();
  }
  writeFileSync(out, `${JSON.stringify({ rows, timings }, null, 1)}\n`);
  console.log(`wrote ${rows.length} rows to ${out}`);
  summarize(rows);
  return 0;
}

/** Per model and layer: points each nested rule needs to match midpoint-64 and -256; how the estimate compares with the truth. */
function summarize(rows: Row[]): void {
  const keys = [...new Set(rows.map((r) => `${r.model} layer ${r.layer}`))];
  for (const key of keys) {
    const mine = rows.filter((r) => `${r.model} layer ${r.layer}` === key);
    const pairs = [...new Set(mine.map((r) => r.pair))];
    const needed = (rule: string, n: number) =>
      pairs.map((p) => {
        const target = mine.find((r) => r.pair === p && r.rule === 'midpoint' && r.evaluations === n)!.trueError;
        return mine.filter((r) => r.pair === p && r.rule === rule).sort((x, y) => x.evaluations - y.evaluations).find((r) => r.trueError <= target)?.evaluations ?? '>1025';
      });
    const ratios = mine.filter((r) => (r.rule === 'midpoint' || r.evaluations >= 9) && r.trueError > 0).map((r) => r.errorEstimate / r.trueError);
    const within = ratios.filter((x) => x >= 1 / 3 && x <= 3).length / ratios.length;
    console.log(
      `${key}: to match midpoint-64 / -256, trapezoid ${needed('trapezoid', 64).join(',')} / ${needed('trapezoid', 256).join(',')}; ` +
        `romberg ${needed('romberg', 64).join(',')} / ${needed('romberg', 256).join(',')} points; ` +
        `estimate/true ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}, within 3× ${(100 * within).toFixed(0)}%`,
    );
  }
}

