import { describe, expect, it } from 'vitest';
import { PAIRLENS_VERSION } from '../shared/report.ts';
import type { AttributionResult } from '../worker/protocol.ts';
import { exportBaseName, exportCsv, exportJson } from './exports.ts';

function result(overrides: Partial<AttributionResult> = {}): AttributionResult {
  return {
    tokensA: ['▁Cat', 's'],
    tokensB: ['▁Dog', 's', '=x'],
    wordsA: [0, 0],
    wordsB: [0, 0, 1],
    wordLabelsA: ['Cats'],
    wordLabelsB: ['Dogs', '=x'],
    specialA: [false, false],
    specialB: [false, false, false],
    promptA: null,
    promptB: null,
    matrix: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.25]),
    rows: 2,
    cols: 3,
    prediction: 0.8,
    shiftedPrediction: 0.7,
    referenceTerms: { aRb: 0.01, rAb: 0.02, rArB: 0.005 },
    target: 0.775,
    sum: 1.75,
    integrationError: 0.975,
    rule: 'romberg',
    ruleRequested: 'auto',
    steps: 'auto',
    tolerance: 3e-3,
    level: 4,
    evaluations: 17,
    final: true,
    converged: true,
    errorEstimate: 1.5e-3,
    levelChange: 1.5e-3,
    completeness: { a: 2e-4, b: 3e-4 },
    layer: 1,
    mode: 'approx',
    sim: 'cos',
    method: 'jvp',
    reference: { kind: 'padding' },
    ms: 12,
    droppedTokensA: 0,
    droppedTokensB: 0,
    attributionModel: 'use-lite',
    exactModel: null,
    ...overrides,
  };
}

/** The "# name,value" lines of a CSV export, as a map. */
function csvMeta(csv: string): Map<string, string> {
  const meta = new Map<string, string>();
  for (const line of csv.split('\n')) {
    const m = /^# ([^,]+),(.*)$/.exec(line);
    if (m) meta.set(m[1], m[2]);
  }
  return meta;
}

describe('exports', () => {
  it('JSON carries how the numbers were made, with the backend given', () => {
    const json = JSON.parse(exportJson('use-lite', result(), { backend: 'wasm' }));
    expect(json).toMatchObject({
      model: 'use-lite',
      steps: 'auto',
      rule: 'romberg',
      ruleRequested: 'auto',
      tolerance: 3e-3,
      evaluations: 17,
      final: true,
      converged: true,
      errorEstimate: 1.5e-3,
      completeness: { a: 2e-4, b: 3e-4 },
      reference: { kind: 'padding' },
      backend: 'wasm',
      version: PAIRLENS_VERSION,
    });
    expect(json.matrix).toHaveLength(2);
  });

  it('a partial export says final: false and the evaluations behind it', () => {
    const partial = result({ final: false, converged: null, level: 2, evaluations: 5 });
    const json = JSON.parse(exportJson('use-lite', partial, { backend: 'webgpu' }));
    expect(json).toMatchObject({ final: false, converged: null, evaluations: 5, backend: 'webgpu' });
    const meta = csvMeta(exportCsv('use-lite', partial, { backend: 'webgpu' }));
    expect(meta.get('final')).toBe('false');
    expect(meta.get('converged')).toBe('');
    expect(meta.get('evaluations')).toBe('5');
    expect(exportBaseName(partial)).toBe('pairlens-layer1-approx-romberg-auto-partial5');
    expect(exportBaseName(result())).toBe('pairlens-layer1-approx-romberg-auto');
  });

  it('CSV carries the same fields as "# name,value" lines, then the matrix', () => {
    const csv = exportCsv('use-lite', result(), { backend: 'wasm' });
    const meta = csvMeta(csv);
    expect(Object.fromEntries(meta)).toMatchObject({
      model: 'use-lite',
      layer: '1',
      steps: 'auto',
      rule: 'romberg',
      ruleRequested: 'auto',
      tolerance: '0.003',
      evaluations: '17',
      final: 'true',
      converged: 'true',
      errorEstimate: '0.0015',
      completenessA: '0.0002',
      completenessB: '0.0003',
      reference: 'padding',
      backend: 'wasm',
      version: PAIRLENS_VERSION,
      integrationError: '0.975',
    });
    const body = csv.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(body[0]).toBe("A \\ B,▁Dog,s,'=x");
    expect(body).toHaveLength(3);
  });

  it('writes a number of steps and no tolerance for a fixed rule', () => {
    const fixed = result({ steps: 64, rule: 'midpoint', ruleRequested: 'midpoint', tolerance: null, converged: null, level: 0, evaluations: 64 });
    const meta = csvMeta(exportCsv('use-lite', fixed, { backend: 'wasm' }));
    expect(meta.get('steps')).toBe('64');
    expect(meta.get('tolerance')).toBe('');
    expect(meta.get('rule')).toBe('midpoint');
    expect(JSON.parse(exportJson('use-lite', fixed, { backend: 'wasm' }))).toMatchObject({ steps: 64, tolerance: null, rule: 'midpoint' });
  });
});
