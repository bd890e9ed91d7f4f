import { useEffect, useRef } from 'react';
import type { HeatmapData } from './data.ts';
import { plotRoom } from './layout.ts';
import { HeatmapView } from './view.ts';
import './heatmap.css';

export interface HeatmapProps {
  /** null clears the drawing (e.g. before the first result). */
  data: HeatmapData | null;
  /** Called with the view after mount (for toSvgString / toPngBlob) and with null before unmount. */
  onReady?: (view: HeatmapView | null) => void;
  className?: string;
}

export function Heatmap({ data, onReady, className }: HeatmapProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const viewRef = useRef<HeatmapView | null>(null);
  // The callback lives in a ref so that a new function each parent render does not rebuild the view.
  const onReadyRef = useRef(onReady);
  useEffect(() => {
    onReadyRef.current = onReady;
  });

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const view = new HeatmapView(host, plotRoom(host.clientWidth));
    viewRef.current = view;
    onReadyRef.current?.(view);
    // The heatmap grows with the room it has (a wide window) and shrinks to a phone's.
    const resize = new ResizeObserver(() => view.setOptions(plotRoom(host.clientWidth)));
    resize.observe(host);
    return () => {
      resize.disconnect();
      onReadyRef.current?.(null);
      view.dispose();
      viewRef.current = null;
    };
  }, []);

  // Declared after the mount effect, so on mount (and StrictMode's remount) the view exists.
  useEffect(() => {
    const view = viewRef.current;
    if (!view) return;
    if (data) view.render(data);
    else view.clear();
  }, [data]);

  return <div ref={hostRef} className={className ? `pl-heatmap-host ${className}` : 'pl-heatmap-host'} />;
}
