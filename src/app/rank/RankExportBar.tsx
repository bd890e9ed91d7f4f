import { rankCsv, rankReport, type RankReport } from '../../shared/rank-report.ts';
import type { RankRequest } from '../../worker/protocol.ts';
import { download } from '../exports.ts';
import { ExportMessage } from '../ExportMessage.tsx';
import { useExportActions } from '../use-export-actions.ts';
import { FileInput } from '../FileInput.tsx';
import type { Settings } from '../url-state.ts';
import { canvasPng, drawRanking, highlightedRanking, rankingHtml, type HighlightedRanking } from './rank-exports.ts';
import { pairShares } from './ranking.ts';
import { MAX_LINK_LENGTH, parseSessionFile, sessionFile, SessionFileError, type RankLink, type RankState } from './rank-state.ts';
import type { RankingState } from './use-ranking.ts';

interface Props {
  modelId: string;
  backend: string;
  request: RankRequest | null;
  ranking: RankingState;
  view: Settings;
  rank: RankState;
  link: RankLink | null;
  openSession: (settings: Settings, rank: RankState) => void;
  notify: (notices: string[]) => void;
}

/** The report of what is shown: the CLI's `rank --json` for the passages explained so far. */
function reportOf(modelId: string, backend: string, request: RankRequest, ranking: RankingState): RankReport | null {
  if (!ranking.scores || ranking.results.size === 0) return null;
  const results = ranking.scores.flatMap((rank) => {
    const result = ranking.results.get(rank.index);
    return result ? [{ rank, result }] : [];
  });
  return rankReport(modelId, { request, queryTokens: ranking.done?.queryTokens ?? [], scores: ranking.scores, results, textsComputed: ranking.done?.textsComputed }, { backend });
}

/**
 * Exports of the ranking (CSV, JSON, highlighted HTML and PNG), its link, and session
 * files: a view too long for a link is saved as one, and opening it restores the view.
 * An export taken before every passage is explained holds the ones explained (the
 * buttons say how many).
 */
export function RankExportBar({ modelId, backend, request, ranking, view, rank, link, openSession, notify }: Props) {
  const { message, copyLink, downloadPng } = useExportActions();
  const report = request ? reportOf(modelId, backend, request, ranking) : null;
  const partial = report && !ranking.done ? ` (${report.results.length} of ${ranking.scores?.length ?? 0} explained)` : '';
  const base = `pairlens-ranking-layer${request?.layer ?? 0}-${request?.mode ?? ''}`;

  const highlighted = (): HighlightedRanking | null =>
    report &&
    highlightedRanking(
      report,
      report.results.map((row) => {
        const result = ranking.results.get(row.index);
        return { rank: row.rank, score: row.score, sum: row.sum, words: result ? pairShares(result).passage : [] };
      }),
    );

  async function open(file: File) {
    try {
      const opened = parseSessionFile(await file.text());
      openSession(opened.settings, opened.rank);
      if (opened.notices.length > 0) notify(opened.notices);
    } catch (error) {
      const why = error instanceof SessionFileError ? error.message : (error as Error).message;
      notify([`${file.name} could not be opened: ${why}. The view is unchanged.`]);
    }
  }

  return (
    <div className="export-bar">
      {link && !link.fits && (
        <p className="notice" role="note" data-testid="link-too-long">
          This view is too long for a link ({link.length.toLocaleString('en')} characters; links hold at most{' '}
          {MAX_LINK_LENGTH.toLocaleString('en')}): the link keeps the settings only. Save a session file to keep or share the whole
          view; opening it restores it exactly.
        </p>
      )}
      <button type="button" disabled={!report} onClick={() => report && download(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`, 'application/json')}>
        Export JSON{partial}
      </button>
      <button type="button" disabled={!report} onClick={() => report && download(`${base}.csv`, rankCsv(report), 'text/csv')}>
        Export CSV{partial}
      </button>
      <button
        type="button"
        disabled={!report}
        onClick={() => {
          const h = highlighted();
          if (h) download(`${base}.html`, rankingHtml(h), 'text/html');
        }}
      >
        Export HTML
      </button>
      <button type="button" disabled={!report} onClick={() => {
          const h = highlighted();
          if (h) void downloadPng(`${base}.png`, () => canvasPng(drawRanking(h)));
        }}>
        Export PNG
      </button>
      <button type="button" onClick={() => download('pairlens-session.json', sessionFile(view, rank), 'application/json')}>
        Save session file
      </button>
      <FileInput label="Open session file" accept=".json,application/json" onFile={(file) => void open(file)} />
      <button type="button" disabled={link !== null && !link.fits} onClick={() => void copyLink()}>
        Copy link
      </button>
      <ExportMessage message={message} />
    </div>
  );
}
