import { describe, expect, it } from 'vitest';
import { PARAMETERS } from '../../attribution/parameters.ts';
import { ruleDescription } from './Diagnostics.tsx';
import { stepsPatch, toleranceChoices, toleranceLabel } from './Controls.tsx';
import { resultStatus } from '../../shared/report.ts';

describe('explorer controls', () => {
  it('switching to steps=auto drops a fixed rule, keeps a nested one', () => {
    expect(stepsPatch({ rule: 'midpoint' }, 'auto')).toEqual({ steps: 'auto', rule: 'auto' });
    expect(stepsPatch({ rule: 'right' }, 'auto')).toEqual({ steps: 'auto', rule: 'auto' });
    expect(stepsPatch({ rule: 'trapezoid' }, 'auto')).toEqual({ steps: 'auto' });
    expect(stepsPatch({ rule: 'auto' }, 64)).toEqual({ steps: 64 });
    expect(stepsPatch({ rule: 'midpoint' }, 64)).toEqual({ steps: 64 });
  });

  it('offers tolerances within bounds, the default and a link’s own value among them', () => {
    const choices = toleranceChoices(PARAMETERS.tol.default);
    expect(choices).toContain(PARAMETERS.tol.default);
    expect(choices).toEqual([...choices].sort((x, y) => y - x));
    for (const t of choices) expect(t).toBeGreaterThanOrEqual(PARAMETERS.tol.min);
    expect(toleranceChoices(0.002)).toContain(0.002);
    expect(toleranceChoices(0.002)).toHaveLength(choices.length + 1);
    expect(toleranceLabel(3e-3)).toBe('3e-3');
    expect(toleranceLabel(0.01)).toBe('1e-2');
  });

  it('names the rule and the status of a result', () => {
    expect(ruleDescription({ rule: 'clenshaw-curtis', ruleRequested: 'auto' })).toBe('clenshaw-curtis (auto: smooth model)');
    expect(ruleDescription({ rule: 'nested-midpoint', ruleRequested: 'auto' })).toBe('nested-midpoint (auto: model with kinks)');
    expect(ruleDescription({ rule: 'romberg', ruleRequested: 'romberg' })).toBe('romberg');
    expect(ruleDescription({ rule: 'midpoint', ruleRequested: 'midpoint' })).toBe('midpoint');
    expect(resultStatus({ final: false, converged: null })).toBe('partial');
    expect(resultStatus({ final: true, converged: true })).toBe('final, converged');
    expect(resultStatus({ final: true, converged: false })).toBe('final, tolerance not reached');
    expect(resultStatus({ final: true, converged: null })).toBe('final');
  });
});
