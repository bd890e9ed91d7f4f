/**
 * The GPU kit's data (bench/gpu-kit.md): the pairs the Node side hands the PyTorch side
 * (exact token ids and reference ids), the two sides' results joined into one summary
 * with its targets, and the fold of that summary into bench/results.json. Plain data
 * and arithmetic only (no TF.js, no files), so it is unit-tested on its own.
 */
import type { SentenceEncoder } from '../src/model/encoder.ts';
import type { ModelDims } from '../src/model/dims.ts';
import { referenceIdsFor } from '../src/model/reference.ts';
import type { PairLength } from '../bench/texts.ts';
import { pairOf } from '../bench/texts.ts';
import type { AttributionCase, SuiteResult } from '../bench/suite.ts';

export const PAIRS_SCHEMA = 'pairlens-gpu-kit-pairs/1';
export const NODE_SCHEMA = 'pairlens-gpu-kit-node/1';
export const TORCH_SCHEMA = 'pairlens-gpu-kit-torch/1';
export const KIT_SCHEMA = 'pairlens-gpu-kit/1';

// ---------------------------------------------------------------------------------------
// pairs.json: what the PyTorch side needs to compute the same attributions

export interface KitText {
  text: string;
  tokens: string[];
  ids: number[];
  /** The reference PairLens uses for this text (the model's default: padding, or use-lite's "▁"). */
  referenceIds: number[];
}

export interface KitPair {
  length: PairLength;
  a: KitText;
  b: KitText;
}

export interface KitModelPairs {
  /** The kit's name for the model: 'use-lite' or 'minilm'. */
  key: string;
  /** The id PairLens loaded it as (a folder path for the MiniLM-sized model). */
  id: string;
  kind: 'use-lite' | 'hf';
  numLayers: number;
  outputSize: number;
  /** The first and the last layer. */
  layers: number[];
  dims: ModelDims;
  smooth: boolean;
  pairs: KitPair[];
}

export interface PairsExport {
  schema: typeof PAIRS_SCHEMA;
  steps: number;
  rule: 'midpoint';
  models: KitModelPairs[];
}

/** The model's first and last layer, as the benchmark times them (bench/plans.ts, planForLayers). */
export function firstAndLast(numLayers: number): number[] {
  return [...new Set([0, numLayers - 1])];
}

function textWithIds(model: SentenceEncoder, text: string): KitText {
  const t = model.tokenize(text);
  const reference = model.defaultReference;
  if (reference.kind === 'zeros') throw new Error(`${model.id}: a zeros reference has no token ids for the PyTorch side`);
  return { text, tokens: t.pieces, ids: t.ids, referenceIds: referenceIdsFor(model, t.ids, reference, t.prompt) };
}

/** One model's benchmark pairs with their token ids and reference ids. */
export function modelPairs(model: SentenceEncoder, key: string, kind: KitModelPairs['kind'], lengths: readonly PairLength[]): KitModelPairs {
  return {
    key,
    id: model.id,
    kind,
    numLayers: model.numLayers,
    outputSize: model.outputSize,
    layers: firstAndLast(model.numLayers),
    dims: model.dims,
    smooth: model.smooth,
    pairs: lengths.map((length) => {
      const pair = pairOf(length);
      return { length, a: textWithIds(model, pair.a), b: textWithIds(model, pair.b) };
    }),
  };
}

// ---------------------------------------------------------------------------------------
// The two sides' outputs

export interface KitMatrix {
  model: string;
  pair: PairLength;
  layer: number;
  steps: number;
  rows: number;
  cols: number;
  values: number[];
}

/** steps=auto to a tolerance, and the error it really reached against a fine reference run. */
export interface AutoMeasure {
  model: string;
  pair: PairLength;
  layer: number;
  tolerance: number;
  rule: string;
  /** First run (WebGPU compiles its shaders for each new shape here) and a second one, cache cleared in between. */
  cold: AutoRun;
  warm: AutoRun;
  reference: { rule: string; steps: number; evaluations: number; ms: number };
  /** ‖A_auto − A_ref‖ / ‖A_ref‖ of the warm run. */
  trueError: number;
  /** The same for the midpoint rule at the benchmark's N (the matrix both sides compute), where it was run. */
  midpoint: { steps: number; trueError: number } | null;
}

export interface AutoRun {
  ms: number;
  evaluations: number;
  errorEstimate: number;
  converged: boolean | null;
}

export interface NodeModelRun {
  key: string;
  id: string;
  modelLoadMs: number;
  suite: SuiteResult;
  auto: AutoMeasure | null;
  /** The suite was cut short (the time limit): its cases so far. */
  partial?: boolean;
}

