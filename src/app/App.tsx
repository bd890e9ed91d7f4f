import { useCallback, useMemo, useRef, useState } from 'react';
import { DEFAULT_MODEL } from '../model/catalog.ts';
import { localModelId, parseModelId } from '../model/model-id.ts';
import { wordLevel } from '../attribution/words.ts';
import type { AttributionRequest, AttributionResult, PickedFolder } from '../worker/protocol.ts';
import { EXAMPLES } from './examples.ts';
import { Controls } from './explorer/Controls.tsx';
import { Convergence } from './explorer/Convergence.tsx';
import { Diagnostics } from './explorer/Diagnostics.tsx';
import { ExactVariantPanel } from './explorer/ExactVariantPanel.tsx';
import { ExportBar } from './explorer/ExportBar.tsx';
import { HowItWorks } from './explorer/HowItWorks.tsx';
import { LayerStrip } from './explorer/LayerStrip.tsx';
import { TopPairs } from './explorer/TopPairs.tsx';
import { loadSettings, recentModels, rememberModel, saveSettings, type ModelSettings } from './model-settings.ts';
import { ModelPicker } from './models/ModelPicker.tsx';
import { Heatmap } from './heatmap/Heatmap.tsx';
import type { HeatmapData } from './heatmap/data.ts';
import type { HeatmapView } from './heatmap/view.ts';
import { DatasetView } from './dataset/DatasetView.tsx';
import { RankView } from './rank/RankView.tsx';
import { PAGES, promptsOf, type Page } from './url-state.ts';
import { useAttribution } from './use-attribution.ts';
import { useMakeExact } from './use-make-exact.ts';
import { useModelWorker, type LoadFailure, type ModelStatus } from './use-model-worker.ts';
import { isBlank, useSimilarity } from './use-similarity.ts';
import { useUrlView } from './use-url-view.ts';

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
    hiddenRows: hideSpecial ? result.specialA : undefined,
    hiddenCols: hideSpecial ? result.specialB : undefined,
  };
}

const PAGE_NAMES: Record<Page, string> = { explorer: 'Pair explorer', rank: 'Rank passages', dataset: 'Dataset' };

