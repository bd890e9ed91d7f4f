import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, MAX_TEXT_LENGTH, parseView, serializeView, type ViewState } from './url-state.ts';

describe('URL state', () => {
  it('round-trips every parameter', () => {
    const view: ViewState = { a: 'Ça va? 😀 & <b>', b: 'x=1&y=2 #frag', model: 'sentence-transformers/all-MiniLM-L6-v2', layer: 3, mode: 'exact', steps: 256, sim: 'dot' };
    expect(parseView(serializeView(view))).toEqual({ view, notices: [] });
  });

  it('gives the defaults for an empty query, and leaves defaults out of links', () => {
    expect(parseView('')).toEqual({ view: DEFAULT_VIEW, notices: [] });
    const query = serializeView({ ...DEFAULT_VIEW, a: 'p', b: 'q' });
    expect(new URLSearchParams(query).toString()).toBe('a=p&b=q');
  });

  it('ignores unknown parameters', () => {
    expect(parseView('?foo=1&a=hi&utm_source=x')).toEqual({ view: { ...DEFAULT_VIEW, a: 'hi' }, notices: [] });
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
