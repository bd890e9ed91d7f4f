/**
 * What Exact mode explains for this model, and "Make exact": fine-tune the shifted
 * model in the browser so it keeps the original's similarities (progress bar, live
 * loss curve, Cancel), then use it for Exact mode; it is kept in this browser and
 * offered on the next visit.
 */
import { useState } from 'react';
import type { ExactVariantInfo, HeldOutFigures, VariantRecord } from '../../worker/protocol.ts';
import { Labelled } from '../Labelled.tsx';
import { phaseMsLeft, type MakeExactState } from '../use-make-exact.ts';

/** Sizes offered besides the model's default (its kind's measured recipe: src/exact/variant.ts). */
const PAIR_CHOICES = [128, 384, 1024, 2048, 4096];

/** The training-pair sizes offered, smallest first: PAIR_CHOICES and the model's default. */
export function pairChoices(defaultPairs: number | null): number[] {
  return [...new Set([...PAIR_CHOICES, ...(defaultPairs === null ? [] : [defaultPairs])])].sort((a, b) => a - b);
}

const PHASES: Record<string, string> = {
  pairs: 'Building sentence pairs',
  targets: 'Scoring the pairs with the original model',
  training: 'Fine-tuning',
  evaluating: 'Checking pairs from held-out documents',
};

export interface ExactVariantPanelProps {
  modelId: string;
  exactVariant: ExactVariantInfo | null;
  storedVariant: VariantRecord | null;
  /** The model's default number of training pairs; null when it cannot be fine-tuned. */
  defaultPairs: number | null;
  run: MakeExactState & { start: (settings: { trainPairs: number }) => void; cancel: () => void };
  onUseStored: () => void;
  onForgetStored: () => void;
}

function describe(modelId: string, exact: ExactVariantInfo | null): string {
  if (!exact) return `Exact mode explains ${modelId} shifted so its reference maps to zero, not fine-tuned: its scores can differ from the original's.`;
  if (exact.source === 'checkpoint') return `${modelId} is an exact checkpoint (shifted and fine-tuned by the papers' code): Exact mode explains it as it is.`;
  if (exact.source === 'bundled') return `Exact mode explains ${exact.id}, the exact variant shipped with PairLens (shifted and fine-tuned).`;
  return `Exact mode explains ${exact.id}, the exact variant made in this browser on ${formatDate(exact.record?.createdAt)}.`;
}

/** "about 12 min", "about 40 s": an estimate, so rounded. */
export function formatLeft(ms: number): string {
  const s = ms / 1000;
  return s >= 90 ? `about ${Math.round(s / 60)} min` : `about ${Math.max(1, Math.round(s / 5) * 5)} s`;
}

function formatDate(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : 'an earlier visit';
}

