/**
 * Heatmap geometry: cell size, where the plot, sum bars, legend and caption go, which labels
 * fit and where they sit, and what lies under a point (hit testing).
 *
 * Separate because it is pure arithmetic on the data's shape and labels, shared by the
 * screen, the SVG export and the pointer handling, and testable in Node without a DOM.
 */
import { visibleIndices, type HeatmapData } from './data.ts';

export interface LayoutOptions {
  /** The plot's longer side aims at this many px before the cell size is clamped. */
  maxPlot?: number;
  minCell?: number;
  maxCell?: number;
}

export const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
export const SMALL_FONT = 11;
export const TITLE_FONT = 14;
export const COL_LABEL_ANGLE = -60;
const PAD = 10;
const GAP = 8;
const SUM_W = 84;
const SUM_H = 56;
const LEGEND_W = 200;
const MAX_LABEL_CHARS = 14;
/** Average glyph advance of system-ui as a fraction of the font size; a little generous. */
const CHAR_WIDTH = 0.6;

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Side of a square cell when the larger of rows/cols is n. */
export function cellSizeFor(n: number, opts: LayoutOptions = {}): number {
  const { maxPlot = 600, minCell = 4, maxCell = 36 } = opts;
  return clamp(Math.floor(maxPlot / Math.max(1, n)), minCell, maxCell);
}

/**
 * Layout options for a host `width` px wide: the plot aims at the width left once labels
 * and sum bars take about 260 px (in 50 px steps, so a resize does not redraw at every
 * pixel), at least 300 px (smaller screens scale the drawing down whole), and cells
 * of short texts grow with it (a twelfth of the plot, 36 to 64 px).
 */
export function plotRoom(width: number): LayoutOptions {
  if (!(width > 0)) return {};
  const maxPlot = Math.max(300, Math.floor((width - 260) / 50) * 50);
  return { maxPlot, maxCell: Math.max(36, Math.min(64, Math.floor(maxPlot / 12))) };
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
