/**
 * `pairlens batch` and `pairlens analyze` as child processes: the JSON lines written,
 * bad rows reported by line, shards that add up to the single run, --resume over a
 * file cut mid-line, an interrupted run that leaves whole lines; usage errors in-process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parseBatchRecords, type ParsedBatchRecord } from '../shared/batch-record.ts';
import { pairlens, pairlensInProcess, type CliRun } from './cli.test-support.ts';

const DIR = mkdtempSync(join(tmpdir(), 'pairlens-batch-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
const file = (name: string, content?: string) => {
  const path = join(DIR, name);
  if (content !== undefined) writeFileSync(path, content);
  return path;
};

const ANCHOR = 'A man plays the guitar.';
// Row 4 is bad (empty b); the anchor text repeats, so its P is computed once.
const TSV = file(
  'pairs.tsv',
  [
    'id\tlabel\ta\tb',
    `g1\tparaphrase\t${ANCHOR}\tSomeone plays music.`,
    `g2\tnegation\t${ANCHOR}\tA man does not play the guitar.`,
    `\tunrelated\t${ANCHOR}\tThe market fell.`,
    'bad\tx\tlonely\t',
    `g5\tswapped\tThe dog bit the man.\tThe man bit the dog.`,
  ].join('\n'),
);
const SETTINGS = ['--steps', '8'];
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);
const records = (path: string): ParsedBatchRecord[] => parseBatchRecords(readFileSync(path, 'utf8')).records;
const byId = (rs: ParsedBatchRecord[]) => new Map(rs.map((r) => [r.id, r]));

describe('pairlens batch', () => {
  const single = file('single.jsonl');
  let run: CliRun;

  it('writes one whole JSON line per pair, reports the bad row by line, and reuses repeated texts', async () => {
    run = await pairlens('batch', '--input', TSV, '--output', single, ...SETTINGS);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(readFileSync(single, 'utf8').endsWith('\n')).toBe(true);
    const out = records(single);
    expect(out.map((r) => r.id).sort()).toEqual(['3', 'g1', 'g2', 'g5']); // the row without an id: its row number
    const g2 = byId(out).get('g2')!;
    expect(Object.keys(g2).slice(0, 6)).toEqual(['id', 'a', 'b', 'label', 'model', 'layer']);
    expect(Object.keys(g2).slice(-2)).toEqual(['wordsA', 'wordsB']);
    expect(g2).toMatchObject({ a: ANCHOR, label: 'negation', model: 'use-lite', layer: 1, steps: 8, mode: 'approx', final: true });
    expect(g2.matrix).toHaveLength(g2.tokensA.length);
    expect(run.stderr).toMatch(/pairs\.tsv:5: row 4: skipped, its "b" is empty/);
    // 4 pairs, 8 texts: the anchor's (in 3 pairs) computed once, twice taken from the cache.
    expect(run.stderr).toMatch(/batch: 4 pairs written to .*single\.jsonl; 1 bad row skipped; 6 texts computed, 2 taken from the cache \(1 text repeats\)/);
    expect(run.stderr).toMatch(/batch: 4\/4 pairs, [\d.]+ pairs\/min/); // plain progress lines (stderr is no terminal)
  });

  it('--shard i/n: the shards together are the single run, each pair once', async () => {
    const shards = [0, 1].map((i) => file(`shard-${i}.jsonl`));
    const runs = await Promise.all(shards.map((out, i) => pairlens('batch', '--input', TSV, '--output', out, '--shard', `${i}/2`, ...SETTINGS)));
    for (const r of runs) expect(r.code).toBe(0);
    const union = shards.flatMap((s) => (existsSync(s) ? records(s) : []));
    const reference = byId(records(single));
    expect(union.map((r) => r.id).sort()).toEqual([...reference.keys()].sort());
    for (const r of union) {
      const want = reference.get(r.id)!;
      expect(r.tokensA).toEqual(want.tokensA);
      r.matrix.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(want.matrix[i][j], 6)));
    }
  });

  it('--resume cuts off a half-written last line and skips the ids already there', async () => {
    const [first, second] = lines(single);
    const resumed = file('resumed.jsonl', `${first}\n${second.slice(0, 100)}`);
    const r = await pairlens('batch', '--input', TSV, '--output', resumed, '--resume', ...SETTINGS);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/resumed\.jsonl:2: an incomplete last line/);
    expect(r.stderr).toMatch(/cut off the incomplete line 2; its pair runs again/);
    expect(r.stderr).toMatch(/3 pairs written to .*; 1 already there \(--resume\)/);
    const out = lines(resumed);
    expect(out[0]).toBe(first);
    expect(out.map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(['3', 'g1', 'g2', 'g5']);
  });

  it('leaves whole lines when interrupted (SIGINT), and exits 130', async () => {
    const many = file('many.jsonl', Array.from({ length: 40 }, (_, i) => JSON.stringify({ a: `Sentence number ${i} about cats.`, b: `Another sentence ${i} about dogs.` })).join('\n'));
    const out = file('interrupted.jsonl');
    const bin = fileURLToPath(new URL('../../bin/pairlens.mjs', import.meta.url));
    const child = spawn('node', [bin, 'batch', '--input', many, '--output', out, '--steps', '16'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!(existsSync(out) && readFileSync(out, 'utf8').includes('\n'))) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const content = readFileSync(out, 'utf8');
    expect(content.endsWith('\n')).toBe(true);
    const parsed = parseBatchRecords(content);
    expect(parsed.problems).toEqual([]);
    expect(parsed.records.length).toBeGreaterThanOrEqual(1);
    expect(parsed.records.length).toBeLessThan(40);
    expect(stderr).toMatch(/SIGINT: stopping/);
    expect(stderr).toMatch(/interrupted; .* holds whole lines only: run again with --resume/);
  }, 30_000);
});

describe('pairlens analyze', () => {
  it('prints the statistics as JSON over several files, and writes HTML and SVG', async () => {
    const html = file('report.html');
    const svg = file('figure.svg');
    const bad = file('bad.jsonl', '{"id": "x"}\n');
    const r = await pairlens('analyze', file('single.jsonl'), bad, '--json', '--html', html, '--svg', svg);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/bad\.jsonl:1: skipped, "a" is not a string/);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['records', 'repeated', 'tagger', 'groups', 'correlations']);
    expect(out.records).toBe(4);
    expect(out.tagger).toMatch(/wink-nlp/);
    const g = out.groups[0];
    expect(Object.keys(g)).toEqual([
      'model', 'layer', 'mode', 'sim', 'pairs', 'meanPrediction', 'meanSum', 'topShare', 'topShareMedian', 'topAbsShare',
      'topShareSkipped', 'negativeShare', 'posPairs', 'lexical', 'negation', 'byLabel',
    ]);
    expect(Object.keys(g.topShare)).toEqual(['1', '3', '5', '10', '5%', '10%']);
    expect(g.negation.pairsWithNegation).toBe(1);
    expect(g.posPairs.length).toBeGreaterThan(5);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*<svg [\s\S]*<\/html>\n$/);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg xmlns/);
  });

  it('prints a readable summary', async () => {
    const r = await pairlens('analyze', file('single.jsonl'), '--no-pos');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/use-lite, layer 1, approx, cos: 4 pairs/);
    expect(r.stdout).toMatch(/topShare +1: /);
    expect(r.stdout).toMatch(/label negation +1 pairs/);
  });
});

describe('batch and analyze, usage errors (in-process)', () => {
  afterEach(() => vi.restoreAllMocks());

  const run = pairlensInProcess;

  const existing = file('existing.jsonl', '{}\n');
  it.each([
    [['batch', '--input', TSV], 2, /batch needs --input FILE and --output OUT\.jsonl/],
    [['batch', '--input', TSV, '--output', file('x.jsonl'), '--shard', '3/3'], 2, /--shard must be i\/n with 0 ≤ i < n/],
    [['batch', '--input', TSV, '--output', existing], 2, /exists: pass --resume to continue it, or remove it/],
    [['batch', '--input', TSV, '--output', file('x.jsonl'), '--steps', '8', '--tolerance', '0.1'], 2, /--tolerance goes with --steps auto/],
    [['batch', '--input', join(DIR, 'missing.tsv'), '--output', file('x.jsonl')], 1, /cannot read --input ".*missing\.tsv": no such file/],
    [['batch', '--input', file('empty.tsv', ''), '--output', file('x.jsonl')], 1, /no pairs in ".*empty\.tsv": the file is empty/],
    [['analyze'], 2, /analyze needs at least one batch output file/],
    [['analyze', file('nothing.jsonl', '\n')], 1, /no attribution records in/],
  ])('fails clearly for %j', async (args, exit, message) => {
    const { code, stderr } = await run(...args);
    expect(code).toBe(exit);
    expect(stderr.trim().split('\n').at(-1)).toMatch(message);
  });
});