export function App() {
  const url = useUrlView();
  const { page, view, notices, update, change, dismissNotices } = url;
  const onExplorer = page === 'explorer';
  const [settings, setSettings] = useState<ModelSettings>(loadSettings);
  const [recent, setRecent] = useState<string[]>(recentModels);
  const [modelError, setModelError] = useState<string | null>(null);
  // Folders opened from disk in this tab, by their local: id (a link cannot carry files).
  const folders = useRef(new Map<string, PickedFolder>());

  const onReady = useCallback((modelId: string) => {
    if (parseModelId(modelId)?.kind === 'hub') {
      rememberModel(modelId);
      setRecent(recentModels());
    }
  }, []);
  const onLoadFailed = useCallback(
    (failure: LoadFailure) => {
      // Keep working on the model still served (or the bundled one), and say why.
      const fallback = failure.current ?? (failure.modelId === DEFAULT_MODEL ? null : DEFAULT_MODEL);
      // Without a fallback the status area shows the error, with Retry.
      if (!fallback) return;
      setModelError(`${failure.message} Showing ${fallback} instead.`);
      update({ model: fallback, layer: null }, 'replace');
    },
    [update],
  );
  const source = useMemo(() => ({ settings, folderOf: (id: string) => folders.current.get(id), onReady, onLoadFailed }), [settings, onReady, onLoadFailed]);
  const { client, status, retry } = useModelWorker(view.model, source);
  const ready = status.phase === 'ready' && status.modelId === view.model;
  const makeExact = useMakeExact(client);

  const loadModelId = (id: string) => {
    setModelError(null);
    update({ model: id, layer: null }, 'push');
  };
  const openFolder = (folder: PickedFolder) => {
    // Each opening gets its own id, so opening a folder again (after editing it) loads it again.
    let id = localModelId(folder.name);
    for (let n = 2; folders.current.has(id); n++) id = localModelId(`${folder.name} (${n})`);
    folders.current.set(id, folder);
    setModelError(null);
    update({ model: id, layer: null }, 'push');
  };
  // Only the page shown runs work in the worker (one job at a time there).
  const similarity = useSimilarity(client, ready && onExplorer ? view.model : null, view.a, view.b);

  const layerValid = view.layer === null || view.layer < status.numLayers;
  const layer = view.layer !== null && layerValid ? view.layer : status.numLayers - 1;
  const layerNotice =
    ready && !layerValid ? `The link asks for layer ${view.layer}, but ${view.model} has ${status.numLayers} layers; showing the last.` : null;

  // While an exact variant is being made the worker is busy fine-tuning: attributions wait.
  // The rule is always explicit (the view resolves a link's implied rule); the tolerance only matters with steps=auto.
  const quadrature = useMemo(
    () => ({ steps: view.steps, rule: view.rule, tolerance: view.steps === 'auto' ? view.tol : undefined }),
    [view.steps, view.rule, view.tol],
  );
  const request: AttributionRequest | null = useMemo(
    () =>
      ready && onExplorer && !makeExact.running && !isBlank(view.a) && !isBlank(view.b)
        ? { a: view.a, b: view.b, layer, ...quadrature, mode: view.mode, sim: view.sim, ...promptsOf({ pa: view.pa, pb: view.pb }) }
        : null,
    [ready, onExplorer, makeExact.running, view.a, view.b, layer, quadrature, view.mode, view.sim, view.pa, view.pb],
  );
  // A new exact variant (made or restored here) changes exact results for the same request.
  const modelsKey = `${status.modelId}|${status.exactVariant?.id ?? 'shifted'}`;
  const attribution = useAttribution(client, request, modelsKey);
  const result = attribution.result;
  // Reports name the backend as the CLI does ("wasm", "webgpu").
  const backendName = status.backendName ?? 'unknown';

  const served = useMemo(
    () => ({ numLayers: status.numLayers, layer, modelsKey, backend: backendName, prompts: status.prompts }),
    [status.numLayers, layer, modelsKey, backendName, status.prompts],
  );

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

      <nav className="pages" aria-label="Pages">
        {PAGES.map((p) => (
          <button key={p} type="button" aria-current={page === p ? 'page' : undefined} onClick={() => change({ page: p }, 'push')}>
            {PAGE_NAMES[p]}
          </button>
        ))}
      </nav>

      <ModelPicker
        current={view.model}
        status={status}
        failure={modelError}
        recent={recent}
        settings={settings}
        onLoad={loadModelId}
        onFolder={openFolder}
        onSettings={(next) => {
          saveSettings(next);
          setSettings(next);
        }}
        onForgetDownloads={() => client.clearDownloadCache()}
      />

      {/* Hidden pages stay mounted, so going back finds them as they were; only the page shown runs work. */}
      <div hidden={page !== 'rank'}>
        <RankView client={client} ready={ready && !makeExact.running} active={page === 'rank'} url={url} model={served} />
      </div>
      <div hidden={page !== 'dataset'}>
        <DatasetView client={client} ready={ready && !makeExact.running} active={page === 'dataset'} url={url} model={served} />
      </div>

      {onExplorer && (
        <div className="explorer">
          <nav className="gallery" aria-label="Examples">
            {EXAMPLES.map((example) => (
              <button key={example.title} type="button" title={example.what} onClick={() => update({ a: example.a, b: example.b }, 'push')}>
                {example.title}
              </button>
            ))}
          </nav>

          <section className="inputs">
            <SentenceBox label="Sentence A" value={view.a} onChange={(a) => update({ a }, 'replace')} dropped={similarity.result?.droppedA ?? 0} maxTokens={status.maxTokens} />
            <SentenceBox label="Sentence B" value={view.b} onChange={(b) => update({ b }, 'replace')} dropped={similarity.result?.droppedB ?? 0} maxTokens={status.maxTokens} />
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
            <Controls view={view} numLayers={status.numLayers} layer={layer} prompts={status.prompts} onChange={(patch) => update(patch, 'push')} />
          )}
          {ready && (
            <ExactVariantPanel
              key={view.model}
              modelId={view.model}
              exactVariant={status.exactVariant}
              storedVariant={status.storedVariant}
              defaultPairs={status.variantTrainPairs}
              run={makeExact}
              onUseStored={() => client.useStoredExact()}
              onForgetStored={() => client.forgetStoredExact()}
            />
          )}

          {request && (
            <Convergence
              settings={view}
              result={result}
              progress={attribution.progress}
              points={attribution.convergence}
              running={attribution.running}
              onCancel={attribution.cancel}
            />
          )}
          {attribution.cancelled && <p className="muted">Cancelled. Change an input or a control to compute again.</p>}
          {attribution.error && <p className="error">{attribution.error}</p>}

          <div className="explorer-main">
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
            {result && !result.final && (
              <p className="muted">
                <span className="badge partial">partial</span> level {result.level}, {result.evaluations} evaluations per text: a
                complete estimate, refined while the run goes on.
              </p>
            )}
            <Heatmap data={data} onReady={setHeatmapView} />
            {result && (
              <ExportBar result={result} modelId={view.model} heatmap={heatmapView} backend={backendName} unverified={status.unverified} />
            )}
          </section>

          {result && (
            <div className="panels">
              <Diagnostics result={result} backend={backendName} />
              <TopPairs result={result} />
            </div>
          )}
          </div>

          {request && (
            <LayerStrip
              client={client}
              base={{ a: view.a, b: view.b, ...quadrature, sim: view.sim }}
              context={modelsKey}
              numLayers={status.numLayers}
              selected={layer}
              onSelect={(l) => update({ layer: l }, 'push')}
            />
          )}
        </div>
      )}

      <HowItWorks />
      <StatusArea status={status} onRetry={retry} />
    </main>
  );
}

