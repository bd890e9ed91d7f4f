/**
 * Heatmap drawing for a token-pair attribution matrix, in the manner of TensorFlow
 * Playground's heatmap.ts: one class that draws with d3 and knows nothing of the model.
 *
 * Geometry and colours are pure functions (layout, scales, sums, navigation, hit testing,
 * SVG string export) so they can be tested in Node; `HeatmapView` only puts them on screen.
 */
import * as d3 from 'd3';

export interface HeatmapData {
  rowLabels: string[];
  colLabels: string[];
  /** Row-major, rows × cols. */
  values: Float32Array;
  rows: number;
  cols: number;
  /** Display-only: hidden rows/cols are not drawn but still count in the sums and in ΣA. */
  hiddenRows?: boolean[];
  hiddenCols?: boolean[];
  title?: string;
}

/** A cell by its index in the full matrix (hidden rows/cols included). */
export interface CellRef {
  row: number;
  col: number;
}

export interface LayoutOptions {
  /** The plot's longer side aims at this many px before the cell size is clamped. */
  maxPlot?: number;
  minCell?: number;
  maxCell?: number;
}

export interface HeatmapOptions extends LayoutOptions {
  /** User pins or unpins a cell, or a render drops the pin because its cell went away. */
  onPin?: (cell: CellRef | null) => void;
}

export const HEATMAP_NAME = 'Attribution heatmap';

const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const INK = '#1d232a';
const MUTED = '#5b6670';
const GRID = '#e3e7eb';
const ZERO_LINE = '#7d8791';
const NAN_FILL = '#b9c2cc';
const PAD = 10;
const GAP = 8;
const SUM_W = 84;
const SUM_H = 56;
const LEGEND_W = 200;
const SMALL_FONT = 11;
const TITLE_FONT = 14;
const MAX_LABEL_CHARS = 14;
/** Average glyph advance of system-ui as a fraction of the font size; a little generous. */
const CHAR_WIDTH = 0.6;
const COL_LABEL_ANGLE = -60;

// ---------------------------------------------------------------------------------------
// Colour

/**
 * ColorBrewer RdBu, reversed so that positive attributions are red and negative ones blue
 * (the convention of SHAP and Captum plots, which PairLens users will know). ColorBrewer
 * marks RdBu colour-blind safe: its hues split along the blue–yellow axis that protan and
 * deutan vision keeps, and lightness falls symmetrically with |value|, so magnitude still
 * reads in greyscale. PuOr would do as well; RdBu wins on familiarity.
 */
export function divergingColor(t: number): string {
  return d3.interpolateRdBu(1 - t);
}

export const NEUTRAL_COLOR = divergingColor(0.5);
export const NEGATIVE_END_COLOR = divergingColor(0);
export const POSITIVE_END_COLOR = divergingColor(1);

/** Odd, so that 0 falls exactly on the middle entry; 257 steps are finer than the eye sees. */
const LUT_SIZE = 257;
// A lookup table makes a 16k-cell recolour cheap, and equal colours come back as the same
// string, so unchanged cells are found with one comparison and their DOM left alone.
const LUT: readonly string[] = Array.from({ length: LUT_SIZE }, (_, k) => divergingColor(k / (LUT_SIZE - 1)));

/** Colour for a value on the symmetric domain [-m, m]; values outside are clamped. */
export function makeColorScale(m: number): (v: number) => string {
  const half = (LUT_SIZE - 1) / 2;
  const k = m > 0 && Number.isFinite(m) ? half / m : 0;
  return (v: number) => {
    if (!Number.isFinite(v)) return NAN_FILL;
    const idx = Math.round(half + v * k);
    return LUT[idx < 0 ? 0 : idx > LUT_SIZE - 1 ? LUT_SIZE - 1 : idx];
  };
}

export function legendStops(n = 11): { offset: number; color: string }[] {
  return Array.from({ length: n }, (_, k) => ({ offset: k / (n - 1), color: divergingColor(k / (n - 1)) }));
}

// ---------------------------------------------------------------------------------------
// Numbers

export function visibleIndices(n: number, hidden?: readonly boolean[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!hidden?.[i]) out.push(i);
  return out;
}

export interface MatrixStats {
  /** Over all columns, hidden ones included: hiding is display-only. */
  rowSums: Float64Array;
  colSums: Float64Array;
  /** ΣA over the whole matrix. */
  total: number;
  /** max |value| over the visible cells, so a hidden [CLS] outlier cannot wash out the colours. */
  maxAbs: number;
  /** max |sum| over the visible rows and columns, the half-length of the sum bars. */
  sumMaxAbs: number;
}

