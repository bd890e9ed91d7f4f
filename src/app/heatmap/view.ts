/**
 * `HeatmapView`: the heatmap on the page, in the manner of TensorFlow Playground's
 * heatmap.ts — one class that draws with d3 and knows nothing of the model. It owns the
 * DOM, decides what to redraw on each render, and handles pointer, click-to-pin, keyboard
 * focus, what the tooltip says and the screen-reader announcements.
 *
 * Separate because it holds the interaction state: geometry (layout.ts), shapes and their
 * d3 drawing (scene.ts), colours, numbers, text and the file export live elsewhere, most
 * of it pure and tested in Node.
 */
import * as d3 from 'd3';
import { legendStops, makeColorScale } from './color.ts';
import { matrixStats, validateHeatmapData, visibleIndices, type CellRef, type HeatmapData, type MatrixStats } from './data.ts';
import { describeCell, tooltipText } from './format.ts';
import { FONT_FAMILY, computeLayout, hitTest, type HeatmapLayout, type Hit, type LayoutOptions } from './layout.ts';
import { navigate } from './navigation.ts';
import { CellLayer, HEATMAP_NAME, drawRects, drawScene, dynamicScene, markRects, staticScene, type G } from './scene.ts';
import { heatmapSvgString, svgToPngBlob } from './svg-export.ts';
import { Tooltip, type TipSource } from './tooltip.ts';

let instances = 0;

export class HeatmapView {
  private readonly root: HTMLDivElement;
  private readonly svgNode: SVGSVGElement;
  private readonly layers: { under: G; dynamic: G; over: G; highlight: G };
  private readonly cells: CellLayer;
  private readonly tooltip: Tooltip;
  private readonly live: HTMLDivElement;
  private readonly gradientId: string;
  private options: LayoutOptions;
  /** Aborted by dispose(), which removes every listener the view added. */
  private readonly listening = new AbortController();

  private data: HeatmapData | null = null;
  private layout: HeatmapLayout | null = null;
  private stats: MatrixStats | null = null;
  private shapeKey = '';

  private pinned: CellRef | null = null;
  private focused: CellRef | null = null;
  private hovered: Hit | null = null;
  /** Focus ring only for keyboard focus; a click already marks its cell by pinning it. */
  private showRing = false;

  constructor(container: HTMLElement, options: LayoutOptions = {}) {
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
    // Appended in paint order.
    const under = svg.append('g').attr('class', 'pl-heatmap__under');
    this.cells = new CellLayer(svg.append('g').attr('class', 'pl-heatmap__cells').attr('shape-rendering', 'crispEdges'));
    this.layers = {
      under,
      dynamic: svg.append('g').attr('class', 'pl-heatmap__dynamic'),
      over: svg.append('g').attr('class', 'pl-heatmap__over'),
      highlight: svg.append('g').attr('class', 'pl-heatmap__highlight').attr('pointer-events', 'none'),
    };

    this.tooltip = new Tooltip(doc);

    this.live = doc.createElement('div');
    this.live.className = 'pl-heatmap__sr';
    this.live.setAttribute('aria-live', 'polite');
    this.live.setAttribute('aria-atomic', 'true');

    const help = doc.createElement('div');
    help.id = `${id}-help`;
    help.className = 'pl-heatmap__sr';
    help.textContent =
      'Arrow keys move between token pairs; Home and End go to the start or end of the row; Enter or Space pins the pair; Escape unpins.';

    this.root.append(this.tooltip.el, this.live, help);
    container.append(this.root);

    // One listener each on the svg, not one per cell: the target cell comes from coordinates.
    const { signal } = this.listening;
    this.svgNode.addEventListener('pointermove', this.onPointerMove, { signal });
    this.svgNode.addEventListener('pointerleave', this.onPointerLeave, { signal });
    this.svgNode.addEventListener('click', this.onClick, { signal });
    this.root.addEventListener('keydown', this.onKeyDown, { signal });
    this.root.addEventListener('focus', this.onFocus, { signal });
    this.root.addEventListener('blur', this.onBlur, { signal });
  }

