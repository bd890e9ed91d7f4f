/**
 * Passages to rank, read from a file or pasted text; plain TypeScript (no TF.js, DOM or
 * Node), so the CLI and the browser app read files alike.
 *
 *   parsePassages(content, fileName?) → { passages, problems }
 *
 * The format follows the file name's extension (passageFormat):
 *  - .csv, .tsv (.tab): RFC 4180 records (src/shared/csv.ts), comma or tab separated. The
 *    first record is the header; the text is the column named `text`, else `passage`,
 *    else `document`, else `content` (names compared trimmed, in any case), else the
 *    only column. Rows whose text is blank or missing are skipped and reported.
 *  - .jsonl, .ndjson: one JSON value a line: a string, or an object whose `text` (else
 *    `passage`, `document`, `content`) is a string. Other lines are reported and skipped.
 *  - anything else, or no name (pasted text): passages are separated by one or more
 *    blank lines (a line of only whitespace counts as blank). The lines of one passage
 *    are trimmed and joined with single spaces, so a hard-wrapped paragraph reads as the
 *    sentence it is (encoders see a line break as a space anyway, and a table shows it
 *    on one line).
 *
 * Every passage is trimmed and empty ones are dropped; a UTF-8 byte order mark is
 * stripped. At most MAX_PASSAGES passages are kept and each is cut to
 * MAX_PASSAGE_LENGTH characters (UTF-16 code units, never splitting a surrogate pair);
 * both are reported. `problems` holds one sentence per thing worth saying (which column
 * was used, what was skipped and where), at most MAX_PROBLEMS of them and a count of
 * the rest. Never throws, whatever the content.
 */
import { formatByExtension, parseCsv, type RecordFormat } from './csv.ts';

/** Most passages a file may give; the rest are left out (and counted in problems). */
export const MAX_PASSAGES = 1000;
/** Longest passage kept, like a link's texts (src/app/url-state.ts MAX_TEXT_LENGTH). */
export const MAX_PASSAGE_LENGTH = 20_000;
/** Problems listed one by one; further ones are counted in one last line. */
export const MAX_PROBLEMS = 20;

/** Column or field names that hold the text, best first (`document` before `content`). */
export const TEXT_FIELDS = ['text', 'passage', 'document', 'content'] as const;

export type PassageFormat = 'text' | RecordFormat;

export interface ParsedPassages {
  passages: string[];
  problems: string[];
}

/** The format a file name's extension names; plain text without a name or a known extension. */
export function passageFormat(fileName?: string): PassageFormat {
  return formatByExtension(fileName) ?? 'text';
}

/** A candidate passage and where it came from ("row 3", "line 7", "passage 2 (line 5)"). */
interface Found {
  text: string;
  where: string;
}

export function parsePassages(content: string, fileName?: string): ParsedPassages {
  const problems: string[] = [];
  const text = typeof content === 'string' ? content.replace(/^\uFEFF/, '') : '';
  if (text.trim() === '') {
    return { passages: [], problems: [text === '' ? 'the file is empty' : 'the file holds only whitespace'] };
  }
  const format = passageFormat(fileName);
  const found =
    format === 'csv' || format === 'tsv'
      ? fromDelimited(text, format === 'csv' ? ',' : '\t', problems)
      : format === 'jsonl'
        ? fromJsonLines(text, problems)
        : fromBlocks(text);

  const passages: string[] = [];
  let extra = 0;
  for (const { text: raw, where } of found) {
    const passage = raw.trim();
    if (passage === '') continue;
    if (passages.length >= MAX_PASSAGES) {
      extra++;
      continue;
    }
    if (passage.length > MAX_PASSAGE_LENGTH) {
      problems.push(`${where}: cut to ${MAX_PASSAGE_LENGTH.toLocaleString('en')} characters (it has ${passage.length.toLocaleString('en')})`);
    }
    passages.push(cut(passage));
  }
  if (extra > 0) problems.push(`${extra} more passage${extra === 1 ? '' : 's'} after the first ${MAX_PASSAGES.toLocaleString('en')} left out`);
  if (passages.length === 0 && problems.length === 0) problems.push('no passages found');
  return { passages, problems: capped(problems) };
}

