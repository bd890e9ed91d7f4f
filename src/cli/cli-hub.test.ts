/**
 * The CLI on Hugging Face models: a model folder on disk, and a Hub id downloaded from
 * a local server with the Hub's URL layout (scripts/hub-server.ts), kept in a disk
 * cache so a second run works with the server gone dark.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubServer, TEST_ORG, type HubServer } from '../../scripts/hub-server.ts';
import { encodeFrom } from '../model/encoder.ts';
import { loadHfModel } from '../model/hf/load.ts';
import { tinyModelFiles, tinyModelFolder } from '../model/hf/tiny-models.test-support.ts';

const BIN = fileURLToPath(new URL('../../bin/pairlens.mjs', import.meta.url));
let server: HubServer;
let cache: string;

async function pairlens(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const env = { ...process.env, PAIRLENS_CACHE: cache, PAIRLENS_HUB_URL: server.url };
    const { stdout, stderr } = await promisify(execFile)('node', [BIN, ...args], { maxBuffer: 1 << 26, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  server = await startHubServer();
  cache = mkdtempSync(join(tmpdir(), 'pairlens-cache-'));
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await server.close();
  rmSync(cache, { recursive: true, force: true });
});

async function expectedEmbedding(name: string, text: string): Promise<Float32Array> {
  const model = await loadHfModel(tinyModelFiles(name));
  const e = tf.tidy(() => encodeFrom(model, 0, model.embed(model.tokenize(text).ids)).dataSync() as Float32Array);
  model.dispose();
  return e;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('pairlens on Hugging Face models', () => {
  it('embeds with a model folder on disk', async () => {
    const { code, stdout, stderr } = await pairlens('embed', '--model', tinyModelFolder('mpnet'), 'the cat sat on the mat');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.dim).toBe(16);
    expect(out.items[0].tokens).toEqual(['<s>', 'the', 'cat', 'sat', 'on', 'the', 'mat', '</s>']);
    expect(maxDiff(out.items[0].embedding, await expectedEmbedding('mpnet', 'the cat sat on the mat'))).toBeLessThan(1e-5);
  });

  it('downloads a Hub id once, then runs from the cache with the server unreachable', async () => {
    const id = `${TEST_ORG}/bert`;
    const first = await pairlens('attribute', '--model', id, '--a', 'the cat sat', '--b', 'a dog ran', '--steps', '8', '--json');
    expect(first.stderr).toBe('');
    const report = JSON.parse(first.stdout);
    expect(report).toMatchObject({ model: id, layer: 1, mode: 'approx', tokensA: ['[CLS]', 'the', 'cat', 'sat', '[SEP]'] });
    expect(readdirSync(cache).length).toBeGreaterThanOrEqual(4);

    await fetch(`${server.url}/__offline?on=1`, { method: 'POST' });
    try {
      const second = await pairlens('attribute', '--model', id, '--a', 'the cat sat', '--b', 'a dog ran', '--steps', '8', '--json');
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout).matrix).toEqual(report.matrix);
    } finally {
      await fetch(`${server.url}/__offline?on=0`, { method: 'POST' });
    }
  });

  it('says which file failed and why, with a non-zero exit', async () => {
    const missing = await pairlens('embed', '--model', `${TEST_ORG}/no-such-model`, 'x');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^pairlens: modules\.json: |config\.json: is not on the Hub \(HTTP 404\)/);

    const cut = await pairlens('embed', '--model', `${TEST_ORG}/cut-download`, 'x');
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/model\.safetensors: download interrupted after/);

    const big = await pairlens('embed', '--model', `${TEST_ORG}/roberta`, '--max-mb', '0.1', 'x');
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/config\.json: describes a model of about 1\d\d kB \(float32\), over the 100 kB limit/);
    const fits = await pairlens('embed', '--model', `${TEST_ORG}/roberta`, '--max-mb', '1', '--hub-url', server.url, 'x');
    expect(fits.code).toBe(0);

    const badUrl = await pairlens('embed', '--model', `${TEST_ORG}/bert`, '--hub-url', 'ftp://x', 'x');
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--hub-url must be an http\(s\) address/);
  });
});
