/**
 * What the fixture tests (reference-fixtures.test.ts, transformers-fixtures.test.ts) share:
 * the shape of the attribution fixtures scripts/reference-fixtures.py writes, and how
 * our values are compared with the reference's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { HfSentenceEncoder } from './sentence-encoder.ts';

/** max |ours − theirs|, after checking both have the same length. */
export function maxAbsDiff(ours: ArrayLike<number>, theirs: number[]): number {
  expect(ours.length).toBe(theirs.length);
  let m = 0;
  for (let i = 0; i < theirs.length; i++) m = Math.max(m, Math.abs(ours[i] - theirs[i]));
  return m;
}

/** max |ours − theirs| over max |theirs|. */
export function relativeDiff(ours: ArrayLike<number>, theirs: number[]): number {
  let scale = 0;
  for (const v of theirs) scale = Math.max(scale, Math.abs(v));
  return maxAbsDiff(ours, theirs) / scale;
}

/**
 * The embedding output, then each layer's output, as transformers returns hidden states
 * (the last one after any final norm, as last_hidden_state).
 */
export function hiddenStates(model: HfSentenceEncoder, ids: number[]): Float32Array[] {
  return tf.tidy(() => {
    const out: Float32Array[] = [];
    let h = model.embed(ids);
    out.push(h.dataSync() as Float32Array);
    for (let l = 0; l < model.numLayers; l++) {
      h = model.layer(l, h);
      out.push(h.dataSync() as Float32Array);
    }
    return out;
  });
}

/** The attribution fixtures scripts/reference-fixtures.py writes (test-models/fixtures/*.attribution.json). */
export interface AttributionSide {
  text: string;
  ids: number[];
  referenceIds: number[];
  /** [D][S], float64 from PyTorch autograd (one backward pass per output dimension). */
  P: number[][];
  embedding: number[];
  referenceEmbedding: number[];
}

export interface AttributionFixture {
  model: string;
  steps: number;
  rule: 'right';
  cases: Array<{ layer: number; a: AttributionSide; b: AttributionSide }>;
}
