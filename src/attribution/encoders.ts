/** Which encoders have tangent rules: the engine's view of a loaded SentenceEncoder. */
import type { SentenceEncoder } from '../model/encoder.ts';
import type { TangentEncoder } from '../model/tangent.ts';
import type { Reference } from './routes.ts';
import { isUseLite, UseLiteTangent } from '../model/use-lite/tangent.ts';

export function hasTangentRules(model: SentenceEncoder): model is TangentEncoder {
  return typeof (model as Partial<TangentEncoder>).layerJvp === 'function';
}

/** The tangent-capable view of `model`, or undefined when no rules exist for it. */
export function tangentEncoderFor(model: SentenceEncoder): TangentEncoder | undefined {
  if (hasTangentRules(model)) return model;
  if (isUseLite(model)) return new UseLiteTangent(model);
  return undefined;
}

/**
 * The reference a model's attributions use unless the user picks another (method.md,
 * "Reference"): the model's own padding reference where it has one; for use-lite,
 * which has no padding token, "▁" (id 30) repeated, the neutral piece use-lite.md
 * chose (its exact variant was made with the same reference); else zeros.
 */
export function defaultReference(model: SentenceEncoder): Reference {
  if (isUseLite(model)) return { kind: 'token', id: 30 };
  if (model.referenceIds) return { kind: 'padding' };
  return { kind: 'zeros' };
}
