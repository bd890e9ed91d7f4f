/**
 * Switching models in the worker: the old model's tensors are freed once the new one
 * is served, a failed load keeps the current model usable, and a newer request makes
 * an older one stale (what it loaded is freed).
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHfModel } from '../model/hf/load.ts';
import { tinyModelFiles, withFiles } from '../model/hf/tiny-models.test-support.ts';
import { ModelHost, StaleLoadError, type ModelLoader } from './model-host.ts';
import type { WorkerEvent } from './protocol.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = (name: string): ModelLoader => async () => ({ model: await loadHfModel(tinyModelFiles(name), { id: name }), exactVariant: null });

async function attribute(host: ModelHost): Promise<number> {
  const events: WorkerEvent[] = [];
  const done = new Promise<void>((resolve) => {
    // AttributionJobs posts through the host's post function; capture the final answer.
    posted = (event) => {
      events.push(event);
      if ((event.type === 'attribution' && event.final) || event.type === 'error') resolve();
    };
  });
  host.jobs!.start(1, { a: 'the cat sat', b: 'a dog ran', layer: 1, steps: 8, mode: 'approx', sim: 'cos' });
  await done;
  const last = events[events.length - 1];
  if (last.type !== 'attribution') throw new Error(`attribution failed: ${JSON.stringify(last)}`);
  return last.result.sum;
}

let posted: (event: WorkerEvent) => void = () => {};

describe('the model host', () => {
  it('frees the old model when switching, so switching back and forth does not grow memory', async () => {
    const start = tf.memory().numTensors;
    const host = new ModelHost((event) => posted(event));
    await host.load('bert', tiny('bert'));
    const withBert = tf.memory().numTensors;
    expect(withBert).toBeGreaterThan(start);
    await attribute(host);
    await host.load('mpnet', tiny('mpnet'));
    expect(host.id).toBe('mpnet');
    await attribute(host);
    for (let i = 0; i < 3; i++) {
      await host.load('bert', tiny('bert'));
      await host.load('roberta', tiny('roberta'));
    }
    await host.load('bert', tiny('bert'));
    expect(tf.memory().numTensors).toBe(withBert);
    await host.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('keeps serving the current model when a load fails, and leaks nothing', async () => {
    const host = new ModelHost((event) => posted(event));
    await host.load('bert', tiny('bert'));
    const before = tf.memory().numTensors;
    const sum = await attribute(host);
    const broken: ModelLoader = async () => ({
      model: await loadHfModel(withFiles(tinyModelFiles('roberta'), { 'model.safetensors': new Uint8Array([1, 2, 3]) })),
      exactVariant: null,
    });
    await expect(host.load('broken', broken)).rejects.toThrow(/model\.safetensors/);
    expect(host.id).toBe('bert');
    expect(tf.memory().numTensors).toBe(before);
    expect(await attribute(host)).toBeCloseTo(sum, 6);
    await host.dispose();
  });

  it('drops an older load that a newer one overtook', async () => {
    const start = tf.memory().numTensors;
    const host = new ModelHost((event) => posted(event));
    let release: () => void = () => {};
    const slow: ModelLoader = async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { model: await loadHfModel(tinyModelFiles('mpnet'), { id: 'mpnet' }), exactVariant: null };
    };
    const first = host.load('mpnet', slow);
    await host.load('bert', tiny('bert'));
    release();
    await expect(first).rejects.toBeInstanceOf(StaleLoadError);
    expect(host.id).toBe('bert');
    await host.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
