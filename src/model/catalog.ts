/** The models PairLens knows, without any TF.js: the UI imports this too. */

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
