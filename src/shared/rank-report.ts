/**
 * The JSON shape of a ranking as users get it from `pairlens rank --json` and the app's
 * "Export JSON" of a ranking (docs/architecture.md, "Reports"), its CSV, and the
 * per-token sums a ranking shows. Free of TF.js, so the browser app builds the
 * identical object from the worker's results.
 *
 * RankReport, fields in this order: model, layer, mode, sim, rule, evaluations, query,
 * queryTokens, results [{rank, text, score, tokens, contributions, queryContributions,
 * sum, target, integrationError, then index, evaluations, errorEstimate, final,
 * converged, prediction, referenceTerms}], then how the numbers were made: steps,
 * tolerance, ruleRequested, reference, method, attributionModel, exactModel, backend,
 * version, passages (how many were scored) and textsComputed (when known).
 */
import type { AttributionResult } from '../attribution/engine.ts';
import type { RankedScore, RankRequest } from '../attribution/rank.ts';
import { csvField } from './csv.ts';
import { PAIRLENS_VERSION, referenceLabel, type ReportContext } from './report.ts';

/** The result fields a ranking's row carries as they are (engine.ts documents each). */
type RowFields = 'sum' | 'target' | 'integrationError' | 'evaluations' | 'errorEstimate' | 'final' | 'converged' | 'prediction' | 'referenceTerms';

export type RankReportRow = {
  rank: number;
  text: string;
  /** The unmodified model's similarity of query and passage, from the embeddings. */
  score: number;
  /** The passage's tokens (text B). */
  tokens: string[];
  /** Per passage token: its column sum of A over the query's tokens. */
  contributions: number[];
  /** Per query token: its row sum of A over the passage's tokens. */
  queryContributions: number[];
} & Pick<AttributionResult, RowFields> & {
    /** Position of the passage in the input. */
    index: number;
  };

export type RankReport = Pick<AttributionResult, 'layer' | 'mode' | 'sim'> & {
  model: string;
  /** The rule that ran; null when no passage was attributed. */
  rule: AttributionResult['rule'] | null;
  /**
   * The most evaluations (integrand points per text) any result used: the query's P
   * went that far. Each row says its own; 0 when no passage was attributed.
   */
  evaluations: number;
  query: string;
  queryTokens: string[];
  /** The attributed passages, by descending score (the rest are not listed). */
  results: RankReportRow[];
  steps: AttributionResult['steps'];
  tolerance: number | null;
  ruleRequested: AttributionResult['ruleRequested'] | null;
  reference: AttributionResult['reference'] | null;
  method: AttributionResult['method'] | null;
  attributionModel: string | null;
  exactModel: AttributionResult['exactModel'];
  /** The prompts put before the query (A) and each passage (B), by name, or null. */
  promptA: string | null;
  promptB: string | null;
  backend: string;
  version: string;
  /** How many passages were scored. */
  passages: number;
  /** Texts whose P was computed for this ranking, when known. */
  textsComputed?: number;
  /** Present only for an architecture not yet checked against its reference implementation. */
  unverified?: string;
};

/** What a ranking produced: rankPassages' outcome with its request (a host may rebuild it from events). */
export interface RankReportData {
  request: Pick<RankRequest, 'query' | 'passages' | 'layer' | 'mode' | 'sim' | 'steps' | 'tolerance' | 'rule' | 'reference' | 'method' | 'promptA' | 'promptB'>;
  queryTokens: readonly string[];
  scores: readonly RankedScore[];
  results: ReadonlyArray<{ rank: RankedScore; result: AttributionResult }>;
  textsComputed?: number;
}

/**
 * Column sums (per passage token, over the query's tokens) and row sums (per query
 * token) of A, in double precision. Each adds up to ΣA (result.sum) up to float rounding.
 */
