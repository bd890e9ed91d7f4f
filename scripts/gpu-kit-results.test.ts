import { describe, expect, it } from 'vitest';
import type { SentenceEncoder, TokenizedText } from '../src/model/encoder.ts';
import type { AttributionCase, SuiteResult } from '../bench/suite.ts';
import {
  combineKit, foldIntoResults, joinRuns, KIT_SCHEMA, kitMarkdown, kitTargets, mergeKits, modelPairs, NODE_SCHEMA, TORCH_SCHEMA,
  type AutoMeasure, type NodeKitRun, type TorchCase, type TorchRun,
} from './gpu-kit-results.ts';
import { kitPlan, parseKitArgs, softwareAdapter } from './gpu-kit-bench.ts';

/** A word-level stand-in encoder: [CLS] words [SEP], ids by a small table, the padding reference of Hugging Face models. */
function stubEncoder(reference: SentenceEncoder['defaultReference']): SentenceEncoder {
  const table = new Map<string, number>();
  const tokenize = (text: string): TokenizedText => {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    const pieces = ['[CLS]', ...words, '[SEP]'];
    const ids = pieces.map((p) => (p === '[CLS]' ? 2 : p === '[SEP]' ? 3 : (table.get(p) ?? table.set(p, 10 + table.size).get(p)!)));
    return { ids, pieces, words: pieces.map((_, i) => i), wordLabels: pieces, special: pieces.map((p) => p.startsWith('[')), droppedTokens: 0 };
  };
  const stub = {
    id: 'stub',
    numLayers: 6,
    outputSize: 8,
    smooth: true,
    dims: { layers: [], head: [] },
    defaultReference: reference,
    tokenize,
    referenceIds: (ids: readonly number[]) => ids.map((id) => (id === 2 || id === 3 ? id : 0)),
  };
  return stub as unknown as SentenceEncoder;
}

function suiteCase(pair: AttributionCase['pair'], layer: number, ms: number): AttributionCase {
  return {
    pair, tokensA: 9, tokensB: 8, layer, steps: 64,
    tangent: { ms, extrapolated: false, gflops: 100, fractionOfPeak: 0.25 },
    reverse: { ms: ms * 40 },
    reverseOverTangent: 40,
  } as unknown as AttributionCase;
}

function torchCase(pair: TorchCase['pair'], layer: number, reverseMs: number, pairlensDiff: number): TorchCase {
  return {
    model: 'minilm', pair, tokensA: 9, tokensB: 8, layer, steps: 64,
    forward: { ms: 20, impl: 'torch.func.jvp+vmap', gflops: 500, fractionOfPeak: 0.01 },
    reverse: { ms: reverseMs, measuredMs: reverseMs, measuredDims: 384, outputSize: 384, extrapolated: false, gflops: 900, fractionOfPeak: 0.02, how: '' },
    reverseOverForward: reverseMs / 20,
    sumRule: { prediction: 0.5, sum: 0.2, target: 0.2, integrationError: 0 },
    agreement: { reverseVsForward: { maxAbsOverMaxAbs: 2e-6, relativeFrobenius: 1e-6 }, forwardVsPairLens: { maxAbsOverMaxAbs: pairlensDiff, relativeFrobenius: pairlensDiff } },
  };
}

function nodeRun(cases: AttributionCase[], auto: AutoMeasure | null = null): NodeKitRun {
  return {
    schema: NODE_SCHEMA, generatedAt: '', command: '', backend: 'webgpu', backendDetail: 'webgpu (nvidia hopper)', gpuAdapter: null, fellBack: null,
    steps: 64, machine: {}, errors: [], totalMs: 0,
    models: [{ key: 'minilm', id: 'minilm-sized-random', modelLoadMs: 1, suite: { cases, matmulPeak: { gflops: 400 } } as unknown as SuiteResult, auto }],
    matrices: [{ model: 'minilm', pair: 'short', layer: 0, steps: 64, rows: 1, cols: 1, values: [0.5] }],
  };
}

