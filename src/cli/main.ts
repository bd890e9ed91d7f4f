/**
 * The `pairlens` command: the same model code as the app, in Node on WASM or CPU.
 * Results go to stdout as JSON; any error is one line on stderr and a non-zero exit.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_MODEL_MB, DEFAULT_MODEL } from '../model/catalog.ts';
import { embedText } from '../model/encoder.ts';
import { DEFAULT_HUB_URL } from '../model/hub.ts';
import type { AttributionResult } from '../attribution/engine.ts';
import { rankPassages, type RankOutcome, type RankProgress, type RankRequest } from '../attribution/rank.ts';
import { sumWords } from '../attribution/words.ts';
import { integerRange, PARAMETERS, type ChoiceParameter, type IntegerParameter, type NumberParameter } from '../attribution/parameters.ts';
import { MAX_PASSAGE_LENGTH, MAX_PASSAGES, parsePassages, passageFormat } from '../shared/passages.ts';
import { rankReport, type RankReport } from '../shared/rank-report.ts';
import { attributionReport, attributionTable, referenceLabel } from '../shared/report.ts';
import { analyzeCommand } from './analyze.ts';
import { batchCommand } from './batch.ts';
import { readUserFile } from './files.ts';
import { startNodeBackend } from './node-backend.ts';
import {
  ATTRIBUTION_OPTIONS,
  attributionSettings,
  COMMON_OPTIONS,
  integer,
  loadCliModel,
  parseBackend,
  UsageError,
  withEngine,
} from './options.ts';

export { UsageError };

/** The attribution parameters with flags, in --help order; values, defaults and texts come from PARAMETERS. */
const ATTRIBUTION_FLAGS = ['layer', 'steps', 'rule', 'tol', 'mode', 'sim', 'method'] as const;
type AttributionFlag = (typeof ATTRIBUTION_FLAGS)[number];

/** The flag's name: the parameter's, except --tolerance for links' short "tol". */
function flagName(key: AttributionFlag): string {
  return key === 'tol' ? 'tolerance' : key;
}

/** What a flag's value looks like in usage lines: "exact|approx", or a placeholder. */
function valueShape(key: AttributionFlag): string {
  const p: ChoiceParameter<string> | IntegerParameter | NumberParameter = PARAMETERS[key];
  if (p.type === 'choice') return p.values.join('|');
  if (p.type === 'number') return 'T';
  return key === 'layer' ? 'L' : p.auto ? 'N|auto' : 'N';
}

/** The placeholder in the options list: "MODE", "N". */
function placeholder(key: AttributionFlag): string {
  return PARAMETERS[key].type === 'choice' ? key.toUpperCase() : valueShape(key);
}

/** Wraps `text` to `width` columns at its spaces (not at no-break spaces), continuing lines at `indent`. */
function wrap(text: string, indent: number, width = 96): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

const OPTION_COLUMN = 21;

function optionLine(names: string, text: string): string {
  return `  ${names.padEnd(OPTION_COLUMN - 3)} ${wrap(text, OPTION_COLUMN)}`;
}

function attributionFlagHelp(flag: AttributionFlag): string {
  const p: ChoiceParameter<string> | IntegerParameter | NumberParameter = PARAMETERS[flag];
  const allowed =
    p.type === 'choice'
      ? `one of ${p.values.join(', ')}`
      : p.type === 'number'
        ? `a number from ${p.min} to ${p.max}`
        : `${p.auto ? 'auto or ' : ''}${integerRange(p)}${p.max === undefined ? " to the model's last layer" : ''}`;
  const fallback = p.type === 'integer' && p.defaultText ? p.defaultText : p.type === 'choice' && flag === 'rule' ? 'auto with steps auto, midpoint with a number of steps' : String(p.default);
  return optionLine(`--${flagName(flag)} ${placeholder(flag)}`, `${p.description}; ${allowed} (default: ${fallback})`);
}

