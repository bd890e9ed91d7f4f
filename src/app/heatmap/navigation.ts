/**
 * Keyboard navigation over the visible grid: where each key moves the focused cell.
 *
 * Separate from the view so that the key map is a pure function, testable without a DOM;
 * the view only turns grid positions back into matrix indices and says where focus went.
 */
import { clamp } from './layout.ts';

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
