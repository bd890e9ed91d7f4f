/**
 * Pairs of texts to attribute in a batch, read from a file; plain TypeScript (no TF.js,
 * DOM or Node), so the CLI's `batch` and the app's Dataset page read files alike.
 *
 *   parsePairs(content, fileName?) → { pairs, problems, format }
 *   shardOf(id, n), inShard(id, shard), parseShard('i/n')
 *   reuseOrder(pairs)              the order that keeps repeated texts in the P cache
 *
 * Formats, by the file name's extension (pairFormat):
 *  - .csv, .tsv (.tab): RFC 4180 records (csv.ts), comma or tab separated, with a header
 *    naming the columns `a` and `b` and optionally `id` and `label` (names compared
 *    trimmed, in any case; other columns are ignored).
 *  - .jsonl, .ndjson: one JSON object a line with the string fields `a`, `b` and
 *    optionally `id` (a string or a number) and `label` (a string or null).
 *  - no name or another extension: the content decides: JSON lines when its first
 *    non-blank character is `{`, else TSV when the first line holds a tab, else CSV.
 *
 * Rows are numbered from 1 in file order: the records after the header (CSV, TSV) or
 * the non-blank lines (JSONL), bad rows included, so fixing one row never renumbers
 * the others. A row without an id (column missing, or blank) gets its row number as
 * its id ("7"). A text is kept as written (only a text that is empty after trimming
 * is an error). Bad rows (a missing or empty text, invalid JSON, an id that repeats an
 * earlier one, a text longer than MAX_PAIR_TEXT_LENGTH) are skipped and reported with
 * their line. Never throws, whatever the content.
 */
import { formatByExtension, parseCsv, type RecordFormat } from './csv.ts';

/** Longest text a pair may hold, like a link's texts (src/app/url-state.ts MAX_TEXT_LENGTH). */
export const MAX_PAIR_TEXT_LENGTH = 20_000;

export type PairFormat = RecordFormat;

export interface TextPair {
  /** The file's id, or the row number when it has none. */
  id: string;
  a: string;
  b: string;
  /** The file's label (e.g. "paraphrase", "negation"), or null. */
  label: string | null;
  /** 1-based row number (see the header), and the 1-based line the row starts on. */
  row: number;
  line: number;
}

/** A row that was skipped, or something else worth saying, with the line it concerns (0: the whole file). */
export interface PairProblem {
  line: number;
  message: string;
}

export interface ParsedPairs {
  pairs: TextPair[];
  problems: PairProblem[];
  format: PairFormat;
}

/** The format of a file: by its name's extension, else by its content (see the header). */
export function pairFormat(fileName: string | undefined, content = ''): PairFormat {
  const named = formatByExtension(fileName);
  if (named) return named;
  const start = content.replace(/^\uFEFF/, '').trimStart();
  if (start.startsWith('{')) return 'jsonl';
  return start.split(/\r\n|\r|\n/, 1)[0].includes('\t') ? 'tsv' : 'csv';
}

/** One row before validation: its fields as found, and where. */
interface RawRow {
  row: number;
  line: number;
  a: unknown;
  b: unknown;
  id: unknown;
  label: unknown;
}

export function parsePairs(content: string, fileName?: string): ParsedPairs {
  const text = typeof content === 'string' ? content.replace(/^\uFEFF/, '') : '';
  const format = pairFormat(fileName, text);
  const problems: PairProblem[] = [];
  if (text.trim() === '') return { pairs: [], problems: [{ line: 0, message: 'the file is empty' }], format };
  const rows = format === 'jsonl' ? jsonRows(text, problems) : delimitedRows(text, format === 'tsv' ? '\t' : ',', problems);
  const pairs: TextPair[] = [];
  const seen = new Map<string, number>();
  for (const raw of rows) {
    const pair = validRow(raw, seen, problems);
    if (pair) {
      seen.set(pair.id, pair.line);
      pairs.push(pair);
    }
  }
  if (pairs.length === 0 && problems.length === 0) problems.push({ line: 0, message: 'no pairs found' });
  return { pairs, problems, format };
}

function validRow(raw: RawRow, seen: ReadonlyMap<string, number>, problems: PairProblem[]): TextPair | undefined {
  const skip = (why: string) => {
    problems.push({ line: raw.line, message: `row ${raw.row}: skipped, ${why}` });
    return undefined;
  };
  for (const side of ['a', 'b'] as const) {
    const value = raw[side];
    if (value === undefined || value === null) return skip(`it has no "${side}"`);
    if (typeof value !== 'string') return skip(`its "${side}" is not a string`);
    if (value.trim() === '') return skip(`its "${side}" is empty`);
    if (value.length > MAX_PAIR_TEXT_LENGTH) return skip(`its "${side}" is longer than ${MAX_PAIR_TEXT_LENGTH.toLocaleString('en')} characters`);
  }
  let id: string;
  if (raw.id === undefined || raw.id === null || (typeof raw.id === 'string' && raw.id.trim() === '')) id = String(raw.row);
  else if (typeof raw.id === 'string') id = raw.id.trim();
  else if (typeof raw.id === 'number' && Number.isFinite(raw.id)) id = String(raw.id);
  else return skip('its "id" is not a string or a number');
  const earlier = seen.get(id);
  if (earlier !== undefined) return skip(`its id "${id}" repeats the pair on line ${earlier}`);
  if (raw.label !== undefined && raw.label !== null && typeof raw.label !== 'string') return skip('its "label" is not a string');
  const label = typeof raw.label === 'string' && raw.label.trim() !== '' ? raw.label.trim() : null;
  return { id, a: raw.a as string, b: raw.b as string, label, row: raw.row, line: raw.line };
}

