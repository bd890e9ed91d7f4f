/** TF.js in Node for the CLI and scripts: WASM by default (20-40x faster than CPU), or CPU. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export type NodeBackend = 'wasm' | 'cpu';

export async function startNodeBackend(backend: NodeBackend): Promise<NodeBackend> {
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend could not start`);
  await tf.ready();
  return backend;
}
