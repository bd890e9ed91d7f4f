/** A small test matrix for the heatmap tests: value f(r, c), labels a0… and b0…. */
import type { HeatmapData } from './data.ts';

export function matrix(rows: number, cols: number, f: (r: number, c: number) => number = (r, c) => r - c): HeatmapData {
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[r * cols + c] = f(r, c);
  return {
    rows,
    cols,
    values,
    rowLabels: Array.from({ length: rows }, (_, i) => `a${i}`),
    colLabels: Array.from({ length: cols }, (_, i) => `b${i}`),
  };
}
