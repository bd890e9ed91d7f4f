/**
 * How heatmap numbers read as text: values to four significant digits, shares of ΣA, the
 * tooltip's lines and the one-line cell description the live region announces.
 *
 * Separate so that the drawn caption, the tooltip and the announcements all word a number
 * the same way, from one place, and can be tested without a DOM.
 */
import * as d3 from 'd3';
import { shareOfTotal, type HeatmapData, type MatrixStats } from './data.ts';
import type { Hit } from './layout.ts';

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

/** The tooltip's three lines for a cell or a sum bar. */
export function tooltipText(d: HeatmapData, s: MatrixStats, hit: Hit): { head: string; value: string; share: string } {
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
