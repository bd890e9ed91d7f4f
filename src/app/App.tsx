import { useMemo, useState } from 'react';
import { wordLevel } from '../attribution/words.ts';
import type { AttributionRequest, AttributionResult } from '../worker/protocol.ts';
import { EXAMPLES } from './examples.ts';
import { Controls } from './explorer/Controls.tsx';
import { Convergence } from './explorer/Convergence.tsx';
import { Diagnostics } from './explorer/Diagnostics.tsx';
import { ExportBar } from './explorer/ExportBar.tsx';
import { HowItWorks } from './explorer/HowItWorks.tsx';
import { LayerStrip } from './explorer/LayerStrip.tsx';
import { TopPairs } from './explorer/TopPairs.tsx';
import { Heatmap } from './heatmap/Heatmap.tsx';
import type { HeatmapData, HeatmapView } from './heatmap/heatmap.ts';
import { useAttribution } from './use-attribution.ts';
import { useModelWorker, type ModelStatus } from './use-model-worker.ts';
import { isBlank, useSimilarity } from './use-similarity.ts';
import { useUrlView } from './use-url-view.ts';

/** Tokens without lexical content: bare word separators and the usual special tokens. */
export function isSpecialToken(piece: string): boolean {
  return piece.replace(/\u2581/g, '').trim() === '' || /^(\[(CLS|SEP|PAD)\]|<\/?s>|<pad>)$/.test(piece);
}

function heatmapData(result: AttributionResult, level: 'token' | 'word', hideSpecial: boolean): HeatmapData {
  if (level === 'word') {
    const words = wordLevel(result);
    return { rowLabels: words.wordsA, colLabels: words.wordsB, values: words.matrix, rows: words.rows, cols: words.cols };
  }
  return {
    rowLabels: result.tokensA,
    colLabels: result.tokensB,
    values: result.matrix,
    rows: result.rows,
    cols: result.cols,
    hiddenRows: hideSpecial ? result.tokensA.map(isSpecialToken) : undefined,
    hiddenCols: hideSpecial ? result.tokensB.map(isSpecialToken) : undefined,
  };
}

