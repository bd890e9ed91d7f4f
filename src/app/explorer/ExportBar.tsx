import { useState } from 'react';
import type { AttributionResult } from '../../worker/protocol.ts';
import { download, exportBaseName, exportCsv, exportJson } from '../exports.ts';
import type { HeatmapView } from '../heatmap/view.ts';

interface Props {
  result: AttributionResult;
  modelId: string;
  heatmap: HeatmapView | null;
  /** The TF.js backend's name, as reports carry it. */
  backend: string;
}

/**
 * Exports of the shown result. A partial result (a complete level while the run goes
 * on) may be exported: the buttons and file names say "partial", the files "final": false.
 */
export function ExportBar({ result, modelId, heatmap, backend }: Props) {
  const [message, setMessage] = useState<string | null>(null);
  const base = exportBaseName(result);
  const partial = result.final ? '' : 'partial ';

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
      <button type="button" onClick={() => download(`${base}.json`, exportJson(modelId, result, { backend }), 'application/json')}>
        Export {partial}JSON
      </button>
      <button type="button" onClick={() => download(`${base}.csv`, exportCsv(modelId, result, { backend }), 'text/csv')}>
        Export {partial}CSV
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
