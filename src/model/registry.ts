/**
 * How to build a model from its files, given its id (model-id.ts). Shared by the
 * worker (browser), the CLI and the tests, so every host loads a model the same way;
 * each host only says where the files come from (our server, the Hub through a
 * cache, a folder on disk or picked by the user).
 */
import type { SentenceEncoder } from './encoder.ts';
import { modelInfo, UnknownModelError, type ModelInfo } from './catalog.ts';
import { overlayFiles, type FileProgress, type ModelFiles } from './files.ts';
import { loadHfModel } from './hf/load.ts';
import { parseModelId } from './model-id.ts';
import { UseLite } from './use-lite/model.ts';
import { loadUseLiteArtifacts } from './use-lite/weights.ts';

export interface LoadOptions {
  onProgress?: (p: FileProgress) => void;
  /** Largest model accepted, in bytes (Hugging Face models; default: the loader's, 600 MB). */
  maxBytes?: number;
}

/** A bundled model (use-lite architecture) or a sentence-transformers folder, by id. */
export async function loadModel(id: string, files: ModelFiles, options: LoadOptions = {}): Promise<SentenceEncoder> {
  const ref = parseModelId(id);
  if (!ref) throw new UnknownModelError(id);
  // Every bundled model (use-lite and its exact variant) has use-lite's architecture.
  if (ref.kind === 'bundled') return new UseLite(await loadUseLiteArtifacts(files, options.onProgress), { id });
  return loadHfModel(files, { id: ref.id, maxBytes: options.maxBytes, onProgress: options.onProgress });
}

/**
 * A bundled model's files, given how a host opens one model's folder (the browser:
 * its URL under the app; Node: a folder on disk). Files a variant shares with another
 * model (use-lite-exact's vocab.json) are read from that model's folder.
 */
export function modelFiles(id: string, open: (info: ModelInfo) => ModelFiles): ModelFiles {
  const info = modelInfo(id);
  const shared = Object.entries(info.sharedFiles ?? {});
  if (shared.length === 0) return open(info);
  return overlayFiles(open(info), Object.fromEntries(shared.map(([name, owner]) => [name, open(modelInfo(owner))])));
}
