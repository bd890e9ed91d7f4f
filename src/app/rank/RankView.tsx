/**
 * The Rank view: one query against many passages. The passages are ranked by the
 * model's similarity as soon as the embeddings are in; their attributions then fill in
 * rank order, each passage's words coloured by their contribution to its score. Select
 * a passage to colour the query's words for it, tick two to ask why one is above the
 * other, open one in the explorer for the full heatmap.
 */
import { Fragment, useMemo, useState } from 'react';
import { parsePassages } from '../../shared/passages.ts';
import type { AttributionResult, RankRequest } from '../../worker/protocol.ts';
import { Controls } from '../explorer/Controls.tsx';
import { inkOn, legendStops, makeColorScale } from '../heatmap/color.ts';
import { isBlank } from '../use-similarity.ts';
import { FileInput } from '../FileInput.tsx';
import type { PageProps } from '../page-props.ts';
import { promptsOf } from '../url-state.ts';
import { RankExportBar } from './RankExportBar.tsx';
import { largestShare, pairShares, type WordShare } from './ranking.ts';
import { useRanking } from './use-ranking.ts';
import { WhyAbove } from './WhyAbove.tsx';

export function RankView({ client, ready, active, url, model }: PageProps) {
  const { view, rank, change, opening } = url;
  const { layer } = model;
  const request: RankRequest | null = useMemo(
    () =>
      ready && !opening && !isBlank(rank.query) && rank.passages.length > 0
        ? { query: rank.query, passages: rank.passages, layer, steps: view.steps, rule: view.rule, tolerance: view.steps === 'auto' ? view.tol : undefined, mode: view.mode, sim: view.sim, ...promptsOf({ pa: view.pa, pb: view.pb }) }
        : null,
    [ready, opening, rank.query, rank.passages, layer, view.steps, view.rule, view.tol, view.mode, view.sim, view.pa, view.pb],
  );
  const ranking = useRanking(client, request, model.modelsKey, active);
  const results = ranking.results;
  const selectedResult = rank.selected !== null ? results.get(rank.selected) : undefined;
  const shares = useMemo(() => new Map([...results].map(([index, result]) => [index, pairShares(result)])), [results]);
  // One colour scale for every passage, so colours compare across the list.
  const scale = useMemo(() => largestShare(...[...shares.values()].flatMap((s) => [s.passage, s.query])), [shares]);
  const color = makeColorScale(scale);
  const scores = ranking.scores;
  const attributedTotal = ranking.progress?.passagesTotal ?? rank.passages.length;

  const compare = rank.compare;
  const compared = compare && results.get(compare[0]) && results.get(compare[1]) ? ([results.get(compare[0]), results.get(compare[1])] as [AttributionResult, AttributionResult]) : null;
  const rankOf = (index: number) => scores?.find((s) => s.index === index)?.rank ?? null;

  // The first passage ticked waits here for the second; the pair goes into the view.
  const [pick, setPick] = useState<number | null>(null);
  const toggleCompare = (index: number) => {
    if (compare?.includes(index)) {
      setPick(compare.find((i) => i !== index) ?? null);
      change({ rank: { compare: null } }, 'replace');
    } else if (pick === null || pick === index) {
      setPick(pick === index ? null : index);
    } else {
      // X is the one ranked higher, so the question reads "why is X above Y".
      const [x, y] = [pick, index].sort((i, j) => (rankOf(i) ?? i) - (rankOf(j) ?? j));
      setPick(null);
      change({ rank: { compare: [x, y] } }, 'replace');
    }
  };
  const ticked = (index: number) => (compare?.includes(index) ?? false) || pick === index;

  return (
    <section className="rank-view" aria-label="Rank passages">
      <div className="rank-inputs">
        <div className="sentence">
          <label htmlFor="rank-query">Query</label>
          <textarea id="rank-query" rows={2} spellCheck={false} value={rank.query} onChange={(e) => change({ rank: { query: e.target.value, selected: null, compare: null } }, 'replace')} />
        </div>
        <PassagesBox passages={rank.passages} onChange={(passages) => change({ rank: { passages, selected: null, compare: null } }, 'replace')} notify={url.notify} />
      </div>

      {/* Only the page shown has controls: the explorer's keep their names and ids to themselves. */}
      {ready && active && <Controls view={view} numLayers={model.numLayers} layer={layer} prompts={model.prompts} onChange={(patch) => change({ view: patch }, 'push')} />}

      <RankProgress ranking={ranking} total={rank.passages.length} attributedTotal={attributedTotal} opening={opening} />

      <div className="rank-legend" aria-label="Colour legend">
        <span>lowers the score</span>
        <span className="rank-legend-bar" style={{ background: `linear-gradient(to right, ${legendStops().map((s) => `${s.color} ${s.offset * 100}%`).join(', ')})` }} />
        <span>raises it</span>
        <span className="muted"> (±{scale.toFixed(4)}: a word's share of ΣA, summed over the other text's tokens)</span>
      </div>

      {selectedResult && rank.selected !== null && (
        <p className="rank-query-words" data-testid="query-words">
          <strong>Query words for #{rankOf(rank.selected)}:</strong> <Words shares={shares.get(rank.selected)?.query ?? []} color={color} />
        </p>
      )}

      {compared && compare && (
        <WhyAbove x={compared[0]} y={compared[1]} rankX={rankOf(compare[0]) ?? 0} rankY={rankOf(compare[1]) ?? 0} color={color} onClose={() => change({ rank: { compare: null } }, 'replace')} />
      )}

      <ol className="rank-list" aria-label="Ranked passages">
        {(scores ?? rank.passages.map((_, index) => ({ index, rank: index + 1, score: Number.NaN }))).map((s) => {
          const result = results.get(s.index);
          const text = rank.passages[s.index];
          if (text === undefined) return null;
          const selected = rank.selected === s.index;
          return (
            <li key={s.index} className={selected ? 'selected' : undefined} data-testid="ranked-passage" data-index={s.index}>
              <div className="rank-head">
                <span className="rank-number">{scores ? `#${s.rank}` : '…'}</span>
                <span>
                  score <strong data-testid="passage-score">{Number.isFinite(s.score) ? s.score.toFixed(4) : '…'}</strong>
                </span>
                {result ? (
                  <span className="muted">
                    ΣA <span data-testid="passage-sum">{result.sum.toFixed(4)}</span>
                  </span>
                ) : (
                  scores && <span className="muted">{ranking.running ? 'explaining…' : ranking.cancelled ? 'not explained' : ''}</span>
                )}
                <span className="rank-actions">
                  <button type="button" aria-pressed={selected} disabled={!result} onClick={() => change({ rank: { selected: selected ? null : s.index } }, 'replace')}>
                    {selected ? 'Hide query words' : 'Query words'}
                  </button>
                  <label>
                    <input type="checkbox" checked={ticked(s.index)} disabled={!result} onChange={() => toggleCompare(s.index)} /> Compare
                  </label>
                  <button type="button" onClick={() => change({ page: 'explorer', view: { a: rank.query, b: text } }, 'push')}>
                    Open in explorer
                  </button>
                </span>
              </div>
              <p className="rank-text">{result ? <Words shares={shares.get(s.index)?.passage ?? []} color={color} /> : text}</p>
            </li>
          );
        })}
      </ol>

      <RankExportBar
        modelId={view.model}
        backend={model.backend}
        request={ranking.request}
        ranking={ranking}
        view={view}
        rank={rank}
        link={url.rankLink}
        openSession={url.openRank}
        notify={url.notify}
      />
    </section>
  );
}

