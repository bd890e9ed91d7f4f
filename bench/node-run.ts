/** The Node part: the attribution suite on TF.js WASM, with the machine it ran on. */
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { startNodeBackend } from '../src/cli/node-backend.ts';
import { embedIds } from '../src/model/encoder.ts';
import { loadNodeModel } from '../src/model/node-models.ts';
import { nodePlan, planForLayers, type BenchMode } from './plans.ts';
import { runSuite, type Log, type SuiteResult } from './suite.ts';

export interface NodeRun {
  backend: 'wasm';
  host: 'node';
  wasm: { threads: number; simd: boolean; multithreadSupport: boolean };
  modelLoadMs: number;
  suite: SuiteResult;
  totalMs: number;
}

export async function runNode(mode: BenchMode, log: Log, modelSpec = 'use-lite'): Promise<NodeRun> {
  const started = performance.now();
  await startNodeBackend('wasm');
  const t0 = performance.now();
  const model = await loadNodeModel(modelSpec);
  await embedIds(model, model.tokenize('a probe').ids);
  const modelLoadMs = performance.now() - t0;
  log(`model loaded in ${modelLoadMs.toFixed(0)} ms`);
  try {
    const suite = await runSuite(model, planForLayers(nodePlan(mode), model.numLayers), log);
    return {
      backend: 'wasm',
      host: 'node',
      wasm: {
        threads: getThreadsCount(),
        simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
        multithreadSupport: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
      },
      modelLoadMs,
      suite,
      totalMs: performance.now() - started,
    };
  } finally {
    model.dispose();
  }
}