function delimitedRows(text: string, delimiter: string, problems: PairProblem[]): RawRow[] {
  const { records, unclosedQuoteLine } = parseCsv(text, delimiter);
  if (unclosedQuoteLine !== null) problems.push({ line: unclosedQuoteLine, message: 'a quoted field is never closed; it was read to the end of the file' });
  const [header, ...body] = records;
  const names = header.fields.map((h) => h.trim().toLowerCase());
  const column = (name: string) => names.indexOf(name);
  const [ia, ib, iid, ilabel] = ['a', 'b', 'id', 'label'].map(column);
  if (ia < 0 || ib < 0) {
    const named = header.fields.map((n) => `"${n.trim()}"`).join(', ');
    problems.push({ line: header.line, message: `the header names ${named}; it needs the columns "a" and "b" (and may have "id", "label")` });
    return [];
  }
  const field = (fields: string[], index: number) => (index < 0 ? undefined : fields[index]);
  return body.map((record, i) => ({
    row: i + 1,
    line: record.line,
    a: field(record.fields, ia),
    b: field(record.fields, ib),
    id: field(record.fields, iid),
    label: field(record.fields, ilabel),
  }));
}

function jsonRows(text: string, problems: PairProblem[]): RawRow[] {
  const rows: RawRow[] = [];
  let row = 0;
  text.split(/\r\n|\r|\n/).forEach((content, i) => {
    if (content.trim() === '') return;
    row++;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch {
      problems.push({ line, message: `row ${row}: skipped, not valid JSON` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({ line, message: `row ${row}: skipped, not a JSON object with "a" and "b"` });
      return;
    }
    const fields = value as Record<string, unknown>;
    const own = (name: string) => (Object.hasOwn(fields, name) ? fields[name] : undefined);
    rows.push({ row, line, a: own('a'), b: own('b'), id: own('id'), label: own('label') });
  });
  return rows;
}

/** A shard of a job array: `index` of `count`, 0 ≤ index < count. */
export interface Shard {
  index: number;
  count: number;
}

/** "i/n" (0-based i, as Kubernetes' JOB_COMPLETION_INDEX and Slurm's --array=0-…), or undefined when malformed. */
export function parseShard(value: string): Shard | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!match) return undefined;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return count >= 1 && index < count && Number.isSafeInteger(count) ? { index, count } : undefined;
}

/** 32-bit FNV-1a of the UTF-8 bytes of `text`: a stable hash, the same in every engine and on every machine. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The shard a pair id belongs to among `count`: FNV-1a of the id, mod count. */
export function shardOf(id: string, count: number): number {
  return fnv1a32(id) % count;
}

export function inShard(id: string, shard: Shard): boolean {
  return shardOf(id, shard.count) === shard.index;
}

/**
 * The pairs in an order that reuses each text's P while it is still cached: from each
 * pair not yet placed (in file order), every pair connected to it through shared texts
 * follows at once, breadth first, so a text's pairs run close together and the
 * engine's least-recently-used cache (64 texts by default) keeps it between them.
 * Pairs without repeated texts keep their file order. Deterministic.
 */
export function reuseOrder<T extends Pick<TextPair, 'a' | 'b'>>(pairs: readonly T[]): T[] {
  const byText = new Map<string, number[]>();
  pairs.forEach((pair, i) => {
    for (const text of new Set([pair.a, pair.b])) {
      const list = byText.get(text);
      if (list) list.push(i);
      else byText.set(text, [i]);
    }
  });
  const placed = new Uint8Array(pairs.length);
  const order: T[] = [];
  for (let start = 0; start < pairs.length; start++) {
    if (placed[start]) continue;
    placed[start] = 1;
    const queue = [start];
    for (let head = 0; head < queue.length; head++) {
      const pair = pairs[queue[head]];
      order.push(pair);
      for (const text of [pair.a, pair.b]) {
        for (const next of byText.get(text) ?? []) {
          if (placed[next]) continue;
          placed[next] = 1;
          queue.push(next);
        }
        byText.delete(text); // every pair of this text is queued
      }
    }
  }
  return order;
}

/** Texts that occur in more than one place among the pairs (a text twice in one pair counts once). */
export function repeatedTexts(pairs: readonly Pick<TextPair, 'a' | 'b'>[]): number {
  const counts = new Map<string, number>();
  for (const pair of pairs) for (const text of new Set([pair.a, pair.b])) counts.set(text, (counts.get(text) ?? 0) + 1);
  return [...counts.values()].filter((n) => n > 1).length;
}