export function App() {
  const { view, notices, update, dismissNotices } = useUrlView();
  const { client, status, retry } = useModelWorker(view.model);
  const ready = status.phase === 'ready';
  const similarity = useSimilarity(client, ready, view.a, view.b);

  const layerValid = view.layer === null || view.layer < status.numLayers;
  const layer = view.layer !== null && layerValid ? view.layer : status.numLayers - 1;
  const layerNotice =
    ready && !layerValid ? `The link asks for layer ${view.layer}, but ${view.model} has ${status.numLayers}; showing the last.` : null;

  const request: AttributionRequest | null = useMemo(
    () =>
      ready && !isBlank(view.a) && !isBlank(view.b)
        ? { a: view.a, b: view.b, layer, steps: view.steps, mode: view.mode, sim: view.sim }
        : null,
    [ready, view.a, view.b, layer, view.steps, view.mode, view.sim],
  );
  const attribution = useAttribution(client, request);
  const result = attribution.result;

  const [level, setLevel] = useState<'token' | 'word'>('token');
  const [hideSpecial, setHideSpecial] = useState(false);
  const [heatmapView, setHeatmapView] = useState<HeatmapView | null>(null);
  const data = useMemo(() => (result ? heatmapData(result, level, hideSpecial) : null), [result, level, hideSpecial]);

  const allNotices = [...notices, ...(layerNotice ? [layerNotice] : [])];

  return (
    <main className="app">
      <header>
        <h1>PairLens</h1>
        <p className="tagline">Which token pairs make a sentence encoder call two texts similar?</p>
      </header>

      {allNotices.length > 0 && (
        <div className="notice" role="alert">
          {allNotices.map((n) => (
            <p key={n}>{n}</p>
          ))}
          {notices.length > 0 && (
            <button type="button" onClick={dismissNotices}>
              Dismiss
            </button>
          )}
        </div>
      )}

      <nav className="gallery" aria-label="Examples">
        {EXAMPLES.map((example) => (
          <button key={example.title} type="button" title={example.what} onClick={() => update({ a: example.a, b: example.b }, 'push')}>
            {example.title}
          </button>
        ))}
      </nav>

      <section className="inputs">
        <SentenceBox label="Sentence A" value={view.a} onChange={(a) => update({ a }, 'replace')} dropped={similarity.result?.droppedA ?? 0} />
        <SentenceBox label="Sentence B" value={view.b} onChange={(b) => update({ b }, 'replace')} dropped={similarity.result?.droppedB ?? 0} />
      </section>

      <section className="result" aria-live="polite">
        {isBlank(view.a) || isBlank(view.b) ? (
          <p className="hint">Type a sentence in both boxes to compare them.</p>
        ) : similarity.result ? (
          <p>
            Cosine similarity <strong data-testid="similarity">{similarity.result.similarity.toFixed(4)}</strong>
            <span className="muted">
              {' '}
              ({similarity.result.tokensA.length} × {similarity.result.tokensB.length} tokens)
            </span>
          </p>
        ) : ready ? (
          <p className="muted">Computing…</p>
        ) : null}
        {similarity.error && <p className="error">{similarity.error}</p>}
      </section>

      {ready && (
        <Controls view={view} numLayers={status.numLayers} layer={layer} onChange={(patch) => update(patch, 'push')} />
      )}

      {request && (
        <Convergence
          stepsDone={result?.stepsDone ?? 0}
          steps={view.steps}
          error={result ? result.integrationError : null}
          points={attribution.convergence}
          running={attribution.running}
          onCancel={attribution.cancel}
        />
      )}
      {attribution.cancelled && <p className="muted">Cancelled. Change an input or a control to compute again.</p>}
      {attribution.error && <p className="error">{attribution.error}</p>}

      <section className="heatmap-panel">
        <div className="heatmap-options">
          <div role="radiogroup" aria-label="Level">
            {(['token', 'word'] as const).map((l) => (
              <label key={l}>
                <input type="radio" name="level" checked={level === l} onChange={() => setLevel(l)} />
                {l === 'token' ? 'Tokens' : 'Words'}
              </label>
            ))}
          </div>
          <label>
            <input type="checkbox" checked={hideSpecial} onChange={(e) => setHideSpecial(e.target.checked)} disabled={level === 'word'} />
            Hide special and whitespace tokens (totals still include them)
          </label>
        </div>
        <Heatmap data={data} onReady={setHeatmapView} />
        {result && (
          <ExportBar result={result} modelId={view.model} heatmap={heatmapView} final={result.stepsDone === result.steps} />
        )}
      </section>

      {result && (
        <div className="panels">
          <Diagnostics result={result} />
          <TopPairs result={result} />
        </div>
      )}

      {request && (
        <LayerStrip
          client={client}
          base={{ a: view.a, b: view.b, steps: view.steps, sim: view.sim }}
          numLayers={status.numLayers}
          selected={layer}
          onSelect={(l) => update({ layer: l }, 'push')}
        />
      )}

      <HowItWorks />
      <StatusArea status={status} onRetry={retry} />
    </main>
  );
}

function SentenceBox(props: { label: string; value: string; onChange: (v: string) => void; dropped: number }) {
  const id = props.label.replace(/\s+/g, '-').toLowerCase();
  return (
    <div className="sentence">
      <label htmlFor={id}>{props.label}</label>
      <textarea id={id} value={props.value} rows={3} spellCheck={false} onChange={(e) => props.onChange(e.target.value)} />
      {props.dropped > 0 && (
        <p className="notice" role="note">
          Too long: the last {props.dropped} token{props.dropped === 1 ? ' was' : 's were'} dropped (the model reads at
          most 128).
        </p>
      )}
    </div>
  );
}

function StatusArea({ status, onRetry }: { status: ModelStatus; onRetry: () => void }) {
  const percent = status.totalBytes > 0 ? Math.round((100 * status.loadedBytes) / status.totalBytes) : 0;
  return (
    <footer className="status" role="status" aria-label="Status">
      {status.notice && <p className="notice">{status.notice}</p>}
      <span>
        Backend: <strong data-testid="backend">{status.backend ?? 'starting…'}</strong>
      </span>
      {status.phase === 'loading' && (
        <span>
          {' '}
          · Loading model <progress aria-label="Loading progress" max={100} value={percent} /> {percent}%
        </span>
      )}
      {status.phase === 'ready' && (
        <span>
          {' '}
          · Model: {status.modelId} ready
          {status.exactVariant ? ` (exact variant: ${status.exactVariant})` : ' (no exact variant: Exact mode shifts it, not fine-tuned)'}
        </span>
      )}
      {status.phase === 'failed' && (
        <span className="error">
          {' '}
          · {status.error}{' '}
          <button type="button" onClick={onRetry}>
            Retry
          </button>
        </span>
      )}
    </footer>
  );
}