export function matrixStats(
  values: Float32Array,
  rows: number,
  cols: number,
  visRows: readonly number[],
  visCols: readonly number[],
): MatrixStats {
  const rowSums = new Float64Array(rows);
  const colSums = new Float64Array(cols);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = values[base + c];
      s += v;
      colSums[c] += v;
    }
    rowSums[r] = s;
    total += s;
  }
  let maxAbs = 0;
  for (const r of visRows) {
    const base = r * cols;
    for (const c of visCols) {
      const a = Math.abs(values[base + c]);
      if (a > maxAbs) maxAbs = a;
    }
  }
  let sumMaxAbs = 0;
  for (const r of visRows) sumMaxAbs = Math.max(sumMaxAbs, Math.abs(rowSums[r]));
  for (const c of visCols) sumMaxAbs = Math.max(sumMaxAbs, Math.abs(colSums[c]));
  return { rowSums, colSums, total, maxAbs, sumMaxAbs };
}

/** value / ΣA in percent; null where ΣA is zero (or near enough that the ratio means nothing). */
export function shareOfTotal(value: number, total: number): number | null {
  if (!Number.isFinite(total) || !Number.isFinite(value) || Math.abs(total) < 1e-12) return null;
  return (100 * value) / total;
}

const format4 = d3.format('.4g');
const format3 = d3.format('.3~g');

/** Four significant digits, with a real minus sign. */
export function formatValue(v: number): string {
  return Number.isFinite(v) ? format4(v) : String(v);
}

export function formatShare(percent: number | null): string {
  return percent === null ? 'share n/a (ΣA ≈ 0)' : `${format3(percent)}%`;
}

/** "tokenA × tokenB: value, share%" — the text the live region announces. */
export function describeCell(rowLabel: string, colLabel: string, value: number, total: number): string {
  return `${rowLabel} × ${colLabel}: ${formatValue(value)}, ${formatShare(shareOfTotal(value, total))}`;
}

// ---------------------------------------------------------------------------------------
// Keyboard navigation

/** A position among the visible rows and columns (not matrix indices). */
export interface GridPos {
  row: number;
  col: number;
}

/**
 * Where a key moves the focused cell in an nRows × nCols grid, or null for keys it does not
 * handle. Moves clamp at the edges, as in the ARIA grid pattern; Ctrl (or ⌘) + Home/End go
 * to the first/last cell of the grid.
 */
