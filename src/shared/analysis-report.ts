/**
 * The analysis (analysis.ts) as a self-contained HTML report and as one SVG figure:
 * inline SVG plots, no scripts, no external files, every text escaped. Plain TypeScript
 * (no DOM, no Node), so the CLI (`analyze --html`, `--svg`) and the app draw the same.
 *
 *   analysisHtml(analysis, { title?, sources? }) → a whole HTML document
 *   analysisSvg(group)                          → an SVG document: the group's four plots
 */
import { TOP_CELLS, type Analysis, type GroupAnalysis, type ShareStat } from './analysis.ts';
import { escapeXml } from './markup.ts';
import { PAIRLENS_VERSION } from './report.ts';


const font = (size = 11) => `font-family="system-ui, sans-serif" font-size="${size}"`;
const POSITIVE = '#c0392b';
const NEGATIVE = '#2b6cb0';
const MUTED = '#888';

const fixed = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const percent = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '–');

interface Series {
  name: string;
  values: number[];
  color: string;
}

/** A plot's outer frame and title; `body` is drawn in its own coordinates. */
function panel(x: number, y: number, width: number, height: number, title: string, body: string): string {
  return `<g transform="translate(${x},${y})"><rect width="${width}" height="${height}" fill="#fff" stroke="#ddd"/>` +
    `<text x="8" y="16" ${font()} font-weight="bold">${escapeXml(title)}</text>${body}</g>`;
}

/**
 * Vertical grouped bars: one group per category, one bar per series, a zero line, value
 * labels above (or below) each bar. The scale spans the values and 0, clipped to `clip`
 * (bars beyond it end in a notch and keep their true label).
 */
function barChart(width: number, height: number, categories: readonly string[], series: readonly Series[], format: (x: number) => string, clip = Infinity): string {
  const left = 34;
  const top = 28;
  const bottom = 34 + (series.length > 1 ? 14 : 0);
  const plotW = width - left - 10;
  const plotH = height - top - bottom;
  const finite = series.flatMap((s) => s.values).filter(Number.isFinite);
  const hi = Math.min(clip, Math.max(0, ...finite)) || 1;
  const lo = Math.max(-clip, Math.min(0, ...finite));
  const y = (v: number) => top + ((hi - Math.max(lo, Math.min(hi, v))) / (hi - lo || 1)) * plotH;
  const groupW = plotW / Math.max(1, categories.length);
  const barW = Math.max(2, (groupW * 0.8) / series.length);
  const parts: string[] = [];
  for (const tick of [lo, (lo + hi) / 2, hi]) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 3}" y="${(y(tick) + 3).toFixed(1)}" text-anchor="end" ${font()} fill="${MUTED}">${escapeXml(format(tick))}</text>`);
  }
  categories.forEach((category, c) => {
    const gx = left + c * groupW + groupW * 0.1;
    series.forEach((s, k) => {
      const v = s.values[c];
      if (!Number.isFinite(v)) return;
      const x = gx + k * barW;
      const y0 = y(0);
      const y1 = y(v);
      const clipped = Math.abs(v) > clip ? ' stroke="#000" stroke-dasharray="2 2"' : '';
      parts.push(`<rect x="${x.toFixed(1)}" y="${Math.min(y0, y1).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${Math.abs(y1 - y0).toFixed(1)}" fill="${s.color}"${clipped}><title>${escapeXml(`${category}, ${s.name}: ${format(v)}`)}</title></rect>`);
      const ly = v >= 0 ? Math.min(y0, y1) - 2 : Math.max(y0, y1) + 9;
      parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${ly.toFixed(1)}" text-anchor="middle" ${font(8)}>${escapeXml(format(v))}</text>`);
    });
    // Names that would run into their neighbours get a smaller font, then an ellipsis (the bars' tooltips keep the whole name).
    const size = category.length * 6.2 > groupW ? 8 : 11;
    const fits = Math.max(3, Math.floor(groupW / (size * 0.56)));
    const name = category.length > fits ? `${category.slice(0, fits - 1)}…` : category;
    parts.push(`<text x="${(left + (c + 0.5) * groupW).toFixed(1)}" y="${top + plotH + 13}" text-anchor="middle" ${font(size)}>${escapeXml(name)}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="#444"/>`);
  if (series.length > 1) {
    let lx = left;
    for (const s of series) {
      parts.push(`<rect x="${lx}" y="${height - 13}" width="9" height="9" fill="${s.color}"/><text x="${lx + 12}" y="${height - 5}" ${font()}>${escapeXml(s.name)}</text>`);
      lx += 18 + s.name.length * 6;
    }
  }
  return parts.join('');
}

/** The POS pair table as a grid: rows POS of the A word, columns of the B word, the most frequent `n` of each, cells shaded by absShare. */
function posGrid(width: number, height: number, group: GroupAnalysis, n = 8): string {
  const marginal = (side: 'a' | 'b') => {
    const totals = new Map<string, number>();
    for (const p of group.posPairs) totals.set(p[side], (totals.get(p[side]) ?? 0) + p.absShare);
    return [...totals].sort((p, q) => q[1] - p[1]).slice(0, n).map(([tag]) => tag);
  };
  const rows = marginal('a');
  const cols = marginal('b');
  const left = 56;
  const top = 50;
  const cellW = (width - left - 8) / Math.max(1, cols.length);
  const cellH = (height - top - 8) / Math.max(1, rows.length);
  const share = new Map(group.posPairs.map((p) => [`${p.a} ${p.b}`, p]));
  const max = Math.max(1e-12, ...group.posPairs.map((p) => p.absShare));
  const parts = [`<text x="${left}" y="${top - 20}" ${font(10)} fill="${MUTED}">B word →   (A word ↓; share of Σ|A|, sign of ΣA)</text>`];
  cols.forEach((tag, j) => parts.push(`<text x="${(left + (j + 0.5) * cellW).toFixed(1)}" y="${top - 4}" text-anchor="middle" ${font(9)}>${escapeXml(tag)}</text>`));
  rows.forEach((tag, i) => {
    parts.push(`<text x="${left - 4}" y="${(top + (i + 0.5) * cellH + 3).toFixed(1)}" text-anchor="end" ${font(9)}>${escapeXml(tag)}</text>`);
    cols.forEach((col, j) => {
      const p = share.get(`${tag} ${col}`);
      const v = p?.absShare ?? 0;
      const color = (p?.signedShare ?? 0) >= 0 ? POSITIVE : NEGATIVE;
      const x = left + j * cellW;
      const y = top + i * cellH;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(cellW - 1).toFixed(1)}" height="${(cellH - 1).toFixed(1)}" fill="${color}" fill-opacity="${(0.06 + 0.94 * (v / max)).toFixed(3)}"><title>${escapeXml(`${tag} × ${col}: ${percent(v)} of Σ|A|, signed ${fixed(p?.signedShare ?? 0, 3)}, ${p?.cells ?? 0} cells`)}</title></rect>`);
      if (v > 0) parts.push(`<text x="${(x + cellW / 2).toFixed(1)}" y="${(y + cellH / 2 + 3).toFixed(1)}" text-anchor="middle" ${font(8)}>${escapeXml(percent(v))}</text>`);
    });
  });
  return parts.join('');
}

