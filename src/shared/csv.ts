/**
 * CSV in and out, plain TypeScript (no DOM, no Node): an RFC 4180 reader for passage
 * files and the field quoting of the ranking's CSV export.
 */

/** One record of a delimited file: its fields and the 1-based line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

export interface CsvParse {
  records: CsvRecord[];
  /** Set when the file ends inside a quoted field: the line where that field opened. */
  unclosedQuoteLine: number | null;
}

/**
 * Reads RFC 4180 records: fields separated by `delimiter`, records by CRLF, LF or a lone
 * CR; a field in double quotes may hold delimiters, line breaks and doubled quotes ("").
 * Lenient where the RFC is silent: a quote inside an unquoted field is kept as it is,
 * text after a closing quote is appended to the field, and a quote still open at the end
 * of the input closes there (reported as unclosedQuoteLine). Records that are one empty
 * field (blank lines) are dropped. Never throws.
 */
export function parseCsv(content: string, delimiter = ','): CsvParse {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let quoteLine = 0;
  const endRecord = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') records.push({ fields, line: recordLine });
    fields = [];
    field = '';
  };
  for (let i = 0; i < content.length; i++) {
    const c = content[i];
    if (inQuotes) {
      if (c === '"' && content[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        inQuotes = false;
      } else {
        if (c === '\n' || (c === '\r' && content[i + 1] !== '\n')) line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      inQuotes = true;
      quoteLine = line;
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && content[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += c;
    }
  }
  if (field !== '' || fields.length > 0 || inQuotes) endRecord();
  return { records, unclosedQuoteLine: inQuotes ? quoteLine : null };
}

/**
 * One CSV field: quoted when it holds a comma, quote or line break (RFC 4180), and a
 * text that a spreadsheet would run as a formula (= + - @, tab, CR first) defused with a
 * leading apostrophe. Numbers are written as they are.
 */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Record files that passage and pair files share: comma or tab separated, or JSON lines. */
export type RecordFormat = 'csv' | 'tsv' | 'jsonl';

/** The record format a file name's extension names (.csv; .tsv, .tab; .jsonl, .ndjson, in any case), or null. */
export function formatByExtension(fileName: string | undefined): RecordFormat | null {
  const extension = /\.([a-z0-9]+)$/.exec((fileName ?? '').toLowerCase())?.[1] ?? '';
  if (extension === 'csv') return 'csv';
  if (extension === 'tsv' || extension === 'tab') return 'tsv';
  if (extension === 'jsonl' || extension === 'ndjson') return 'jsonl';
  return null;
}
