/**
 * The view state, kept in the URL: deliberate changes (controls, examples) add a
 * history entry, typing replaces the current one, and back/forward restore the view.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { parseView, serializeView, type ViewState } from './url-state.ts';

export type HistoryMode = 'push' | 'replace';

export function useUrlView() {
  const [parsed, setParsed] = useState(() => parseView(window.location.search));
  const current = useRef(parsed.view);
  useEffect(() => {
    current.current = parsed.view;
  }, [parsed.view]);

  useEffect(() => {
    const onPopState = () => setParsed(parseView(window.location.search));
    window.addEventListener('popstate', onPopState);
    return () => window.removeEventListener('popstate', onPopState);
  }, []);

  const update = useCallback((patch: Partial<ViewState>, history: HistoryMode) => {
    const view = { ...current.current, ...patch };
    current.current = view;
    // Keep unknown parameters (e.g. the test-only backend switch) in the link.
    const next = new URLSearchParams(serializeView(view));
    for (const [key, value] of new URLSearchParams(window.location.search)) {
      if (!next.has(key) && !(key in view)) next.set(key, value);
    }
    const url = `${window.location.pathname}?${next.toString()}${window.location.hash}`;
    if (history === 'push') window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
    setParsed((state) => ({ view, notices: state.notices }));
  }, []);

  const dismissNotices = useCallback(() => setParsed((current) => ({ ...current, notices: [] })), []);

  return { view: parsed.view, notices: parsed.notices, update, dismissNotices };
}
