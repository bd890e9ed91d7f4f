import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { howComputed, PAIRLENS_VERSION } from './report.ts';

describe('reports', () => {
  it("name package.json's version", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(PAIRLENS_VERSION).toBe(pkg.version);
  });

  it('say in one line how the numbers were made, and when they are partial', () => {
    const base = { rule: 'romberg', ruleRequested: 'auto', evaluations: 33, steps: 'auto', tolerance: 0.003, converged: true, reference: { kind: 'padding' } } as const;
    expect(howComputed({ ...base, final: true })).toBe('romberg (auto), 33 evaluations per text, steps auto, tolerance 0.003, final, converged, reference padding');
    expect(howComputed({ ...base, final: false, converged: null })).toMatch(/partial: a complete level, the run goes on/);
    expect(howComputed({ ...base, final: true, converged: false })).toMatch(/tolerance not reached/);
    expect(howComputed({ ...base, rule: 'midpoint', ruleRequested: 'midpoint', evaluations: 64, steps: 64, tolerance: null, converged: null, final: true, reference: { kind: 'token', id: 30 } })).toBe(
      'midpoint, 64 evaluations per text, 64 steps, final, reference token 30',
    );
  });
});