  /** New layout options (the room the host gives): the drawing is laid out again when they change. */
  setOptions(options: LayoutOptions): void {
    if (JSON.stringify(options) === JSON.stringify(this.options)) return;
    this.options = options;
    const data = this.data;
    this.shapeKey = '';
    if (data) this.render(data);
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
      if (this.pinned && !(prev && this.survives(this.pinned, prev, data))) this.setPinned(null);
      if (this.tooltip.shown) this.tooltip.hide();
      this.hovered = null;
    }
    const layout = this.layout;
    this.stats = matrixStats(data.values, data.rows, data.cols, layout.visRows, layout.visCols);
    this.cells.recolour(data.values, makeColorScale(this.stats.maxAbs));
    drawScene(this.layers.dynamic, dynamicScene(layout, this.stats));
    this.drawHighlights();
    if (this.tooltip.shown) this.fillTooltip(this.tooltip.shown.hit);
  }

  /** Removes the drawing (e.g. while no result is available); listeners stay. */
  clear(): void {
    this.data = null;
    this.layout = null;
    this.stats = null;
    this.shapeKey = '';
    for (const g of Object.values(this.layers)) g.selectAll('*').remove();
    this.cells.clear();
    this.svgNode.removeAttribute('width');
    this.svgNode.removeAttribute('height');
    this.svgNode.removeAttribute('viewBox');
    this.tooltip.hide();
    this.focused = null;
    this.hovered = null;
    if (this.pinned) this.setPinned(null);
  }

  /** A standalone SVG of the last rendered data, without hover or pin marks. */
  toSvgString(): string {
    if (!this.data) return '<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"/>';
    return heatmapSvgString(this.data, this.options);
  }

  /** The export SVG rasterised at `scale` × its CSS size. Browser only. */
  async toPngBlob(scale = 2): Promise<Blob> {
    if (!this.data) throw new Error('heatmap: nothing rendered to export');
    const { width, height } = computeLayout(this.data, this.options);
    return svgToPngBlob(this.toSvgString(), width, height, scale, this.root.ownerDocument);
  }

  dispose(): void {
    this.listening.abort();
    this.root.remove();
    this.data = null;
    this.layout = null;
    this.stats = null;
    this.cells.clear();
  }

  // ---- drawing

  private relayout(): void {
    const L = this.layout;
    if (!L) return;
    d3.select(this.svgNode).attr('width', L.width).attr('height', L.height).attr('viewBox', `0 0 ${L.width} ${L.height}`);
    const { under, over } = staticScene(L, this.gradientId);
    drawScene(this.layers.under, under);
    drawScene(this.layers.over, over);
    this.cells.place(L);
  }

  private drawHighlights(): void {
    const L = this.layout;
    const marks = { pinned: this.pinned, hovered: this.hovered, focused: this.showRing ? this.focused : null };
    drawRects(this.layers.highlight, L ? markRects(L, marks) : []);
  }

  // ---- tooltip and announcements

  private fillTooltip(hit: Hit): void {
    if (!this.data || !this.stats) return this.tooltip.hide();
    const t = tooltipText(this.data, this.stats, hit);
    const lines: [string, string][] = [
      ['pl-heatmap__tip-head', t.head],
      ['pl-heatmap__tip-value', t.value],
      ['pl-heatmap__tip-share', t.share],
    ];
    if (hit.kind === 'cell' && this.isPinned(hit)) lines.push(['pl-heatmap__tip-note', 'Pinned · click or Enter to unpin']);
    this.tooltip.setLines(lines);
  }

  private showTooltip(hit: Hit, source: TipSource, clientX: number, clientY: number): void {
    this.tooltip.shown = { hit, source };
    this.fillTooltip(hit);
    this.tooltip.place(clientX, clientY, this.root);
  }

  /** Client coordinates of a layout point, through whatever CSS scaling the svg has. */
  private toClient(x: number, y: number): { x: number; y: number } {
    const r = this.svgNode.getBoundingClientRect();
    const L = this.layout;
    const sx = L && L.width ? r.width / L.width : 1;
    const sy = L && L.height ? r.height / L.height : 1;
    return { x: r.left + x * sx, y: r.top + y * sy };
  }

  /** What lies under a pointer event. */
  private hitAt(L: HeatmapLayout, ev: MouseEvent): Hit | null {
    const p = this.toLayout(ev.clientX, ev.clientY);
    return hitTest(L, p.x, p.y);
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
    const pinned = !prefix && this.isPinned(f) ? ', pinned' : '';
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

  private setPinned(cell: CellRef | null): void {
    this.pinned = cell;
    this.drawHighlights();
    if (this.tooltip.shown) this.fillTooltip(this.tooltip.shown.hit);
  }

  private isPinned(cell: CellRef): boolean {
    return this.pinned?.row === cell.row && this.pinned.col === cell.col;
  }

  private togglePin(cell: CellRef): void {
    this.setPinned(this.isPinned(cell) ? null : { ...cell });
  }

  /** The layout, while it has at least one visible cell to focus. */
  private gridLayout(): HeatmapLayout | null {
    const L = this.layout;
    return L && L.visRows.length && L.visCols.length ? L : null;
  }

  /** Focus starts on the first visible cell. */
  private focusedOrFirst(L: HeatmapLayout): CellRef {
    return this.focused ?? { row: L.visRows[0], col: L.visCols[0] };
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

  // ---- events (arrow properties, so that `this` is the view)

  private readonly onPointerMove = (ev: PointerEvent): void => {
    const L = this.layout;
    if (!L) return;
    const hit = this.hitAt(L, ev);
    const same = JSON.stringify(hit) === JSON.stringify(this.hovered);
    this.hovered = hit;
    if (!same) this.drawHighlights();
    if (hit) this.showTooltip(hit, 'pointer', ev.clientX, ev.clientY);
    else this.tooltip.hideFrom('pointer');
  };

  private readonly onPointerLeave = (): void => {
    this.hovered = null;
    this.drawHighlights();
    this.tooltip.hideFrom('pointer');
  };

  private readonly onClick = (ev: MouseEvent): void => {
    const L = this.layout;
    if (!L) return;
    const hit = this.hitAt(L, ev);
    if (hit?.kind !== 'cell') return;
    this.focused = { row: hit.row, col: hit.col };
    this.togglePin(this.focused);
  };

  private readonly onFocus = (): void => {
    const L = this.gridLayout();
    if (!L) return;
    this.focused = this.focusedOrFirst(L);
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
    this.tooltip.hideFrom('keyboard');
  };

  private readonly onKeyDown = (ev: KeyboardEvent): void => {
    const L = this.gridLayout();
    if (!L) return;
    this.showRing = true;
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      this.focused = this.focusedOrFirst(L);
      this.togglePin(this.focused);
      this.drawHighlights();
      this.announceFocused(this.pinned ? 'Pinned: ' : 'Unpinned: ');
      return;
    }
    if (ev.key === 'Escape') {
      if (!this.pinned) return;
      ev.preventDefault();
      this.setPinned(null);
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