/** Words on coloured backgrounds; each says its value on hover. */
export function Words({ shares, color }: { shares: readonly WordShare[]; color: (v: number) => string }) {
  return (
    <>
      {shares.map((w, i) => (
        // The space between words is where lines may break.
        <Fragment key={i}>
          {i > 0 && ' '}
          <span className="word" style={{ background: color(w.value), color: inkOn(color(w.value)) }} title={`${w.word}: ${w.value.toFixed(4)}`} data-value={w.value}>
            {w.word}
          </span>
        </Fragment>
      ))}
    </>
  );
}

function RankProgress({ ranking, total, attributedTotal, opening }: { ranking: ReturnType<typeof useRanking>; total: number; attributedTotal: number; opening: boolean }) {
  if (opening) return <p className="muted">Opening the link…</p>;
  const p = ranking.progress;
  const done = ranking.results.size;
  return (
    <div className="rank-progress" aria-live="polite">
      {ranking.error && <p className="error">{ranking.error}</p>}
      {ranking.running && (
        <p>
          {ranking.scores ? `Ranked ${total} passages by their embeddings; explaining ${done} of ${attributedTotal}` : `Scoring ${p?.scored ?? 0} of ${total} passages`}{' '}
          <progress aria-label="Ranking progress" max={attributedTotal + 1} value={ranking.scores ? done + 1 + (p?.within ? p.within.stepsDone / Math.max(1, p.within.levelEvaluations) : 0) * 0.99 : 0} />{' '}
          <button type="button" onClick={ranking.cancel}>
            Cancel
          </button>
        </p>
      )}
      {ranking.cancelled && !ranking.running && <p className="muted">Cancelled: {done} of {attributedTotal} passages explained. Change the query, a passage or a setting to go on.</p>}
      {ranking.done && (
        <p className="muted" data-testid="rank-done">
          <span className="badge final">final</span> {done} passages explained in {(ranking.done.ms / 1000).toFixed(1)} s;{' '}
          <span data-testid="texts-computed">{ranking.done.textsComputed}</span> texts' P computed for them (the query's once: K passages cost
          about K + 1).
        </p>
      )}
    </div>
  );
}

