import { describe, expect, it } from 'vitest';
import { float32ToHalf, halfToFloat32 } from './float16.ts';

describe('16-bit floats', () => {
  it('decodes float16 exactly, including subnormals, infinities and NaN', () => {
    const halves = Uint16Array.from([0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x3555, 0x7e00]);
    const values = halfToFloat32(halves);
    expect(Array.from(values.slice(0, 11))).toEqual([0, -0, 1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, 0.333251953125]);
    expect(Number.isNaN(values[11])).toBe(true);
  });

  it('encodes float16 with round-to-nearest-even, so every half survives a round trip', () => {
    for (let h = 0; h < 0x7c00; h += 7) expect(float32ToHalf(halfToFloat32(Uint16Array.of(h))[0])).toBe(h);
    expect(float32ToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float32ToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToHalf(1e6)).toBe(0x7c00); // overflow → ∞
  });
});
