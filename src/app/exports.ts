/**
 * Exports of the current attribution: JSON in the CLI's shape, CSV of the matrix
 * with settings and diagnostics, and downloads of the heatmap's SVG and PNG.
 */
import { attributionReport, type AttributionReport } from '../shared/report.ts';
import type { AttributionResult } from '../worker/protocol.ts';

export function exportJson(modelId: string, result: AttributionResult): string {
  return `${JSON.stringify(attributionReport(modelId, result), null, 2)}\n`;
}

/** Quotes a CSV field when needed (RFC 4180), and defuses spreadsheet formulas. */
export function csvField(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Settings and diagnostics as "# name,value" lines (read_csv(comment='#') skips them),
 * then the matrix: a header of B's tokens, one row per token of A.
 */
export function exportCsv(modelId: string, result: AttributionResult): string {
  const report: AttributionReport = attributionReport(modelId, result);
  const meta: Array<[string, string | number]> = [
    ['model', report.model],
    ['layer', report.layer],
    ['steps', report.steps],
    ['mode', report.mode],
    ['sim', report.sim],
    ['method', report.method],
    ['prediction', report.prediction],
    ['shiftedPrediction', report.shiftedPrediction],
    ['aRb', report.referenceTerms.aRb],
    ['rAb', report.referenceTerms.rAb],
    ['rArB', report.referenceTerms.rArB],
    ['target', report.target],
    ['sum', report.sum],
    ['integrationError', report.integrationError],
  ];
  const lines = meta.map(([name, value]) => `# ${name},${csvField(value)}`);
  lines.push(['A \\ B', ...report.tokensB].map(csvField).join(','));
  report.matrix.forEach((row, i) => lines.push([report.tokensA[i], ...row].map(csvField).join(',')));
  return `${lines.join('\n')}\n`;
}

export function download(filename: string, content: Blob | string, type = 'text/plain'): void {
  const blob = typeof content === 'string' ? new Blob([content], { type }) : content;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function exportBaseName(result: AttributionResult): string {
  return `pairlens-layer${result.layer}-${result.mode}-${result.steps}`;
}
