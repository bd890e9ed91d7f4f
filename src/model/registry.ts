/**
 * Which models PairLens knows and how to build one from its files. Shared by the
 * worker (browser), the CLI and the tests, so every host loads a model the same way.
 */
import type { SentenceEncoder } from './encoder.ts';
import { overlayFiles, type FileProgress, type ModelFiles } from './files.ts';
import { UseLite } from './use-lite/model.ts';
import { loadUseLiteArtifacts } from './use-lite/weights.ts';

import { modelInfo, type ModelInfo } from './catalog.ts';

export async function loadModel(
  id: string,
  files: ModelFiles,
  onProgress?: (p: FileProgress) => void,
): Promise<SentenceEncoder> {
  modelInfo(id);
  // Every model we know (use-lite and its exact variant) has use-lite's architecture.
  return new UseLite(await loadUseLiteArtifacts(files, onProgress), { id });
}

/**
 * A model's files, given how a host opens one model's folder (the browser: its URL
 * under the app; Node: a folder on disk). Files a variant shares with another model
 * (use-lite-exact's vocab.json) are read from that model's folder.
 */
export function modelFiles(id: string, open: (info: ModelInfo) => ModelFiles): ModelFiles {
  const info = modelInfo(id);
  const shared = Object.entries(info.sharedFiles ?? {});
  if (shared.length === 0) return open(info);
  return overlayFiles(open(info), Object.fromEntries(shared.map(([name, owner]) => [name, open(modelInfo(owner))])));
}
