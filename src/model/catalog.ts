/** The models PairLens knows, without any TF.js: the UI imports this too. */

export const DEFAULT_MODEL = 'use-lite';

/**
 * Largest model accepted by default, in MB of weights as stored: loaders check it
 * before reading weights, the browser's Download settings and the CLI's --max-mb
 * start from it.
 */
export const DEFAULT_MAX_MODEL_MB = 600;

export interface ModelInfo {
  id: string;
  label: string;
  /** Folder, relative to the app's base URL, where our build serves the files. */
  servedAt: string;
  /** Files read from another model's folder instead of this one's (file name → model id). */
  sharedFiles?: Readonly<Record<string, string>>;
}

/** Models a user picks from. */
export const BUNDLED_MODELS: readonly ModelInfo[] = [
  { id: 'use-lite', label: 'Universal Sentence Encoder lite (bundled)', servedAt: 'models/use-lite/' },
];

/**
 * Exact variants (docs/method.md, "Exact and approximate"): a model shifted so that its
 * reference maps to 0 and fine-tuned to keep the original's similarities. Not offered
 * as models of their own: Exact mode uses them in place of their original.
 */
export const EXACT_VARIANTS: readonly (ModelInfo & { variantOf: string })[] = [
  {
    id: 'use-lite-exact',
    label: 'Universal Sentence Encoder lite, exact variant (shifted and fine-tuned)',
    servedAt: 'models/use-lite-exact/',
    sharedFiles: { 'vocab.json': 'use-lite' },
    variantOf: 'use-lite',
  },
];

export class UnknownModelError extends Error {
  constructor(id: string) {
    super(
      `unknown model "${id}": expected a bundled model (${[...BUNDLED_MODELS, ...EXACT_VARIANTS].map((m) => m.id).join(', ')}), ` +
        'a Hugging Face id such as sentence-transformers/all-MiniLM-L6-v2, or a model folder',
    );
    this.name = 'UnknownModelError';
  }
}

export function modelInfo(id: string): ModelInfo {
  const info = BUNDLED_MODELS.find((m) => m.id === id) ?? EXACT_VARIANTS.find((m) => m.id === id);
  if (!info) throw new UnknownModelError(id);
  return info;
}

/** The id of `id`'s exact variant, or undefined when it has none (Exact mode then shifts `id` itself). */
export function exactVariantOf(id: string): string | undefined {
  return EXACT_VARIANTS.find((m) => m.variantOf === id)?.id;
}
