/**
 * `pairlens batch`: attributes every pair of a file (shared/pairs.ts) and appends one
 * JSON line per pair (shared/batch-record.ts) to the output as each finishes.
 *
 * The output is only ever appended whole lines, each in one write, so an interrupted
 * run (SIGINT, SIGTERM: the pair under way is cancelled) leaves a valid file; a line
 * cut short by a crash is found and cut off by --resume, which then skips every id
 * already written with the same model, layer, mode and similarity. --shard i/n keeps
 * the pairs whose id hashes to i (shared/pairs.ts, shardOf), so n runs cover every pair
 * once. Pairs run in reuseOrder, so a text that repeats is computed once while the
 * engine's cache holds it. Bad rows and failed pairs are reported with their line and
 * skipped. Progress on stderr: a bar on a terminal, plain lines otherwise; a summary
 * at the end. Exit 0 when every pair of the run was written, 1 when some failed or
 * none was found, 130/143 when interrupted by SIGINT/SIGTERM.
 */
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AttributionAbortedError, AttributionInputError } from '../attribution/errors.ts';
import type { AttributionEngine, AttributionProgress } from '../attribution/engine.ts';
import { batchRecord, parseBatchRecords, recordLine, type ParsedBatchRecord } from '../shared/batch-record.ts';
import { inShard, parsePairs, parseShard, repeatedTexts, reuseOrder, type Shard, type TextPair } from '../shared/pairs.ts';
import { readUserFile } from './files.ts';
import { attributionSettings, SETTINGS_OPTIONS, UsageError, withEngine } from './options.ts';

/** Largest pairs file read. */
const MAX_INPUT_BYTES = 256 * 2 ** 20;