function shareSeries(stats: readonly ShareStat[]): Series[] {
  return [
    { name: 'share of Σ|A|', values: stats.map((s) => s.absShare), color: '#999' },
    { name: 'signed share (ΣA / Σ|A|)', values: stats.map((s) => s.signedShare), color: POSITIVE },
  ];
}

const PANEL_W = 420;
const PANEL_H = 230;

/** The four plots of one group, each a panel of PANEL_W × PANEL_H at (x, y) + its offset. */
function groupPanels(group: GroupAnalysis, x = 0, y = 0): string {
  const top = barChart(PANEL_W, PANEL_H, TOP_CELLS.map((t) => `top ${t}`), [
    { name: 'mean of top-cells sum / ΣA', values: TOP_CELLS.map((t) => group.topShare[t]), color: POSITIVE },
    { name: 'top cells Σ|A| / Σ|A|', values: TOP_CELLS.map((t) => group.topAbsShare[t]), color: '#999' },
  ], (v) => fixed(v), 3);
  const lexicalNegation = barChart(
    PANEL_W,
    PANEL_H,
    ['same word', 'different', 'negation', 'no negation'],
    shareSeries([group.lexical.same, group.lexical.different, group.negation.involving, group.negation.other]),
    percent,
  );
  const labels = group.byLabel;
  const byLabel = barChart(PANEL_W, PANEL_H, labels.map((l) => l.label), [
    { name: 'prediction', values: labels.map((l) => l.meanPrediction), color: '#999' },
    { name: 'ΣA', values: labels.map((l) => l.meanSum), color: POSITIVE },
    { name: 'negative share', values: labels.map((l) => l.negativeShare), color: NEGATIVE },
  ], (v) => fixed(v));
  return [
    panel(x, y, PANEL_W, PANEL_H, `Concentration: top cells (${group.pairs} pairs; ${percent(group.negativeShare)} of Σ|A| negative)`, top),
    panel(x + PANEL_W + 10, y, PANEL_W, PANEL_H, 'Parts of speech (A word × B word)', posGrid(PANEL_W, PANEL_H, group)),
    panel(x, y + PANEL_H + 10, PANEL_W, PANEL_H, `Same word vs different; negation words (${group.negation.pairsWithNegation} pairs have one)`, lexicalNegation),
    panel(x + PANEL_W + 10, y + PANEL_H + 10, PANEL_W, PANEL_H, labels.length ? 'By label: means' : 'By label: no labels in the file', byLabel),
  ].join('');
}

function groupTitle(g: GroupAnalysis): string {
  return `${g.model}, layer ${g.layer}, ${g.mode}, ${g.sim}`;
}

const SVG_W = 2 * PANEL_W + 10;
const SVG_H = 2 * PANEL_H + 10 + 24;

