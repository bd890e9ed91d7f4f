/** Which encoders have tangent rules: the engine's view of a loaded SentenceEncoder. */
import type { SentenceEncoder } from '../model/encoder.ts';
import type { TangentEncoder } from '../model/tangent.ts';

export function hasTangentRules(model: SentenceEncoder): model is TangentEncoder {
  return typeof (model as Partial<TangentEncoder>).layerJvp === 'function';
}

/** The tangent-capable view of `model`, or undefined when no rules exist for it. */
export function tangentEncoderFor(model: SentenceEncoder): TangentEncoder | undefined {
  return hasTangentRules(model) ? model : undefined;
}