function SentenceBox(props: { label: string; value: string; onChange: (v: string) => void; dropped: number; maxTokens: number }) {
  const id = props.label.replace(/\s+/g, '-').toLowerCase();
  return (
    <div className="sentence">
      <label htmlFor={id}>{props.label}</label>
      <textarea id={id} value={props.value} rows={3} spellCheck={false} onChange={(e) => props.onChange(e.target.value)} />
      {props.dropped > 0 && (
        <p className="notice" role="note">
          Too long: the last {props.dropped} token{props.dropped === 1 ? ' was' : 's were'} dropped (the model reads at
          most {props.maxTokens}).
        </p>
      )}
    </div>
  );
}

function StatusArea({ status, onRetry }: { status: ModelStatus; onRetry: () => void }) {
  const progress = status.progress;
  const percent = progress && progress.totalBytes > 0 ? Math.round((100 * progress.loadedBytes) / progress.totalBytes) : 0;
  const exact = status.exactVariant;
  return (
    <footer className="status" role="status" aria-label="Status">
      {status.notice && <p className="notice">{status.notice}</p>}
      <span>
        Backend: <strong data-testid="backend">{status.backend ?? 'starting…'}</strong>
      </span>
      {status.loadingId !== null && status.phase !== 'failed' && (
        <span>
          {' '}
          · Loading {status.loadingId} <progress aria-label="Loading progress" max={100} value={percent} /> {percent}%
        </span>
      )}
      {status.phase === 'ready' && status.loadingId === null && (
        <span>
          {' '}
          · Model: {status.modelId} ready
          {exact?.source === 'checkpoint'
            ? ' (an exact checkpoint: Exact mode attributes it as it is)'
            : exact
              ? ` (exact variant: ${exact.id})`
              : ' (no exact variant: Exact mode shifts it, not fine-tuned)'}
          <span className="muted">
            {' '}
            · <span data-testid="tensors">{status.numTensors}</span> TF.js tensors
          </span>
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
