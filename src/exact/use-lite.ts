/** A trainable copy of use-lite: the starting point of its exact variant. */
import type { UseLite } from '../model/use-lite/model.ts';
import { trainableCopy, type TrainableScope } from './named-weights.ts';
import type { TrainableEncoder } from './train.ts';

export interface TrainableUseLite extends TrainableEncoder {
  model: UseLite;
}

/** A trainable copy of use-lite (see trainableCopy): the original is never changed. */
export function trainableUseLite(original: UseLite, id: string, scope: TrainableScope): TrainableUseLite {
  return trainableCopy(original.namedWeights(), id, scope);
}
