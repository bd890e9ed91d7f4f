/**
 * The JSON shape of an attribution as users get it from the CLI and the app's
 * "Export JSON" (docs/architecture.md, "Reports"). One function, so both stay identical.
 */
import type { AttributionResult } from '../attribution/engine.ts';

export interface AttributionReport {
  model: string;
  layer: number;
  steps: number;
  mode: AttributionResult['mode'];
  sim: AttributionResult['sim'];
  method: AttributionResult['method'];
  tokensA: string[];
  tokensB: string[];
  matrix: number[][];
  prediction: number;
  shiftedPrediction: number;
  referenceTerms: { aRb: number; rAb: number; rArB: number };
  target: number;
  sum: number;
  integrationError: number;
  ms: number;
  /** Model whose attributions these are (the exact variant in exact mode, when there is one). */
  attributionModel: string;
  /** Exact mode: 'fine-tuned' (exact variant) or 'shifted' (original shifted, not fine-tuned); else null. */
  exactModel: AttributionResult['exactModel'];
}

export function matrixRows(result: Pick<AttributionResult, 'matrix' | 'rows' | 'cols'>): number[][] {
  return Array.from({ length: result.rows }, (_, i) => Array.from(result.matrix.subarray(i * result.cols, (i + 1) * result.cols)));
}

export function attributionReport(modelId: string, result: AttributionResult): AttributionReport {
  return {
    model: modelId,
    layer: result.layer,
    steps: result.steps,
    mode: result.mode,
    sim: result.sim,
    method: result.method,
    tokensA: result.tokensA,
    tokensB: result.tokensB,
    matrix: matrixRows(result),
    prediction: result.prediction,
    shiftedPrediction: result.shiftedPrediction,
    referenceTerms: { ...result.referenceTerms },
    target: result.target,
    sum: result.sum,
    integrationError: result.integrationError,
    ms: result.ms,
    attributionModel: result.attributionModel,
    exactModel: result.exactModel,
  };
}

/** A plain-text table for terminals: rows are tokens of A, columns tokens of B. */
export function attributionTable(report: AttributionReport): string {
  const cell = (s: string) => (s.length > 10 ? `${s.slice(0, 9)}…` : s).padStart(10);
  const lines = [
    `${report.model}, layer ${report.layer}, ${report.steps} steps, ${report.mode}, ${report.sim}, ${report.method}` +
      (report.exactModel ? ` (attributing ${exactModelLabel(report)})` : ''),
    ['', ...report.tokensB].map(cell).join(' '),
    ...report.matrix.map((row, i) => [report.tokensA[i], ...row.map((v) => v.toFixed(4))].map(cell).join(' ')),
    '',
    `prediction         ${report.prediction.toFixed(6)}`,
    `shifted prediction ${report.shiftedPrediction.toFixed(6)}`,
    `reference terms    aRb ${report.referenceTerms.aRb.toFixed(6)}  rAb ${report.referenceTerms.rAb.toFixed(6)}  rArB ${report.referenceTerms.rArB.toFixed(6)}`,
    `target             ${report.target.toFixed(6)}`,
    `sum of matrix      ${report.sum.toFixed(6)}`,
    `integration error  ${report.integrationError.toExponential(2)}`,
    `time               ${report.ms.toFixed(0)} ms`,
  ];
  return `${lines.join('\n')}\n`;
}

/** How a UI or the CLI names the model behind exact attributions. */
export function exactModelLabel(result: Pick<AttributionResult, 'exactModel' | 'attributionModel'>): string {
  if (result.exactModel === 'fine-tuned') return `${result.attributionModel} (exact variant, fine-tuned)`;
  if (result.exactModel === 'checkpoint') return `${result.attributionModel} (an exact checkpoint)`;
  if (result.exactModel === 'shifted') return `${result.attributionModel} shifted, not fine-tuned`;
  return `${result.attributionModel} (unmodified)`;
}
