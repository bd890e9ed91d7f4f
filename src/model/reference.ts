/**
 * The attribution reference r (docs/method.md, "Reference"): what a text is compared
 * against on the integration path. One module for its kinds, its token ids, its
 * validation and its spelling on the command line, so the engine, the exact variants
 * and the CLI agree on it. Each model declares its own default (SentenceEncoder.defaultReference).
 */
import type { SentenceEncoder } from './encoder.ts';

/**
 * One token id repeated to the text's length, zeros at the chosen layer, or the
 * model's own reference ids ('padding': frame tokens kept, the rest the padding
 * token; only for models that define referenceIds).
 */
export type Reference = { kind: 'token'; id: number } | { kind: 'zeros' } | { kind: 'padding' };

/**
 * The reference's token ids for a text's ids: a token repeated, or the model's
 * padding reference, which keeps the frame tokens and the tokens `keep` marks (a
 * prompt's) as they are.
 */
export function referenceIdsFor(
  model: SentenceEncoder,
  ids: readonly number[],
  reference: Exclude<Reference, { kind: 'zeros' }>,
  keep?: readonly boolean[],
): number[] {
  if (reference.kind === 'token') return new Array<number>(ids.length).fill(reference.id);
  if (!model.referenceIds) throw new Error(`model "${model.id}" has no padding reference`);
  return model.referenceIds(ids, keep);
}

/**
 * Why `reference` cannot be used with every one of `models` (a sentence), or
 * undefined when it can. Checks shape as well as values, since references arrive from
 * links, files and worker messages.
 */
export function referenceProblem(reference: unknown, models: readonly SentenceEncoder[]): string | undefined {
  const kind = (reference as { kind?: unknown } | null)?.kind;
  if (kind === 'zeros') return undefined;
  if (kind === 'padding') {
    const without = models.find((m) => !m.referenceIds);
    return without ? `model "${without.id}" has no padding token; use a token id or zeros as the reference` : undefined;
  }
  if (kind !== 'token') return 'reference must be a token id, padding or zeros';
  const id = (reference as { id?: unknown }).id;
  const vocab = Math.min(...models.map((m) => m.vocabSize));
  const valid = typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < vocab;
  return valid ? undefined : `reference token id must be an integer from 0 to ${vocab - 1}, got ${String(id)}`;
}

/** A reference as the CLI and reports spell it: a token id, "padding" or "zeros". */
export function parseReference(raw: string): Reference | undefined {
  const text = raw.trim();
  if (text === 'zeros' || text === 'padding') return { kind: text };
  return /^\d+$/.test(text) ? { kind: 'token', id: Number(text) } : undefined;
}