/** One group's plots as a standalone SVG document (the README's figure). */
export function analysisSvg(group: GroupAnalysis): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_W}" height="${SVG_H}" viewBox="0 0 ${SVG_W} ${SVG_H}">` +
    `<rect width="100%" height="100%" fill="#fafafa"/><text x="4" y="16" ${font(13)} font-weight="bold">${escapeXml(`PairLens analysis: ${groupTitle(group)}`)}</text>` +
    `${groupPanels(group, 0, 24)}</svg>\n`;
}

function shareRow(name: string, s: ShareStat): string {
  return `<tr><td>${escapeXml(name)}</td><td>${percent(s.absShare)}</td><td>${fixed(s.signedShare, 3)}</td><td>${fixed(s.meanSum, 4)}</td><td>${s.cells}</td><td>${s.pairs}</td></tr>`;
}

function groupSection(g: GroupAnalysis): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_W}" height="${SVG_H - 24}" viewBox="0 0 ${SVG_W} ${SVG_H - 24}" role="img" aria-label="${escapeXml(`plots for ${groupTitle(g)}`)}">${groupPanels(g)}</svg>`;
  const top = TOP_CELLS.map((t) => `<tr><td>${escapeXml(t)}</td><td>${fixed(g.topShare[t], 3)}</td><td>${fixed(g.topShareMedian[t], 3)}</td><td>${fixed(g.topAbsShare[t], 3)}</td></tr>`).join('');
  const pos = g.posPairs.slice(0, 20).map((p) => shareRow(`${p.a} × ${p.b}`, p)).join('');
  const labels = g.byLabel
    .map((l) => `<tr><td>${escapeXml(l.label)}</td><td>${l.pairs}</td><td>${fixed(l.meanPrediction, 3)}</td><td>${fixed(l.meanSum, 3)}</td><td>${percent(l.negativeShare)}</td><td>${percent(l.sameWordShare)}</td><td>${percent(l.negationShare)}</td></tr>`)
    .join('');
  const shareHead = '<tr><th></th><th>share of Σ|A|</th><th>ΣA / Σ|A|</th><th>mean ΣA</th><th>cells</th><th>pairs</th></tr>';
  return `<section><h2>${escapeXml(groupTitle(g))}</h2>
<p>${g.pairs} pairs; mean prediction ${fixed(g.meanPrediction, 3)}, mean ΣA ${fixed(g.meanSum, 3)}; negativeShare ${percent(g.negativeShare)}.</p>
${svg}
<h3>topShare</h3><table><tr><th>cells</th><th>mean sum / ΣA</th><th>median</th><th>Σ|A| share</th></tr>${top}</table>
${g.topShareSkipped ? `<p>${g.topShareSkipped} pairs with ΣA = 0 left out of topShare.</p>` : ''}
<h3>Same word, negation words</h3><table>${shareHead}${shareRow('same word', g.lexical.same)}${shareRow('different words', g.lexical.different)}${shareRow('unaligned token', g.lexical.unaligned)}${shareRow('involving a negation word', g.negation.involving)}${shareRow('no negation word', g.negation.other)}</table>
<h3>Parts of speech (A word × B word), top 20</h3><table>${shareHead}${pos}</table>
${labels ? `<h3>By label</h3><table><tr><th>label</th><th>pairs</th><th>prediction</th><th>ΣA</th><th>negative</th><th>same word</th><th>negation</th></tr>${labels}</table>` : ''}
</section>`;
}

export interface HtmlOptions {
  title?: string;
  /** The files analysed, listed under the title. */
  sources?: readonly string[];
}

/** The whole analysis as one HTML document (inline SVG, inline CSS, no scripts). */
export function analysisHtml(analysis: Analysis, options: HtmlOptions = {}): string {
  const title = options.title ?? 'PairLens dataset analysis';
  const correlations = analysis.correlations.length
    ? `<section><h2>Approximate vs exact</h2><table><tr><th>model</th><th>layer</th><th>sim</th><th>pairs</th><th>Pearson (mean)</th><th>Spearman (mean)</th><th>Pearson (median)</th><th>Spearman (median)</th></tr>${analysis.correlations
        .map((c) => `<tr><td>${escapeXml(c.model)}</td><td>${c.layer}</td><td>${escapeXml(c.sim)}</td><td>${c.pairs}</td><td>${fixed(c.pearson, 3)}</td><td>${fixed(c.spearman, 3)}</td><td>${fixed(c.pearsonMedian, 3)}</td><td>${fixed(c.spearmanMedian, 3)}</td></tr>`)
        .join('')}</table></section>`
    : '';
  const sources = options.sources?.length ? `<p>Files: ${options.sources.map((s) => `<code>${escapeXml(s)}</code>`).join(', ')}</p>` : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:64rem;color:#222}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:right}td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:auto}</style>
</head><body>
<h1>${escapeXml(title)}</h1>
${sources}
<p>${analysis.records} records${analysis.repeated ? ` (${analysis.repeated} repeated ids dropped)` : ''}; words tagged by ${escapeXml(analysis.tagger)}. PairLens ${escapeXml(PAIRLENS_VERSION)}. Definitions: src/shared/analysis.ts.</p>
${analysis.groups.map(groupSection).join('\n')}
${correlations}
</body></html>
`;
}
