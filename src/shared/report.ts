/**
 * The JSON shape of an attribution as users get it from the CLI and the app's
 * "Export JSON" (docs/architecture.md, "Reports"). One function, so both stay identical.
 */
import type { AttributionResult } from '../attribution/engine.ts';

/** The version every report names (package.json's; a unit test keeps them equal). */
export const PAIRLENS_VERSION = '0.1.0';

/** Where a result was computed, which the result itself cannot know. */
export interface ReportContext {
  /** TF.js backend, as the worker or the CLI names it (e.g. "wasm", "webgpu"). */
  backend: string;
  /** Why the model's architecture is not yet checked against its reference implementation (SentenceEncoder.unverified). */
  unverified?: string;
}

/** The result fields a report carries as they are (engine.ts documents each). */
type ReportedFields =
  | 'layer' | 'steps' | 'rule' | 'ruleRequested' | 'tolerance' | 'evaluations' | 'final' | 'converged'
  | 'errorEstimate' | 'levelChange' | 'completeness' | 'reference' | 'mode' | 'sim' | 'method' | 'tokensA'
  | 'tokensB' | 'prediction' | 'shiftedPrediction' | 'referenceTerms' | 'target' | 'sum' | 'integrationError'
  | 'ms' | 'attributionModel' | 'exactModel' | 'promptA' | 'promptB';

/** The JSON users get: the result's fields, the matrix as rows, and where and with what it was computed. */
export type AttributionReport = Pick<AttributionResult, ReportedFields> & {
  model: string;
  /** Rows are the tokens of A. */
  matrix: number[][];
  backend: string;
  version: string;
  /** Present only for an architecture not yet checked against its reference implementation. */
  unverified?: string;
};

export function matrixRows(result: Pick<AttributionResult, 'matrix' | 'rows' | 'cols'>): number[][] {
  return Array.from({ length: result.rows }, (_, i) => Array.from(result.matrix.subarray(i * result.cols, (i + 1) * result.cols)));
}

export function attributionReport(modelId: string, result: AttributionResult, context: ReportContext): AttributionReport {
  return {
    model: modelId,
    layer: result.layer,
    steps: result.steps,
    rule: result.rule,
    ruleRequested: result.ruleRequested,
    tolerance: result.tolerance,
    evaluations: result.evaluations,
    final: result.final,
    converged: result.converged,
    errorEstimate: result.errorEstimate,
    levelChange: result.levelChange,
    completeness: { ...result.completeness },
    reference: { ...result.reference },
    backend: context.backend,
    version: PAIRLENS_VERSION,
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
    promptA: result.promptA,
    promptB: result.promptB,
    ...(context.unverified ? { unverified: context.unverified } : {}),
  };
}

/** A plain-text table for terminals: rows are tokens of A, columns tokens of B. */
export function attributionTable(report: AttributionReport): string {
  const cell = (s: string) => (s.length > 10 ? `${s.slice(0, 9)}…` : s).padStart(10);
  const lines = [
    `${report.model}, layer ${report.layer}, ${report.mode}, ${report.sim}, ${report.method}` +
      (report.exactModel ? ` (attributing ${exactModelLabel(report)})` : ''),
    `${howComputed(report)}; ${report.backend}, PairLens ${report.version}`,
    ...(report.promptA || report.promptB ? [`prompts: A ${report.promptA ?? 'none'}, B ${report.promptB ?? 'none'}`] : []),
    ...(report.unverified ? [`unverified: ${report.unverified}`] : []),
    ['', ...report.tokensB].map(cell).join(' '),
    ...report.matrix.map((row, i) => [report.tokensA[i], ...row.map((v) => v.toFixed(4))].map(cell).join(' ')),
    '',
    `prediction         ${report.prediction.toFixed(6)}`,
    `shifted prediction ${report.shiftedPrediction.toFixed(6)}`,
    `reference terms    aRb ${report.referenceTerms.aRb.toFixed(6)}  rAb ${report.referenceTerms.rAb.toFixed(6)}  rArB ${report.referenceTerms.rArB.toFixed(6)}`,
    `target             ${report.target.toFixed(6)}`,
    `sum of matrix      ${report.sum.toFixed(6)}`,
    `integration error  ${report.integrationError.toExponential(2)}  (ΣA − target)`,
    `error estimate     ${report.errorEstimate.toExponential(2)}  (of the matrix, relative)`,
    `completeness       A ${report.completeness.a.toExponential(2)}  B ${report.completeness.b.toExponential(2)}  (L2 residual per text)`,
    `time               ${report.ms.toFixed(0)} ms`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * One line on how the numbers were made: "romberg (auto), 33 evaluations per text,
 * steps auto, tolerance 3e-3, converged, reference padding". Partial results say so.
 */
export function howComputed(r: Pick<AttributionReport, 'rule' | 'ruleRequested' | 'evaluations' | 'steps' | 'tolerance' | 'final' | 'converged' | 'reference'>): string {
  const rule = r.ruleRequested === 'auto' ? `${r.rule} (auto)` : r.rule;
  const steps = r.steps === 'auto' ? `steps auto, tolerance ${r.tolerance}` : `${r.steps} steps`;
  return `${rule}, ${r.evaluations} evaluations per text, ${steps}, ${statusDescription(r)}, reference ${referenceLabel(r.reference)}`;
}

/** "partial", "final", "final, converged" or "final, tolerance not reached". */
export function resultStatus(r: Pick<AttributionReport, 'final' | 'converged'>): string {
  if (!r.final) return 'partial';
  if (r.converged === true) return 'final, converged';
  if (r.converged === false) return 'final, tolerance not reached';
  return 'final';
}

/** resultStatus, with what a partial result is. */
export function statusDescription(r: Pick<AttributionReport, 'final' | 'converged'>): string {
  const status = resultStatus(r);
  return r.final ? status : `${status}: a complete level, the run goes on`;
}

export function referenceLabel(reference: AttributionReport['reference']): string {
  return reference.kind === 'token' ? `token ${reference.id}` : reference.kind;
}

/** How a UI or the CLI names the model behind exact attributions. */
export function exactModelLabel(result: Pick<AttributionResult, 'exactModel' | 'attributionModel'>): string {
  if (result.exactModel === 'fine-tuned') return `${result.attributionModel} (exact variant, fine-tuned)`;
  if (result.exactModel === 'checkpoint') return `${result.attributionModel} (an exact checkpoint)`;
  if (result.exactModel === 'shifted') return `${result.attributionModel} shifted, not fine-tuned`;
  return `${result.attributionModel} (unmodified)`;
}
