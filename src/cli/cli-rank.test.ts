/**
 * `pairlens rank`: as a child process where the model runs (JSON shape and order, sums,
 * scores against `pairlens embed`, --top, .txt, .csv and .jsonl files), in-process for
 * the usage errors that stop before any model loads (a process costs a second each).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { cosine } from '../shared/vector.ts';
import { pairlens, pairlensInProcess } from './cli.test-support.ts';

const DIR = mkdtempSync(join(tmpdir(), 'pairlens-rank-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function passageFile(name: string, content: string): string {
  const file = join(DIR, name);
  writeFileSync(file, content);
  return file;
}

const QUERY = 'A man plays the guitar.';
const PASSAGES = ['The stock market fell.', 'A man is playing a guitar.', 'Someone plays music.', 'A woman slices an onion.'];
const TXT = passageFile('passages.txt', `${PASSAGES.join('\n\n')}\n`);
const CSV = passageFile('passages.csv', 'id,text\r\n1,"A dog, barking."\r\n2,"She said ""hi""\r\nand left."\r\n3,\r\n');
const JSONL = passageFile('passages.jsonl', '"A cat sat."\n{"text": "Cats purr."}\n{broken\n');
const NO_TEXT_COLUMN = passageFile('no-text.csv', 'id,score\n1,2\n');
const EMPTY = passageFile('empty.txt', '');

const total = (xs: number[]) => xs.reduce((s, x) => s + x, 0);

describe('pairlens rank', () => {
  it('prints JSON in the shape of docs/architecture.md, "Reports", scores equal to embed\'s cosines, only --top listed', async () => {
    const { code, stdout, stderr } = await pairlens('rank', '--query', QUERY, '--passages', TXT, '--top', '2', '--steps', '8', '--layer', '1', '--json');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const out = JSON.parse(stdout);
    expect(Object.keys(out)).toEqual([
      'model', 'layer', 'mode', 'sim', 'rule', 'evaluations', 'query', 'queryTokens', 'results',
      'steps', 'tolerance', 'ruleRequested', 'reference', 'method', 'attributionModel', 'exactModel', 'promptA', 'promptB', 'backend', 'version', 'passages', 'textsComputed',
    ]);
    expect(out).toMatchObject({ model: 'use-lite', layer: 1, mode: 'approx', sim: 'cos', rule: 'midpoint', evaluations: 8, query: QUERY, steps: 8, backend: 'wasm', passages: 4 });
    expect(out.textsComputed).toBe(3); // the query's P once, then one per attributed passage
    expect(out.results).toHaveLength(2);
    for (const [k, r] of out.results.entries()) {
      expect(Object.keys(r).slice(0, 9)).toEqual(['rank', 'text', 'score', 'tokens', 'contributions', 'queryContributions', 'sum', 'target', 'integrationError']);
      expect(r).toMatchObject({ rank: k + 1, text: PASSAGES[r.index], evaluations: 8, final: true });
      expect(r.contributions).toHaveLength(r.tokens.length);
      expect(r.queryContributions).toHaveLength(out.queryTokens.length);
      // Sums of the float32 matrix against ΣA summed in double precision (measured: below 3e-7).
      expect(Math.abs(total(r.contributions) - r.sum)).toBeLessThan(1e-6);
      expect(Math.abs(total(r.queryContributions) - r.sum)).toBeLessThan(1e-6);
      expect(r.integrationError).toBeCloseTo(r.sum - r.target, 6);
    }
    expect(out.results[0].index).toBe(1);

    const embedded = JSON.parse((await pairlens('embed', QUERY, ...PASSAGES)).stdout).items as Array<{ embedding: number[] }>;
    const cosines = PASSAGES.map((_, i) => cosine(embedded[0].embedding, embedded[i + 1].embedding));
    for (const r of out.results) expect(r.score).toBeCloseTo(cosines[r.index], 6);
    // The two listed are the two best.
    const best = [...cosines].sort((x, y) => y - x).slice(0, 2);
    expect(out.results.map((r: { score: number }) => r.score)).toEqual(best.map((c) => expect.closeTo(c, 6)));
  });

  it('ranks a .csv file as a readable table, saying on stderr what it used and skipped', async () => {
    const { code, stdout, stderr } = await pairlens('rank', '--query', 'A dog barks.', '--passages', CSV, '--steps', '8');
    expect(code).toBe(0);
    expect(stdout).toMatch(/use-lite, layer 1, approx, cos, jvp: 2 passages scored, 2 attributed/);
    expect(stdout).toMatch(/midpoint, up to 8 evaluations per text, 8 steps, reference token 30; wasm, PairLens \d/);
    expect(stdout).toMatch(/rank +score +ΣA +top words +passage/);
    expect(stdout).toMatch(/^ +1 +0\.\d{4} +-?\d\.\d{4} +\S+ [+−]\d\.\d{3}, .* A dog, barking\.$/m);
    expect(stdout).toContain('She said "hi" and left.'); // on one line
    expect(stderr).toContain('used column "text" of 2 columns');
    expect(stderr).toMatch(/row 4 \(line 5\): skipped, its "text" is empty/);
  });

  it('ranks a .jsonl file, skipping bad lines with their number', async () => {
    const { code, stdout, stderr } = await pairlens('rank', '--query', 'A cat.', '--passages', JSONL, '--steps', '8', '--top', '1', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.passages).toBe(2);
    expect(out.results).toHaveLength(1);
    expect(['A cat sat.', 'Cats purr.']).toContain(out.results[0].text);
    expect(stderr).toMatch(/passages\.jsonl: line 3: skipped, not valid JSON/);
  });

  it('fails in one line with exit 1 for a request the engine refuses', async () => {
    const { code, stdout, stderr } = await pairlens('rank', '--query', 'x', '--passages', TXT, '--layer', '99');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^pairlens: .*layer/);
  });
});

describe('pairlens rank, usage errors (in-process)', () => {
  afterEach(() => vi.restoreAllMocks());

  const run = pairlensInProcess;

  it.each([
    [['rank', '--query', 'x'], 2, /rank needs --query TEXT and --passages FILE/],
    [['rank', '--query', ' ', '--passages', TXT], 2, /--query is empty/],
    [['rank', '--query', 'x', '--passages', TXT, '--top', '0'], 2, /--top must be 1 or more/],
    [['rank', '--query', 'x', '--passages', TXT, '--top', 'all'], 2, /--top must be an integer/],
    [['rank', '--query', 'x', '--passages', TXT, '--steps', '64', '--tolerance', '0.1'], 2, /--tolerance goes with --steps auto/],
    [['rank', '--query', 'x', '--passages', TXT, 'extra'], 2, /Unexpected argument 'extra'/],
    [['rank', '--query', 'x', '--passages', TXT, '--frobnicate'], 2, /Unknown option '--frobnicate'/],
    [['rank', '--query', 'x', '--passages', join(DIR, 'missing.txt')], 1, /cannot read --passages ".*missing\.txt": no such file/],
    [['rank', '--query', 'x', '--passages', DIR], 1, /cannot read --passages ".*": it is a folder/],
    [['rank', '--query', 'x', '--passages', NO_TEXT_COLUMN], 1, /no passages in ".*no-text\.csv" \(csv\): no text column/],
    [['rank', '--query', 'x', '--passages', EMPTY], 1, /no passages in .*: the file is empty/],
  ])('fails clearly for %j', async (args, exit, message) => {
    const { code, stdout, stderr } = await run(...args);
    expect(code).toBe(exit);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });
});