/** At most MAX_PROBLEMS problems, and a count of the rest. */
function capped(problems: string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  const rest = problems.length - (MAX_PROBLEMS - 1);
  return [...problems.slice(0, MAX_PROBLEMS - 1), `… and ${rest} more problems`];
}

/** The first MAX_PASSAGE_LENGTH code units, without half a surrogate pair at the end. */
function cut(passage: string): string {
  if (passage.length <= MAX_PASSAGE_LENGTH) return passage;
  const end = /[\uD800-\uDBFF]/.test(passage[MAX_PASSAGE_LENGTH - 1]) ? MAX_PASSAGE_LENGTH - 1 : MAX_PASSAGE_LENGTH;
  return passage.slice(0, end).trimEnd();
}

/** Plain text: blocks of non-blank lines, each joined with single spaces. */
function fromBlocks(text: string): Found[] {
  const found: Found[] = [];
  let block: string[] = [];
  let startLine = 0;
  const lines = text.split(/\r\n|\r|\n/);
  const flush = () => {
    if (block.length > 0) found.push({ text: block.join(' '), where: `passage ${found.length + 1} (line ${startLine})` });
    block = [];
  };
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '') return flush();
    if (block.length === 0) startLine = i + 1;
    block.push(trimmed);
  });
  flush();
  return found;
}

/** "row 3", with the line when a quoted line break moved it. */
function rowName(row: number, line: number): string {
  return row === line ? `row ${row}` : `row ${row} (line ${line})`;
}

/** The index of the text column, by TEXT_FIELDS, else the only column; -1 when none fits. */
function textColumn(header: readonly string[]): number {
  const names = header.map((h) => h.trim().toLowerCase());
  for (const name of TEXT_FIELDS) {
    const index = names.indexOf(name);
    if (index >= 0) return index;
  }
  return names.length === 1 ? 0 : -1;
}

function fromDelimited(text: string, delimiter: string, problems: string[]): Found[] {
  const { records, unclosedQuoteLine } = parseCsv(text, delimiter);
  if (unclosedQuoteLine !== null) problems.push(`line ${unclosedQuoteLine}: a quoted field is never closed; it was read to the end of the file`);
  const [header, ...rows] = records;
  const names = header.fields.map((h) => h.trim());
  const column = textColumn(names);
  if (column < 0) {
    problems.push(`no text column: the header (line ${header.line}) names ${names.map((n) => `"${n}"`).join(', ')}; name one ${TEXT_FIELDS.map((f) => `"${f}"`).join(', ')}`);
    return [];
  }
  const name = names[column];
  if (names.length > 1) problems.push(`used column "${name}" of ${names.length} columns`);
  else if (!(TEXT_FIELDS as readonly string[]).includes(name.toLowerCase())) problems.push(`used the only column, "${name}"`);
  if (rows.length === 0) problems.push('no rows after the header');

  const found: Found[] = [];
  rows.forEach((record, i) => {
    const where = rowName(i + 2, record.line);
    const value = record.fields[column];
    if (value === undefined) problems.push(`${where}: skipped, it has ${record.fields.length} field${record.fields.length === 1 ? '' : 's'} and no "${name}"`);
    else if (value.trim() === '') problems.push(`${where}: skipped, its "${name}" is empty`);
    else found.push({ text: value, where });
  });
  return found;
}

function fromJsonLines(text: string, problems: string[]): Found[] {
  const found: Found[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(`${where}: skipped, not valid JSON`);
      return;
    }
    const passage = jsonText(value);
    if (passage === undefined) problems.push(`${where}: skipped, not a string or an object with a string "text" (or ${TEXT_FIELDS.slice(1).map((f) => `"${f}"`).join(', ')})`);
    else if (passage.trim() === '') problems.push(`${where}: skipped, the text is empty`);
    else found.push({ text: passage, where });
  });
  return found;
}

/** A JSON line's text: the string itself, or an object's first string field of TEXT_FIELDS. */
function jsonText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  for (const name of TEXT_FIELDS) {
    if (!Object.hasOwn(value, name)) continue;
    const field: unknown = (value as Record<string, unknown>)[name];
    return typeof field === 'string' ? field : undefined;
  }
  return undefined;
}