export function navigate(
  pos: GridPos,
  key: string,
  nRows: number,
  nCols: number,
  mods: { ctrlKey?: boolean } = {},
  pageSize = 8,
): GridPos | null {
  if (nRows <= 0 || nCols <= 0) return null;
  const clampRow = (r: number) => clamp(r, 0, nRows - 1);
  const clampCol = (c: number) => clamp(c, 0, nCols - 1);
  const row = clampRow(pos.row);
  const col = clampCol(pos.col);
  switch (key) {
    case 'ArrowUp':
      return { row: clampRow(row - 1), col };
    case 'ArrowDown':
      return { row: clampRow(row + 1), col };
    case 'ArrowLeft':
      return { row, col: clampCol(col - 1) };
    case 'ArrowRight':
      return { row, col: clampCol(col + 1) };
    case 'Home':
      return mods.ctrlKey ? { row: 0, col: 0 } : { row, col: 0 };
    case 'End':
      return mods.ctrlKey ? { row: nRows - 1, col: nCols - 1 } : { row, col: nCols - 1 };
    case 'PageUp':
      return { row: clampRow(row - pageSize), col };
    case 'PageDown':
      return { row: clampRow(row + pageSize), col };
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------
// Layout

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Side of a square cell when the larger of rows/cols is n. */
export function cellSizeFor(n: number, opts: LayoutOptions = {}): number {
  const { maxPlot = 600, minCell = 4, maxCell = 36 } = opts;
  return clamp(Math.floor(maxPlot / Math.max(1, n)), minCell, maxCell);
}

export function labelFontSize(cell: number): number {
  return clamp(Math.round(cell * 0.75), 8, 13);
}

/** Draw every k-th label so that neighbours never overlap once cells are smaller than text. */
export function labelStride(cell: number, fontSize: number): number {
  return Math.max(1, Math.ceil((fontSize * 1.05) / cell));
}

export function truncateLabel(s: string, maxChars = MAX_LABEL_CHARS): string {
  const chars = Array.from(s);
  return chars.length <= maxChars ? s : `${chars.slice(0, maxChars - 1).join('')}…`;
}

export function estimateTextWidth(s: string, fontSize: number): number {
  return Array.from(s).length * fontSize * CHAR_WIDTH;
}

export interface LabelSpot {
  /** Index in the full matrix. */
  index: number;
  /** Possibly truncated; the tooltip gives the whole label. */
  text: string;
  x: number;
  y: number;
}

export interface HeatmapLayout {
  rows: number;
  cols: number;
  visRows: number[];
  visCols: number[];
  cell: number;
  /** Gap between cells, only when they are large enough to spare it. */
  inset: number;
  fontSize: number;
  plotX: number;
  plotY: number;
  plotW: number;
  plotH: number;
  rowSumX: number;
  rowSumW: number;
  colSumY: number;
  colSumH: number;
  legendX: number;
  legendY: number;
  legendW: number;
  legendH: number;
  captionY: number;
  width: number;
  height: number;
  rowLabels: LabelSpot[];
  colLabels: LabelSpot[];
  title: { text: string; x: number; y: number } | null;
}

export function computeLayout(data: HeatmapData, opts: LayoutOptions = {}): HeatmapLayout {
  const visRows = visibleIndices(data.rows, data.hiddenRows);
  const visCols = visibleIndices(data.cols, data.hiddenCols);
  const cell = cellSizeFor(Math.max(visRows.length, visCols.length), opts);
  const inset = cell >= 12 ? 1 : 0;
  const fontSize = labelFontSize(cell);
  const stride = labelStride(cell, fontSize);

  const rowTexts = visRows.map((r, k) => ({ k, index: r, text: truncateLabel(data.rowLabels[r]) })).filter((l) => l.k % stride === 0);
  const colTexts = visCols.map((c, k) => ({ k, index: c, text: truncateLabel(data.colLabels[c]) })).filter((l) => l.k % stride === 0);
  const widest = (ls: { text: string }[]) => ls.reduce((w, l) => Math.max(w, estimateTextWidth(l.text, fontSize)), 0);
  const rowLabelW = Math.max(widest(rowTexts), estimateTextWidth('Column Σ', SMALL_FONT));
  const colLabelW = widest(colTexts);
  const angle = (Math.abs(COL_LABEL_ANGLE) * Math.PI) / 180;

  const titleText = data.title?.trim() ? data.title : null;
  const titleH = titleText ? TITLE_FONT + 10 : 0;
  const colLabelH = colTexts.length ? colLabelW * Math.sin(angle) + fontSize : 0;

  const plotX = PAD + rowLabelW + GAP;
  const plotY = PAD + titleH + colLabelH + GAP;
  const plotW = visCols.length * cell;
  const plotH = visRows.length * cell;
  const rowSumX = plotX + plotW + GAP * 1.5;
  const colSumY = plotY + plotH + GAP * 1.5;
  const captionY = colSumY + SUM_H + 24;
  const legendY = captionY + 8;
  const legendH = 10;
  const height = legendY + legendH + 6 + SMALL_FONT + PAD + 4;
  const captionW = estimateTextWidth('Pair attribution A  ·  ΣA = −0.0001234', SMALL_FONT);
  const width = Math.max(
    rowSumX + SUM_W,
    plotX + plotW + colLabelW * Math.cos(angle) + fontSize,
    plotX + Math.max(LEGEND_W + 20, captionW),
    titleText ? PAD + estimateTextWidth(titleText, TITLE_FONT) : 0,
  ) + PAD;

  const labelGap = 5;
  return {
    rows: data.rows,
    cols: data.cols,
    visRows,
    visCols,
    cell,
    inset,
    fontSize,
    plotX,
    plotY,
    plotW,
    plotH,
    rowSumX,
    rowSumW: SUM_W,
    colSumY,
    colSumH: SUM_H,
    legendX: plotX,
    legendY,
    legendW: LEGEND_W,
    legendH,
    captionY,
    width: Math.ceil(width),
    height: Math.ceil(height),
    rowLabels: rowTexts.map((l) => ({ index: l.index, text: l.text, x: plotX - labelGap, y: plotY + (l.k + 0.5) * cell })),
    colLabels: colTexts.map((l) => ({ index: l.index, text: l.text, x: plotX + (l.k + 0.5) * cell, y: plotY - labelGap })),
    title: titleText ? { text: titleText, x: PAD, y: PAD + TITLE_FONT } : null,
  };
}

export type Hit = { kind: 'cell'; row: number; col: number } | { kind: 'row-sum'; row: number } | { kind: 'col-sum'; col: number };

/** What lies under layout point (x, y), in full-matrix indices. */
export function hitTest(layout: HeatmapLayout, x: number, y: number): Hit | null {
  const { plotX, plotY, cell, visRows, visCols } = layout;
  const vr = Math.floor((y - plotY) / cell);
  const vc = Math.floor((x - plotX) / cell);
  const inRows = y >= plotY && vr < visRows.length;
  const inCols = x >= plotX && vc < visCols.length;
  if (inRows && inCols) return { kind: 'cell', row: visRows[vr], col: visCols[vc] };
  if (inRows && x >= layout.rowSumX && x < layout.rowSumX + layout.rowSumW) return { kind: 'row-sum', row: visRows[vr] };
  if (inCols && y >= layout.colSumY && y < layout.colSumY + layout.colSumH) return { kind: 'col-sum', col: visCols[vc] };
  return null;
}

// ---------------------------------------------------------------------------------------
// Scene: everything but the cells, as plain shapes that both d3 and the SVG exporter draw.

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

// ---------------------------------------------------------------------------------------
// SVG string export

/**
 * Escapes text for XML content and attribute values. Characters that XML 1.0 forbids
 * (most C0 controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD: a token holding one
 * would otherwise make the exported file unreadable.
 */
export function escapeXml(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const code = s.charCodeAt(i);
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) out += '\uFFFD';
    else if (code === 0xfffe || code === 0xffff) out += '\uFFFD';
    else if (code >= 0xd800 && code <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += ch + s[i + 1];
        i++;
      } else out += '\uFFFD';
    } else if (code >= 0xdc00 && code <= 0xdfff) out += '\uFFFD';
    else out += ch;
  }
  return out;
}

