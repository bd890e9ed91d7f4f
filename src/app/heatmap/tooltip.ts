/**
 * The heatmap's floating tooltip: a div beside the pointer (or the focused cell), flipped
 * to stay inside the widget, that remembers what it shows and who opened it.
 *
 * Separate from the view, which decides what the tooltip says and when; this only keeps
 * the box on screen. Hidden from screen readers: the live region says the same.
 */
import type { Hit } from './layout.ts';

/** What opened the tooltip: each closes only its own. */
export type TipSource = 'pointer' | 'keyboard';

export class Tooltip {
  readonly el: HTMLDivElement;
  /** What it shows, while it shows. */
  shown: { hit: Hit; source: TipSource } | null = null;

  constructor(doc: Document) {
    this.el = doc.createElement('div');
    this.el.className = 'pl-heatmap__tooltip';
    this.el.setAttribute('aria-hidden', 'true');
    this.el.hidden = true;
  }

  /** One div per [class, text]; textContent only, as labels are user text. */
  setLines(lines: [string, string][]): void {
    this.el.replaceChildren(
      ...lines.map(([cls, text]) => {
        const div = this.el.ownerDocument.createElement('div');
        div.className = cls;
        div.textContent = text;
        return div;
      }),
    );
  }

  /** Shows the current lines just below-right of a client point, or flipped to fit `host`. */
  place(clientX: number, clientY: number, host: Element): void {
    this.el.hidden = false;
    const box = host.getBoundingClientRect();
    const off = 14;
    let left = clientX - box.left + off;
    let top = clientY - box.top + off;
    const w = this.el.offsetWidth;
    const h = this.el.offsetHeight;
    if (left + w > box.width) left = Math.max(0, clientX - box.left - off - w);
    if (top + h > box.height) top = Math.max(0, clientY - box.top - off - h);
    this.el.style.left = `${left}px`;
    this.el.style.top = `${top}px`;
  }

  hide(): void {
    this.shown = null;
    this.el.hidden = true;
  }

  hideFrom(source: TipSource): void {
    if (this.shown?.source === source) this.hide();
  }
}
