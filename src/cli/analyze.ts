/**
 * `pairlens analyze OUT.jsonl...`: the dataset statistics of shared/analysis.ts over
 * the records of one or more batch output files (shards may simply be listed), as a
 * readable summary, as JSON (--json), as a self-contained HTML report (--html FILE)
 * and as the first group's figure (--svg FILE). Bad lines are reported with their file
 * and line number and skipped.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { analyzeRecords, TOP_CELLS, type Analysis, type GroupAnalysis } from '../shared/analysis.ts';
import { analysisHtml, analysisSvg } from '../shared/analysis-report.ts';
import { parseBatchRecords, type ParsedBatchRecord } from '../shared/batch-record.ts';
import { loadPosTagger, plainTagger } from '../shared/pos.ts';
import { pieceText } from '../model/words.ts';
import { readUserFile } from './files.ts';
import { UsageError } from './options.ts';

/** Largest output file read. */
const MAX_RECORDS_BYTES = 1024 * 2 ** 20;

export const ANALYZE_OPTIONS = {
  json: { type: 'boolean', default: false },
  html: { type: 'string' },
  svg: { type: 'string' },
  'no-pos': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
const num = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '–');

function groupSummary(g: GroupAnalysis): string[] {
  const pos = g.posPairs.slice(0, 6).map((p) => `${p.a}×${p.b} ${pct(p.absShare)}`).join(', ');
  const lines = [
    `${g.model}, layer ${g.layer}, ${g.mode}, ${g.sim}: ${g.pairs} pairs, mean prediction ${num(g.meanPrediction)}, mean ΣA ${num(g.meanSum)}`,
    `  topShare       ${TOP_CELLS.map((t) => `${t}: ${num(g.topShare[t], 2)}`).join('  ')}   (mean top-cells sum / ΣA)`,
    `  median         ${TOP_CELLS.map((t) => `${t}: ${num(g.topShareMedian[t], 2)}`).join('  ')}`,
    `  of Σ|A|        ${TOP_CELLS.map((t) => `${t}: ${num(g.topAbsShare[t], 2)}`).join('  ')}`,
    `  negativeShare  ${pct(g.negativeShare)} of Σ|A| is in negative cells`,
    `  same word      ${pct(g.lexical.same.absShare)} of Σ|A| (signed ${num(g.lexical.same.signedShare)}, mean ΣA ${num(g.lexical.same.meanSum)}); different words ${pct(g.lexical.different.absShare)}; unaligned ${pct(g.lexical.unaligned.absShare)}`,
    `  negation       ${pct(g.negation.involving.absShare)} of Σ|A| in cells with a negation word (signed ${num(g.negation.involving.signedShare)}); ${g.negation.pairsWithNegation} pairs have one`,
    `  POS pairs      ${pos || '–'}`,
  ];
  for (const l of g.byLabel) {
    lines.push(`  label ${l.label.padEnd(14)} ${String(l.pairs).padStart(4)} pairs: prediction ${num(l.meanPrediction)}, ΣA ${num(l.meanSum)}, negative ${pct(l.negativeShare)}, same word ${pct(l.sameWordShare)}, negation ${pct(l.negationShare)}`);
  }
  return lines;
}

function summary(analysis: Analysis): string {
  const lines = [`${analysis.records} records${analysis.repeated ? ` (${analysis.repeated} repeated ids dropped)` : ''}; words tagged by ${analysis.tagger}`, ''];
  for (const g of analysis.groups) lines.push(...groupSummary(g), '');
  for (const c of analysis.correlations) {
    lines.push(`approx vs exact, ${c.model}, layer ${c.layer}, ${c.sim}: ${c.pairs} pairs, Pearson ${num(c.pearson)} (median ${num(c.pearsonMedian)}), Spearman ${num(c.spearman)} (median ${num(c.spearmanMedian)})`);
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export async function analyzeCommand(args: string[], help: string): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: ANALYZE_OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(help);
    return;
  }
  if (positionals.length === 0) throw new UsageError('analyze needs at least one batch output file (OUT.jsonl...)');
  const records: ParsedBatchRecord[] = [];
  for (const file of positionals) {
    const parsed = parseBatchRecords(readUserFile('file', file, MAX_RECORDS_BYTES));
    for (const p of parsed.problems) process.stderr.write(`pairlens: ${file}:${p.line}: ${p.message}\n`);
    records.push(...parsed.records);
  }
  if (records.length === 0) throw new Error(`no attribution records in ${positionals.map((f) => `"${f}"`).join(', ')}`);
  const tagger = values['no-pos'] ? plainTagger : await loadPosTagger();
  const analysis = analyzeRecords(records, { tagger, pieceText });
  if (values.html !== undefined) {
    writeFileSync(values.html, analysisHtml(analysis, { sources: positionals }));
    process.stderr.write(`pairlens: wrote ${values.html}\n`);
  }
  if (values.svg !== undefined) {
    writeFileSync(values.svg, analysisSvg(analysis.groups[0]));
    process.stderr.write(`pairlens: wrote ${values.svg} (${analysis.groups.length > 1 ? 'the first of the groups: ' : ''}${analysis.groups[0].model}, layer ${analysis.groups[0].layer}, ${analysis.groups[0].mode})\n`);
  }
  process.stdout.write(values.json ? `${JSON.stringify(analysis)}\n` : summary(analysis));
}