export function passageContributions(result: Pick<AttributionResult, 'matrix' | 'rows' | 'cols'>): {
  contributions: number[];
  queryContributions: number[];
} {
  const { matrix, rows, cols } = result;
  const contributions = new Array<number>(cols).fill(0);
  const queryContributions = new Array<number>(rows).fill(0);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = matrix[i * cols + j];
      contributions[j] += v;
      queryContributions[i] += v;
    }
  }
  return { contributions, queryContributions };
}

function reportRow(text: string, rank: RankedScore, result: AttributionResult): RankReportRow {
  const { contributions, queryContributions } = passageContributions(result);
  return {
    rank: rank.rank,
    text,
    score: rank.score,
    tokens: result.tokensB,
    contributions,
    queryContributions,
    sum: result.sum,
    target: result.target,
    integrationError: result.integrationError,
    index: rank.index,
    evaluations: result.evaluations,
    errorEstimate: result.errorEstimate,
    final: result.final,
    converged: result.converged,
    prediction: result.prediction,
    referenceTerms: { ...result.referenceTerms },
  };
}

export function rankReport(modelId: string, data: RankReportData, context: ReportContext): RankReport {
  const { request } = data;
  const ranked = [...data.results].sort((x, y) => x.rank.rank - y.rank.rank);
  const first = ranked[0]?.result;
  return {
    model: modelId,
    layer: request.layer,
    mode: request.mode,
    sim: request.sim,
    rule: first?.rule ?? null,
    evaluations: ranked.reduce((most, r) => Math.max(most, r.result.evaluations), 0),
    query: request.query,
    queryTokens: first?.tokensA ?? [...data.queryTokens],
    results: ranked.map(({ rank, result }) => reportRow(request.passages[rank.index], rank, result)),
    steps: request.steps,
    tolerance: first ? first.tolerance : request.steps === 'auto' ? (request.tolerance ?? null) : null,
    ruleRequested: first?.ruleRequested ?? request.rule ?? null,
    reference: first ? { ...first.reference } : (request.reference ?? null),
    method: first?.method ?? request.method ?? null,
    attributionModel: first?.attributionModel ?? null,
    exactModel: first?.exactModel ?? null,
    promptA: request.promptA ?? null,
    promptB: request.promptB ?? null,
    backend: context.backend,
    version: PAIRLENS_VERSION,
    passages: data.scores.length,
    ...(data.textsComputed === undefined ? {} : { textsComputed: data.textsComputed }),
    ...(context.unverified ? { unverified: context.unverified } : {}),
  };
}

/**
 * The ranking as CSV: settings as "# name,value" lines (read_csv(comment='#') skips
 * them; line breaks in the query become spaces so each stays one line), then one row
 * per attributed passage: rank,index,score,sum,target,integrationError,evaluations,text.
 */
export function rankCsv(report: RankReport): string {
  const orEmpty = (value: string | number | boolean | null | undefined) => (value === null || value === undefined ? '' : typeof value === 'boolean' ? String(value) : value);
  const meta: Array<[string, string | number]> = [
    ['model', report.model],
    ['layer', report.layer],
    ['mode', report.mode],
    ['sim', report.sim],
    ['rule', orEmpty(report.rule)],
    ['ruleRequested', orEmpty(report.ruleRequested)],
    ['steps', report.steps],
    ['tolerance', orEmpty(report.tolerance)],
    ['evaluations', report.evaluations],
    ['reference', report.reference ? referenceLabel(report.reference) : ''],
    ['method', orEmpty(report.method)],
    ['exactModel', orEmpty(report.exactModel)],
    ['version', report.version],
    ['backend', report.backend],
    ['passages', report.passages],
    ['textsComputed', orEmpty(report.textsComputed)],
    ['query', report.query.replace(/\r\n|\r|\n/g, ' ')],
  ];
  const lines = meta.map(([name, value]) => `# ${name},${csvField(value)}`);
  lines.push('rank,index,score,sum,target,integrationError,evaluations,text');
  for (const r of report.results) {
    lines.push([r.rank, r.index, r.score, r.sum, r.target, r.integrationError, r.evaluations, r.text].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}