export const HELP = `pairlens: token-pair attributions for Siamese sentence encoders

Usage:
  pairlens embed [--model ID|FOLDER] [--backend wasm|cpu|webgpu] TEXT...
      Embed each TEXT; prints JSON {"model", "backend", "dim",
      "items": [{"text", "tokens", "droppedTokens", "embedding"}]}.

  pairlens attribute --a TEXT --b TEXT [--model ID|FOLDER]
                     ${wrap(ATTRIBUTION_FLAGS.map((f) => `[--${flagName(f)}\u00a0${valueShape(f)}]`).join(' '), 21, 90).replaceAll('\u00a0', ' ')}
                     [--reference TOKEN_ID|padding|zeros] [--prompt-a NAME] [--prompt-b NAME]
                     [--backend wasm|cpu|webgpu] [--json]
      Token-pair attributions (integrated Jacobians) of the similarity of A and B.
      A readable table, or with --json: {"model", "layer", "steps", "rule",
      "ruleRequested", "tolerance", "evaluations", "final", "converged", "errorEstimate",
      "levelChange", "completeness": {"a", "b"}, "reference", "backend", "version", "mode", "sim",
      "method", "tokensA", "tokensB", "matrix" (rows = tokens of A), "prediction",
      "shiftedPrediction", "referenceTerms": {"aRb", "rAb", "rArB"}, "target", "sum",
      "integrationError", "ms", "attributionModel", "exactModel", "promptA", "promptB",
      and "unverified" for an architecture not yet checked against transformers}.

  pairlens rank --query TEXT --passages FILE [--top K] [--model ID|FOLDER]
                ${wrap(ATTRIBUTION_FLAGS.map((f) => `[--${flagName(f)}\u00a0${valueShape(f)}]`).join(' '), 16, 90).replaceAll('\u00a0', ' ')}
                [--reference TOKEN_ID|padding|zeros] [--prompt-a NAME] [--prompt-b NAME]
                [--backend wasm|cpu|webgpu] [--json]
      Scores every passage of FILE against the query (the model's similarity of their
      embeddings), then attributes the first K by score, query = A. A readable table
      (rank, score, ΣA, the passage's top words), or with --json: {"model", "layer",
      "mode", "sim", "rule", "evaluations" (the most any result used), "query",
      "queryTokens", "results": [{"rank", "text", "score", "tokens", "contributions",
      "queryContributions", "sum", "target", "integrationError", "index", "evaluations",
      "errorEstimate", "final", "converged", "prediction", "referenceTerms"}], "steps",
      "tolerance", "ruleRequested", "reference", "method", "attributionModel",
      "exactModel", "promptA", "promptB", "backend", "version", "passages", "textsComputed"}.

  pairlens batch --input FILE --output OUT.jsonl [--resume] [--shard I/N] [--model ID|FOLDER]
                 ${wrap(ATTRIBUTION_FLAGS.map((f) => `[--${flagName(f)}\u00a0${valueShape(f)}]`).join(' '), 17, 90).replaceAll('\u00a0', ' ')}
                 [--reference TOKEN_ID|padding|zeros] [--backend wasm|cpu|webgpu]
      Attributes every pair of FILE and appends one JSON line per pair to OUT as it
      finishes: {"id", "a", "b", "label", then the fields of attribute --json, then
      "wordsA", "wordsB" (token → word index)}. Bad rows are reported with their line
      and skipped; progress, rate and ETA on stderr, then a summary. Ctrl-C leaves OUT
      whole; --resume continues it. Exit 0, 1 when a pair failed, 130 when interrupted.

  pairlens analyze OUT.jsonl... [--json] [--html REPORT.html] [--svg FIGURE.svg] [--no-pos]
      Statistics over the records of batch output files, per model, layer, mode and
      similarity: topShare, negativeShare, parts-of-speech pairs, same word vs different
      words, negation words, by label, and approximate vs exact correlations. A summary,
      or with --json: {"records", "repeated", "tagger", "groups": [{"model", "layer",
      "mode", "sim", "pairs", "meanPrediction", "meanSum", "topShare", "topShareMedian",
      "topAbsShare", "topShareSkipped", "negativeShare", "posPairs", "lexical",
      "negation", "byLabel"}], "correlations": [{"model", "layer", "sim", "pairs",
      "pearson", "spearman", "pearsonMedian", "spearmanMedian"}]}.

  pairlens --help
      Show this help.

Options:
${optionLine(
  '--model ID|FOLDER',
  `model to use (default: ${DEFAULT_MODEL}, the bundled Universal Sentence Encoder lite): a folder holding a sentence-transformers model (Hugging Face layout), or a Hugging Face id such as sentence-transformers/all-MiniLM-L6-v2[@revision], downloaded once and kept in $PAIRLENS_CACHE (default ~/.cache/pairlens/hub)`,
)}
${optionLine('--hub-url URL', `Hub or mirror to download from (default: $PAIRLENS_HUB_URL, else $HF_ENDPOINT, else ${DEFAULT_HUB_URL})`)}
${optionLine('--max-mb N', `refuse models larger than N MB (default: ${DEFAULT_MAX_MODEL_MB})`)}
${optionLine('--backend NAME', 'TF.js backend: wasm (default), cpu, or webgpu (a GPU through the optional webgpu package)')}
${optionLine('--a, --b TEXT', 'the two texts to compare (attribute)')}
${optionLine('--query TEXT', 'the text to rank passages against (rank)')}
${optionLine(
  '--passages FILE',
  `passages to rank (rank), by the file's extension: .csv or .tsv with a header (column text, else passage, document, content, else the only one), .jsonl (a string or an object with text a line), else plain text with passages separated by blank lines; at most ${MAX_PASSAGES.toLocaleString('en')} passages of ${MAX_PASSAGE_LENGTH.toLocaleString('en')} characters`,
)}
${optionLine('--top K', 'attribute only the first K passages by score; all are scored (rank; default: all)')}
${optionLine('--input FILE', `pairs to attribute (batch): .tsv or .csv with a header naming the columns a, b and optionally id, label; or .jsonl, one object {"a", "b", "id"?, "label"?} a line. A row without an id gets its row number (1 = the first pair) as id; ids must be unique`)}
${optionLine('--output OUT.jsonl', 'where batch appends its lines; an existing non-empty file needs --resume')}
${optionLine('--resume', 'skip the ids OUT already holds for the same model, layer, mode and similarity; an incomplete last line (a crash) is cut off and its pair runs again')}
${optionLine('--shard I/N', 'only the pairs whose id hashes to I (FNV-1a of the id, mod N; 0 ≤ I < N): N runs, e.g. a job array, cover every pair once')}
${optionLine('--html FILE', 'analyze: also write a self-contained HTML report (inline SVG plots, no scripts)')}
${optionLine('--svg FILE', "analyze: also write the first group's plots as one SVG figure")}
${optionLine('--no-pos', 'analyze: no part-of-speech tagger (words as written; the POS table is empty)')}
${ATTRIBUTION_FLAGS.map(attributionFlagHelp).join('\n')}
${optionLine(
  '--reference REF',
  'padding (the model\'s padding token, its special tokens kept; the default for Hugging Face models), a token id repeated (use-lite\'s default: 30, "▁"), or zeros at the chosen layer',
)}
${optionLine('--prompt-a, --prompt-b NAME', "a prompt of the model (config_sentence_transformers.json, e.g. e5's query and passage) put before text A (the query) or B (each passage); its tokens are shown apart and kept in the padding reference like the special tokens")}
${optionLine('--json', 'print JSON instead of a table')}
${optionLine('-h, --help', 'show this help')}
`;

async function embedCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, options: COMMON_OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length === 0) throw new UsageError('embed needs at least one TEXT');
  const empty = positionals.findIndex((t) => t.trim().length === 0);
  if (empty >= 0) throw new UsageError(`TEXT ${empty + 1} is empty`);

  const backend = await startNodeBackend(parseBackend(values.backend));
  const model = await loadCliModel(values);
  try {
    const items = [];
    for (const text of positionals) {
      const item = await embedText(model, text);
      items.push({ ...item, embedding: Array.from(item.embedding) });
    }
    process.stdout.write(`${JSON.stringify({ model: model.id, backend, dim: model.outputSize, items })}\n`);
  } finally {
    model.dispose();
  }
}

async function attributeCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: false,
    strict: true,
    options: { ...ATTRIBUTION_OPTIONS, a: { type: 'string' }, b: { type: 'string' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (positionals.length > 0) throw new UsageError('attribute takes its texts as --a TEXT --b TEXT');
  if (values.a === undefined || values.b === undefined) throw new UsageError('attribute needs --a TEXT and --b TEXT');
  const settings = attributionSettings(values);
  await withEngine(values, settings, async (engine, layer, backend) => {
    const result = await engine.attribute({ ...settings, a: values.a!, b: values.b!, layer });
    const report = attributionReport(engine.model.id, result, { backend, unverified: engine.model.unverified });
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : attributionTable(report));
  });
}

/** Largest passage file read (the passages kept are far less: MAX_PASSAGES × MAX_PASSAGE_LENGTH). */
const MAX_PASSAGE_FILE_BYTES = 256 * 2 ** 20;

/** --passages FILE, parsed by its extension; problems go to stderr, none left is an error. */
function readPassages(file: string): string[] {
  const content = readUserFile('--passages', file, MAX_PASSAGE_FILE_BYTES);
  const { passages, problems } = parsePassages(content, file);
  if (passages.length === 0) throw new Error(`no passages in "${file}" (${passageFormat(file)}): ${problems.join('; ')}`);
  for (const problem of problems) process.stderr.write(`pairlens: ${file}: ${problem}\n`);
  return passages;
}

/** Progress on one stderr line, rewritten in place; only when stderr is a terminal. */
function terminalProgress(): { onProgress?: (p: RankProgress) => void; done: () => void } {
  if (!process.stderr.isTTY) return { done: () => {} };
  let last = 0;
  return {
    onProgress: (p) => {
      const now = performance.now();
      if (now - last < 100 && p.within !== null) return;
      last = now;
      const within = p.within ? ` (${p.within.stepsDone}/${p.within.levelEvaluations} points)` : '';
      const line = p.phase === 'scoring' ? `scoring ${p.scored}` : `attributing ${p.passagesDone + (p.within ? 1 : 0)}/${p.passagesTotal}${within}`;
      process.stderr.write(`\rpairlens: ${line}\x1b[K`);
    },
    done: () => process.stderr.write('\r\x1b[K'),
  };
}

async function rankCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    allowPositionals: false,
    strict: true,
    options: { ...ATTRIBUTION_OPTIONS, query: { type: 'string' }, passages: { type: 'string' }, top: { type: 'string' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (values.query === undefined || values.passages === undefined) throw new UsageError('rank needs --query TEXT and --passages FILE');
  if (values.query.trim() === '') throw new UsageError('--query is empty');
  const top = values.top === undefined ? undefined : integer('top', values.top);
  if (top !== undefined && top < 1) throw new UsageError(`--top must be 1 or more, not "${values.top}"`);
  const settings = attributionSettings(values);
  const passages = readPassages(values.passages);

  await withEngine(values, settings, async (engine, layer, backend) => {
    const request: RankRequest = { ...settings, query: values.query!, passages, layer, top };
    const progress = terminalProgress();
    const outcome = await rankPassages(engine, engine.model, request, { onProgress: progress.onProgress }).finally(progress.done);
    const report = rankReport(engine.model.id, { request, ...outcome }, { backend, unverified: engine.model.unverified });
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : rankTable(report, outcome.results));
  });
}

/** `text` on one line, at most `width` characters. */
function shorten(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** The passage's `n` words that add most to ΣA, with their sums over the query: "cat +0.412". */
function topWords(result: AttributionResult, contributions: readonly number[], n = 3): string {
  return sumWords(contributions, result.wordsB)
    .map((sum, w) => ({ sum, label: shorten(result.wordLabelsB[w], 14) }))
    .sort((x, y) => y.sum - x.sum)
    .slice(0, n)
    .map(({ label, sum }) => `${label} ${sum >= 0 ? '+' : '−'}${Math.abs(sum).toFixed(3)}`)
    .join(', ');
}

/**
 * A plain-text ranking for terminals: one row per attributed passage with its score,
 * ΣA, its three words that add most to ΣA (word sums of its contributions) and the text.
 */
function rankTable(report: RankReport, results: RankOutcome['results']): string {
  const byRank = new Map(results.map((r) => [r.rank.rank, r.result]));
  const rows = report.results.map((row) => ({ row, words: topWords(byRank.get(row.rank)!, row.contributions) }));
  const wordsWidth = Math.max(9, ...rows.map((r) => r.words.length));
  const number = (v: number) => v.toFixed(4).padStart(8);
  const steps = report.steps === 'auto' ? `steps auto, tolerance ${report.tolerance}` : `${report.steps} steps`;
  const notConverged = report.results.filter((r) => r.converged === false).length;
  const lines = [
    `${report.model}, layer ${report.layer}, ${report.mode}, ${report.sim}, ${report.method}: ${report.passages} passage${report.passages === 1 ? '' : 's'} scored, ${report.results.length} attributed`,
    `${report.rule}, up to ${report.evaluations} evaluations per text, ${steps}, reference ${report.reference ? referenceLabel(report.reference) : 'none'}; ${report.backend}, PairLens ${report.version}`,
    `query: ${shorten(report.query, 90)}`,
    '',
    `${'rank'.padStart(4)} ${'score'.padStart(8)}  ${'ΣA'.padStart(8)}  ${'top words'.padEnd(wordsWidth)}  passage`,
    ...rows.map(({ row, words }) => `${String(row.rank).padStart(4)} ${number(row.score)}  ${number(row.sum)}  ${words.padEnd(wordsWidth)}  ${shorten(row.text, 60)}`),
  ];
  const rest = report.passages - report.results.length;
  if (rest > 0) lines.push(`(${rest} more passage${rest === 1 ? '' : 's'} scored, not attributed: --top)`);
  if (notConverged > 0) lines.push(`(${notConverged} did not reach the tolerance within ${report.evaluations} points)`);
  return `${lines.join('\n')}\n`;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(HELP);
        return 0;
      case 'embed':
        await embedCommand(rest);
        return 0;
      case 'attribute':
        await attributeCommand(rest);
        return 0;
      case 'rank':
        await rankCommand(rest);
        return 0;
      case 'batch':
        return await batchCommand(rest);
      case 'analyze':
        await analyzeCommand(rest, HELP);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}" (try: pairlens --help)`);
    }
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    process.stderr.write(`pairlens: ${message}\n`);
    return error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}