/** The passages, one per paragraph; a file (.txt, .csv, .tsv, .jsonl) replaces them. */
function PassagesBox({ passages, onChange, notify }: { passages: string[]; onChange: (passages: string[]) => void; notify: (notices: string[]) => void }) {
  const joined = passages.join('\n\n');
  const [draft, setDraft] = useState(joined);
  // A change from outside (a link, a file, back) replaces the draft; typing keeps it as typed.
  const [shown, setShown] = useState(joined);
  if (shown !== joined) {
    setShown(joined);
    if (parsePassages(draft).passages.join('\n\n') !== joined) setDraft(joined);
  }
  // What a loaded file's reader had to say, shown while its passages are the ones shown.
  const [problems, setProblems] = useState<{ passages: string; list: string[] }>({ passages: '', list: [] });
  async function load(file: File) {
    try {
      const parsed = parsePassages(await file.text(), file.name);
      if (parsed.passages.length === 0) {
        notify([`${file.name} holds no passages${parsed.problems.length ? `: ${parsed.problems.join(' ')}` : '.'}`]);
        return;
      }
      onChange(parsed.passages);
      setDraft(parsed.passages.join('\n\n'));
      setProblems({ passages: parsed.passages.join('\n\n'), list: parsed.problems });
    } catch (error) {
      notify([`${file.name} could not be read: ${(error as Error).message}`]);
    }
  }

  return (
    <div className="sentence">
      <label htmlFor="rank-passages">Passages (separated by blank lines)</label>
      <textarea
        id="rank-passages"
        rows={8}
        spellCheck={false}
        value={draft}
        onChange={(e) => {
          setDraft(e.target.value);
          onChange(parsePassages(e.target.value).passages);
        }}
      />
      <p className="muted">
        {passages.length} passage{passages.length === 1 ? '' : 's'} ·{' '}
        <FileInput label="Load a file (.txt, .csv, .tsv, .jsonl)" accept=".txt,.csv,.tsv,.tab,.jsonl,.ndjson,text/plain,text/csv" onFile={(file) => void load(file)} />
      </p>
      {problems.passages === joined && problems.list.length > 0 && (
        <ul className="notice" role="note">
          {problems.list.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
