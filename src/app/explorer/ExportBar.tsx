import { useState } from 'react';
import type { AttributionResult } from '../../worker/protocol.ts';
import { download, exportBaseName, exportCsv, exportJson } from '../exports.ts';
import type { HeatmapView } from '../heatmap/view.ts';

interface Props {
  result: AttributionResult;
  modelId: string;
  heatmap: HeatmapView | null;
  /** Exports of a partial result are allowed but labelled in the file name. */
  final: boolean;
}

export function ExportBar({ result, modelId, heatmap, final }: Props) {
  const [message, setMessage] = useState<string | null>(null);
  const base = exportBaseName(result) + (final ? '' : `-partial${result.stepsDone}`);

  async function copyLink() {
    try {
      await navigator.clipboard.writeText(window.location.href);
      setMessage('Link copied.');
    } catch {
      // Clipboard access can be refused (permissions, insecure context): show the link instead.
      setMessage(`Copy this link: ${window.location.href}`);
    }
  }

  async function exportPng() {
    if (!heatmap) return;
    try {
      download(`${base}.png`, await heatmap.toPngBlob(2));
    } catch (error) {
      setMessage(`PNG export failed: ${(error as Error).message}`);
    }
  }

  return (
    <div className="export-bar">
      <button type="button" onClick={() => download(`${base}.json`, exportJson(modelId, result), 'application/json')}>
        Export JSON
      </button>
      <button type="button" onClick={() => download(`${base}.csv`, exportCsv(modelId, result), 'text/csv')}>
        Export CSV
      </button>
      <button type="button" disabled={!heatmap} onClick={() => void exportPng()}>
        Export PNG
      </button>
      <button
        type="button"
        disabled={!heatmap}
        onClick={() => heatmap && download(`${base}.svg`, heatmap.toSvgString(), 'image/svg+xml')}
      >
        Export SVG
      </button>
      <button type="button" onClick={() => void copyLink()}>
        Copy link
      </button>
      {message && (
        <span className="muted" role="note">
          {message}
        </span>
      )}
    </div>
  );
}
