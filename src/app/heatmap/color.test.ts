import { describe, expect, it } from 'vitest';
import { INK, inkOn, NEGATIVE_END_COLOR, NEUTRAL_COLOR, POSITIVE_END_COLOR, makeColorScale } from './color.ts';

describe('colour scale', () => {
  it('is symmetric around 0 with the neutral colour in the middle', () => {
    const color = makeColorScale(0.5);
    expect(color(0)).toBe(NEUTRAL_COLOR);
    expect(color(-0)).toBe(NEUTRAL_COLOR);
    expect(color(0.5)).toBe(POSITIVE_END_COLOR);
    expect(color(-0.5)).toBe(NEGATIVE_END_COLOR);
    expect(POSITIVE_END_COLOR).not.toBe(NEGATIVE_END_COLOR);
  });

  it('maps positive to red and negative to blue (RdBu reversed)', () => {
    const rgb = (s: string) => s.match(/\d+/g)!.map(Number);
    const [pr, , pb] = rgb(POSITIVE_END_COLOR);
    const [nr, , nb] = rgb(NEGATIVE_END_COLOR);
    expect(pr).toBeGreaterThan(pb);
    expect(nb).toBeGreaterThan(nr);
  });

  it('clamps out-of-domain values and survives m = 0 and NaN', () => {
    const color = makeColorScale(1);
    expect(color(5)).toBe(POSITIVE_END_COLOR);
    expect(color(-5)).toBe(NEGATIVE_END_COLOR);
    expect(makeColorScale(0)(0.3)).toBe(NEUTRAL_COLOR);
    expect(color(Number.NaN)).not.toBe(NEUTRAL_COLOR);
  });

  it('gives mirrored values mirrored positions (same distance from the middle)', () => {
    const color = makeColorScale(2);
    expect(color(1)).not.toBe(color(-1));
    expect(color(1)).toBe(makeColorScale(4)(2));
  });
});

describe('inkOn', () => {
  it('writes white on the dark ends of the scale and ink on the light middle', () => {
    expect(inkOn(POSITIVE_END_COLOR)).toBe('#ffffff');
    expect(inkOn(NEGATIVE_END_COLOR)).toBe('#ffffff');
    expect(inkOn(NEUTRAL_COLOR)).toBe(INK);
    expect(inkOn('not a colour')).toBe(INK);
  });
});
