/**
 * Exports of the current attribution: JSON in the CLI's shape, CSV of the matrix
 * with settings and diagnostics, and downloads of the heatmap's SVG and PNG. Both
 * carry how the numbers were made (rule, evaluations, error estimate, backend…); an
 * export taken while the run goes on is a complete level and says "final": false.
 */
import { csvField } from '../shared/csv.ts';
import { attributionReport, referenceLabel, type AttributionReport, type ReportContext } from '../shared/report.ts';
import type { AttributionResult } from '../worker/protocol.ts';

export function exportJson(modelId: string, result: AttributionResult, context: ReportContext): string {
  return `${JSON.stringify(attributionReport(modelId, result, context), null, 2)}\n`;
}

/**
 * Settings and diagnostics as "# name,value" lines (read_csv(comment='#') skips them),
 * then the matrix: a header of B's tokens, one row per token of A.
 */
export function exportCsv(modelId: string, result: AttributionResult, context: ReportContext): string {
  const report: AttributionReport = attributionReport(modelId, result, context);
  // null (no tolerance with a number of steps, converged without one) is an empty field.
  const orEmpty = (value: number | boolean | null) => (value === null ? '' : typeof value === 'boolean' ? String(value) : value);
  const meta: Array<[string, string | number]> = [
    ['model', report.model],
    ['layer', report.layer],
    ['steps', report.steps],
    ['rule', report.rule],
    ['ruleRequested', report.ruleRequested],
    ['tolerance', orEmpty(report.tolerance)],
    ['evaluations', report.evaluations],
    ['final', orEmpty(report.final)],
    ['converged', orEmpty(report.converged)],
    ['errorEstimate', report.errorEstimate],
    ['levelChange', orEmpty(report.levelChange)],
    ['completenessA', report.completeness.a],
    ['completenessB', report.completeness.b],
    ['reference', referenceLabel(report.reference)],
    ['backend', report.backend],
    ['version', report.version],
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

/** "pairlens-layer1-approx-romberg-auto"; a partial result adds "-partial17" (its evaluations per text). */
export function exportBaseName(result: AttributionResult): string {
  const base = `pairlens-layer${result.layer}-${result.mode}-${result.rule}-${result.steps}`;
  return result.final ? base : `${base}-partial${result.evaluations}`;
}
