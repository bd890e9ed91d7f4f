/**
 * All layers at a glance: on request, the pair is attributed at every layer in both
 * modes (the second mode comes from the engine's cache), drawn as small heatmaps.
 * A click selects that layer. Per layer it states how far exact and approximate differ.
 */
import { useEffect, useRef, useState } from 'react';
import type { AttributionRequest, AttributionResult } from '../../worker/protocol.ts';
import { makeColorScale } from '../heatmap/color.ts';
import type { ModelWorkerClient } from '../worker-client.ts';
import { pearson } from '../../shared/stats.ts';
import { layerName } from './Controls.tsx';

interface LayerRow {
  approx: AttributionResult;
  exact: AttributionResult;
}

/** A correlation to three places; "—" where it is undefined (a single cell, a constant matrix). */
function formatCorrelation(r: number): string {
  return Number.isNaN(r) ? '—' : r.toFixed(3);
}

function MiniHeatmap({ result }: { result: AttributionResult }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const m = result.matrix.reduce((acc, v) => Math.max(acc, Math.abs(v)), 0);
    const color = makeColorScale(m || 1);
    for (let i = 0; i < result.rows; i++) {
      for (let j = 0; j < result.cols; j++) {
        context.fillStyle = color(result.matrix[i * result.cols + j]);
        context.fillRect(j, i, 1, 1);
      }
    }
  }, [result]);
  return <canvas ref={canvas} width={result.cols} height={result.rows} className="mini-heatmap" aria-hidden="true" />;
}

interface Props {
  client: ModelWorkerClient;
  base: Omit<AttributionRequest, 'layer' | 'mode'>;
  /** The models behind the results (served model and exact variant): results for others are not shown. */
  context: string;
  numLayers: number;
  selected: number;
  onSelect: (layer: number) => void;
}

export function LayerStrip({ client, base, context, numLayers, selected, onSelect }: Props) {
  const key = JSON.stringify([context, base.a, base.b, base.steps, base.rule ?? null, base.tolerance ?? null, base.sim, numLayers]);
  const [rows, setRows] = useState<{ key: string; layers: Array<LayerRow | null> } | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  async function computeAll() {
    const layers: Array<LayerRow | null> = new Array(numLayers).fill(null);
    setRows({ key, layers: [...layers] });
    try {
      for (let layer = 0; layer < numLayers; layer++) {
        setStatus(`Computing ${layerName(layer)}…`);
        const approx = await client.attributeToEnd({ ...base, layer, mode: 'approx' });
        const exact = await client.attributeToEnd({ ...base, layer, mode: 'exact' });
        layers[layer] = { approx, exact };
        setRows({ key, layers: [...layers] });
      }
      setStatus(null);
    } catch (error) {
      setStatus(`Stopped: ${(error as Error).message}. Compute again when the main view has finished.`);
    }
  }

  const shown = rows?.key === key ? rows.layers : null;
  return (
    <section className="layer-strip">
      <h2>All layers</h2>
      <button type="button" onClick={() => void computeAll()}>
        Compute all layers
      </button>
      {status && <span className="muted"> {status}</span>}
      {shown && (
        <ul>
          {shown.map((row, layer) => (
            <li key={layer}>
              <button
                type="button"
                className={layer === selected ? 'layer-tile selected' : 'layer-tile'}
                aria-pressed={layer === selected}
                onClick={() => onSelect(layer)}
              >
                <span>{layerName(layer)}</span>
                {row ? <MiniHeatmap result={row.approx} /> : <span className="muted">…</span>}
                {row && (
                  <span className="muted">
                    Σ A {row.approx.sum.toFixed(3)} approx / {row.exact.sum.toFixed(3)} exact; r ={' '}
                    {formatCorrelation(pearson(row.approx.matrix, row.exact.matrix))}
                  </span>
                )}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
