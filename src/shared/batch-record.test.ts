import { describe, expect, it } from 'vitest';
import type { AttributionResult } from '../attribution/engine.ts';
import { batchRecord, parseBatchRecords, recordLine, recordProblem } from './batch-record.ts';
import { attributionReport, attributionTable } from './report.ts';

/** A 2 × 3 result with every field an engine result has. */
function result(): AttributionResult {
  return {
    tokensA: ['▁A', '▁cat'], tokensB: ['▁The', '▁ca', 't'], wordsA: [0, 1], wordsB: [0, 1, 1], rows: 2, cols: 3,
    wordLabelsA: ['A', 'cat'], wordLabelsB: ['The', 'cat'], specialA: [false, false], specialB: [false, false, false], promptA: null, promptB: null,
    matrix: Float32Array.from([0.5, -0.25, 0.125, 0, 1, 2]),
    prediction: 0.8, shiftedPrediction: 0.7, referenceTerms: { aRb: 0.1, rAb: 0.1, rArB: 0 }, target: 0.6, sum: 3.375, integrationError: 2.775,
    rule: 'midpoint', ruleRequested: 'midpoint', steps: 16, tolerance: null, level: 0, evaluations: 16, final: true, converged: null,
    errorEstimate: 0.01, levelChange: null, completeness: { a: 0.01, b: 0.02 },
    layer: 1, mode: 'approx', sim: 'cos', method: 'jvp', reference: { kind: 'token', id: 30 }, ms: 12,
    droppedTokensA: 0, droppedTokensB: 0, attributionModel: 'use-lite', exactModel: null,
  };
}

const PAIR = { id: 'p1', a: 'A cat', b: 'The cat', label: 'paraphrase' };

describe('batch records', () => {
  it('are the pair, then the attribute report, then the word maps', () => {
    const record = batchRecord(PAIR, 'use-lite', result(), { backend: 'wasm' });
    const report = attributionReport('use-lite', result(), { backend: 'wasm' });
    expect(Object.keys(record)).toEqual(['id', 'a', 'b', 'label', ...Object.keys(report), 'wordsA', 'wordsB']);
    expect(record).toMatchObject({ ...PAIR, ...report, wordsA: [0, 1], wordsB: [0, 1, 1] });
    expect(record.matrix).toEqual([[0.5, -0.25, 0.125], [0, 1, 2]]);
    const line = recordLine(record);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
  });

  it('read back: good lines kept, bad ones reported with their number, a cut last line found', () => {
    const good = recordLine(batchRecord(PAIR, 'use-lite', result(), { backend: 'wasm' }));
    const other = recordLine(batchRecord({ ...PAIR, id: 'p2', label: null }, 'use-lite', result(), { backend: 'wasm' }));
    const content = `${good}\n{"id": 1}\nnot json\r\n${other}${other.slice(0, 40)}`;
    const parsed = parseBatchRecords(content);
    expect(parsed.records.map((r) => r.id)).toEqual(['p1', 'p2']);
    expect(parsed.problems).toEqual([
      { line: 3, message: 'skipped, "id" is not a string' },
      { line: 4, message: 'skipped, not valid JSON' },
      { line: 6, message: 'an incomplete last line (a write cut short?): not valid JSON' },
    ]);
    expect(parsed.partialLastLine).toEqual({ line: 6, offset: content.length - 40 });
    // A last line without its line feed that is a whole record is kept.
    expect(parseBatchRecords(good.trimEnd())).toMatchObject({ records: [{ id: 'p1' }], partialLastLine: null });
  });

  it('are checked for the fields the analyses need', () => {
    const record = JSON.parse(recordLine(batchRecord(PAIR, 'use-lite', result(), { backend: 'wasm' })));
    expect(recordProblem(record)).toBeUndefined();
    expect(recordProblem([])).toBe('not a JSON object');
    expect(recordProblem({ ...record, label: 3 })).toBe('"label" is not a string or null');
    expect(recordProblem({ ...record, layer: -1 })).toBe('"layer" is not a layer number');
    expect(recordProblem({ ...record, matrix: [[1, 2, 3]] })).toBe('"matrix" does not have 2 rows (one per token of A)');
    expect(recordProblem({ ...record, matrix: [[1, 2, 3], [1, null, 3]] })).toBe('a row of "matrix" is not 3 numbers (one per token of B)');
    expect(recordProblem({ ...record, wordsB: [0, 1] })).toBe('"wordsB" is not 3 word indices');
    expect(recordProblem({ ...record, sum: 'x' })).toBe('"sum" is not a number');
    delete record.wordsA;
    delete record.wordsB;
    expect(recordProblem(record)).toBeUndefined();
  });
});

describe('attribution reports', () => {
  // Every shipped family has fixtures now, so no real model carries the mark; a family added without them would.
  it('carry the unverified mark only for a model that has one, in the JSON and the table', () => {
    const plain = attributionReport('m', result(), { backend: 'wasm' });
    expect('unverified' in plain).toBe(false);
    expect(attributionTable(plain)).not.toMatch(/unverified/);
    const marked = attributionReport('m', result(), { backend: 'wasm', unverified: 'no fixture yet' });
    expect(marked.unverified).toBe('no fixture yet');
    expect(attributionTable(marked)).toMatch(/^unverified: no fixture yet$/m);
  });
});