function torchRun(cases: TorchCase[]): TorchRun {
  return {
    schema: TORCH_SCHEMA, device: { type: 'cuda', name: 'NVIDIA H200', torch: '2.11', cuda: '13.0' }, steps: 64, matmulPeak: { gflops: 50_000 },
    forwardImpl: 'torch.func.jvp+vmap', cases, transformersCheck: null, errors: [], totalMs: 0,
  };
}

describe('GPU kit: pairs for the PyTorch side', () => {
  it('carries token ids, the padding reference and the first and last layer', () => {
    const pairs = modelPairs(stubEncoder({ kind: 'padding' }), 'minilm', 'hf', ['short', 'medium']);
    expect(pairs.layers).toEqual([0, 5]);
    expect(pairs.pairs.map((p) => p.length)).toEqual(['short', 'medium']);
    const a = pairs.pairs[0].a;
    expect(a.ids[0]).toBe(2);
    expect(a.ids.at(-1)).toBe(3);
    expect(a.referenceIds).toEqual(a.ids.map((id, i) => (i === 0 || i === a.ids.length - 1 ? id : 0)));
    expect(a.tokens[1]).toBe('a');
  });

  it("uses a token reference (use-lite's) as the ids it repeats", () => {
    const pairs = modelPairs(stubEncoder({ kind: 'token', id: 30 }), 'use-lite', 'use-lite', ['short']);
    const { a, b } = pairs.pairs[0];
    expect(new Set([...a.referenceIds, ...b.referenceIds])).toEqual(new Set([30]));
    expect(a.referenceIds).toHaveLength(a.ids.length);
  });
});

describe('GPU kit: joining the two sides', () => {
  it('divides the papers’ time by PairLens’s and keeps the matrix difference', () => {
    const rows = joinRuns(nodeRun([suiteCase('short', 0, 100), suiteCase('medium', 5, 250)]), torchRun([torchCase('short', 0, 1500, 3e-6), torchCase('medium', 5, 2000, 2e-3)]));
    expect(rows.map((r) => `${r.pair}/${r.layer}`)).toEqual(['short/0', 'medium/5']);
    expect(rows[0].speedupVsPapers).toBeCloseTo(15);
    expect(rows[0].speedupVsTorchForward).toBeCloseTo(0.2);
    expect(rows[1].speedupVsPapers).toBeCloseTo(8);
    expect(rows[0].matrixDifference).toBe(3e-6);
    const targets = kitTargets(rows, null);
    const speed = targets.filter((t) => t.threshold === 10).map((t) => t.met);
    const accuracy = targets.filter((t) => t.threshold === 1e-3).map((t) => t.met);
    expect(speed).toEqual([true, false]);
    expect(accuracy).toEqual([true, false]);
  });

  it('keeps a row from one side only, with no ratios', () => {
    const rows = joinRuns(null, torchRun([torchCase('long', 0, 900, 1e-6)]));
    expect(rows).toHaveLength(1);
    expect(rows[0].pairlensMs).toBeNull();
    expect(rows[0].speedupVsPapers).toBeNull();
    expect(kitTargets(rows, null)[0].met).toBeNull();
  });

  it('reports the steps=auto target against its true error, not only its time', () => {
    const auto: AutoMeasure = {
      model: 'minilm', pair: 'medium', layer: 0, tolerance: 1e-3, rule: 'clenshaw-curtis',
      cold: { ms: 2000, evaluations: 33, errorEstimate: 5e-4, converged: true },
      warm: { ms: 400, evaluations: 33, errorEstimate: 5e-4, converged: true },
      reference: { rule: 'clenshaw-curtis', steps: 512, evaluations: 513, ms: 3000 },
      trueError: 2e-3,
      midpoint: null,
    };
    const target = kitTargets([], auto)[0];
    expect(target.value).toBe(400);
    expect(target.met).toBe(false);
    expect(kitTargets([], { ...auto, trueError: 1e-4 })[0].met).toBe(true);
  });

  it('leaves the matrices out of the combined file and writes a README table', () => {
    const kit = combineKit(nodeRun([suiteCase('short', 0, 100)]), torchRun([torchCase('short', 0, 1500, 3e-6)]), null, new Date(0));
    expect(kit.schema).toBe(KIT_SCHEMA);
    expect(kit.node).not.toHaveProperty('matrices');
    expect(kit.pairlensMatmulPeakGflops).toEqual({ minilm: 400 });
    expect(kitMarkdown(kit)).toContain('| minilm | short | 9+8 | 0 | 100.0 ms | 25.0% | 1.50 s | 2.0% | 20.0 ms | 15× | 3.0e-6 |');
  });
});

