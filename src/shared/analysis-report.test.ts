import { describe, expect, it } from 'vitest';
import { analyzeRecords, type AnalysisRecord } from './analysis.ts';
import { analysisHtml, analysisSvg } from './analysis-report.ts';
import { escapeXml } from './markup.ts';

const EVIL = `<script>alert("x")</script> & 'q'`;
const RECORDS: AnalysisRecord[] = [
  { id: '1', a: EVIL, b: 'b text', label: EVIL, model: '<m>', layer: 1, mode: 'approx', sim: 'cos', prediction: 0.5, tokensA: ['▁<script>', '▁&'], tokensB: ['▁b', '▁text'], matrix: [[0.1, -0.2], [0.3, 0.4]] },
  { id: '2', a: 'x y', b: 'x z', label: 'ok', model: '<m>', layer: 1, mode: 'approx', sim: 'cos', prediction: 0.2, tokensA: ['▁x', '▁y'], tokensB: ['▁x', '▁z'], matrix: [[0.5, 0], [0, 0.1]] },
];

describe('analysis reports', () => {
  it('escape every text, in content and attributes', () => {
    expect(escapeXml(EVIL)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;q&apos;');
  });

  it('are self-contained HTML without scripts, and an SVG figure', () => {
    const analysis = analyzeRecords(RECORDS);
    const html = analysisHtml(analysis, { title: EVIL, sources: [EVIL] });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/ on\w+=/i);
    expect(html).not.toMatch(/(src|href)=/);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('&lt;m&gt;, layer 1, approx, cos');
    expect(html.match(/<svg /g)).toHaveLength(1);
    const svg = analysisSvg(analysis.groups[0]);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).not.toMatch(/<script/i);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // Every tag opened is closed (no stray "<" from a text).
    const opened = (svg.match(/<(g|text|rect|title|svg|line)[ >]/g) ?? []).length;
    const selfClosed = (svg.match(/\/>/g) ?? []).length;
    const closed = (svg.match(/<\/(g|text|rect|title|svg|line)>/g) ?? []).length;
    expect(opened).toBe(selfClosed + closed);
  });
});
