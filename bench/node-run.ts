/** The Node part: the attribution suite on TF.js WASM (or WebGPU through Dawn, or CPU), with the machine it ran on. */
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { describeNodeBackend, nodeGpuAdapter, startNodeBackend, type NodeBackend, type NodeGpuInfo } from '../src/cli/node-backend.ts';
import { embedIds } from '../src/model/encoder.ts';
import { loadNodeModel } from '../src/model/node-models.ts';
import { nodePlan, planForLayers, type BenchMode } from './plans.ts';
import { parsePairs } from '../src/shared/pairs.ts';
import { measureBatch, runSuite, type BatchMeasure, type Log, type SuiteResult } from './suite.ts';

/** The example dataset's pairs: groups of five pairs sharing text a (examples/README.md). */
const EXAMPLE_PAIRS = new URL('../examples/pairs.tsv', import.meta.url);
/** Pairs and points of the batch measurement: the first groups of the examples, at the README's N. */
const BATCH_PLAN: Record<BenchMode, { pairs: number; steps: number }> = { quick: { pairs: 10, steps: 16 }, full: { pairs: 30, steps: 16 } };

export interface NodeRun {
  backend: NodeBackend;
  host: 'node';
  /** The backend as people read it ("wasm (SIMD, 1 thread)", "webgpu (nvidia ampere)"). */
  backendDetail: string;
  wasm: { threads: number; simd: boolean; multithreadSupport: boolean } | null;
  gpuAdapter: NodeGpuInfo | null;
  modelLoadMs: number;
  suite: SuiteResult;
  /** `pairlens batch`'s throughput and the P cache's gain (bundled model only). */
  batch: BatchMeasure | null;
  totalMs: number;
}

export async function runNode(mode: BenchMode, log: Log, modelSpec = 'use-lite', backend: NodeBackend = 'wasm'): Promise<NodeRun> {
  const started = performance.now();
  await startNodeBackend(backend);
  log(`backend ${describeNodeBackend()}`);
  const t0 = performance.now();
  const model = await loadNodeModel(modelSpec);
  await embedIds(model, model.tokenize('a probe').ids);
  const modelLoadMs = performance.now() - t0;
  log(`model loaded in ${modelLoadMs.toFixed(0)} ms`);
  try {
    const suite = await runSuite(model, planForLayers(nodePlan(mode), model.numLayers), log);
    let batch: BatchMeasure | null = null;
    if (modelSpec === 'use-lite') {
      const plan = BATCH_PLAN[mode];
      const pairs = parsePairs(readFileSync(EXAMPLE_PAIRS, 'utf8'), 'pairs.tsv').pairs.slice(0, plan.pairs);
      batch = await measureBatch(model, pairs, plan.steps, log);
    }
    return {
      backend,
      host: 'node',
      backendDetail: describeNodeBackend(),
      wasm:
        backend === 'wasm'
          ? {
              threads: getThreadsCount(),
              simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
              multithreadSupport: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
            }
          : null,
      gpuAdapter: backend === 'webgpu' ? (await nodeGpuAdapter()).info : null,
      modelLoadMs,
      suite,
      batch,
      totalMs: performance.now() - started,
    };
  } finally {
    model.dispose();
  }
}
