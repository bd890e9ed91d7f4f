/**
 * What the heatmap draws, and drawing it with d3: the cells, and everything else (labels,
 * sum bars, legend, caption, pin/hover/focus outlines) as plain shapes with their SVG
 * attributes.
 *
 * Separate from the layout (which only says where things go) and from the view (which only
 * decides when to redraw). The SVG export writes the same shapes and attributes as text,
 * so the screen and the exported file cannot drift apart.
 */
import * as d3 from 'd3';
import { GRID, INK, MUTED, ZERO_LINE, makeColorScale } from './color.ts';
import type { CellRef, MatrixStats } from './data.ts';
import { formatValue } from './format.ts';
import { COL_LABEL_ANGLE, SMALL_FONT, TITLE_FONT, type HeatmapLayout, type Hit } from './layout.ts';

/** The accessible name, and the exported file's title when the data has none. */
export const HEATMAP_NAME = 'Attribution heatmap';

// ---------------------------------------------------------------------------------------
// Shapes

export interface RectPrim {
  key: string;
  x: number;
  y: number;
  width: number;
  height: number;
  fill: string;
  stroke?: string;
  strokeWidth?: number;
  dash?: string;
}

export interface TextPrim {
  key: string;
  x: number;
  y: number;
  text: string;
  anchor: 'start' | 'middle' | 'end';
  size: number;
  fill: string;
  rotate?: number;
  bold?: boolean;
  /** Vertical nudge in em, to centre glyphs on y without dominant-baseline (unevenly supported). */
  dy?: number;
}

export interface LinePrim {
  key: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  stroke: string;
  strokeWidth?: number;
}

export interface Scene {
  rects: RectPrim[];
  lines: LinePrim[];
  texts: TextPrim[];
}

/** SVG attributes of a shape, in the order the export writes them; null means "absent". */
export type Attrs = Record<string, string | number | null>;

/** Two decimals: enough for a crisp picture, and it keeps a 128×128 export small. */
export function round2(x: number): string {
  return String(Math.round(x * 100) / 100);
}

export function rectAttrs(p: RectPrim): Attrs {
  return {
    x: p.x,
    y: p.y,
    width: p.width,
    height: p.height,
    fill: p.fill,
    stroke: p.stroke || null,
    'stroke-width': p.stroke ? (p.strokeWidth ?? 1) : null,
    'stroke-dasharray': p.dash || null,
  };
}

export function lineAttrs(p: LinePrim): Attrs {
  return { x1: p.x1, y1: p.y1, x2: p.x2, y2: p.y2, stroke: p.stroke, 'stroke-width': p.strokeWidth ?? 1 };
}

/** Without the text itself, which is content, not an attribute. */
export function textAttrs(p: TextPrim): Attrs {
  return {
    x: p.x,
    y: p.y,
    'text-anchor': p.anchor,
    'font-size': p.size,
    fill: p.fill,
    dy: p.dy ? `${p.dy}em` : null,
    'font-weight': p.bold ? 600 : null,
    transform: p.rotate ? `rotate(${p.rotate} ${round2(p.x)} ${round2(p.y)})` : null,
  };
}

// ---------------------------------------------------------------------------------------
// The picture

/** Parts that depend only on shape and labels: redrawn on re-layout. */
export function staticScene(layout: HeatmapLayout, gradientId: string): { under: Scene; over: Scene } {
  const L = layout;
  const rects: RectPrim[] = [
    { key: 'bg', x: 0, y: 0, width: L.width, height: L.height, fill: '#ffffff' },
    { key: 'plot-bg', x: L.plotX, y: L.plotY, width: L.plotW, height: L.plotH, fill: GRID },
  ];
  const texts: TextPrim[] = [];
  if (L.title) texts.push({ key: 'title', ...L.title, anchor: 'start', size: TITLE_FONT, fill: INK, bold: true });
  for (const l of L.rowLabels) {
    texts.push({ key: `r${l.index}`, x: l.x, y: l.y, text: l.text, anchor: 'end', size: L.fontSize, fill: INK, dy: 0.32 });
  }
  for (const l of L.colLabels) {
    texts.push({ key: `c${l.index}`, x: l.x, y: l.y, text: l.text, anchor: 'start', size: L.fontSize, fill: INK, dy: 0.32, rotate: COL_LABEL_ANGLE });
  }
  texts.push(
    { key: 'row-sum-title', x: L.rowSumX, y: L.colSumY + SMALL_FONT, text: 'Row Σ ↑', anchor: 'start', size: SMALL_FONT, fill: MUTED },
    { key: 'col-sum-title', x: L.plotX - 5, y: L.colSumY + L.colSumH / 2, text: 'Column Σ', anchor: 'end', size: SMALL_FONT, fill: MUTED, dy: 0.32 },
  );
  const over: Scene = {
    rects: [
      {
        key: 'legend-bar',
        x: L.legendX,
        y: L.legendY,
        width: L.legendW,
        height: L.legendH,
        fill: `url(#${gradientId})`,
        stroke: '#c3cad1',
        strokeWidth: 0.5,
      },
    ],
    lines: [],
    texts: [],
  };
  if (L.visRows.length) {
    const x = L.rowSumX + L.rowSumW / 2;
    over.lines.push({ key: 'row-zero', x1: x, y1: L.plotY, x2: x, y2: L.plotY + L.plotH, stroke: ZERO_LINE });
  }
  if (L.visCols.length) {
    const y = L.colSumY + L.colSumH / 2;
    over.lines.push({ key: 'col-zero', x1: L.plotX, y1: y, x2: L.plotX + L.plotW, y2: y, stroke: ZERO_LINE });
  }
  return { under: { rects, lines: [], texts }, over };
}

