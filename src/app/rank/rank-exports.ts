/**
 * Exports of a ranking beyond the report's JSON and CSV (src/shared/rank-report.ts):
 * the highlighted passages as a self-contained HTML page and as a PNG. Both draw the
 * same HighlightedRanking, so they cannot disagree; every text is escaped (HTML) or
 * drawn as text (canvas), never interpreted.
 */
import { escapeXml } from '../../shared/markup.ts';
import { referenceLabel } from '../../shared/report.ts';
import type { RankReport } from '../../shared/rank-report.ts';
import { INK, inkOn, makeColorScale, MUTED, NEGATIVE_END_COLOR, POSITIVE_END_COLOR } from '../heatmap/color.ts';
import { largestShare, type WordShare } from './ranking.ts';

export interface HighlightedPassage {
  rank: number;
  score: number;
  sum: number;
  words: WordShare[];
}

export interface HighlightedRanking {
  /** One line saying what was computed and how (model, layer, mode, rule, evaluations…). */
  caption: string;
  query: string;
  passages: HighlightedPassage[];
  /** |value| that takes the strongest colour. */
  scale: number;
}

export function highlightedRanking(report: RankReport, passages: HighlightedPassage[]): HighlightedRanking {
  const parts = [
    report.model,
    `layer ${report.layer}`,
    report.mode,
    report.sim,
    `${report.rule ?? 'no'} rule`,
    `up to ${report.evaluations} evaluations per text`,
    report.reference ? `reference ${referenceLabel(report.reference)}` : null,
    `${report.backend}, PairLens ${report.version}`,
  ];
  return { caption: parts.filter((p) => p !== null).join(' · '), query: report.query, passages, scale: largestShare(...passages.map((p) => p.words)) };
}


const fixed = (v: number) => v.toFixed(4);

/** A page that opens anywhere: inline styles, no scripts, no external resources. */
export function rankingHtml(h: HighlightedRanking): string {
  const color = makeColorScale(h.scale);
  const word = (w: WordShare) => `<span style="background:${color(w.value)};color:${inkOn(color(w.value))}" title="${escapeXml(`${w.word}: ${fixed(w.value)}`)}">${escapeXml(w.word)}</span>`;
  const items = h.passages
    .map((p) => `<li><p class="meta">#${p.rank} · score ${fixed(p.score)} · ΣA ${fixed(p.sum)}</p><p>${p.words.map(word).join(' ')}</p></li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>PairLens ranking</title>
<style>
body { font: 15px/1.6 system-ui, sans-serif; color: ${INK}; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
.meta, .caption { color: ${MUTED}; margin: 0; font-size: 13px; }
li { margin-bottom: 1rem; }
span { padding: 0 2px; border-radius: 2px; }
.legend span { color: white; }
</style>
</head>
<body>
<h1>Why these passages rank as they do</h1>
<p><strong>Query:</strong> ${escapeXml(h.query)}</p>
<p class="caption">${escapeXml(h.caption)}</p>
<p class="legend">Each word's contribution to the score (sum of A over the query's tokens):
<span style="background:${NEGATIVE_END_COLOR}">−${fixed(h.scale)}</span> lowers it,
<span style="background:${POSITIVE_END_COLOR}">+${fixed(h.scale)}</span> raises it.</p>
<ol>
${items}
</ol>
</body>
</html>
`;
}

/** Draws the highlighted passages on a canvas `width` CSS pixels wide, at `scale` device pixels per CSS pixel. */
export function drawRanking(h: HighlightedRanking, width = 900, scale = 2): HTMLCanvasElement {
  const pad = 16;
  const lineHeight = 22;
  const font = '15px system-ui, sans-serif';
  const color = makeColorScale(h.scale);
  const measure = document.createElement('canvas').getContext('2d');
  if (!measure) throw new Error('this browser cannot draw on a canvas');
  measure.font = font;
  // Lay out first (to know the height), then draw.
  type Item = { x: number; y: number; text: string; fill: string | null; ink: string };
  const items: Item[] = [];
  let y = pad + lineHeight;
  const line = (text: string, ink = INK) => {
    items.push({ x: pad, y, text, fill: null, ink });
    y += lineHeight;
  };
  line(`Query: ${h.query}`.slice(0, 200));
  line(h.caption.slice(0, 200), MUTED);
  y += lineHeight / 2;
  for (const p of h.passages) {
    line(`#${p.rank} · score ${fixed(p.score)} · ΣA ${fixed(p.sum)}`, MUTED);
    let x = pad;
    for (const w of p.words) {
      const advance = measure.measureText(w.word).width + 6;
      if (x + advance > width - pad && x > pad) {
        x = pad;
        y += lineHeight;
      }
      items.push({ x, y, text: w.word, fill: color(w.value), ink: inkOn(color(w.value)) });
      x += advance;
    }
    y += lineHeight * 1.6;
  }
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(width * scale);
  canvas.height = Math.ceil(y * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot draw on a canvas');
  ctx.scale(scale, scale);
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, width, y);
  ctx.font = font;
  for (const item of items) {
    if (item.fill) {
      ctx.fillStyle = item.fill;
      ctx.fillRect(item.x - 2, item.y - 16, measure.measureText(item.text).width + 4, 21);
    }
    ctx.fillStyle = item.ink;
    ctx.fillText(item.text, item.x, item.y);
  }
  return canvas;
}

export function canvasPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the PNG could not be made'))), 'image/png'));
}
