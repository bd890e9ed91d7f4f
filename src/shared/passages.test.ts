import { describe, expect, it } from 'vitest';
import { csvField, parseCsv } from './csv.ts';
import { MAX_PASSAGE_LENGTH, MAX_PASSAGES, MAX_PROBLEMS, parsePassages, passageFormat } from './passages.ts';

describe('passageFormat', () => {
  it.each([
    ['docs.csv', 'csv'],
    ['DOCS.CSV', 'csv'],
    ['a/b/c.tsv', 'tsv'],
    ['x.tab', 'tsv'],
    ['x.jsonl', 'jsonl'],
    ['x.ndjson', 'jsonl'],
    ['x.txt', 'text'],
    ['x.md', 'text'],
    ['noextension', 'text'],
    ['folder.csv/file', 'text'],
    [undefined, 'text'],
  ] as const)('%s is %s', (name, format) => {
    expect(passageFormat(name)).toBe(format);
  });
});

describe('plain text', () => {
  it('splits at blank lines (whitespace-only too), joins a passage\'s lines with spaces, trims', () => {
    const text = '  First line\n  continues here.  \n\nSecond.\n \t \n\n\nThird\r\nwith CRLF.\r\n\r\nFourth\rwith CR.\n';
    expect(parsePassages(text, 'p.txt')).toEqual({
      passages: ['First line continues here.', 'Second.', 'Third with CRLF.', 'Fourth with CR.'],
      problems: [],
    });
  });

  it('is what pasted text (no file name) and unknown extensions get', () => {
    expect(parsePassages('a,b\n\nc', undefined).passages).toEqual(['a,b', 'c']);
    expect(parsePassages('{"text": "x"}', 'x.json').passages).toEqual(['{"text": "x"}']);
  });

  it('keeps odd Unicode as it is and strips a byte order mark', () => {
    const text = '\uFEFFCafé ☕ 👩🏽‍💻 at 10:30\n\nزبان فارسی\n\n\u200B\u0301 combining\n\n𝔘𝔫𝔦𝔠𝔬𝔡𝔢';
    expect(parsePassages(text).passages).toEqual(['Café ☕ 👩🏽‍💻 at 10:30', 'زبان فارسی', '\u200B\u0301 combining', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢']);
  });

  it('says when a file is empty or holds only whitespace', () => {
    expect(parsePassages('', 'p.txt')).toEqual({ passages: [], problems: ['the file is empty'] });
    expect(parsePassages('\uFEFF', 'p.csv')).toEqual({ passages: [], problems: ['the file is empty'] });
    expect(parsePassages(' \n\t\r\n', 'p.jsonl')).toEqual({ passages: [], problems: ['the file holds only whitespace'] });
  });

  it(`keeps at most ${MAX_PASSAGES} passages and cuts each to ${MAX_PASSAGE_LENGTH} characters, saying so`, () => {
    const many = Array.from({ length: MAX_PASSAGES + 5 }, (_, i) => `passage ${i}`).join('\n\n');
    const out = parsePassages(many);
    expect(out.passages).toHaveLength(MAX_PASSAGES);
    expect(out.passages.at(-1)).toBe(`passage ${MAX_PASSAGES - 1}`);
    expect(out.problems).toEqual([`5 more passages after the first 1,000 left out`]);

    const long = parsePassages(`short\n\n${'x'.repeat(MAX_PASSAGE_LENGTH - 1)}😀tail`);
    expect(long.passages[1]).toHaveLength(MAX_PASSAGE_LENGTH - 1); // never half an emoji
    expect(long.problems).toEqual([`passage 2 (line 3): cut to 20,000 characters (it has 20,005)`]);
  });
});

describe('CSV and TSV', () => {
  it('reads RFC 4180: quoted fields, doubled quotes, line breaks and commas inside quotes, CRLF', () => {
    const csv = 'id,text\r\n1,plain\r\n2,"with, comma"\r\n3,"say ""hi"""\r\n4,"two\r\nlines"\r\n5,"ends with quote"""\r\n';
    expect(parsePassages(csv, 'p.csv')).toEqual({
      passages: ['plain', 'with, comma', 'say "hi"', 'two\r\nlines', 'ends with quote"'],
      problems: ['used column "text" of 2 columns'],
    });
  });

  it('picks text, else passage, else document, else content, in any case, else the only column', () => {
    expect(parsePassages('Content,Passage\nc,p', 'x.csv').passages).toEqual(['p']);
    expect(parsePassages('content,document\nc,d', 'x.csv').passages).toEqual(['d']);
    expect(parsePassages(' CONTENT ,id\nc,1', 'x.csv').passages).toEqual(['c']);
    expect(parsePassages('text\nonly', 'x.csv')).toEqual({ passages: ['only'], problems: [] });
    expect(parsePassages('sentence\nonly', 'x.csv')).toEqual({ passages: ['only'], problems: ['used the only column, "sentence"'] });
  });

  it('says why nothing or a row was skipped, by row (and line when a quoted break moved it)', () => {
    const noColumn = parsePassages('id,score\n1,2', 'x.csv');
    expect(noColumn.passages).toEqual([]);
    expect(noColumn.problems[0]).toMatch(/^no text column: the header \(line 1\) names "id", "score"/);
    expect(parsePassages('text\n', 'x.csv').problems).toEqual(['no rows after the header']);
    const skipped = parsePassages('id,text\n1,"multi\nline"\n2\n3,  \n4,ok', 'x.csv');
    expect(skipped.passages).toEqual(['multi\nline', 'ok']);
    expect(skipped.problems).toEqual([
      'used column "text" of 2 columns',
      'row 3 (line 4): skipped, it has 1 field and no "text"',
      'row 4 (line 5): skipped, its "text" is empty',
    ]);
  });

  it('reads tabs in .tsv, with quotes as in CSV', () => {
    expect(parsePassages('id\ttext\n1\ta, b\n2\t"tab\tinside"', 'p.tsv').passages).toEqual(['a, b', 'tab\tinside']);
  });

  it('survives hostile CSV: an unclosed quote, stray quotes, a bare header', () => {
    const out = parsePassages('text\nok\n"never closed\nmore', 'x.csv');
    expect(out.passages).toEqual(['ok', 'never closed\nmore']);
    expect(out.problems).toEqual(['line 3: a quoted field is never closed; it was read to the end of the file']);
    expect(parsePassages('text\nsay "hi" there\n"quoted" then more', 'x.csv').passages).toEqual(['say "hi" there', 'quoted then more']);
    expect(() => parsePassages('"\n"\n""""\n,,,\n\r\r\n"', 'x.csv')).not.toThrow();
  });

  it('parseCsv gives each record its first line and drops blank lines', () => {
    expect(parseCsv('a,b\n\n"x\ny",z\r\n\r\nlast')).toEqual({
      records: [
        { fields: ['a', 'b'], line: 1 },
        { fields: ['x\ny', 'z'], line: 3 },
        { fields: ['last'], line: 6 },
      ],
      unclosedQuoteLine: null,
    });
    expect(parseCsv('a,,\n,')).toEqual({ records: [{ fields: ['a', '', ''], line: 1 }, { fields: ['', ''], line: 2 }], unclosedQuoteLine: null });
  });

  it('csvField quotes what needs it and defuses spreadsheet formulas; round-trips through parseCsv', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField(-0.5)).toBe('-0.5');
    const odd = ['x\r\ny', 'quote " inside', 'comma, here', 'Café ☕'];
    expect(parseCsv(odd.map(csvField).join(',')).records[0].fields).toEqual(odd);
  });
});

