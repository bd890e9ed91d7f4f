import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SentenceEncoder } from './encoder.ts';
import { loadHfModel } from './hf/load.ts';
import { tinyModelFiles } from './hf/tiny-models.test-support.ts';
import { loadBundledModel } from './node-models.ts';
import { parseReference, referenceIdsFor, referenceProblem } from './reference.ts';
import { USE_LITE_REFERENCE_TOKEN } from './use-lite/model.ts';

describe('attribution references', () => {
  let useLite: SentenceEncoder;
  let bert: SentenceEncoder;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    useLite = await loadBundledModel('use-lite');
    bert = await loadHfModel(tinyModelFiles('bert'), { id: 'bert' });
    return () => {
      useLite.dispose();
      bert.dispose();
    };
  });

  it("defaults to use-lite's neutral token and to the padding reference of Hugging Face models", () => {
    expect(useLite.defaultReference).toEqual({ kind: 'token', id: USE_LITE_REFERENCE_TOKEN });
    expect(bert.defaultReference).toEqual({ kind: 'padding' });
  });

  it('gives one reference id per token: a token repeated, or special tokens kept and the rest padding', () => {
    expect(referenceIdsFor(useLite, [5, 6, 7], { kind: 'token', id: 30 })).toEqual([30, 30, 30]);
    const ids = bert.tokenize('the cat sat').ids;
    const padding = referenceIdsFor(bert, ids, { kind: 'padding' });
    expect(padding).toHaveLength(ids.length);
    expect(padding[0]).toBe(ids[0]);
    expect(padding[ids.length - 1]).toBe(ids[ids.length - 1]);
    expect(new Set(padding.slice(1, -1)).size).toBe(1);
    expect(() => referenceIdsFor(useLite, [5], { kind: 'padding' })).toThrow(/no padding reference/);
  });

  it('says what is wrong with a reference for the models it must serve', () => {
    expect(referenceProblem({ kind: 'zeros' }, [useLite])).toBeUndefined();
    expect(referenceProblem({ kind: 'padding' }, [bert])).toBeUndefined();
    expect(referenceProblem({ kind: 'padding' }, [bert, useLite])).toMatch(/model "use-lite" has no padding token/);
    expect(referenceProblem({ kind: 'token', id: useLite.vocabSize - 1 }, [useLite])).toBeUndefined();
    expect(referenceProblem({ kind: 'token', id: useLite.vocabSize }, [useLite])).toMatch(
      new RegExp(`reference token id must be an integer from 0 to ${useLite.vocabSize - 1}`),
    );
    // Both models must accept the id: the smaller vocabulary bounds it.
    expect(referenceProblem({ kind: 'token', id: bert.vocabSize }, [useLite, bert])).toMatch(/from 0 to/);
    for (const hostile of [null, 'zeros', { kind: 'token' }, { kind: 'token', id: 1.5 }, { kind: 'ones' }]) {
      expect(referenceProblem(hostile, [useLite])).toBeDefined();
    }
  });

  it('reads the command line spelling', () => {
    expect(parseReference('zeros')).toEqual({ kind: 'zeros' });
    expect(parseReference(' padding ')).toEqual({ kind: 'padding' });
    expect(parseReference('30')).toEqual({ kind: 'token', id: 30 });
    for (const bad of ['-1', '1.5', 'ones', '']) expect(parseReference(bad)).toBeUndefined();
  });
});