export const BATCH_OPTIONS = {
  ...SETTINGS_OPTIONS,
  input: { type: 'string' },
  output: { type: 'string' },
  resume: { type: 'boolean', default: false },
  shard: { type: 'string' },
} as const;

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function say(line: string): void {
  process.stderr.write(`pairlens: ${line}\n`);
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Progress with rate and ETA: a bar rewritten in place on a terminal, else a line at every tenth of the pairs or every 30 s. */
class Progress {
  private readonly started = performance.now();
  private lastLine = performance.now();
  private lastTenth = 0;
  private lastDraw = 0;
  done = 0;

  constructor(
    private readonly total: number,
    private readonly tty: boolean,
  ) {}

  private status(within = 0): string {
    const elapsed = performance.now() - this.started;
    const perMinute = this.done > 0 ? (this.done / elapsed) * 60_000 : 0;
    const eta = perMinute > 0 ? `, ETA ${duration(((this.total - this.done - within) / perMinute) * 60_000)}` : '';
    return `${this.done}/${this.total} pairs, ${perMinute.toFixed(1)} pairs/min${eta}`;
  }

  /** Within a pair: only the bar moves. */
  partial(p: AttributionProgress): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw(p.levelEvaluations > 0 ? p.stepsDone / p.levelEvaluations : 0);
  }

  pairDone(): void {
    this.done++;
    if (this.tty) return this.draw(0);
    const tenth = Math.floor((this.done * 10) / Math.max(1, this.total));
    const now = performance.now();
    if (tenth > this.lastTenth || now - this.lastLine > 30_000 || this.done === 1) {
      this.lastTenth = tenth;
      this.lastLine = now;
      say(`batch: ${this.status()}`);
    }
  }

  private draw(within: number): void {
    const width = 24;
    const filled = Math.round(((this.done + within) / Math.max(1, this.total)) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.status(within)}\x1b[K`);
  }

  end(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }

  get elapsedMs(): number {
    return performance.now() - this.started;
  }
}

/** Writes all of `text` at the end of the file (one write call for any line of sane size). */
function appendWhole(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
}

/** What an existing output holds for --resume; a partial last line is cut off (the file repaired). */
function resumeFrom(output: string): ParsedBatchRecord[] {
  const content = readFileSync(output, 'utf8');
  const parsed = parseBatchRecords(content);
  for (const p of parsed.problems) say(`${output}:${p.line}: ${p.message}`);
  const fd = openSync(output, 'r+');
  try {
    if (parsed.partialLastLine) {
      ftruncateSync(fd, Buffer.byteLength(content.slice(0, parsed.partialLastLine.offset), 'utf8'));
      say(`${output}: cut off the incomplete line ${parsed.partialLastLine.line}; its pair runs again`);
    } else if (content.length > 0 && !content.endsWith('\n')) {
      appendWhole(fd, '\n'); // a whole record whose line feed was lost
    }
  } finally {
    closeSync(fd);
  }
  return parsed.records;
}

interface Tally {
  written: number;
  alreadyDone: number;
  failed: number;
  interrupted: NodeJS.Signals | null;
}

export async function batchCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: BATCH_OPTIONS, allowPositionals: true, strict: true });
  if (positionals.length > 0) throw new UsageError(`batch takes its files as --input FILE --output OUT.jsonl, not "${positionals[0]}"`);
  if (values.input === undefined || values.output === undefined) throw new UsageError('batch needs --input FILE and --output OUT.jsonl');
  let shard: Shard | undefined;
  if (values.shard !== undefined) {
    shard = parseShard(values.shard);
    if (!shard) throw new UsageError(`--shard must be i/n with 0 ≤ i < n (e.g. 0/4), not "${values.shard}"`);
  }
  const settings = attributionSettings(values);
  const output = values.output;
  if (!values.resume && existsSync(output) && statSync(output).size > 0) {
    throw new UsageError(`--output "${output}" exists: pass --resume to continue it, or remove it`);
  }

  const input = values.input;
  const { pairs: all, problems } = parsePairs(readUserFile('--input', input, MAX_INPUT_BYTES), input);
  for (const p of problems) say(`${input}${p.line ? `:${p.line}` : ''}: ${p.message}`);
  if (all.length === 0) throw new Error(`no pairs in "${input}"${problems.length ? `: ${problems[0].message}` : ''}`);
  const mine = shard ? all.filter((p) => inShard(p.id, shard)) : all;
  const existing = values.resume && existsSync(output) ? resumeFrom(output) : [];

  const tally: Tally = { written: 0, alreadyDone: 0, failed: 0, interrupted: null };
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!tally.interrupted) say(`batch: ${signal}: stopping after the lines written so far`);
    tally.interrupted = signal;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let textsComputed = 0;
  let cacheHits = 0;
  let elapsedMs = 0;
  try {
    await withEngine(values, settings, async (engine, layer, backend) => {
      const done = new Set(
        existing
          .filter((r) => r.model === engine.model.id && r.layer === layer && r.mode === settings.mode && r.sim === settings.sim)
          .map((r) => r.id),
      );
      const todo = reuseOrder(mine.filter((p) => !done.has(p.id)));
      tally.alreadyDone = mine.length - todo.length;
      if (tally.interrupted) return;
      const progress = new Progress(todo.length, process.stderr.isTTY === true);
      const fd = openSync(output, 'a');
      const before = { ...engine.stats };
      try {
        for (const pair of todo) {
          if (tally.interrupted) break;
          const ok = await attributeOne(engine, pair, layer, settings, backend, fd, controller.signal, progress, input);
          if (ok === 'aborted') break;
          if (ok === 'written') tally.written++;
          else tally.failed++;
          progress.pairDone();
        }
      } finally {
        closeSync(fd);
        progress.end();
        textsComputed = engine.stats.textsComputed - before.textsComputed;
        cacheHits = engine.stats.cacheHits - before.cacheHits;
        elapsedMs = progress.elapsedMs;
      }
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const perMinute = elapsedMs > 0 ? (tally.written / elapsedMs) * 60_000 : 0;
  const parts = [
    `${plural(tally.written, 'pair', 'pairs')} written to ${output}`,
    tally.alreadyDone ? `${tally.alreadyDone} already there (--resume)` : '',
    problems.length ? `${plural(problems.length, 'bad row', 'bad rows')} skipped` : '',
    tally.failed ? `${tally.failed} failed` : '',
    shard ? `shard ${shard.index}/${shard.count}: ${mine.length} of ${all.length} pairs` : '',
    `${textsComputed} texts computed, ${cacheHits} taken from the cache (${plural(repeatedTexts(mine), 'text repeats', 'texts repeat')})`,
    `${duration(elapsedMs)}, ${perMinute.toFixed(1)} pairs/min`,
  ];
  say(`batch: ${parts.filter(Boolean).join('; ')}`);
  if (tally.interrupted) {
    say(`batch: interrupted; ${output} holds whole lines only: run again with --resume to continue`);
    return tally.interrupted === 'SIGINT' ? 130 : 143;
  }
  return tally.failed > 0 ? 1 : 0;
}

/** One pair: its line appended, or its failure reported. */
async function attributeOne(
  engine: AttributionEngine,
  pair: TextPair,
  layer: number,
  settings: ReturnType<typeof attributionSettings>,
  backend: string,
  fd: number,
  signal: AbortSignal,
  progress: Progress,
  input: string,
): Promise<'written' | 'failed' | 'aborted'> {
  try {
    const result = await engine.attribute({ ...settings, a: pair.a, b: pair.b, layer }, { signal, onProgress: (p) => progress.partial(p) });
    appendWhole(fd, recordLine(batchRecord(pair, engine.model.id, result, { backend })));
    return 'written';
  } catch (error) {
    if (error instanceof AttributionAbortedError) return 'aborted';
    // A request the engine refuses for this pair (e.g. a layer the model lacks) fails every pair alike: stop at once.
    if (error instanceof AttributionInputError && !/text [ab]/.test(error.message)) throw error;
    say(`${input}:${pair.line}: row ${pair.row} (id "${pair.id}"): failed, ${(error as Error).message.split('\n')[0]}`);
    return 'failed';
  }
}