describe('JSON lines', () => {
  it('reads strings and objects with text, else passage, document or content', () => {
    const jsonl = ['"a string"', '{"text": "t", "passage": "p"}', '{"passage": "p"}', '{"document": "d", "content": "c"}', '{"content": "c"}', '', '  '].join('\n');
    expect(parsePassages(jsonl, 'x.jsonl')).toEqual({ passages: ['a string', 't', 'p', 'd', 'c'], problems: [] });
  });

  it('skips and reports bad lines by line number, whatever they hold, and never throws', () => {
    const lines = ['{"text": "ok"}', '{not json', '42', 'null', '[1, 2]', '{"text": 5}', '{"other": "x"}', '{"text": "  "}', '{"__proto__": {"text": "x"}}', '"unterminated', '{"text": "last \\u00e9 \\ud83d\\ude00"}\r'];
    const out = parsePassages(lines.join('\n'), 'x.jsonl');
    expect(out.passages).toEqual(['ok', 'last é 😀']);
    expect(out.problems.map((p) => p.split(':')[0])).toEqual(['line 2', 'line 3', 'line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9', 'line 10']);
    expect(out.problems[0]).toBe('line 2: skipped, not valid JSON');
    expect(out.problems[1]).toMatch(/not a string or an object with a string "text"/);
    expect(out.problems[6]).toBe('line 8: skipped, the text is empty');
  });

  it(`lists at most ${MAX_PROBLEMS} problems and counts the rest`, () => {
    const out = parsePassages(Array.from({ length: 50 }, () => 'bad').join('\n'), 'x.jsonl');
    expect(out.problems).toHaveLength(MAX_PROBLEMS);
    expect(out.problems.at(-1)).toBe('… and 31 more problems');
  });

  it('says why a file gives no passages', () => {
    expect(parsePassages('{"text": ""}', 'x.jsonl').problems).toEqual(['line 1: skipped, the text is empty']);
    expect(parsePassages('text\n" "', 'x.csv').problems).toEqual(['row 2: skipped, its "text" is empty']);
  });
});