export interface NodeKitRun {
  schema: typeof NODE_SCHEMA;
  generatedAt: string;
  command: string;
  backend: string;
  backendDetail: string;
  gpuAdapter: unknown;
  /** Set when the requested backend could not start and --fallback took over. */
  fellBack: { from: string; reason: string } | null;
  steps: number;
  machine: Record<string, unknown>;
  models: NodeModelRun[];
  matrices: KitMatrix[];
  errors: string[];
  totalMs: number;
}

export interface Difference {
  maxAbsOverMaxAbs: number;
  relativeFrobenius: number;
  note?: string;
  error?: string;
  dims?: number;
}

export interface TorchCase {
  model: string;
  pair: PairLength;
  tokensA: number;
  tokensB: number;
  layer: number;
  steps: number;
  forward: { ms: number; impl: string; gflops: number; fractionOfPeak: number | null };
  reverse: { ms: number; measuredMs: number; measuredDims: number; outputSize: number; extrapolated: boolean; gflops: number; fractionOfPeak: number | null; how: string };
  reverseOverForward: number;
  sumRule: { prediction: number; sum: number; target: number; integrationError: number };
  agreement: { reverseVsForward?: Difference; reverseVsForwardP?: Difference; forwardVsPairLens?: Difference };
}

export interface TorchRun {
  schema: typeof TORCH_SCHEMA;
  device: { type: string; name: string; torch: string; cuda: string | null };
  steps: number;
  matmulPeak: { gflops: number };
  forwardImpl: string;
  cases: TorchCase[];
  transformersCheck: unknown;
  errors: string[];
  totalMs: number;
}

// ---------------------------------------------------------------------------------------
// The joined summary

export interface KitRow {
  model: string;
  pair: PairLength;
  tokens: string;
  layer: number;
  steps: number;
  /** PairLens's tangent route (AttributionEngine, full run at N), on the Node side's backend. */
  pairlensBackend: string;
  pairlensMs: number | null;
  /** The tangent time was extrapolated from fewer α points (never in the kit's own plan). */
  pairlensExtrapolated: boolean | null;
  pairlensGflops: number | null;
  pairlensFractionOfPeak: number | null;
  /** PairLens's own reverse route on the same backend (extrapolated), where measured. */
  pairlensReverseMs: number | null;
  torchDevice: string | null;
  /** The papers' algorithm in PyTorch. */
  papersMs: number | null;
  papersExtrapolated: boolean | null;
  papersFractionOfPeak: number | null;
  /** The forward route in PyTorch. */
  torchForwardMs: number | null;
  torchForwardFractionOfPeak: number | null;
  /** papersMs / pairlensMs: the issue's "10× faster than the papers' algorithm at the same N". */
  speedupVsPapers: number | null;
  /** torchForwardMs / pairlensMs (above 1: PairLens is faster). */
  speedupVsTorchForward: number | null;
  /** max |A_PyTorch − A_PairLens| / max |A_PairLens|, same N and rule. */
  matrixDifference: number | null;
  /** The PyTorch routes against each other (max abs difference over max abs). */
  routesDifference: number | null;
}

export interface KitTarget {
  target: string;
  case: string;
  value: number | null;
  threshold: number;
  met: boolean | null;
  note?: string;
}

export interface KitResults {
  schema: typeof KIT_SCHEMA;
  generatedAt: string;
  kit: Record<string, unknown> | null;
  summary: KitRow[];
  auto: AutoMeasure | null;
  targets: KitTarget[];
  pairlensMatmulPeakGflops: Record<string, number>;
  torchMatmulPeakGflops: number | null;
  node: Omit<NodeKitRun, 'matrices'> | null;
  torch: TorchRun | null;
  notes: string[];
  /** Results merged from several kit runs (mergeKits): each run's own sides; node and torch are then null. */
  calls?: Array<{ generatedAt: string; node: KitResults['node']; torch: TorchRun | null }>;
}

