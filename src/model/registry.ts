/**
 * Which models PairLens knows and how to build one from its files. Shared by the
 * worker (browser), the CLI and the tests, so every host loads a model the same way.
 */
import type { SentenceEncoder } from './encoder.ts';
import type { FileProgress, ModelFiles } from './files.ts';
import { UseLite } from './use-lite/model.ts';
import { loadUseLiteArtifacts } from './use-lite/weights.ts';

import { modelInfo } from './catalog.ts';

export async function loadModel(
  id: string,
  files: ModelFiles,
  onProgress?: (p: FileProgress) => void,
): Promise<SentenceEncoder> {
  modelInfo(id);
  return new UseLite(await loadUseLiteArtifacts(files, onProgress));
}