/** Two decimals: enough for a crisp picture, and it keeps a 128×128 export small. */
function n(x: number): string {
  return String(Math.round(x * 100) / 100);
}

function rectSvg(p: RectPrim): string {
  const stroke = p.stroke ? ` stroke="${escapeXml(p.stroke)}" stroke-width="${n(p.strokeWidth ?? 1)}"` : '';
  const dash = p.dash ? ` stroke-dasharray="${escapeXml(p.dash)}"` : '';
  return `<rect x="${n(p.x)}" y="${n(p.y)}" width="${n(p.width)}" height="${n(p.height)}" fill="${escapeXml(p.fill)}"${stroke}${dash}/>`;
}

function lineSvg(p: LinePrim): string {
  return `<line x1="${n(p.x1)}" y1="${n(p.y1)}" x2="${n(p.x2)}" y2="${n(p.y2)}" stroke="${escapeXml(p.stroke)}" stroke-width="${n(p.strokeWidth ?? 1)}"/>`;
}

function textTransform(p: TextPrim): string | null {
  return p.rotate ? `rotate(${p.rotate} ${n(p.x)} ${n(p.y)})` : null;
}

function textSvg(p: TextPrim): string {
  const t = textTransform(p);
  return (
    `<text x="${n(p.x)}" y="${n(p.y)}" text-anchor="${p.anchor}" font-size="${p.size}" fill="${escapeXml(p.fill)}"` +
    (p.dy ? ` dy="${p.dy}em"` : '') +
    (p.bold ? ' font-weight="600"' : '') +
    (t ? ` transform="${t}"` : '') +
    `>${escapeXml(p.text)}</text>`
  );
}

function sceneSvg(s: Scene): string[] {
  return [...s.rects.map(rectSvg), ...s.lines.map(lineSvg), ...s.texts.map(textSvg)];
}

