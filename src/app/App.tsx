import { useState } from 'react';
import { DEFAULT_MODEL } from '../model/catalog.ts';
import { isBlank, useSimilarity } from './use-similarity.ts';
import { useModelWorker, type ModelStatus } from './use-model-worker.ts';

export const EXAMPLE_A = 'A man is playing a guitar on stage.';
export const EXAMPLE_B = 'Someone performs music with an instrument.';

export function App() {
  const [a, setA] = useState(EXAMPLE_A);
  const [b, setB] = useState(EXAMPLE_B);
  const { client, status, retry } = useModelWorker(DEFAULT_MODEL);
  const { result, busy, error } = useSimilarity(client, status.phase === 'ready', a, b);

  return (
    <main className="app">
      <header>
        <h1>PairLens</h1>
        <p className="tagline">Which token pairs make a sentence encoder call two texts similar?</p>
      </header>

      <section className="inputs">
        <SentenceBox label="Sentence A" value={a} onChange={setA} dropped={result?.droppedA ?? 0} />
        <SentenceBox label="Sentence B" value={b} onChange={setB} dropped={result?.droppedB ?? 0} />
      </section>

      <section className="result" aria-live="polite">
        {isBlank(a) || isBlank(b) ? (
          <p className="hint">Type a sentence in both boxes to compare them.</p>
        ) : result ? (
          <p>
            Cosine similarity <strong data-testid="similarity">{result.similarity.toFixed(4)}</strong>
            <span className="muted">
              {' '}
              ({result.tokensA.length} × {result.tokensB.length} tokens, {result.ms.toFixed(0)} ms)
            </span>
          </p>
        ) : status.phase === 'ready' && (busy || !error) ? (
          <p className="muted">Computing…</p>
        ) : null}
        {error && <p className="error">{error}</p>}
      </section>

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
          · Loading model{' '}
          <progress aria-label="Model loading" max={100} value={percent} /> {percent}%
        </span>
      )}
      {status.phase === 'ready' && <span> · Model: use-lite ready</span>}
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
