import { describe, expect, it } from 'vitest';
import { fnv1a32, inShard, pairFormat, parsePairs, parseShard, repeatedTexts, reuseOrder, shardOf } from './pairs.ts';

describe('parsePairs', () => {
  it('reads CSV with RFC 4180 quoting, any column order and case, extra columns ignored', () => {
    const csv = 'Label,B,extra,A,id\r\nparaphrase,"A dog, barking.",x,"She said ""hi""\r\nand left.",p1\r\n,Plain b,,Plain a,\r\n';
    const { pairs, problems, format } = parsePairs(csv, 'pairs.csv');
    expect(format).toBe('csv');
    expect(problems).toEqual([]);
    expect(pairs).toEqual([
      { id: 'p1', a: 'She said "hi"\r\nand left.', b: 'A dog, barking.', label: 'paraphrase', row: 1, line: 2 },
      // No id: the row number; an empty label is null. The quoted line break moved the line.
      { id: '2', a: 'Plain a', b: 'Plain b', label: null, row: 2, line: 4 },
    ]);
  });

  it('reads TSV, and reports bad rows with their line, numbering rows as in the file', () => {
    const tsv = ['a\tb\tlabel', 'one\ttwo\tx', '\tmissing a\ty', '', 'only a', 'three\tfour\t'].join('\n');
    const { pairs, problems } = parsePairs(tsv, 'p.tsv');
    expect(pairs.map((p) => [p.id, p.a, p.b, p.label, p.line])).toEqual([
      ['1', 'one', 'two', 'x', 2],
      ['4', 'three', 'four', null, 6],
    ]);
    expect(problems).toEqual([
      { line: 3, message: 'row 2: skipped, its "a" is empty' },
      { line: 5, message: 'row 3: skipped, it has no "b"' },
    ]);
  });

  it('reads JSON lines: ids may be numbers; invalid JSON, wrong types and repeated ids are skipped with their line', () => {
    const jsonl = [
      '{"id": 7, "a": "x", "b": "y", "label": "l"}',
      '',
      '{broken',
      '["a", "b"]',
      '{"a": "x", "b": 3}',
      '{"id": "7", "a": "p", "b": "q"}',
      '{"a": "p", "b": "q", "label": null}',
    ].join('\n');
    const { pairs, problems, format } = parsePairs(jsonl, 'p.jsonl');
    expect(format).toBe('jsonl');
    expect(pairs.map((p) => [p.id, p.row, p.line, p.label])).toEqual([
      ['7', 1, 1, 'l'],
      ['6', 6, 7, null],
    ]);
    expect(problems).toEqual([
      { line: 3, message: 'row 2: skipped, not valid JSON' },
      { line: 4, message: 'row 3: skipped, not a JSON object with "a" and "b"' },
      { line: 5, message: 'row 4: skipped, its "b" is not a string' },
      { line: 6, message: 'row 5: skipped, its id "7" repeats the pair on line 1' },
    ]);
  });

  it('says what is wrong with the header, and with an empty file', () => {
    expect(parsePairs('text,other\nx,y\n', 'p.csv').problems).toEqual([{ line: 1, message: 'the header names "text", "other"; it needs the columns "a" and "b" (and may have "id", "label")' }]);
    expect(parsePairs('', 'p.csv')).toMatchObject({ pairs: [], problems: [{ line: 0, message: 'the file is empty' }] });
    expect(parsePairs('a,b\n"open,x\n', 'p.csv').problems[0]).toEqual({ line: 2, message: 'a quoted field is never closed; it was read to the end of the file' });
  });

  it('takes the format from the extension, else from the content', () => {
    expect(pairFormat('x.TSV')).toBe('tsv');
    expect(pairFormat('x.ndjson')).toBe('jsonl');
    expect(pairFormat(undefined, '\uFEFF {"a": 1}')).toBe('jsonl');
    expect(pairFormat('pasted', 'a\tb\nx\ty')).toBe('tsv');
    expect(pairFormat(undefined, 'a,b\nx,y')).toBe('csv');
  });
});

describe('shards', () => {
  it('hash ids with 32-bit FNV-1a (published test values)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(fnv1a32('é')).toBe(fnv1a32('\u00e9')); // UTF-8 bytes, not UTF-16 units
  });

  it('put every id in exactly one of n shards, spread fairly', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `pair-${i}`);
    for (const n of [1, 2, 3, 7]) {
      const shards = Array.from({ length: n }, (_, index) => ids.filter((id) => inShard(id, { index, count: n })));
      expect(shards.flat().sort()).toEqual([...ids].sort());
      for (const s of shards) expect(s.length).toBeGreaterThan((1000 / n) * 0.8);
    }
    expect(shardOf('pair-1', 4)).toBe(fnv1a32('pair-1') % 4);
  });

  it('parse i/n and refuse the rest', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard(' 3 / 4 ')).toEqual({ index: 3, count: 4 });
    for (const bad of ['4/4', '1/0', '-1/2', 'a/b', '1', '1/2/3']) expect(parseShard(bad)).toBeUndefined();
  });
});

describe('reuseOrder', () => {
  it("runs a text's pairs together, keeping file order otherwise", () => {
    const pairs = [
      { id: 1, a: 'x', b: 'p' },
      { id: 2, a: 'y', b: 'q' },
      { id: 3, a: 'z', b: 'r' },
      { id: 4, a: 'x', b: 's' },
      { id: 5, a: 'q', b: 't' },
      { id: 6, a: 'y', b: 'y' },
    ];
    expect(reuseOrder(pairs).map((p) => p.id)).toEqual([1, 4, 2, 6, 5, 3]);
    expect(reuseOrder([])).toEqual([]);
    expect(repeatedTexts(pairs)).toBe(3); // x, y, q
  });
});
