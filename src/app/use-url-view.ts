/**
 * The app's state, kept in the URL's fragment (`#…`, never sent to the server): the
 * page, the attribution settings both pages share, the explorer's texts, and the Rank
 * view's texts (packed) and selection. Deliberate changes (controls, examples, pages)
 * add a history entry, typing replaces the current one, and back/forward restore the
 * view. Links in the old form (`?a=…`) are read once and rewritten as a fragment.
 *
 * Only the page shown is in the URL; the other page keeps its state in memory, so
 * "back" from a passage opened in the explorer finds the ranking as it was.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { EXAMPLE_RANK, parseRankParams, rankLink, type RankLink, type RankState } from './rank/rank-state.ts';
import { nonViewQuery, parseLocation, parseView, serializeSettings, serializeView, settingsOf, type LinkLocation, type Page, type Settings, type ViewState } from './url-state.ts';

export type HistoryMode = 'push' | 'replace';

export interface AppState {
  page: Page;
  view: ViewState;
  rank: RankState;
  /** The Rank view's link: whether its texts fit (null until written). */
  rankLink: RankLink | null;
  /** A Rank link's packed texts are being unpacked: its view is not known yet. */
  opening: boolean;
  notices: string[];
}

function initialState(): AppState {
  const location = parseLocation(window.location.search, window.location.hash);
  const parsed = parseView(location.params);
  return { page: location.page, view: parsed.view, rank: EXAMPLE_RANK, rankLink: null, opening: location.page === 'rank', notices: parsed.notices };
}

export interface StatePatch {
  page?: Page;
  view?: Partial<ViewState>;
  rank?: Partial<RankState>;
}

export function useUrlView() {
  const [state, setState] = useState(initialState);
  const current = useRef(state);
  useEffect(() => {
    current.current = state;
  }, [state]);
  // Writes are asynchronous (packing texts): only the newest may reach the history.
  const writes = useRef(0);

  const write = useCallback(async (next: AppState, history: HistoryMode) => {
    const id = ++writes.current;
    let hash: string;
    let link: RankLink | null = next.rankLink;
    if (next.page === 'rank') {
      link = await rankLink(settingsOf(next.view), next.rank);
      hash = link.hash;
    } else if (next.page === 'dataset') {
      // The dataset itself stays in the page (it can be megabytes): the link keeps the settings.
      hash = `#page=dataset&${serializeSettings(settingsOf(next.view))}`;
    } else {
      hash = `#${serializeView(next.view)}`;
    }
    if (id !== writes.current) return;
    const url = `${window.location.pathname}${nonViewQuery(window.location.search)}${hash}`;
    if (history === 'push') window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
    if (link !== next.rankLink) setState((s) => ({ ...s, rankLink: link }));
  }, []);

  /** Unpacks a Rank link's texts; the newest link read or written wins. */
  const unpackRank = useCallback(
    async (location: LinkLocation, initial: boolean) => {
      const id = ++writes.current;
      const opened = await parseRankParams(location.params, current.current.rank);
      if (id !== writes.current) return;
      setState((s) => ({
        ...s,
        rank: sameRank(s.rank, opened.rank) ? s.rank : opened.rank,
        opening: false,
        notices: [...s.notices, ...opened.notices],
      }));
      if (initial && location.fromQuery) void write({ ...current.current, rank: opened.rank }, 'replace');
    },
    [write],
  );

  useEffect(() => {
    const location = parseLocation(window.location.search, window.location.hash);
    // An old link (`?a=…`) moves to the fragment at once, so its texts stop reaching the server.
    if (location.page === 'rank') void unpackRank(location, true);
    else if (location.fromQuery) void write(current.current, 'replace');
    const onPopState = () => {
      const next = parseLocation(window.location.search, window.location.hash);
      const view = parseView(next.params).view;
      ++writes.current;
      // Rank and Dataset links carry no explorer texts: those stay as they were.
      setState((s) => ({ ...s, page: next.page, view: next.page === 'explorer' ? view : { ...view, a: s.view.a, b: s.view.b }, opening: next.page === 'rank', notices: [] }));
      if (next.page === 'rank') void unpackRank(next, false);
    };
    window.addEventListener('popstate', onPopState);
    return () => window.removeEventListener('popstate', onPopState);
  }, [unpackRank, write]);

  const change = useCallback(
    (patch: StatePatch, history: HistoryMode) => {
      const s = current.current;
      const next: AppState = {
        ...s,
        page: patch.page ?? s.page,
        view: patch.view ? { ...s.view, ...patch.view } : s.view,
        rank: patch.rank ? { ...s.rank, ...patch.rank } : s.rank,
        opening: false,
      };
      current.current = next;
      setState(next);
      void write(next, history);
    },
    [write],
  );

  /** The explorer's view and the shared settings (the name the explorer has always used). */
  const update = useCallback((view: Partial<ViewState>, history: HistoryMode) => change({ view }, history), [change]);
  const dismissNotices = useCallback(() => setState((s) => ({ ...s, notices: [] })), []);
  /** Shows notices raised outside the URL (e.g. a session file's). */
  const notify = useCallback((notices: string[]) => setState((s) => ({ ...s, notices: [...s.notices, ...notices] })), []);
  /** Restores a Rank view opened from a session file. */
  const openRank = useCallback(
    (settings: Settings, rank: RankState) => change({ page: 'rank', view: settings, rank }, 'push'),
    [change],
  );

  return { ...state, update, change, openRank, dismissNotices, notify };
}

function sameRank(x: RankState, y: RankState): boolean {
  return JSON.stringify(x) === JSON.stringify(y);
}
