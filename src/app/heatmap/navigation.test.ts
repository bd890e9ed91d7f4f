import { describe, expect, it } from 'vitest';
import { navigate } from './navigation.ts';

describe('navigate', () => {
  const at = (row: number, col: number) => ({ row, col });

  it('moves with the arrow keys and clamps at the edges', () => {
    expect(navigate(at(0, 0), 'ArrowRight', 3, 4)).toEqual(at(0, 1));
    expect(navigate(at(0, 0), 'ArrowDown', 3, 4)).toEqual(at(1, 0));
    expect(navigate(at(0, 0), 'ArrowUp', 3, 4)).toEqual(at(0, 0));
    expect(navigate(at(0, 0), 'ArrowLeft', 3, 4)).toEqual(at(0, 0));
    expect(navigate(at(2, 3), 'ArrowDown', 3, 4)).toEqual(at(2, 3));
    expect(navigate(at(2, 3), 'ArrowRight', 3, 4)).toEqual(at(2, 3));
  });

  it('goes to the row start and end with Home/End, grid corners with Ctrl', () => {
    expect(navigate(at(1, 2), 'Home', 3, 4)).toEqual(at(1, 0));
    expect(navigate(at(1, 2), 'End', 3, 4)).toEqual(at(1, 3));
    expect(navigate(at(1, 2), 'Home', 3, 4, { ctrlKey: true })).toEqual(at(0, 0));
    expect(navigate(at(1, 2), 'End', 3, 4, { ctrlKey: true })).toEqual(at(2, 3));
  });

  it('pages by rows, ignores other keys and empty grids, and repairs stale positions', () => {
    expect(navigate(at(1, 1), 'PageDown', 20, 2)).toEqual(at(9, 1));
    expect(navigate(at(1, 1), 'PageUp', 20, 2)).toEqual(at(0, 1));
    expect(navigate(at(0, 0), 'a', 3, 3)).toBeNull();
    expect(navigate(at(0, 0), 'ArrowRight', 0, 3)).toBeNull();
    expect(navigate(at(9, 9), 'ArrowLeft', 3, 3)).toEqual(at(2, 1));
  });
});
