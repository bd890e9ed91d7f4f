import { describe, expect, it } from 'vitest';
import { matrix } from './matrix.test-support.ts';
import { escapeXml } from '../../shared/markup.ts';
import { heatmapSvgString } from './svg-export.ts';

describe('SVG export', () => {
  it('escapes markup characters and drops characters XML forbids', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
    expect(escapeXml('a\u0000b\u001Fc\tok')).toBe('a\uFFFDb\uFFFDc\tok');
    expect(escapeXml('😀')).toBe('😀');
    expect(escapeXml('x\uD800y')).toBe('x\uFFFDy');
  });

  it('writes a standalone document with escaped labels and title', () => {
    const d = matrix(2, 3);
    d.rowLabels[0] = '<script>alert(1)</script>';
    d.colLabels[1] = `"&'`;
    d.title = 'A & B <test>';
    const svg = heatmapSvgString(d);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toContain('font-family=');
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;alert…');
    expect(svg).toContain('&quot;&amp;&apos;');
    expect(svg).toContain('<title>A &amp; B &lt;test&gt;</title>');
    expect(svg).toContain('<linearGradient');
    expect(svg).toContain('ΣA = ');
    // 6 cells + background + plot background + legend bar + 5 sum bars.
    expect(svg.match(/<rect /g)).toHaveLength(6 + 3 + 5);
    // Every tag that opens also closes (a cheap well-formedness check without a parser).
    const opened = (svg.match(/<(text|g|svg|defs|linearGradient|title)[ >]/g) ?? []).length;
    const closed = (svg.match(/<\/(text|g|svg|defs|linearGradient|title)>/g) ?? []).length;
    expect(opened).toBe(closed);
  });

  it('leaves hidden cells out but keeps them in ΣA', () => {
    const d = { ...matrix(3, 3, () => 1), hiddenRows: [true, false, false] };
    const svg = heatmapSvgString(d);
    expect(svg).toContain('ΣA = 9.000');
    expect(svg).not.toContain('>a0<');
  });

  it('exports a 128×128 matrix in reasonable time', () => {
    const d = matrix(128, 128, (r, c) => Math.sin(r * c));
    const t0 = performance.now();
    const svg = heatmapSvgString(d);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(svg.match(/<rect /g)!.length).toBeGreaterThan(128 * 128);
  });
});