/** Parts that change with the values: sum bars, legend ticks, the ΣA caption. */
export function dynamicScene(layout: HeatmapLayout, stats: MatrixStats): Scene {
  const L = layout;
  const rects: RectPrim[] = [];
  const lines: LinePrim[] = [];
  const texts: TextPrim[] = [];
  // The sums run larger than any one cell, so their bars get the same diverging colours on
  // their own domain [-s, s]; on the cells' domain nearly every bar would saturate.
  const s = stats.sumMaxAbs;
  const sumColor = makeColorScale(s);
  const thick = L.cell - L.inset;
  const halfW = L.rowSumW / 2 - 1;
  const halfH = L.colSumH / 2 - 1;
  const x0 = L.rowSumX + L.rowSumW / 2;
  const y0 = L.colSumY + L.colSumH / 2;
  L.visRows.forEach((r, k) => {
    const v = stats.rowSums[r];
    const len = s > 0 && Number.isFinite(v) ? (v / s) * halfW : 0;
    rects.push({ key: `rs${r}`, x: len >= 0 ? x0 : x0 + len, y: L.plotY + k * L.cell, width: Math.abs(len), height: thick, fill: sumColor(v) });
  });
  L.visCols.forEach((c, k) => {
    const v = stats.colSums[c];
    const len = s > 0 && Number.isFinite(v) ? (v / s) * halfH : 0;
    rects.push({ key: `cs${c}`, x: L.plotX + k * L.cell, y: len >= 0 ? y0 - len : y0, width: thick, height: Math.abs(len), fill: sumColor(v) });
  });

  const m = stats.maxAbs;
  const tickY = L.legendY + L.legendH;
  const ticks: { x: number; label: string }[] = [];
  if (m > 0 && Number.isFinite(m)) {
    const scale = d3.scaleLinear().domain([-m, m]).range([L.legendX, L.legendX + L.legendW]);
    const fmt = scale.tickFormat(5);
    for (const t of scale.ticks(5)) ticks.push({ x: scale(t), label: fmt(t) });
  } else {
    ticks.push({ x: L.legendX + L.legendW / 2, label: '0' });
  }
  ticks.forEach((t, k) => {
    lines.push({ key: `tick${k}`, x1: t.x, y1: tickY, x2: t.x, y2: tickY + 4, stroke: MUTED });
    texts.push({ key: `tick${k}`, x: t.x, y: tickY + 5 + SMALL_FONT, text: t.label, anchor: 'middle', size: SMALL_FONT - 1, fill: MUTED });
  });
  texts.push({
    key: 'caption',
    x: L.legendX,
    y: L.captionY,
    text: `Pair attribution A  ·  ΣA = ${formatValue(stats.total)}`,
    anchor: 'start',
    size: SMALL_FONT,
    fill: INK,
  });
  return { rects, lines, texts };
}

export interface CellSpot {
  /** "row:col" in matrix indices. */
  key: string;
  /** Index into values. */
  i: number;
  /** Top-left corner; the side is layout.cell − layout.inset. */
  x: number;
  y: number;
}

/** Every visible cell, in drawing order (rows, then columns). */
export function cellSpots(L: HeatmapLayout): CellSpot[] {
  const spots: CellSpot[] = [];
  L.visRows.forEach((r, vr) => {
    L.visCols.forEach((c, vc) => {
      spots.push({ key: `${r}:${c}`, i: r * L.cols + c, x: L.plotX + vc * L.cell, y: L.plotY + vr * L.cell });
    });
  });
  return spots;
}