const NOTES = [
  'PairLens: AttributionEngine.attribute (tangent route, midpoint rule at N, approximate mode, cosine, the model\'s default reference), a full run with an empty P cache after a warm-up of the same shape, on the Node side\'s TF.js backend (webgpu: Dawn\'s Node binding). GFLOP/s count matrix products only (bench/flops.ts), against the best plain tf.matMul rate measured in the same run.',
  'The papers\' algorithm: PyTorch, for each text a forward pass over the batch of the N alpha points, then one torch.autograd.grad per output dimension (the Jacobian row), contracted with x − r; float32 with TF32 off. The forward route: torch.func.jvp under vmap over the token directions (the tangent route PairLens runs). FLOPs counted the same way; the peak is the best float32 torch.matmul rate measured in the same run.',
  'Both sides attribute the same token ids against the same reference ids with the same rule and N, so their matrices must agree to float32 rounding: matrixDifference is max|A_PyTorch − A_PairLens| / max|A_PairLens|.',
  'The MiniLM-sized model is a random BERT (hidden 384, 6 layers, 12 heads, FFN 1536, a tiny WordPiece vocabulary) generated from seed 11, byte for byte the one scripts/make-tiny-models.ts --shape minilm-l6 writes; timing only.',
];

function key(model: string, pair: string, layer: number): string {
  return `${model}|${pair}|${layer}`;
}

function ratio(num: number | null | undefined, den: number | null | undefined): number | null {
  return num != null && den != null && den > 0 && Number.isFinite(num) ? num / den : null;
}

/** Joins the Node side's and the PyTorch side's cases by (model, pair, layer); either side may be missing. */
export function joinRuns(node: NodeKitRun | null, torch: TorchRun | null): KitRow[] {
  const rows = new Map<string, KitRow>();
  const row = (model: string, pair: PairLength, layer: number, tokens: string, steps: number): KitRow => {
    const k = key(model, pair, layer);
    let r = rows.get(k);
    if (!r) {
      r = {
        model, pair, tokens, layer, steps,
        pairlensBackend: node?.backendDetail ?? '-', pairlensMs: null, pairlensExtrapolated: null, pairlensGflops: null, pairlensFractionOfPeak: null, pairlensReverseMs: null,
        torchDevice: torch ? `${torch.device.type} (${torch.device.name})` : null, papersMs: null, papersExtrapolated: null, papersFractionOfPeak: null,
        torchForwardMs: null, torchForwardFractionOfPeak: null, speedupVsPapers: null, speedupVsTorchForward: null, matrixDifference: null, routesDifference: null,
      };
      rows.set(k, r);
    }
    return r;
  };
  for (const m of node?.models ?? []) {
    for (const c of m.suite.cases as AttributionCase[]) {
      const r = row(m.key, c.pair, c.layer, `${c.tokensA}+${c.tokensB}`, c.steps);
      r.pairlensMs = c.tangent.ms;
      r.pairlensExtrapolated = c.tangent.extrapolated;
      r.pairlensGflops = c.tangent.gflops;
      r.pairlensFractionOfPeak = c.tangent.fractionOfPeak;
      r.pairlensReverseMs = c.reverse?.ms ?? null;
    }
  }
  for (const c of torch?.cases ?? []) {
    const r = row(c.model, c.pair, c.layer, `${c.tokensA}+${c.tokensB}`, c.steps);
    if (r.steps !== c.steps) r.tokens += ` (PyTorch N = ${c.steps})`;
    r.papersMs = c.reverse.ms;
    r.papersExtrapolated = c.reverse.extrapolated;
    r.papersFractionOfPeak = c.reverse.fractionOfPeak;
    r.torchForwardMs = c.forward.ms;
    r.torchForwardFractionOfPeak = c.forward.fractionOfPeak;
    const pl = c.agreement.forwardVsPairLens;
    r.matrixDifference = pl && !pl.error ? pl.maxAbsOverMaxAbs : null;
    r.routesDifference = (c.agreement.reverseVsForward ?? c.agreement.reverseVsForwardP)?.maxAbsOverMaxAbs ?? null;
  }
  for (const r of rows.values()) {
    r.speedupVsPapers = ratio(r.papersMs, r.pairlensMs);
    r.speedupVsTorchForward = ratio(r.torchForwardMs, r.pairlensMs);
  }
  return sortRows([...rows.values()]);
}

function sortRows(rows: KitRow[]): KitRow[] {
  const order: Record<string, number> = { short: 0, medium: 1, long: 2 };
  return rows.sort((p, q) => p.model.localeCompare(q.model) || order[p.pair] - order[q.pair] || p.layer - q.layer);
}

/**
 * Several kit runs as one (the kit's two parts run in two device calls, say): rows by
 * (model, pair, layer), a later run's figures replacing an earlier one's where it has
 * them; ratios and targets recomputed.
 */
