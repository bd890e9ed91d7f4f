/**
 * The heatmap as a file: a standalone SVG document built as a string (fonts and colours
 * inline, every user string escaped), and that SVG rasterised to PNG.
 *
 * Separate from the view because the SVG string needs no DOM (it is tested in Node) and
 * never shows hover or pin marks; it writes the same shapes the screen draws (scene.ts).
 */
import { legendStops, makeColorScale } from './color.ts';
import { matrixStats, validateHeatmapData, type HeatmapData } from './data.ts';
import { FONT_FAMILY, computeLayout, type LayoutOptions } from './layout.ts';
import {
  HEATMAP_NAME,
  cellSpots,
  dynamicScene,
  lineAttrs,
  rectAttrs,
  round2,
  staticScene,
  textAttrs,
  type Attrs,
  type Scene,
} from './scene.ts';
import { escapeXml } from '../../shared/markup.ts';

function attrsSvg(attrs: Attrs): string {
  let out = '';
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null) out += ` ${name}="${typeof value === 'number' ? round2(value) : escapeXml(value)}"`;
  }
  return out;
}

function sceneSvg(s: Scene): string[] {
  return [
    ...s.rects.map((p) => `<rect${attrsSvg(rectAttrs(p))}/>`),
    ...s.lines.map((p) => `<line${attrsSvg(lineAttrs(p))}/>`),
    ...s.texts.map((p) => `<text${attrsSvg(textAttrs(p))}>${escapeXml(p.text)}</text>`),
  ];
}

/** A standalone SVG document: fonts and colours inline, every user string escaped. */
export function heatmapSvgString(data: HeatmapData, opts: LayoutOptions = {}): string {
  validateHeatmapData(data);
  const layout = computeLayout(data, opts);
  const stats = matrixStats(data.values, data.rows, data.cols, layout.visRows, layout.visCols);
  const color = makeColorScale(stats.maxAbs);
  const gradientId = 'pl-heatmap-legend';
  const { under, over } = staticScene(layout, gradientId);
  const size = layout.cell - layout.inset;
  // Cells skip the attribute lists of scene.ts: there are up to 16k of them, all alike
  // but for position and fill, and writing them directly keeps a large export quick.
  const cells = cellSpots(layout).map(
    (d) => `<rect x="${round2(d.x)}" y="${round2(d.y)}" width="${size}" height="${size}" fill="${color(data.values[d.i])}"/>`,
  );
  const stops = legendStops()
    .map((s) => `<stop offset="${round2(s.offset * 100)}%" stop-color="${s.color}"/>`)
    .join('');
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${layout.width}" height="${layout.height}" ` +
      `viewBox="0 0 ${layout.width} ${layout.height}" font-family="${escapeXml(FONT_FAMILY)}">`,
    `<title>${escapeXml(data.title?.trim() ? data.title : HEATMAP_NAME)}</title>`,
    `<defs><linearGradient id="${gradientId}" x1="0" x2="1" y1="0" y2="0">${stops}</linearGradient></defs>`,
    ...sceneSvg(under),
    `<g shape-rendering="crispEdges">`,
    ...cells,
    `</g>`,
    ...sceneSvg(dynamicScene(layout, stats)),
    ...sceneSvg(over),
    `</svg>`,
    '',
  ].join('\n');
}

/** An SVG document rasterised at `scale` × its `width` × `height` (CSS px). Browser only. */
export async function svgToPngBlob(svg: string, width: number, height: number, scale: number, doc: Document): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml;charset=utf-8' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = doc.createElement('canvas');
    canvas.width = Math.ceil(width * scale);
    canvas.height = Math.ceil(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('heatmap: no 2D canvas context');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('heatmap: PNG encoding failed'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