export interface Marks {
  pinned: CellRef | null;
  hovered: Hit | null;
  /** The keyboard focus, when its ring shows. */
  focused: CellRef | null;
}

/** Outlines for the pinned cell (with its row and column), the hovered cell and the focus ring. */
export function markRects(L: HeatmapLayout, marks: Marks): RectPrim[] {
  const prims: RectPrim[] = [];
  const box = (key: string, row: number | null, col: number | null, ink: string, width: number, dash?: string) => {
    const vr = row === null ? -1 : L.visRows.indexOf(row);
    const vc = col === null ? -1 : L.visCols.indexOf(col);
    if ((row !== null && vr < 0) || (col !== null && vc < 0)) return;
    const x = col === null ? L.plotX : L.plotX + vc * L.cell;
    const y = row === null ? L.plotY : L.plotY + vr * L.cell;
    const w = col === null ? L.plotW : L.cell;
    const h = row === null ? L.plotH : L.cell;
    // A white halo under the ink keeps the outline visible on the darkest cells too.
    prims.push({ key: `${key}-halo`, x, y, width: w, height: h, fill: 'none', stroke: '#ffffff', strokeWidth: width + 2 });
    prims.push({ key, x, y, width: w, height: h, fill: 'none', stroke: ink, strokeWidth: width, dash });
  };
  const { pinned, hovered, focused } = marks;
  if (pinned) {
    box('pin-row', pinned.row, null, INK, 1);
    box('pin-col', null, pinned.col, INK, 1);
    box('pin-cell', pinned.row, pinned.col, INK, 2);
  }
  if (hovered?.kind === 'cell') box('hover', hovered.row, hovered.col, '#4a5561', 1);
  if (focused) box('focus', focused.row, focused.col, INK, 1.5, '3 2');
  return prims;
}

// ---------------------------------------------------------------------------------------
// Drawing with d3

export type G = d3.Selection<SVGGElement, unknown, null, undefined>;

/** Keyed join, so a shape keeps its DOM node across redraws; attributes as the export writes them. */
function drawShapes<P extends { key: string }>(g: G, tag: string, shapes: P[], attrs: (p: P) => Attrs) {
  return g
    .selectAll<SVGElement, P>(tag)
    .data(shapes, (d) => d.key)
    .join<SVGElement>(tag)
    .each(function (d) {
      for (const [name, value] of Object.entries(attrs(d))) {
        if (value === null) this.removeAttribute(name);
        else this.setAttribute(name, String(value));
      }
    });
}

export function drawRects(g: G, rects: RectPrim[]): void {
  drawShapes(g, 'rect', rects, rectAttrs);
}

/** A child group per kind keeps paint order rects < lines < texts whatever d3 enters later. */
function part(g: G, name: string): G {
  const found = g.select<SVGGElement>(`:scope > g.${name}`);
  return found.empty() ? g.append('g').attr('class', name) : found;
}

export function drawScene(g: G, scene: Scene): void {
  drawRects(part(g, 'rects'), scene.rects);
  drawShapes(part(g, 'lines'), 'line', scene.lines, lineAttrs);
  // .text(), never .html(): labels are user text.
  drawShapes(part(g, 'texts'), 'text', scene.texts, textAttrs).text((d) => d.text);
}

/**
 * The cells: one rect each, placed on re-layout and recoloured on every render. Kept apart
 * from the keyed shapes because a 128×128 matrix has 16k of them: recolouring walks plain
 * arrays and touches only the nodes whose colour changed.
 */
export class CellLayer {
  private nodes: SVGRectElement[] = [];
  private index: number[] = [];
  private fills: string[] = [];

  constructor(private readonly g: G) {}

  place(L: HeatmapLayout): void {
    const cells = cellSpots(L);
    const size = L.cell - L.inset;
    const sel = this.g
      .selectAll<SVGRectElement, CellSpot>('rect')
      .data(cells, (d) => d.key)
      .join('rect')
      .attr('x', (d) => d.x)
      .attr('y', (d) => d.y)
      .attr('width', size)
      .attr('height', size);
    // join() returns enter+update merged in data order, so node k draws cells[k].
    this.nodes = sel.nodes();
    this.index = cells.map((d) => d.i);
    this.fills = [];
  }

  recolour(values: Float32Array, color: (v: number) => string): void {
    const { nodes, index, fills } = this;
    for (let k = 0; k < nodes.length; k++) {
      const f = color(values[index[k]]);
      if (fills[k] !== f) {
        nodes[k].setAttribute('fill', f);
        fills[k] = f;
      }
    }
  }

  clear(): void {
    this.g.selectAll('*').remove();
    this.nodes = [];
    this.index = [];
    this.fills = [];
  }
}