describe('GPU kit: merging the runs of its two parts', () => {
  it('keeps the rows of both runs, a later run’s figures replacing an earlier one’s, and recomputes the targets', () => {
    const first = combineKit(nodeRun([suiteCase('short', 0, 100), suiteCase('medium', 0, 200)]), torchRun([torchCase('short', 0, 500, 1e-6)]), null, new Date(0));
    const useLite = { ...torchCase('short', 1, 3000, 1e-6), model: 'use-lite' };
    const second = combineKit(null, torchRun([torchCase('medium', 0, 4000, 1e-6), useLite]), null, new Date(1));
    const merged = mergeKits([first, second], new Date(2));
    expect(merged.summary.map((r) => `${r.model}/${r.pair}/${r.layer}`)).toEqual(['minilm/short/0', 'minilm/medium/0', 'use-lite/short/1']);
    // The second run had no PairLens side: its medium row adds the papers' time and keeps PairLens's.
    expect(merged.summary[1].pairlensMs).toBe(200);
    expect(merged.summary[1].speedupVsPapers).toBeCloseTo(20);
    expect(merged.summary[0].speedupVsPapers).toBeCloseTo(5);
    expect(merged.targets.filter((t) => t.threshold === 10)).toHaveLength(3);
    expect(merged.calls).toHaveLength(2);
    expect(mergeKits([first])).toBe(first);
    expect(() => mergeKits([])).toThrow();
  });
});

describe('GPU kit: folding into bench/results.json', () => {
  it('adds gpuKit, replaces an older one and keeps everything else', () => {
    const kit = combineKit(null, null, null, new Date(0));
    const results = { schema: 'pairlens-bench/1', summary: [1, 2], gpuKit: { old: true } };
    const folded = foldIntoResults(results, kit);
    expect(folded.schema).toBe('pairlens-bench/1');
    expect(folded.summary).toEqual([1, 2]);
    expect(folded.gpuKit).toBe(kit);
    expect(() => foldIntoResults(results, { ...kit, schema: 'other' } as unknown as typeof kit)).toThrow(/not a GPU kit result/);
  });
});

describe('GPU kit: the Node side’s options and plan', () => {
  it('times the first and last layer of a 6-layer model, every pair at N in full', () => {
    const plan = kitPlan(64, ['short', 'long'], 'webgpu', 16, 6);
    expect(plan.layers).toEqual([0, 5]);
    expect(plan.pairs.map((p) => p.tangent)).toEqual([{ kind: 'engine', steps: 64 }, { kind: 'engine', steps: 64 }]);
    expect(plan.warmUpEachShape).toBe(true);
    expect(kitPlan(64, ['short'], 'wasm', 0, 2).pairs[0].reverse).toBeNull();
    expect(kitPlan(8, ['short'], 'webgpu', 4, 2, true).matmul.sizes.every(([m]) => m <= 512)).toBe(true);
  });

  it('tells a software adapter from a GPU', () => {
    expect(softwareAdapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true })).toBe(true);
    expect(softwareAdapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: '', isFallbackAdapter: false })).toBe(false);
    expect(softwareAdapter(null)).toBe(false);
  });

  it('parses the commands and refuses a bad N', () => {
    const opts = parseKitArgs(['bench', '--out', 'x.json', '--backend', 'wasm', '--models', 'use-lite', '--steps', '16', '--fallback', 'cpu']);
    expect(opts).toMatchObject({ command: 'bench', out: 'x.json', backend: 'wasm', models: ['use-lite'], steps: 16, fallback: 'cpu' });
    expect(() => parseKitArgs(['bench', '--out', 'x.json', '--steps', '48'])).toThrow(/power of two/);
    expect(() => parseKitArgs(['bench'])).toThrow(/--out/);
    expect(() => parseKitArgs(['frobnicate'])).toThrow(/unknown command/);
  });
});