export function validateHeatmapData(d: HeatmapData): void {
  if (!Number.isInteger(d.rows) || !Number.isInteger(d.cols) || d.rows < 0 || d.cols < 0) {
    throw new RangeError(`heatmap: bad shape ${d.rows}×${d.cols}`);
  }
  if (d.values.length !== d.rows * d.cols) {
    throw new RangeError(`heatmap: ${d.values.length} values for a ${d.rows}×${d.cols} matrix`);
  }
  if (d.rowLabels.length !== d.rows || d.colLabels.length !== d.cols) {
    throw new RangeError(`heatmap: ${d.rowLabels.length}×${d.colLabels.length} labels for a ${d.rows}×${d.cols} matrix`);
  }
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
  const cells: string[] = [];
  layout.visRows.forEach((r, vr) => {
    layout.visCols.forEach((c, vc) => {
      const x = n(layout.plotX + vc * layout.cell);
      const y = n(layout.plotY + vr * layout.cell);
      cells.push(`<rect x="${x}" y="${y}" width="${size}" height="${size}" fill="${color(data.values[r * data.cols + c])}"/>`);
    });
  });
  const stops = legendStops()
    .map((s) => `<stop offset="${n(s.offset * 100)}%" stop-color="${s.color}"/>`)
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

// ---------------------------------------------------------------------------------------
// The view

type G = d3.Selection<SVGGElement, unknown, null, undefined>;

interface CellDatum {
  key: string;
  /** Index into values. */
  i: number;
  x: number;
  y: number;
}

let instances = 0;

export class HeatmapView {
  private readonly root: HTMLDivElement;
  private readonly svgNode: SVGSVGElement;
  private readonly layers: { under: G; cells: G; dynamic: G; over: G; highlight: G };
  private readonly tooltip: HTMLDivElement;
  private readonly live: HTMLDivElement;
  private readonly gradientId: string;
  private options: HeatmapOptions;

  private data: HeatmapData | null = null;
  private layout: HeatmapLayout | null = null;
  private stats: MatrixStats | null = null;
  private shapeKey = '';
  private cellNodes: SVGRectElement[] = [];
  private cellIndex: number[] = [];
  private cellFill: string[] = [];

  private pinned: CellRef | null = null;
  private focused: CellRef | null = null;
  private hovered: Hit | null = null;
  private tooltipFor: { hit: Hit; source: 'pointer' | 'keyboard' } | null = null;
  /** Focus ring only for keyboard focus; a click already marks its cell by pinning it. */
  private showRing = false;

  constructor(container: HTMLElement, options: HeatmapOptions = {}) {
    this.options = options;
    const id = `pl-heatmap-${++instances}`;
    this.gradientId = `${id}-legend`;
    const doc = container.ownerDocument;

    this.root = doc.createElement('div');
    this.root.className = 'pl-heatmap';
    this.root.tabIndex = 0;
    // An interactive 2-D widget with its own arrow-key handling: "application" makes screen
    // readers leave browse mode so the keys reach us, and each move is announced through the
    // live region. A full ARIA grid would mean 16k gridcell nodes for a 128×128 matrix.
    this.root.setAttribute('role', 'application');
    this.root.setAttribute('aria-roledescription', 'heatmap');
    this.root.setAttribute('aria-label', HEATMAP_NAME);
    this.root.setAttribute('aria-describedby', `${id}-help`);

    const svg = d3
      .select(this.root)
      .append('svg')
      .attr('aria-hidden', 'true')
      .attr('focusable', 'false')
      .attr('font-family', FONT_FAMILY);
    this.svgNode = svg.node() as SVGSVGElement;
    const stops = svg.append('defs').append('linearGradient').attr('id', this.gradientId).attr('x1', 0).attr('x2', 1).attr('y1', 0).attr('y2', 0);
    stops
      .selectAll('stop')
      .data(legendStops())
      .join('stop')
      .attr('offset', (d) => `${d.offset * 100}%`)
      .attr('stop-color', (d) => d.color);
    this.layers = {
      under: svg.append('g').attr('class', 'pl-heatmap__under'),
      cells: svg.append('g').attr('class', 'pl-heatmap__cells').attr('shape-rendering', 'crispEdges'),
      dynamic: svg.append('g').attr('class', 'pl-heatmap__dynamic'),
      over: svg.append('g').attr('class', 'pl-heatmap__over'),
      highlight: svg.append('g').attr('class', 'pl-heatmap__highlight').attr('pointer-events', 'none'),
    };

    this.tooltip = doc.createElement('div');
    this.tooltip.className = 'pl-heatmap__tooltip';
    this.tooltip.setAttribute('aria-hidden', 'true');
    this.tooltip.hidden = true;

    this.live = doc.createElement('div');
    this.live.className = 'pl-heatmap__sr';
    this.live.setAttribute('aria-live', 'polite');
    this.live.setAttribute('aria-atomic', 'true');

    const help = doc.createElement('div');
    help.id = `${id}-help`;
    help.className = 'pl-heatmap__sr';
    help.textContent =
      'Arrow keys move between token pairs; Home and End go to the start or end of the row; Enter or Space pins the pair; Escape unpins.';

    this.root.append(this.tooltip, this.live, help);
    container.append(this.root);

    // One listener each on the svg, not one per cell: the target cell comes from coordinates.
    this.svgNode.addEventListener('pointermove', this.onPointerMove);
    this.svgNode.addEventListener('pointerleave', this.onPointerLeave);
    this.svgNode.addEventListener('click', this.onClick);
    this.root.addEventListener('keydown', this.onKeyDown);
    this.root.addEventListener('focus', this.onFocus);
    this.root.addEventListener('blur', this.onBlur);
  }

  /** Replaces callbacks and layout options; layout options apply from the next re-layout. */
  setOptions(options: HeatmapOptions): void {
    this.options = options;
  }

  render(data: HeatmapData): void {
    validateHeatmapData(data);
    const key = JSON.stringify([
      data.rows,
      data.cols,
      data.title ?? '',
      data.rowLabels,
      data.colLabels,
      visibleIndices(data.rows, data.hiddenRows),
      visibleIndices(data.cols, data.hiddenCols),
    ]);
    const prev = this.data;
    this.data = data;
    if (key !== this.shapeKey || !this.layout) {
      this.shapeKey = key;
      this.layout = computeLayout(data, this.options);
      this.relayout();
      this.focused = prev && this.survives(this.focused, prev, data) ? this.focused : null;
      if (this.pinned && !(prev && this.survives(this.pinned, prev, data))) this.setPinned(null, true);
      if (this.tooltipFor) this.hideTooltip();
      this.hovered = null;
    }
    const layout = this.layout;
    this.stats = matrixStats(data.values, data.rows, data.cols, layout.visRows, layout.visCols);
    this.recolour();
    drawScene(this.layers.dynamic, dynamicScene(layout, this.stats));
    this.drawHighlights();
    if (this.tooltipFor) this.fillTooltip(this.tooltipFor.hit);
  }

  /** Removes the drawing (e.g. while no result is available); listeners stay. */
  clear(): void {
    this.data = null;
    this.layout = null;
    this.stats = null;
    this.shapeKey = '';
    for (const g of Object.values(this.layers)) g.selectAll('*').remove();
    this.cellNodes = [];
    this.cellIndex = [];
    this.cellFill = [];
    this.svgNode.removeAttribute('width');
    this.svgNode.removeAttribute('height');
    this.svgNode.removeAttribute('viewBox');
    this.hideTooltip();
    this.focused = null;
    this.hovered = null;
    if (this.pinned) this.setPinned(null, true);
  }

  /** Pins a cell from outside (e.g. from a top-pairs list); does not call onPin. */
  pin(cell: CellRef | null): void {
    if (cell && this.layout && !(this.layout.visRows.includes(cell.row) && this.layout.visCols.includes(cell.col))) return;
    this.setPinned(cell ? { row: cell.row, col: cell.col } : null, false);
  }

  getPinned(): CellRef | null {
    return this.pinned ? { ...this.pinned } : null;
  }

  /** The focusable wrapper that carries the accessible name (e.g. to focus it from outside). */
  get element(): HTMLElement {
    return this.root;
  }

  /** A standalone SVG of the last rendered data, without hover or pin marks. */
  toSvgString(): string {
    if (!this.data) return '<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"/>';
    return heatmapSvgString(this.data, this.options);
  }

  /** The export SVG rasterised at `scale` × its CSS size. Browser only. */
  async toPngBlob(scale = 2): Promise<Blob> {
    if (!this.data) throw new Error('heatmap: nothing rendered to export');
    const layout = computeLayout(this.data, this.options);
    const svg = this.toSvgString();
    const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml;charset=utf-8' }));
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      const canvas = this.root.ownerDocument.createElement('canvas');
      canvas.width = Math.ceil(layout.width * scale);
      canvas.height = Math.ceil(layout.height * scale);
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

  dispose(): void {
    this.svgNode.removeEventListener('pointermove', this.onPointerMove);
    this.svgNode.removeEventListener('pointerleave', this.onPointerLeave);
    this.svgNode.removeEventListener('click', this.onClick);
    this.root.removeEventListener('keydown', this.onKeyDown);
    this.root.removeEventListener('focus', this.onFocus);
    this.root.removeEventListener('blur', this.onBlur);
    this.root.remove();
    this.data = null;
    this.layout = null;
    this.stats = null;
    this.cellNodes = [];
  }

  // ---- drawing

  private relayout(): void {
    const L = this.layout;
    if (!L) return;
    d3.select(this.svgNode).attr('width', L.width).attr('height', L.height).attr('viewBox', `0 0 ${L.width} ${L.height}`);
    const { under, over } = staticScene(L, this.gradientId);
    drawScene(this.layers.under, under);
    drawScene(this.layers.over, over);

    const cols = L.cols;
    const cells: CellDatum[] = [];
    L.visRows.forEach((r, vr) => {
      L.visCols.forEach((c, vc) => {
        cells.push({ key: `${r}:${c}`, i: r * cols + c, x: L.plotX + vc * L.cell, y: L.plotY + vr * L.cell });
      });
    });
    const size = L.cell - L.inset;
    const sel = this.layers.cells
      .selectAll<SVGRectElement, CellDatum>('rect')
      .data(cells, (d) => d.key)
      .join('rect')
      .attr('x', (d) => d.x)
      .attr('y', (d) => d.y)
      .attr('width', size)
      .attr('height', size);
    // join() returns enter+update merged in data order, so node k draws cells[k].
    this.cellNodes = sel.nodes();
    this.cellIndex = cells.map((d) => d.i);
    this.cellFill = [];
  }

  private recolour(): void {
    const values = this.data?.values;
    const stats = this.stats;
    if (!values || !stats) return;
    const color = makeColorScale(stats.maxAbs);
    const nodes = this.cellNodes;
    const idx = this.cellIndex;
    const fills = this.cellFill;
    for (let k = 0; k < nodes.length; k++) {
      const f = color(values[idx[k]]);
      if (fills[k] !== f) {
        nodes[k].setAttribute('fill', f);
        fills[k] = f;
      }
    }
  }

  private drawHighlights(): void {
    const L = this.layout;
    const prims: RectPrim[] = [];
    if (L) {
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
      if (this.pinned) {
        box('pin-row', this.pinned.row, null, INK, 1);
        box('pin-col', null, this.pinned.col, INK, 1);
        box('pin-cell', this.pinned.row, this.pinned.col, INK, 2);
      }
      if (this.hovered?.kind === 'cell') box('hover', this.hovered.row, this.hovered.col, '#4a5561', 1);
      if (this.showRing && this.focused) box('focus', this.focused.row, this.focused.col, INK, 1.5, '3 2');
    }
    drawRects(this.layers.highlight, prims);
  }

  // ---- tooltip and announcements

  private hitText(hit: Hit): { head: string; value: string; share: string } | null {
    const d = this.data;
    const s = this.stats;
    if (!d || !s) return null;
    const share = (v: number) => {
      const pct = shareOfTotal(v, s.total);
      return pct === null ? formatShare(pct) : `${formatShare(pct)} of ΣA`;
    };
    if (hit.kind === 'cell') {
      const v = d.values[hit.row * d.cols + hit.col];
      return { head: `${d.rowLabels[hit.row]} × ${d.colLabels[hit.col]}`, value: `A = ${formatValue(v)}`, share: share(v) };
    }
    if (hit.kind === 'row-sum') {
      const v = s.rowSums[hit.row];
      return { head: `Row Σ · ${d.rowLabels[hit.row]}`, value: `Σ = ${formatValue(v)}`, share: share(v) };
    }
    const v = s.colSums[hit.col];
    return { head: `Column Σ · ${d.colLabels[hit.col]}`, value: `Σ = ${formatValue(v)}`, share: share(v) };
  }

  private fillTooltip(hit: Hit): void {
    const t = this.hitText(hit);
    if (!t) return this.hideTooltip();
    const lines: [string, string][] = [
      ['pl-heatmap__tip-head', t.head],
      ['pl-heatmap__tip-value', t.value],
      ['pl-heatmap__tip-share', t.share],
    ];
    if (hit.kind === 'cell' && this.pinned?.row === hit.row && this.pinned.col === hit.col) {
      lines.push(['pl-heatmap__tip-note', 'Pinned · click or Enter to unpin']);
    }
    // textContent only: labels are user text.
    this.tooltip.replaceChildren(
      ...lines.map(([cls, text]) => {
        const div = this.root.ownerDocument.createElement('div');
        div.className = cls;
        div.textContent = text;
        return div;
      }),
    );
  }

  private showTooltip(hit: Hit, source: 'pointer' | 'keyboard', clientX: number, clientY: number): void {
    this.tooltipFor = { hit, source };
    this.fillTooltip(hit);
    this.tooltip.hidden = false;
    const host = this.root.getBoundingClientRect();
    const off = 14;
    let left = clientX - host.left + off;
    let top = clientY - host.top + off;
    const w = this.tooltip.offsetWidth;
    const h = this.tooltip.offsetHeight;
    if (left + w > host.width) left = Math.max(0, clientX - host.left - off - w);
    if (top + h > host.height) top = Math.max(0, clientY - host.top - off - h);
    this.tooltip.style.left = `${left}px`;
    this.tooltip.style.top = `${top}px`;
  }

  private hideTooltip(): void {
    this.tooltipFor = null;
    this.tooltip.hidden = true;
  }

  /** Client coordinates of a layout point, through whatever CSS scaling the svg has. */
  private toClient(x: number, y: number): { x: number; y: number } {
    const r = this.svgNode.getBoundingClientRect();
    const L = this.layout;
    const sx = L && L.width ? r.width / L.width : 1;
    const sy = L && L.height ? r.height / L.height : 1;
    return { x: r.left + x * sx, y: r.top + y * sy };
  }

  private toLayout(clientX: number, clientY: number): { x: number; y: number } {
    const r = this.svgNode.getBoundingClientRect();
    const L = this.layout;
    const sx = L && r.width ? L.width / r.width : 1;
    const sy = L && r.height ? L.height / r.height : 1;
    return { x: (clientX - r.left) * sx, y: (clientY - r.top) * sy };
  }

  private announce(text: string): void {
    this.live.textContent = text;
  }

  /** With a prefix ("Pinned: "), the pin state is already said and not repeated at the end. */
  private announceFocused(prefix = ''): void {
    const d = this.data;
    const s = this.stats;
    const f = this.focused;
    if (!d || !s || !f) return;
    const desc = describeCell(d.rowLabels[f.row], d.colLabels[f.col], d.values[f.row * d.cols + f.col], s.total);
    const pinned = !prefix && this.pinned?.row === f.row && this.pinned.col === f.col ? ', pinned' : '';
    this.announce(`${prefix}${desc}${pinned}`);
  }

  private showFocusedTooltip(): void {
    const L = this.layout;
    const f = this.focused;
    if (!L || !f) return;
    const vr = L.visRows.indexOf(f.row);
    const vc = L.visCols.indexOf(f.col);
    if (vr < 0 || vc < 0) return;
    const p = this.toClient(L.plotX + (vc + 1) * L.cell, L.plotY + (vr + 1) * L.cell);
    this.showTooltip({ kind: 'cell', row: f.row, col: f.col }, 'keyboard', p.x - 10, p.y - 10);
  }

  // ---- state

  private setPinned(cell: CellRef | null, emit: boolean): void {
    this.pinned = cell;
    this.drawHighlights();
    if (this.tooltipFor) this.fillTooltip(this.tooltipFor.hit);
    if (emit) this.options.onPin?.(cell ? { ...cell } : null);
  }

  private togglePin(cell: CellRef): void {
    const same = this.pinned?.row === cell.row && this.pinned.col === cell.col;
    this.setPinned(same ? null : { ...cell }, true);
  }

  /** A pinned/focused cell outlives a re-layout only if it still shows the same token pair. */
  private survives(cell: CellRef | null, prev: HeatmapData, next: HeatmapData): boolean {
    if (!cell || !this.layout) return false;
    return (
      prev.rowLabels[cell.row] === next.rowLabels[cell.row] &&
      prev.colLabels[cell.col] === next.colLabels[cell.col] &&
      this.layout.visRows.includes(cell.row) &&
      this.layout.visCols.includes(cell.col)
    );
  }

  // ---- events (arrow properties so that dispose() can remove the same functions)

  private readonly onPointerMove = (ev: PointerEvent): void => {
    const L = this.layout;
    if (!L) return;
    const p = this.toLayout(ev.clientX, ev.clientY);
    const hit = hitTest(L, p.x, p.y);
    const same = JSON.stringify(hit) === JSON.stringify(this.hovered);
    this.hovered = hit;
    if (!same) this.drawHighlights();
    if (hit) this.showTooltip(hit, 'pointer', ev.clientX, ev.clientY);
    else if (this.tooltipFor?.source === 'pointer') this.hideTooltip();
  };

  private readonly onPointerLeave = (): void => {
    this.hovered = null;
    this.drawHighlights();
    if (this.tooltipFor?.source === 'pointer') this.hideTooltip();
  };

  private readonly onClick = (ev: MouseEvent): void => {
    const L = this.layout;
    if (!L) return;
    const p = this.toLayout(ev.clientX, ev.clientY);
    const hit = hitTest(L, p.x, p.y);
    if (hit?.kind !== 'cell') return;
    this.focused = { row: hit.row, col: hit.col };
    this.togglePin(this.focused);
  };

  private readonly onFocus = (): void => {
    const L = this.layout;
    if (!L || !L.visRows.length || !L.visCols.length) return;
    if (!this.focused) this.focused = { row: L.visRows[0], col: L.visCols[0] };
    // Focus by mouse click is followed by the click's own pin; only keyboard focus speaks.
    this.showRing = this.root.matches(':focus-visible');
    this.drawHighlights();
    if (this.showRing) {
      this.announceFocused();
      this.showFocusedTooltip();
    }
  };

  private readonly onBlur = (): void => {
    this.showRing = false;
    this.drawHighlights();
    if (this.tooltipFor?.source === 'keyboard') this.hideTooltip();
  };

  private readonly onKeyDown = (ev: KeyboardEvent): void => {
    const L = this.layout;
    if (!L || !L.visRows.length || !L.visCols.length) return;
    this.showRing = true;
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      if (!this.focused) this.focused = { row: L.visRows[0], col: L.visCols[0] };
      this.togglePin(this.focused);
      this.drawHighlights();
      this.announceFocused(this.pinned ? 'Pinned: ' : 'Unpinned: ');
      return;
    }
    if (ev.key === 'Escape') {
      if (!this.pinned) return;
      ev.preventDefault();
      this.setPinned(null, true);
      this.announce('Unpinned');
      return;
    }
    const f = this.focused;
    const cur = f ? { row: Math.max(0, L.visRows.indexOf(f.row)), col: Math.max(0, L.visCols.indexOf(f.col)) } : { row: 0, col: 0 };
    const next = navigate(cur, ev.key, L.visRows.length, L.visCols.length, { ctrlKey: ev.ctrlKey || ev.metaKey });
    if (!next) return;
    ev.preventDefault();
    this.focused = { row: L.visRows[next.row], col: L.visCols[next.col] };
    this.drawHighlights();
    this.announceFocused();
    this.showFocusedTooltip();
  };
}

// ---------------------------------------------------------------------------------------
// d3 drawing of scene primitives

function drawRects(g: G, rects: RectPrim[]): void {
  g.selectAll<SVGRectElement, RectPrim>('rect')
    .data(rects, (d) => d.key)
    .join('rect')
    .attr('x', (d) => d.x)
    .attr('y', (d) => d.y)
    .attr('width', (d) => d.width)
    .attr('height', (d) => d.height)
    .attr('fill', (d) => d.fill)
    .attr('stroke', (d) => d.stroke ?? null)
    .attr('stroke-width', (d) => (d.stroke ? (d.strokeWidth ?? 1) : null))
    .attr('stroke-dasharray', (d) => d.dash ?? null);
}

/** A child group per kind keeps paint order rects < lines < texts whatever d3 enters later. */
function part(g: G, name: string): G {
  const found = g.select<SVGGElement>(`:scope > g.${name}`);
  return found.empty() ? g.append('g').attr('class', name) : found;
}

function drawScene(g: G, scene: Scene): void {
  drawRects(part(g, 'rects'), scene.rects);
  part(g, 'lines')
    .selectAll<SVGLineElement, LinePrim>('line')
    .data(scene.lines, (d) => d.key)
    .join('line')
    .attr('x1', (d) => d.x1)
    .attr('y1', (d) => d.y1)
    .attr('x2', (d) => d.x2)
    .attr('y2', (d) => d.y2)
    .attr('stroke', (d) => d.stroke)
    .attr('stroke-width', (d) => d.strokeWidth ?? 1);
  part(g, 'texts')
    .selectAll<SVGTextElement, TextPrim>('text')
    .data(scene.texts, (d) => d.key)
    .join('text')
    .attr('x', (d) => d.x)
    .attr('y', (d) => d.y)
    .attr('dy', (d) => (d.dy ? `${d.dy}em` : null))
    .attr('text-anchor', (d) => d.anchor)
    .attr('font-size', (d) => d.size)
    .attr('font-weight', (d) => (d.bold ? 600 : null))
    .attr('fill', (d) => d.fill)
    .attr('transform', (d) => textTransform(d))
    // .text(), never .html(): labels are user text.
    .text((d) => d.text);
}