export function mergeKits(kits: readonly KitResults[], now = new Date()): KitResults {
  if (kits.length === 0) throw new Error('no kit results to merge');
  for (const k of kits) if (k.schema !== KIT_SCHEMA) throw new Error(`not a GPU kit result (schema ${String(k.schema)})`);
  if (kits.length === 1) return kits[0];
  const rows = new Map<string, KitRow>();
  for (const k of kits) {
    for (const r of k.summary) {
      const k0 = key(r.model, r.pair, r.layer);
      const before = rows.get(k0);
      // Field by field: a later run's value replaces an earlier one, a missing (null) one does not.
      const merged: KitRow = before ? { ...before } : { ...r };
      if (before) for (const [field, value] of Object.entries(r)) if (value !== null && value !== '-') Object.assign(merged, { [field]: value });
      merged.speedupVsPapers = ratio(merged.papersMs, merged.pairlensMs);
      merged.speedupVsTorchForward = ratio(merged.torchForwardMs, merged.pairlensMs);
      rows.set(k0, merged);
    }
  }
  const summary = sortRows([...rows.values()]);
  const auto = [...kits].reverse().find((k) => k.auto)?.auto ?? null;
  const peaks = kits.map((k) => k.torchMatmulPeakGflops).filter((g): g is number => g !== null);
  return {
    schema: KIT_SCHEMA,
    generatedAt: now.toISOString(),
    kit: kits[kits.length - 1].kit,
    summary,
    auto,
    targets: kitTargets(summary, auto),
    pairlensMatmulPeakGflops: Object.assign({}, ...kits.map((k) => k.pairlensMatmulPeakGflops)) as Record<string, number>,
    torchMatmulPeakGflops: peaks.length ? Math.max(...peaks) : null,
    node: null,
    torch: null,
    notes: NOTES,
    calls: kits.flatMap((k) => k.calls ?? [{ generatedAt: k.generatedAt, node: k.node, torch: k.torch }]),
  };
}

/** The issue's goals, reported, never asserted. */
export function kitTargets(rows: readonly KitRow[], auto: AutoMeasure | null): KitTarget[] {
  const out: KitTarget[] = [];
  for (const r of rows) {
    const name = `${r.model} ${r.pair} (${r.tokens}), layer ${r.layer}, N = ${r.steps}`;
    out.push({
      target: "PairLens ≥ 10× faster than the papers' algorithm on the same GPU at the same N",
      case: name,
      value: r.speedupVsPapers,
      threshold: 10,
      met: r.speedupVsPapers === null ? null : r.speedupVsPapers >= 10,
      note: r.papersExtrapolated ? "papers' time extrapolated over output dimensions" : undefined,
    });
    out.push({
      target: 'equal accuracy: PyTorch and PairLens matrices agree (max |ΔA| / max |A| ≤ 1e-3)',
      case: name,
      value: r.matrixDifference,
      threshold: 1e-3,
      met: r.matrixDifference === null ? null : r.matrixDifference <= 1e-3,
    });
  }
  if (auto) {
    const reached = auto.trueError <= auto.tolerance;
    out.push({
      target: `a ${auto.pair} ${auto.model} pair at layer ${auto.layer} to a ${auto.tolerance} matrix error in under 1 s (steps=auto)`,
      case: `${auto.rule}, ${auto.warm.evaluations} points per text, true error ${auto.trueError.toExponential(1)}`,
      value: auto.warm.ms,
      threshold: 1000,
      met: auto.warm.ms < 1000 && reached,
      note: reached ? undefined : `the run stopped at a true error of ${auto.trueError.toExponential(1)}, above ${auto.tolerance}`,
    });
  }
  return out;
}

/** Node's and PyTorch's outputs as one file; either may be missing (a side that failed or was skipped). */
export function combineKit(node: NodeKitRun | null, torch: TorchRun | null, kit: Record<string, unknown> | null, now = new Date()): KitResults {
  const summary = joinRuns(node, torch);
  const auto = node?.models.find((m) => m.auto)?.auto ?? null;
  const nodeLite = node ? (({ matrices: _matrices, ...rest }) => rest)(node) : null;
  return {
    schema: KIT_SCHEMA,
    generatedAt: now.toISOString(),
    kit,
    summary,
    auto,
    targets: kitTargets(summary, auto),
    pairlensMatmulPeakGflops: Object.fromEntries((node?.models ?? []).map((m) => [m.key, m.suite.matmulPeak.gflops])),
    torchMatmulPeakGflops: torch?.matmulPeak.gflops ?? null,
    node: nodeLite,
    torch,
    notes: NOTES,
  };
}

/**
 * bench/results.json with the kit's results under `gpuKit` (replacing an earlier one);
 * everything else is kept as it was.
 */
