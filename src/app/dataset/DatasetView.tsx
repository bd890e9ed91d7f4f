/**
 * The Dataset page: a file of pairs (up to MAX_DATASET_PAIRS) attributed one by one in
 * the worker with the shared settings, then the papers' statistics over them, computed
 * by the same code as `pairlens analyze` (shared/analysis.ts) with its plots. Each row
 * links to its pair in the explorer; the records download as the same JSONL the CLI's
 * `batch` writes. Loading a file or changing a setting never starts a run by itself: a
 * dataset takes minutes, so Run does.
 */
import { useEffect, useMemo, useState } from 'react';
import { analyzeRecords, TOP_CELLS, type Analysis } from '../../shared/analysis.ts';
import { analysisSvg } from '../../shared/analysis-report.ts';
import { recordLine } from '../../shared/batch-record.ts';
import { parsePairs, type PairProblem, type TextPair } from '../../shared/pairs.ts';
import { loadPosTagger, plainTagger, type PosTagger } from '../../shared/pos.ts';
import { pieceText } from '../../model/words.ts';
import type { BatchSettings } from '../../worker/protocol.ts';
import { Controls } from '../explorer/Controls.tsx';
import { download } from '../exports.ts';
import { promptsOf, serializeView } from '../url-state.ts';
import { FileInput } from '../FileInput.tsx';
import type { PageProps } from '../page-props.ts';
import examplePairs from '../../../examples/pairs.tsv?raw';
import { useDatasetRun } from './use-dataset-run.ts';

/** Pairs the page takes; larger datasets belong to `pairlens batch`, which shards and resumes on disk. */
export const MAX_DATASET_PAIRS = 500;

interface Loaded {
  name: string;
  pairs: TextPair[];
  problems: PairProblem[];
}

function load(name: string, content: string): Loaded {
  const parsed = parsePairs(content, name);
  const problems = [...parsed.problems];
  if (parsed.pairs.length > MAX_DATASET_PAIRS) {
    problems.unshift({ line: 0, message: `${parsed.pairs.length} pairs: the page takes the first ${MAX_DATASET_PAIRS}; run the whole file with pairlens batch.` });
  }
  return { name, pairs: parsed.pairs.slice(0, MAX_DATASET_PAIRS), problems };
}

const percent = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—');
const fixed = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : '—');

