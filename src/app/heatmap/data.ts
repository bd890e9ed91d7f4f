/**
 * The heatmap's input and the numbers derived from it: the matrix shape, which rows and
 * columns show, row/column sums, ΣA and shares of it.
 *
 * Separate because every other heatmap module reads these and none of it draws: layout,
 * scene, export and view all start from a `HeatmapData` and its `MatrixStats`.
 */

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
