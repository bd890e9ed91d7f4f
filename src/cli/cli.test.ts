/** The pairlens command, run as a user would: a child process, JSON on stdout, errors on stderr. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { encodeFrom } from '../model/encoder.ts';
import { loadBundledModel } from '../model/node-models.ts';
import { pairlens } from './cli.test-support.ts';

describe('pairlens CLI', () => {
  it('lists every command and flag in --help', async () => {
    const { code, stdout } = await pairlens('--help');
    expect(code).toBe(0);
    for (const word of ['embed', 'attribute', 'rank', '--query', '--passages', '--top', '--model', '--backend', '--help']) expect(stdout).toContain(word);
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

  it('attributes a pair as JSON in the shape of docs/architecture.md, "Reports", numbers consistent with each other', async () => {
    const { code, stdout } = await pairlens('attribute', '--a', 'A cat sat.', '--b', 'A dog sat.', '--steps', '16', '--layer', '1', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    for (const key of ['model', 'layer', 'steps', 'mode', 'sim', 'method', 'tokensA', 'tokensB', 'matrix', 'prediction', 'shiftedPrediction', 'referenceTerms', 'target', 'sum', 'integrationError', 'ms', 'errorEstimate', 'completeness']) {
      expect(out, key).toHaveProperty(key);
    }
    // How the numbers were made: a link or script with --steps N and no rule keeps the midpoint rule.
    expect(out).toMatchObject({ model: 'use-lite', layer: 1, steps: 16, mode: 'approx', sim: 'cos', method: 'jvp', rule: 'midpoint', ruleRequested: 'midpoint' });
    expect(out).toMatchObject({ evaluations: 16, final: true, converged: null, tolerance: null, backend: 'wasm', reference: { kind: 'token', id: 30 } });
    expect(out.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(out.matrix).toHaveLength(out.tokensA.length);
    for (const row of out.matrix) expect(row).toHaveLength(out.tokensB.length);
    const sum = out.matrix.flat().reduce((acc: number, v: number) => acc + v, 0);
    expect(sum).toBeCloseTo(out.sum, 5);
    const { aRb, rAb, rArB } = out.referenceTerms;
    expect(out.target).toBeCloseTo(out.prediction - aRb - rAb + rArB, 6);
    expect(out.integrationError).toBeCloseTo(out.sum - out.target, 6);
  });

  it('refines with --steps auto until the tolerance, with the rule chosen for the model and named', async () => {
    const { code, stdout } = await pairlens('attribute', '--a', 'A cat sat.', '--b', 'A dog sat.', '--layer', '1', '--tolerance', '0.05', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ steps: 'auto', tolerance: 0.05, rule: 'nested-midpoint', ruleRequested: 'auto', final: true, converged: true });
    expect(out.errorEstimate).toBeLessThanOrEqual(0.05);
    expect([9, 27, 81, 243, 729]).toContain(out.evaluations);
  });

  it('prints a readable table without --json', async () => {
    const { code, stdout } = await pairlens('attribute', '--a', 'Hello there', '--b', 'Hi', '--steps', '8');
    expect(code).toBe(0);
    expect(stdout).toMatch(/integration error/);
    expect(stdout).toMatch(/midpoint, 8 evaluations per text, 8 steps, final, reference token 30; wasm, PairLens \d/);
    expect(stdout).toMatch(/error estimate/);
    expect(stdout).toContain('▁Hi');
  });

  it.each([
    [['attribute', '--a', 'x', '--b', 'y', '--layer', '99'], /layer/],
    [['attribute', '--a', 'x', '--b', 'y', '--steps', '100'], /steps/],
    [['attribute', '--a', 'x', '--b', 'y', '--steps', '-1'], /steps/],
    [['attribute', '--a', 'x', '--b', 'y', '--steps', '2048'], /steps/],
    [['attribute', '--a', '  ', '--b', 'y'], /empty/i],
    [['attribute', '--a', 'x', '--b', 'y', '--mode', 'xyz'], /--mode must be exact or approx/],
    [['attribute', '--a', 'x', '--b', 'y', '--sim', 'l2'], /--sim must be cos or dot/],
    [['attribute', '--a', 'x', '--b', 'y', '--rule', 'simpson'], /--rule must be auto, clenshaw-curtis, gauss-patterson, romberg, trapezoid, nested-midpoint, midpoint or right/],
    [['attribute', '--a', 'x', '--b', 'y', '--tolerance', '0'], /--tolerance must be a number/],
    [['attribute', '--a', 'x', '--b', 'y', '--rule', 'right'], /nested rule/],
    [['attribute', '--a', 'x', '--b', 'y', '--steps', '64', '--tolerance', '0.01'], /--tolerance goes with --steps auto/],
    [['attribute', '--a', 'x', '--b', 'y', '--model', 'no/such/model'], /unknown model/],
    [['attribute', '--a', 'x'], /needs --a TEXT and --b TEXT/],
    [['attribute', '--a', 'x', '--b', 'y', '--prompt-a', 'query'], /model "use-lite" has no prompt "query" \(it has none\)/],
    [['embed'], /needs at least one TEXT/],
    [['embed', '  '], /TEXT 1 is empty/],
    [['embed', '--model', 'no such model', 'x'], /unknown model "no such model"/],
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