export function ExactVariantPanel({ modelId, exactVariant, storedVariant, defaultPairs, run, onUseStored, onForgetStored }: ExactVariantPanelProps) {
  // null: the model's default, whatever it is when Make exact is pressed.
  const [chosen, setChosen] = useState<number | null>(null);
  const pairs = chosen ?? defaultPairs;
  const inUse = exactVariant?.source === 'made-here';
  const canMake = exactVariant?.source !== 'checkpoint' && pairs !== null;
  const p = run.progress;
  const left = phaseMsLeft(run);
  return (
    <section className="exact-panel" aria-labelledby="exact-heading">
      <h2 id="exact-heading">Exact variant</h2>
      <p data-testid="exact-description">{describe(modelId, exactVariant)}</p>

      {storedVariant && !inUse && (
        <p className="notice" data-testid="stored-variant">
          An exact variant of this model made on {formatDate(storedVariant.createdAt)} is stored in this browser
          {storedVariant.heldOut && ` (held-out Spearman ${storedVariant.heldOut.variant.spearman.toFixed(3)})`}.{' '}
          <button type="button" onClick={onUseStored}>
            Use stored variant
          </button>{' '}
          <button type="button" onClick={onForgetStored}>
            Delete stored variant
          </button>
        </p>
      )}

      {exactVariant?.source !== 'checkpoint' && defaultPairs === null && (
        <p className="muted">This model&apos;s architecture cannot be fine-tuned here, so no exact variant can be made of it.</p>
      )}
      {canMake && (
        <div className="exact-make">
          <Labelled id="exact-pairs" label="Training pairs">
            <select id="exact-pairs" value={pairs} disabled={run.running} onChange={(e) => setChosen(Number(e.target.value))}>
              {pairChoices(defaultPairs).map((n) => (
                <option key={n} value={n}>
                  {n === defaultPairs ? `${n} (default)` : n}
                </option>
              ))}
            </select>
          </Labelled>
          <button type="button" disabled={run.running} onClick={() => run.start({ trainPairs: pairs })}>
            Make exact
          </button>
          {inUse && storedVariant && (
            <button type="button" onClick={onForgetStored}>
              Delete stored variant
            </button>
          )}
          <span className="muted">
            Fine-tunes a copy of the shifted model, in this browser, to give the original&apos;s similarities on sentence pairs from
            a novel, speeches, dictionary usage examples and mails; the original stays as it is.
          </span>
        </div>
      )}

      {run.running && (
        <div className="exact-progress">
          <span>
            {p ? PHASES[p.phase] : 'Starting'}
            {p && ` · ${p.step} of ${p.steps}`}
            {p?.loss !== undefined && ` · loss ${p.loss.toExponential(2)}`}
            {left !== null && ` · ${formatLeft(left)} left in this phase`}
          </span>
          <progress aria-label="Fine-tuning progress" max={p?.steps || 1} value={p?.step ?? 0} />
          <button type="button" onClick={run.cancel}>
            Cancel
          </button>
        </div>
      )}
      {run.losses.length > 0 && <LossCurve losses={run.losses} />}
      {run.done && <HeldOut record={run.done} />}
      {run.message && (
        <p className={run.cancelled ? 'muted' : 'error'} role={run.cancelled ? undefined : 'alert'} data-testid="exact-message">
          {run.message}
        </p>
      )}
    </section>
  );
}

function LossCurve({ losses }: { losses: Array<[number, number]> }) {
  const width = 240;
  const height = 60;
  const steps = Math.max(...losses.map(([s]) => s), 1);
  const values = losses.map(([, l]) => l);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const x = (s: number) => (width * s) / steps;
  const y = (l: number) => height - 2 - ((l - lo) / (hi - lo || 1)) * (height - 4);
  const path = losses.map(([s, l], i) => `${i ? 'L' : 'M'}${x(s).toFixed(1)},${y(l).toFixed(1)}`).join(' ');
  const last = losses[losses.length - 1];
  return (
    <figure className="loss-curve">
      <svg width={width} height={height} role="img" aria-label={`Fine-tuning loss curve: ${losses.length} steps, last loss ${last[1].toExponential(2)}`}>
        <path d={path} fill="none" stroke="currentColor" strokeWidth={1.5} />
      </svg>
      <figcaption className="muted">
        Distillation loss per step (from {hi.toExponential(1)} to {lo.toExponential(1)})
      </figcaption>
    </figure>
  );
}

function HeldOut({ record }: { record: VariantRecord }) {
  const row = (name: string, f: HeldOutFigures) => (
    <tr>
      <th scope="row">{name}</th>
      <td>{f.spearman.toFixed(3)}</td>
      <td>{f.meanAbsDiff.toFixed(3)}</td>
    </tr>
  );
  return (
    <div className="held-out" data-testid="exact-result">
      <p>
        Made {record.id} in {(record.training.ms / 1000).toFixed(1)} s ({record.training.steps} steps on {record.training.backend}). Agreement with
        the original on {record.corpus.heldOutPairs} pairs from documents it was not trained on:
      </p>
      <table>
        <thead>
          <tr>
            <th />
            <th scope="col">Spearman</th>
            <th scope="col">mean |Δ cos|</th>
          </tr>
        </thead>
        <tbody>
          {row('fine-tuned variant', record.heldOut.variant)}
          {row('shifted, not fine-tuned', record.heldOut.shiftedBaseline)}
        </tbody>
      </table>
    </div>
  );
}
