import { describe, expect, it } from 'vitest';
import { integerChoices, PARAMETERS } from '../attribution/parameters.ts';
import { plannedPoints, rulesFor } from '../attribution/parameters.ts';
import { DEFAULT_VIEW, MAX_TEXT_LENGTH, parseView, serializeView, type ViewState } from './url-state.ts';

const query = (view: Partial<ViewState>) => new URLSearchParams(serializeView({ ...DEFAULT_VIEW, a: 'x', b: 'y', ...view })).toString();

describe('URL state', () => {
  it('keeps prompt names that look like names, and says so for others', () => {
    expect(parseView('pa=query&pb=passage').view).toMatchObject({ pa: 'query', pb: 'passage' });
    const bad = parseView('pa=%3Cscript%3E');
    expect(bad.view.pa).toBe('');
    expect(bad.notices[0]).toMatch(/Ignored pa="<script>" in the link: expected the name of one of the model's prompts/);
    expect(serializeView({ ...DEFAULT_VIEW, a: 'x', b: 'y' })).not.toMatch(/pa=|pb=/);
  });

  it('round-trips every parameter', () => {
    const view: ViewState = {
      a: 'Ça va? 😀 & <b>',
      b: 'x=1&y=2 #frag',
      model: 'sentence-transformers/all-MiniLM-L6-v2',
      layer: 3,
      mode: 'exact',
      steps: 256,
      rule: 'trapezoid',
      tol: 1e-4,
      sim: 'dot',
      pa: 'query',
      pb: 'Retrieval-document',
    };
    expect(parseView(serializeView(view))).toEqual({ view, notices: [] });
  });

  it('round-trips every valid combination of steps, rule and tol', () => {
    const tolerances = [PARAMETERS.tol.min, 1e-3, 0.0003, PARAMETERS.tol.default, 1 / 3, PARAMETERS.tol.max];
    for (const steps of ['auto' as const, ...integerChoices(PARAMETERS.steps)]) {
      for (const rule of rulesFor(steps)) {
        for (const tol of tolerances) {
          const view: ViewState = { ...DEFAULT_VIEW, a: 'x', b: 'y', steps, rule, tol };
          expect(parseView(serializeView(view)), JSON.stringify({ steps, rule, tol })).toEqual({ view, notices: [] });
        }
      }
    }
  });

  it('always writes steps; leaves out the rule a link implies and the default tolerance', () => {
    expect(query({ steps: 256, rule: 'midpoint' })).toBe('a=x&b=y&steps=256');
    expect(query({ steps: 256, rule: 'trapezoid' })).toBe('a=x&b=y&steps=256&rule=trapezoid');
    expect(query({ steps: 256, rule: 'auto' })).toBe('a=x&b=y&steps=256&rule=auto');
    expect(query({ steps: 'auto', rule: 'auto', tol: 1e-3 })).toBe('a=x&b=y&steps=auto&tol=0.001');
    expect(query({ steps: 'auto', rule: 'romberg' })).toBe('a=x&b=y&steps=auto&rule=romberg');
    expect(query({ steps: 'auto', rule: 'auto', tol: PARAMETERS.tol.default })).toBe('a=x&b=y&steps=auto');
  });

  it('reads an old link with a number of steps as the midpoint rule with that many steps', () => {
    const { view, notices } = parseView('?a=x&b=y&steps=128');
    expect(notices).toEqual([]);
    expect(view).toEqual({ ...DEFAULT_VIEW, a: 'x', b: 'y', steps: 128, rule: 'midpoint' });
    expect(plannedPoints(view.steps, view.rule)).toBe(128);
    // …and writes it back as it was.
    expect(new URLSearchParams(serializeView(view)).toString()).toBe('a=x&b=y&steps=128');
  });

  it('reads a link made before steps=auto (texts, no steps) as its old default, midpoint with 64 steps', () => {
    const { view, notices } = parseView('?a=x&b=y&mode=exact');
    expect(notices).toEqual([]);
    expect(view).toMatchObject({ a: 'x', b: 'y', mode: 'exact', steps: 64, rule: 'midpoint' });
    expect(parseView('?b=only').view).toMatchObject({ steps: 64, rule: 'midpoint' });
  });

  it('reads new links: auto by default, rules and tolerances as given', () => {
    expect(parseView('').view).toMatchObject({ steps: 'auto', rule: 'auto', tol: PARAMETERS.tol.default });
    expect(parseView('?a=x&b=y&steps=auto').view).toMatchObject({ steps: 'auto', rule: 'auto', tol: PARAMETERS.tol.default });
    expect(parseView('?steps=auto').view).toMatchObject({ steps: 'auto', rule: 'auto' });
    expect(parseView('?rule=romberg&tol=1e-4').view).toMatchObject({ steps: 'auto', rule: 'romberg', tol: 1e-4 });
    expect(parseView('?steps=64&rule=right').view).toMatchObject({ steps: 64, rule: 'right' });
    expect(parseView('?steps=64&rule=romberg').view).toMatchObject({ steps: 64, rule: 'romberg' });
    expect(parseView('?tol=0.01').view.tol).toBe(0.01);
    expect(plannedPoints(64, 'romberg')).toBe(65);
    expect(plannedPoints('auto', 'auto')).toBeUndefined();
  });

  it('offers only nested rules (and auto) with steps=auto', () => {
    expect(rulesFor('auto')).toEqual(['auto', 'clenshaw-curtis', 'gauss-patterson', 'romberg', 'trapezoid', 'nested-midpoint']);
    expect(rulesFor(64)).toEqual(PARAMETERS.rule.values);
  });

  it.each(['midpoint', 'right'])('falls back to the auto rule with a notice for steps=auto and rule=%s', (rule) => {
    for (const search of [`?rule=${rule}`, `?steps=auto&rule=${rule}`]) {
      const { view, notices } = parseView(search);
      expect(view).toMatchObject({ steps: 'auto', rule: 'auto' });
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain(`rule="${rule}"`);
      expect(notices[0]).toContain('steps=auto');
    }
  });

  it('falls back to the rule the steps imply when the rule is invalid', () => {
    const { view, notices } = parseView('?steps=32&rule=simpson');
    expect(view).toMatchObject({ steps: 32, rule: 'midpoint' });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('rule');
  });

  it('gives the defaults for an empty query, and leaves defaults out of links', () => {
    expect(parseView('')).toEqual({ view: DEFAULT_VIEW, notices: [] });
    const query = serializeView({ ...DEFAULT_VIEW, a: 'p', b: 'q' });
    expect(new URLSearchParams(query).toString()).toBe('a=p&b=q&steps=auto');
    expect(parseView(query).view).toEqual({ ...DEFAULT_VIEW, a: 'p', b: 'q' });
  });

  it('ignores unknown parameters', () => {
    expect(parseView('?foo=1&a=hi&steps=auto&utm_source=x')).toEqual({ view: { ...DEFAULT_VIEW, a: 'hi' }, notices: [] });
  });

  it.each([
    ['layer=99x', 'layer'],
    ['layer=-1', 'layer'],
    ['layer=1000', 'layer'],
    ['steps=-1', 'steps'],
    ['steps=100', 'steps'],
    ['steps=4', 'steps'],
    ['steps=2048', 'steps'],
    ['steps=64.0', 'steps'],
    ['steps=Auto', 'steps'],
    ['steps=', 'steps'],
    ['rule=simpson', 'rule'],
    ['rule=', 'rule'],
    ['tol=0', 'tol'],
    ['tol=1', 'tol'],
    ['tol=-0.001', 'tol'],
    ['tol=1e-6', 'tol'],
    ['tol=abc', 'tol'],
    ['tol=0x1', 'tol'],
    ['tol=NaN', 'tol'],
    ['tol=Infinity', 'tol'],
    ['tol=', 'tol'],
    ['mode=xyz', 'mode'],
    ['sim=l2', 'sim'],
    ['model=<script>', 'model'],
    ['model=../../etc', 'model'],
  ])('falls back to the default with a notice for %s', (query, key) => {
    const { view, notices } = parseView(`?${query}`);
    expect(view[key as keyof ViewState]).toEqual(DEFAULT_VIEW[key as keyof ViewState]);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(key);
  });

  it('keeps markup in texts as plain text and caps their length', () => {
    const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    expect(parseView(`?a=${encodeURIComponent(hostile)}`).view.a).toBe(hostile);
    expect(parseView(`?a=${'x'.repeat(MAX_TEXT_LENGTH + 10)}`).view.a).toHaveLength(MAX_TEXT_LENGTH);
  });

  it('accepts layer numbers the model will check against its own depth', () => {
    expect(parseView('?layer=99').view.layer).toBe(99);
    expect(parseView('?layer=0').view.layer).toBe(0);
  });
});
