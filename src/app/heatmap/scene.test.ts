import { describe, expect, it } from 'vitest';
import { NEGATIVE_END_COLOR, POSITIVE_END_COLOR } from './color.ts';
import { matrixStats } from './data.ts';
import { computeLayout } from './layout.ts';
import { matrix } from './matrix.test-support.ts';
import { dynamicScene } from './scene.ts';

describe('scene', () => {
  it('draws sum bars to the right of / above the zero line for positive sums', () => {
    const d = matrix(2, 2, (r, c) => (r === 0 ? 1 : -1) * (c + 1)); // row sums 3, −3
    const L = computeLayout(d);
    const s = matrixStats(d.values, 2, 2, L.visRows, L.visCols);
    const bars = dynamicScene(L, s).rects;
    const x0 = L.rowSumX + L.rowSumW / 2;
    const r0 = bars.find((b) => b.key === 'rs0')!;
    const r1 = bars.find((b) => b.key === 'rs1')!;
    expect(r0.x).toBe(x0);
    expect(r1.x + r1.width).toBeCloseTo(x0);
    expect(r0.width).toBeCloseTo(r1.width);
    expect(r0.fill).toBe(POSITIVE_END_COLOR);
    expect(r1.fill).toBe(NEGATIVE_END_COLOR);
  });
});
