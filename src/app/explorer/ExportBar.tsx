import type { AttributionResult } from '../../worker/protocol.ts';
import { download, exportBaseName, exportCsv, exportJson } from '../exports.ts';
import type { HeatmapView } from '../heatmap/view.ts';
import { ExportMessage } from '../ExportMessage.tsx';
import { useExportActions } from '../use-export-actions.ts';

interface Props {
  result: AttributionResult;
  modelId: string;
  heatmap: HeatmapView | null;
  /** The TF.js backend's name, as reports carry it. */
  backend: string;
  /** Why the model's architecture is not yet checked against transformers, or null; reports carry it. */
  unverified: string | null;
}

/**
 * Exports of the shown result. A partial result (a complete level while the run goes
 * on) may be exported: the buttons and file names say "partial", the files "final": false.
 */
export function ExportBar({ result, modelId, heatmap, backend, unverified }: Props) {
  const { message, copyLink, downloadPng } = useExportActions();
  const context = { backend, ...(unverified ? { unverified } : {}) };
  const base = exportBaseName(result);
  const partial = result.final ? '' : 'partial ';

  return (
    <div className="export-bar">
      <button type="button" onClick={() => download(`${base}.json`, exportJson(modelId, result, context), 'application/json')}>
        Export {partial}JSON
      </button>
      <button type="button" onClick={() => download(`${base}.csv`, exportCsv(modelId, result, context), 'text/csv')}>
        Export {partial}CSV
      </button>
      <button type="button" disabled={!heatmap} onClick={() => heatmap && void downloadPng(`${base}.png`, () => heatmap.toPngBlob(2))}>
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
      <ExportMessage message={message} />
    </div>
  );
}
