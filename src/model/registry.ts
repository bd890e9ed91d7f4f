/**
 * Which models PairLens knows and how to build one from its files. Shared by the
 * worker (browser), the CLI and the tests, so every host loads a model the same way.
 */
import type { SentenceEncoder } from './encoder.ts';
import type { FileProgress, ModelFiles } from './files.ts';
import { UseLite } from './use-lite/model.ts';
import { loadUseLiteArtifacts } from './use-lite/weights.ts';

export const DEFAULT_MODEL = 'use-lite';

export interface ModelInfo {
  id: string;
  label: string;
  /** Folder, relative to the app's base URL, where our build serves the files. */
  servedAt: string;
}

export const BUNDLED_MODELS: readonly ModelInfo[] = [
  { id: 'use-lite', label: 'Universal Sentence Encoder lite (bundled)', servedAt: 'models/use-lite/' },
];

export class UnknownModelError extends Error {
  constructor(id: string) {
    super(`unknown model "${id}" (known: ${BUNDLED_MODELS.map((m) => m.id).join(', ')})`);
    this.name = 'UnknownModelError';
  }
}

export function modelInfo(id: string): ModelInfo {
  const info = BUNDLED_MODELS.find((m) => m.id === id);
  if (!info) throw new UnknownModelError(id);
  return info;
}

export async function loadModel(
  id: string,
  files: ModelFiles,
  onProgress?: (p: FileProgress) => void,
): Promise<SentenceEncoder> {
  modelInfo(id);
  return new UseLite(await loadUseLiteArtifacts(files, onProgress));
}
