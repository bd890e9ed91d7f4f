/** The pairlens command, run as a user would: a child process, JSON on stdout, errors on stderr. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { encodeFrom } from '../model/encoder.ts';
import { loadBundledModel } from '../model/node-models.ts';

const BIN = fileURLToPath(new URL('../../bin/pairlens.mjs', import.meta.url));

async function pairlens(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [BIN, ...args], { maxBuffer: 1 << 26 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('pairlens CLI', () => {
  it('lists every command and flag in --help', async () => {
    const { code, stdout } = await pairlens('--help');
    expect(code).toBe(0);
    for (const word of ['embed', '--model', '--backend', '--help']) expect(stdout).toContain(word);
  });

  it('embeds texts on WASM, matching the model run in-process on CPU', async () => {
    const texts = ['A man is playing a guitar.', 'Café ☕ at 10:30!'];
    const { code, stdout } = await pairlens('embed', ...texts);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ model: 'use-lite', backend: 'wasm', dim: 512 });
    expect(out.items.map((i: { text: string }) => i.text)).toEqual(texts);

    await tf.setBackend('cpu');
    const model = await loadBundledModel('use-lite');
    for (const [k, text] of texts.entries()) {
      const tokenized = model.tokenize(text);
      expect(out.items[k].tokens).toEqual(tokenized.pieces);
      const expected = tf.tidy(() => encodeFrom(model, 0, model.embed(tokenized.ids)).dataSync());
      const diff = Math.max(...expected.map((v, i) => Math.abs(v - out.items[k].embedding[i])));
      expect(diff).toBeLessThanOrEqual(1e-5);
    }
    model.dispose();
  });

  it.each([
    [['embed'], /needs at least one TEXT/],
    [['embed', '  '], /TEXT 1 is empty/],
    [['embed', '--model', 'no-such-model', 'x'], /unknown model "no-such-model"/],
    [['embed', '--backend', 'tpu', 'x'], /--backend must be wasm or cpu/],
    [['frobnicate'], /unknown command/],
  ])('fails clearly for %j', async (args, message) => {
    const { code, stdout, stderr } = await pairlens(...args);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });
});