export function foldIntoResults(results: Record<string, unknown>, kit: KitResults): Record<string, unknown> {
  if (kit.schema !== KIT_SCHEMA) throw new Error(`not a GPU kit result (schema ${String(kit.schema)})`);
  return { ...results, gpuKit: kit };
}

function ms(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  if (x >= 60_000) return `${(x / 60_000).toFixed(1)} min`;
  if (x >= 1000) return `${(x / 1000).toFixed(2)} s`;
  return `${x.toFixed(x < 10 ? 2 : 1)} ms`;
}

function pct(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`;
}

function times(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '-' : `${x.toFixed(x < 10 ? 1 : 0)}×`;
}

function sci(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '-' : x.toExponential(1);
}

/** The summary as a Markdown table (for the README) and a few lines on the auto run and the peaks. */
export function kitMarkdown(kit: KitResults): string {
  const head = ['model', 'pair', 'tokens', 'layer', 'PairLens', '% peak', "papers' (PyTorch)", '% peak', 'PyTorch forward', 'speed-up vs papers', '|ΔA| PyTorch vs PairLens'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const r of kit.summary) {
    lines.push(
      `| ${[
        r.model, r.pair, r.tokens, String(r.layer), ms(r.pairlensMs), pct(r.pairlensFractionOfPeak),
        `${ms(r.papersMs)}${r.papersExtrapolated ? '*' : ''}`, pct(r.papersFractionOfPeak), ms(r.torchForwardMs), times(r.speedupVsPapers), sci(r.matrixDifference),
      ].join(' | ')} |`,
    );
  }
  const out = [lines.join('\n')];
  const distinct = (xs: Array<string | null>) => [...new Set(xs.filter((x): x is string => x !== null && x !== '-'))].join(', ');
  const backend = distinct(kit.summary.map((r) => (r.pairlensMs === null ? null : r.pairlensBackend))) || 'not run';
  const device = distinct(kit.summary.map((r) => (r.papersMs === null ? null : r.torchDevice))) || 'not run';
  const peaks = Object.entries(kit.pairlensMatmulPeakGflops).map(([m, g]) => `${m} run ${g.toFixed(0)}`).join(', ');
  out.push(
    `PairLens on ${backend} (tf.matMul peak, GFLOP/s: ${peaks || '-'}); PyTorch on ${device} (float32 matmul peak ${kit.torchMatmulPeakGflops?.toFixed(0) ?? '-'} GFLOP/s). N = ${kit.summary[0]?.steps ?? '-'}, midpoint rule; * extrapolated over output dimensions.`,
  );
  if (kit.auto) {
    const a = kit.auto;
    out.push(
      `steps=auto, ${a.model} ${a.pair} pair, layer ${a.layer}, tolerance ${a.tolerance}: ${ms(a.warm.ms)} (first run ${ms(a.cold.ms)}), ${a.warm.evaluations} points per text (${a.rule}), estimate ${sci(a.warm.errorEstimate)}, true error ${sci(a.trueError)} against ${a.reference.rule} on ${a.reference.evaluations} points` +
        (a.midpoint ? `; midpoint at N = ${a.midpoint.steps}: true error ${sci(a.midpoint.trueError)}` : '') +
        '.',
    );
  }
  return out.join('\n\n');
}

/** The summary as a plain-text table for the terminal. */
export function kitTable(kit: KitResults): string {
  const head = ['model', 'pair', 'tokens', 'L', 'PairLens', '%peak', 'papers', '%peak', 'torch fwd', 'vs papers', 'vs fwd', '|ΔA| vs PL', 'routes'];
  const rows = kit.summary.map((r) => [
    r.model, r.pair, r.tokens, String(r.layer), ms(r.pairlensMs), pct(r.pairlensFractionOfPeak), `${ms(r.papersMs)}${r.papersExtrapolated ? '*' : ''}`,
    pct(r.papersFractionOfPeak), ms(r.torchForwardMs), times(r.speedupVsPapers), times(r.speedupVsTorchForward), sci(r.matrixDifference), sci(r.routesDifference),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  out.push('', 'Targets (reported, not asserted):');
  for (const t of kit.targets) {
    out.push(`  ${t.met === null ? '?     ' : t.met ? 'met   ' : 'MISSED'} ${t.target} — ${t.case}: ${t.value === null ? '-' : t.threshold >= 1 && t.threshold < 100 ? times(t.value) : t.threshold >= 100 ? ms(t.value) : sci(t.value)}${t.note ? ` (${t.note})` : ''}`);
  }
  return out.join('\n');
}
