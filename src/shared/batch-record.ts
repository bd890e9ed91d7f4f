/**
 * One line of a batch output file (JSON lines): the pair, then the attribution report of
 * report.ts, then the token → word maps. One function makes it, so the CLI's `batch`
 * and the app write the same lines; one parser reads them back, defensively, for
 * `batch --resume`, `analyze` and the app. Plain TypeScript (no TF.js, DOM or Node).
 *
 *   batchRecord(pair, modelId, result, context) → BatchRecord
 *   recordLine(record)                          → its JSON and a line feed
 *   parseBatchRecords(content)                  → { records, problems, partialLastLine }
 *
 * The record: {"id", "a", "b", "label", ...attributionReport (model, layer, steps, rule,
 * …, tokensA, tokensB, matrix, prediction, …, sum, …, version), "wordsA", "wordsB"}.
 */
import type { AttributionResult } from '../attribution/engine.ts';
import type { PairProblem, TextPair } from './pairs.ts';
import { attributionReport, type AttributionReport, type ReportContext } from './report.ts';

export type BatchRecord = Pick<TextPair, 'id' | 'a' | 'b' | 'label'> &
  AttributionReport & {
    /** Token → word index of each text (words.ts sums word blocks with them). */
    wordsA: number[];
    wordsB: number[];
  };

/** What a record read back from a file is checked to have; any other field is kept as it is. */
export interface ParsedBatchRecord {
  id: string;
  a: string;
  b: string;
  label: string | null;
  model: string;
  layer: number;
  mode: string;
  sim: string;
  tokensA: string[];
  tokensB: string[];
  /** Rows are the tokens of A. */
  matrix: number[][];
  sum: number;
  prediction: number;
  /** Absent in files written by hand; checked against the tokens when present. */
  wordsA?: number[];
  wordsB?: number[];
  [field: string]: unknown;
}

export function batchRecord(
  pair: Pick<TextPair, 'id' | 'a' | 'b' | 'label'>,
  modelId: string,
  result: AttributionResult,
  context: ReportContext,
): BatchRecord {
  return {
    id: pair.id,
    a: pair.a,
    b: pair.b,
    label: pair.label,
    ...attributionReport(modelId, result, context),
    wordsA: [...result.wordsA],
    wordsB: [...result.wordsB],
  };
}

/** The record as one line of the file, line feed included: written in one piece, so a file is never left with half a record but by a crash. */
export function recordLine(record: BatchRecord): string {
  return `${JSON.stringify(record)}\n`;
}

export interface ParsedBatchRecords {
  records: ParsedBatchRecord[];
  /** Lines skipped, with their 1-based number. */
  problems: PairProblem[];
  /**
   * A last line without a line feed that is no valid record: a write cut short by a
   * crash. `offset` is where it starts (UTF-16 code units into the content), so the file
   * can be cut back to the lines before it.
   */
  partialLastLine: { line: number; offset: number } | null;
}

export function parseBatchRecords(content: string): ParsedBatchRecords {
  const records: ParsedBatchRecord[] = [];
  const problems: PairProblem[] = [];
  let partialLastLine: ParsedBatchRecords['partialLastLine'] = null;
  let offset = 0;
  let line = 0;
  while (offset < content.length) {
    line++;
    const end = content.indexOf('\n', offset);
    const text = content.slice(offset, end < 0 ? content.length : end).replace(/\r$/, '');
    const start = offset;
    offset = end < 0 ? content.length : end + 1;
    if (text.trim() === '') continue;
    let value: unknown;
    let problem: string | undefined;
    try {
      value = JSON.parse(text);
      problem = recordProblem(value);
    } catch {
      problem = 'not valid JSON';
    }
    if (problem === undefined) {
      records.push(value as ParsedBatchRecord);
    } else if (end < 0) {
      partialLastLine = { line, offset: start };
      problems.push({ line, message: `an incomplete last line (a write cut short?): ${problem}` });
    } else {
      problems.push({ line, message: `skipped, ${problem}` });
    }
  }
  return { records, problems, partialLastLine };
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Why a parsed JSON value is not a batch record, or undefined when it is one. */
export function recordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  for (const name of ['id', 'a', 'b', 'model', 'mode', 'sim']) {
    if (typeof r[name] !== 'string') return `"${name}" is not a string`;
  }
  if (r.label !== null && typeof r.label !== 'string') return '"label" is not a string or null';
  if (!Number.isInteger(r.layer) || (r.layer as number) < 0) return '"layer" is not a layer number';
  if (!isFiniteNumber(r.sum)) return '"sum" is not a number';
  if (!isFiniteNumber(r.prediction)) return '"prediction" is not a number';
  if (!isStringArray(r.tokensA) || !isStringArray(r.tokensB)) return '"tokensA" or "tokensB" is not a list of strings';
  const rows = r.tokensA.length;
  const cols = r.tokensB.length;
  if (!Array.isArray(r.matrix) || r.matrix.length !== rows) return `"matrix" does not have ${rows} rows (one per token of A)`;
  for (const row of r.matrix as unknown[]) {
    if (!Array.isArray(row) || row.length !== cols || !row.every(isFiniteNumber)) return `a row of "matrix" is not ${cols} numbers (one per token of B)`;
  }
  for (const [name, length] of [['wordsA', rows], ['wordsB', cols]] as const) {
    const words = r[name];
    if (words === undefined) continue;
    if (!Array.isArray(words) || words.length !== length || !words.every((w) => Number.isInteger(w) && w >= 0)) {
      return `"${name}" is not ${length} word indices`;
    }
  }
  return undefined;
}
