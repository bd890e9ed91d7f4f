/**
 * What ranking costs (issue: why this passage for this query): a query against K
 * passages with rankPassages, whose engine computes the query's P once, against K pair
 * attributions that each compute both texts (a fresh engine per pair, as a tool
 * without the per-text factorisation must). Same model, settings and backend; times
 * taken in one run, so the ratio holds even where the machine is noisy.
 *
 *     npm run bench -- --rank [--passages K] [--steps N] [--layer L] [--out FILE]
 *
 * Writes bench/rank.json and prints a summary.
 */
import { writeFileSync } from 'node:fs';
import { AttributionEngine } from '../src/attribution/engine.ts';
import { rankPassages, type RankRequest } from '../src/attribution/rank.ts';
import { startNodeBackend } from '../src/cli/node-backend.ts';
import { loadBundledModel } from '../src/model/node-models.ts';
import { PAIRS } from './texts.ts';

const QUERY = 'How did the city council decide on the school budget?';

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

export async function main(args: string[]): Promise<number> {
  const k = option(args, '--passages', 20);
  const steps = option(args, '--steps', 16);
  const layer = option(args, '--layer', 1);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : new URL('./rank.json', import.meta.url).pathname;
  const backend = await startNodeBackend('wasm');
  const model = await loadBundledModel('use-lite');
  // K distinct passages from the benchmark's texts, cycled with a numbered suffix.
  const texts = PAIRS.flatMap((p) => [p.a, p.b]);
  const passages = Array.from({ length: k }, (_, i) => `${texts[i % texts.length]}${i >= texts.length ? ` (${i})` : ''}`);
  const request: RankRequest = { query: QUERY, passages, layer, steps, mode: 'approx', sim: 'cos' };

  // Warm-up: compile the kernels once, outside both timings.
  await new AttributionEngine(model).attribute({ a: QUERY, b: passages[0], layer, steps, mode: 'approx', sim: 'cos' });

  const engine = new AttributionEngine(model);
  let started = performance.now();
  const ranked = await rankPassages(engine, model, request);
  const rankMs = performance.now() - started;

  started = performance.now();
  let pairTexts = 0;
  for (const passage of passages) {
    const fresh = new AttributionEngine(model);
    await fresh.attribute({ a: QUERY, b: passage, layer, steps, mode: 'approx', sim: 'cos' });
    pairTexts += fresh.stats.textsComputed;
  }
  const pairsMs = performance.now() - started;
  model.dispose();

  const result = {
    model: 'use-lite',
    backend,
    layer,
    steps,
    rule: ranked.results[0]?.result.rule,
    passages: k,
    rank: { ms: Math.round(rankMs), textsComputed: ranked.textsComputed },
    separatePairs: { ms: Math.round(pairsMs), textsComputed: pairTexts },
    speedup: Number((pairsMs / rankMs).toFixed(2)),
    date: new Date().toISOString(),
  };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `Ranking ${k} passages (use-lite, layer ${layer}, ${steps} steps, ${backend}): ${result.rank.textsComputed} texts' P in ${(rankMs / 1000).toFixed(1)} s; ` +
      `as ${k} separate pairs: ${pairTexts} texts' P in ${(pairsMs / 1000).toFixed(1)} s (${result.speedup}x).`,
  );
  return 0;
}