export function DatasetView({ client, ready, active, url, model }: PageProps) {
  const { view } = url;
  const [loaded, setLoaded] = useState<Loaded>(() => load('examples/pairs.tsv', examplePairs));
  const run = useDatasetRun(client, view.model, model.backend);
  const settings: BatchSettings = useMemo(
    () => ({ layer: model.layer, steps: view.steps, rule: view.rule, tolerance: view.steps === 'auto' ? view.tol : undefined, mode: view.mode, sim: view.sim, ...promptsOf({ pa: view.pa, pb: view.pb }) }),
    [model.layer, view.steps, view.rule, view.tol, view.mode, view.sim, view.pa, view.pb],
  );
  const records = useMemo(() => loaded.pairs.flatMap((p) => run.records.get(p.id) ?? []), [loaded.pairs, run.records]);
  const canResume = !run.running && run.records.size > 0 && run.records.size + run.failed.size < loaded.pairs.length;

  // The part-of-speech tagger loads on first use (its model is a separate download).
  const [tagger, setTagger] = useState<PosTagger>(plainTagger);
  const [taggerNote, setTaggerNote] = useState<string | null>(null);
  useEffect(() => {
    if (records.length === 0 || tagger !== plainTagger) return;
    let live = true;
    loadPosTagger().then(
      (t) => live && setTagger(t),
      (error: Error) => live && setTaggerNote(`The part-of-speech tagger could not load (${error.message}); the table of parts of speech is left out.`),
    );
    return () => {
      live = false;
    };
  }, [records.length, tagger]);
  // Statistics while a run goes on would be recomputed for every pair: they follow once it stops.
  const analysis: Analysis | null = useMemo(() => (run.running || records.length === 0 ? null : analyzeRecords(records, { tagger, pieceText })), [run.running, records, tagger]);

  async function open(file: File) {
    try {
      run.reset();
      setLoaded(load(file.name, await file.text()));
    } catch (error) {
      url.notify([`${file.name} could not be read: ${(error as Error).message}`]);
    }
  }

  const rate = run.rate;
  const left = loaded.pairs.length - run.records.size - run.failed.size;
  const explorerLink = (pair: TextPair) => `#${serializeView({ ...view, a: pair.a, b: pair.b, layer: model.layer })}`;

  return (
    <section className="dataset-view" aria-label="Dataset">
      <p>
        A dataset of pairs (TSV or CSV with a header naming the columns <code>a</code>, <code>b</code> and optionally{' '}
        <code>id</code>, <code>label</code>; or JSON lines with those keys), up to {MAX_DATASET_PAIRS} pairs. The same
        statistics as <code>pairlens analyze</code>; larger runs belong to <code>pairlens batch</code>.
      </p>
      <p>
        <FileInput label="Load pairs (.tsv, .csv, .jsonl)" accept=".tsv,.tab,.csv,.jsonl,.ndjson,text/csv,text/tab-separated-values" onFile={(file) => void open(file)} />{' '}
        <button
          type="button"
          onClick={() => {
            run.reset();
            setLoaded(load('examples/pairs.tsv', examplePairs));
          }}
        >
          The example dataset
        </button>
      </p>
      <p data-testid="dataset-loaded">
        <strong>{loaded.name}</strong>: {loaded.pairs.length} pairs
        {loaded.problems.length > 0 && `, ${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'}`}.
      </p>
      {loaded.problems.length > 0 && (
        <ul className="notice" role="note">
          {loaded.problems.slice(0, 10).map((p, i) => (
            <li key={i}>{p.line > 0 ? `line ${p.line}: ${p.message}` : p.message}</li>
          ))}
        </ul>
      )}

      {ready && active && <Controls view={view} numLayers={model.numLayers} layer={model.layer} prompts={model.prompts} onChange={(patch) => url.change({ view: patch }, 'push')} />}

      <div className="dataset-run" aria-live="polite">
        <button type="button" disabled={!ready || run.running || loaded.pairs.length === 0} onClick={() => run.run(loaded.pairs, settings, model.modelsKey, false)}>
          Run {loaded.pairs.length} pairs
        </button>{' '}
        {run.running && (
          <button type="button" onClick={run.cancel}>
            Cancel
          </button>
        )}
        {canResume && (
          <button type="button" disabled={!ready} onClick={() => run.run(loaded.pairs, settings, model.modelsKey, true)}>
            Resume ({left} left)
          </button>
        )}{' '}
        {(run.running || run.records.size > 0) && (
          <span data-testid="dataset-progress">
            <progress aria-label="Dataset progress" max={Math.max(1, run.total)} value={run.records.size + run.failed.size} /> {run.records.size} of {run.total} pairs
            {run.failed.size > 0 && `, ${run.failed.size} failed`}
            {rate !== null && run.running && ` · ${rate.toFixed(1)} pairs/min, about ${Math.ceil(left / rate)} min left`}
            {run.cancelled && ' · cancelled'}
            {run.done && ` · done in ${(run.done.ms / 1000).toFixed(0)} s, ${run.done.textsComputed} texts' P computed`}
          </span>
        )}
        {run.error && <p className="error">{run.error}</p>}
        {records.length > 0 && (
          <button
            type="button"
            onClick={() => download('pairlens-dataset.jsonl', records.map(recordLine).join(''), 'application/x-ndjson')}
          >
            Download JSONL
          </button>
        )}
      </div>

      {taggerNote && <p className="notice">{taggerNote}</p>}
      {analysis && <DatasetStatistics analysis={analysis} />}

      {records.length > 0 && (
        <table className="dataset-table" aria-label="Pairs">
          <thead>
            <tr>
              <th>id</th>
              <th>label</th>
              <th>prediction</th>
              <th>ΣA</th>
              <th>pair (opens in the explorer)</th>
            </tr>
          </thead>
          <tbody>
            {loaded.pairs.map((pair) => {
              const record = run.records.get(pair.id);
              const failed = run.failed.get(pair.id);
              if (!record && !failed) return null;
              return (
                <tr key={pair.id} data-testid="dataset-row">
                  <td>{pair.id}</td>
                  <td>{pair.label ?? ''}</td>
                  <td>{record ? fixed(record.prediction, 4) : '—'}</td>
                  <td>{record ? fixed(record.sum, 4) : '—'}</td>
                  <td>
                    <a href={explorerLink(pair)}>
                      {pair.a} / {pair.b}
                    </a>
                    {failed && <span className="error"> {failed}</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function DatasetStatistics({ analysis }: { analysis: Analysis }) {
  return (
    <div className="dataset-statistics" data-testid="dataset-statistics">
      {analysis.groups.map((g) => (
        <section key={`${g.model}|${g.layer}|${g.mode}|${g.sim}`}>
          <h3>
            {g.model}, layer {g.layer}, {g.mode}, {g.sim}: {g.pairs} pairs
          </h3>
          <img className="dataset-plot" alt={`Plots of the analysis: top shares, parts of speech, same word and negation, for ${g.pairs} pairs`} src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(analysisSvg(g))}`} />
          <table aria-label="topShare">
            <thead>
              <tr>
                <th>top cells</th>
                {TOP_CELLS.map((t) => (
                  <th key={t}>{t}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>mean share of ΣA</td>
                {TOP_CELLS.map((t) => (
                  <td key={t} data-testid={`top-share-${t}`}>
                    {fixed(g.topShare[t])}
                  </td>
                ))}
              </tr>
            </tbody>
          </table>
          <p>
            negativeShare <strong data-testid="negative-share">{percent(g.negativeShare)}</strong> · same word{' '}
            {percent(g.lexical.same.absShare)} of Σ|A|, different words {percent(g.lexical.different.absShare)} · cells with a
            negation word {percent(g.negation.involving.absShare)} ({g.negation.pairsWithNegation} pairs have one) · parts of
            speech by {analysis.tagger}: {g.posPairs.slice(0, 3).map((p) => `${p.a}×${p.b} ${percent(p.absShare)}`).join(', ')}
          </p>
        </section>
      ))}
      {analysis.correlations.map((c) => (
        <p key={`${c.model}|${c.layer}|${c.sim}`}>
          Approximate vs exact, {c.model} layer {c.layer}: Pearson {fixed(c.pearson)}, Spearman {fixed(c.spearman)} over {c.pairs} pairs.
        </p>
      ))}
    </div>
  );
}
