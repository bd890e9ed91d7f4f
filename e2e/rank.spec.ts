import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packTexts } from '../src/app/link-codec.ts';
import { linkParams } from './page-helpers.ts';

const QUERY = 'How do lighthouses help ships at night?';
const PASSAGES = [
  'A lighthouse sends a bright beam so sailors can see the coast in the dark.',
  'The bakery sells fresh bread every morning.',
  'Ships follow the flashing light to avoid the rocks.',
  'My cat sleeps on the sofa all afternoon.',
  'The keeper lit the lamp at dusk for passing boats.',
  'Stock prices fell sharply on Tuesday.',
  'Fog horns warned vessels when the light could not be seen.',
  'She planted tomatoes in the garden.',
  'Harbour pilots guide large ships into port.',
  'The museum shows paintings of the sea.',
];

async function rankLinkTo(query: string, passages: string[], extra = 'steps=8'): Promise<string> {
  return `./?backend=wasm#page=rank&${extra}&texts=${await packTexts([query, ...passages])}`;
}

async function waitForRanking(page: Page): Promise<void> {
  await expect(page.getByTestId('rank-done')).toBeVisible({ timeout: 110_000 });
}

/** The passages' indices and scores in the order shown. */
async function shownRanking(page: Page): Promise<Array<{ index: number; score: number; sum: number }>> {
  const items = page.getByTestId('ranked-passage');
  const out: Array<{ index: number; score: number; sum: number }> = [];
  for (let i = 0; i < (await items.count()); i++) {
    const item = items.nth(i);
    out.push({
      index: Number(await item.getAttribute('data-index')),
      score: Number(await item.getByTestId('passage-score').textContent()),
      sum: Number(await item.getByTestId('passage-sum').textContent()),
    });
  }
  return out;
}

function cosine(x: number[], y: number[]): number {
  let dot = 0;
  let nx = 0;
  let ny = 0;
  x.forEach((v, i) => {
    dot += v * y[i];
    nx += v * v;
    ny += y[i] * y[i];
  });
  return dot / Math.sqrt(nx * ny);
}

interface ReportRow {
  rank: number;
  index: number;
  text: string;
  tokens: string[];
  score: number;
  sum: number;
  target: number;
  integrationError: number;
  contributions: number[];
  queryContributions: number[];
}

function cli(args: string[]): string {
  return execFileSync(process.execPath, ['bin/pairlens.mjs', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

test('ranks 10 passages in the embeddings order, explains each, and the export equals the CLI', async ({ page }) => {
  await page.goto(await rankLinkTo(QUERY, PASSAGES));
  await waitForRanking(page);
  const shown = await shownRanking(page);
  expect(shown).toHaveLength(10);

  // The oracle: the CLI's embeddings, cosine by hand.
  const embedded = JSON.parse(cli(['embed', QUERY, ...PASSAGES])) as { items: Array<{ embedding: number[] }> };
  const scores = embedded.items.slice(1).map((item) => cosine(embedded.items[0].embedding, item.embedding));
  const order = scores.map((score, index) => ({ index, score })).sort((x, y) => y.score - x.score);
  expect(shown.map((s) => s.index)).toEqual(order.map((o) => o.index));
  shown.forEach((s, i) => expect(Math.abs(s.score - order[i].score)).toBeLessThan(1e-4));

  // K passages cost K + 1 texts' P: the query's once.
  await expect(page.getByTestId('texts-computed')).toHaveText('11');

  // The exported JSON: contributions and query contributions each sum to ΣA, and the CLI gives the same report.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: /^Export JSON/ }).click();
  const exported = JSON.parse(readFileSync(await (await download).path(), 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'pairlens-rank-'));
  writeFileSync(join(dir, 'passages.txt'), PASSAGES.join('\n\n'));
  const fromCli: { results: ReportRow[] } & Record<string, unknown> = JSON.parse(cli(['rank', '--query', QUERY, '--passages', join(dir, 'passages.txt'), '--steps', '8', '--json']));
  const specFields = ['model', 'layer', 'mode', 'sim', 'rule', 'evaluations', 'query', 'queryTokens'];
  for (const field of specFields) expect(exported[field], field).toEqual(fromCli[field]);
  expect(exported.results).toHaveLength(10);
  exported.results.forEach((row: ReportRow, i: number) => {
    const other = fromCli.results[i];
    for (const field of ['rank', 'text', 'tokens', 'index'] as const) expect(row[field], field).toEqual(other[field]);
    for (const field of ['score', 'sum', 'target', 'integrationError'] as const) expect(Math.abs(row[field] - other[field]), field).toBeLessThan(1e-4);
    const total = (xs: number[]) => xs.reduce((t, v) => t + v, 0);
    expect(Math.abs(total(row.contributions) - row.sum)).toBeLessThan(1e-5);
    expect(Math.abs(total(row.queryContributions) - row.sum)).toBeLessThan(1e-5);
    row.contributions.forEach((v, j) => expect(Math.abs(v - other.contributions[j])).toBeLessThan(1e-4));
    // The list shows the same ΣA as the export.
    expect(Math.abs(shown[i].sum - row.sum)).toBeLessThan(1e-4);
  });

  // The highlighted passages as HTML (inert, every passage) and PNG, and the CSV.
  const saved = async (name: RegExp) => {
    const file = page.waitForEvent('download');
    await page.getByRole('button', { name }).click();
    return readFileSync(await (await file).path());
  };
  const html = (await saved(/^Export HTML/)).toString('utf8');
  for (const passage of PASSAGES) expect(html).toContain(passage.split(' ')[1].replace(/[.,]/g, '').toLowerCase());
  expect(html).not.toContain('<script');
  const png = await saved(/^Export PNG/);
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  const csv = (await saved(/^Export CSV/)).toString('utf8').split('\n');
  expect(csv.filter((line) => /^\d+,/.test(line))).toHaveLength(10);
});

test('why X above Y: the query words add up to the ΣA difference, and the terms add up to the score difference', async ({ page }) => {
  await page.goto(await rankLinkTo(QUERY, PASSAGES.slice(0, 5)));
  await waitForRanking(page);
  const items = page.getByTestId('ranked-passage');
  await items.nth(0).getByRole('checkbox', { name: 'Compare' }).check();
  await items.nth(3).getByRole('checkbox', { name: 'Compare' }).check();
  const why = page.getByRole('region', { name: 'Why is #1 above #4' });
  await expect(why).toBeVisible();
  const values = await why.locator('p').nth(1).locator('.word').evaluateAll((spans) => spans.map((s) => Number(s.getAttribute('data-value'))));
  const attributed = Number((await why.getByTestId('attributed-difference').textContent())?.replace('−', '-'));
  expect(Math.abs(values.reduce((t, v) => t + v, 0) - attributed)).toBeLessThan(2e-4);
  const shown = await shownRanking(page);
  const difference = Number((await why.getByTestId('score-difference').textContent())?.replace('−', '-'));
  expect(Math.abs(difference - (shown[0].score - shown[3].score))).toBeLessThan(2e-4);
});

test('the link restores the view, selection and comparison; open in explorer and back keeps the ranking', async ({ page }) => {
  await page.goto(await rankLinkTo(QUERY, PASSAGES.slice(0, 4)));
  await waitForRanking(page);
  const items = page.getByTestId('ranked-passage');
  await items.nth(1).getByRole('button', { name: 'Query words' }).click();
  await expect(page.getByTestId('query-words')).toBeVisible();
  const before = await shownRanking(page);
  const selectedIndex = await items.nth(1).getAttribute('data-index');
  await expect.poll(() => linkParams(page).get('sel')).toBe(selectedIndex);
  // The texts live in the fragment only: nothing of them reaches the server.
  expect(new URL(page.url()).search).toBe('?backend=wasm');

  await page.reload();
  await waitForRanking(page);
  expect(await shownRanking(page)).toEqual(before);
  await expect(page.getByTestId('query-words')).toBeVisible();
  await expect(page.getByLabel('Query')).toHaveValue(QUERY);

  // Open the top passage in the explorer; back returns to the ranking as it was, without computing again.
  await items.nth(0).getByRole('button', { name: 'Open in explorer' }).click();
  await expect(page.getByLabel('Sentence A')).toHaveValue(QUERY);
  await expect(page.getByLabel('Sentence B')).toHaveValue(PASSAGES[before[0].index]);
  expect(linkParams(page).get('steps')).toBe('8');
  await page.goBack();
  await expect(page.getByTestId('rank-done')).toBeVisible();
  expect(await shownRanking(page)).toEqual(before);
  await expect(page.getByTestId('query-words')).toBeVisible();
});

test('a view over the link limit says so; its session file restores it exactly', async ({ page }) => {
  // Text that does not compress: 60 passages of pseudo-random words.
  let seed = 11;
  const word = () => Array.from({ length: 6 }, () => String.fromCharCode(97 + ((seed = (seed * 48271) % 2147483647) % 26))).join('');
  const long = Array.from({ length: 60 }, () => Array.from({ length: 150 }, word).join(' '));
  await page.goto('./?backend=wasm#page=rank&steps=8');
  await page.getByLabel('Query').fill('a query');
  await page.getByLabel('Passages (separated by blank lines)').fill(long.join('\n\n'));
  await expect(page.getByTestId('link-too-long')).toBeVisible();
  expect(linkParams(page).get('texts')).toBeNull();
  await page.getByRole('button', { name: 'Cancel' }).click();

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Save session file' }).click();
  const file = await (await download).path();

  const other = await page.context().newPage();
  await other.goto('./?backend=wasm#page=rank&steps=8');
  await other.getByLabel('Open session file').setInputFiles(file);
  await expect(other.getByLabel('Query')).toHaveValue('a query');
  await expect(other.getByLabel('Passages (separated by blank lines)')).toHaveValue(long.join('\n\n'));
  await expect(other.getByTestId('link-too-long')).toBeVisible();
  await other.close();
});

test('cancel stops a ranking; editing mid-run shows only the new query', async ({ page }) => {
  await page.goto(await rankLinkTo(QUERY, PASSAGES, 'steps=256&layer=0'));
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText(/^Cancelled:/)).toBeVisible();

  // Edit the query while a ranking runs: the list ends up explaining the new query only.
  await page.getByRole('combobox', { name: 'Steps', exact: true }).selectOption('8');
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeVisible();
  await page.getByLabel('Query').fill('What do bakers sell?');
  await waitForRanking(page);
  const top = await shownRanking(page);
  expect(top[0].index).toBe(1); // the bakery
  await page.getByTestId('ranked-passage').nth(0).getByRole('button', { name: 'Query words' }).click();
  await expect(page.getByTestId('query-words')).toContainText('bakers');
  await expect(page.getByTestId('query-words')).not.toContainText('lighthouses');
});

test('both pages use a wide window and stay within a 375 px one', async ({ page }) => {
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(`./?backend=wasm#a=${encodeURIComponent('Cats sleep on the warm sofa.')}&b=${encodeURIComponent('Dogs nap in the sun.')}&steps=8`);
  await expect(page.getByTestId('attribution-status')).toHaveAttribute('data-final', 'true', { timeout: 90_000 });
  const heatmap = await page.getByLabel('Attribution heatmap').boundingBox();
  const diagnostics = await page.getByRole('heading', { name: 'Diagnostics' }).boundingBox();
  // The heatmap takes more than a third of the window, with the diagnostics beside it, not below.
  expect(heatmap?.width ?? 0).toBeGreaterThan(1400 / 3);
  expect(diagnostics?.x ?? 0).toBeGreaterThan((heatmap?.x ?? 0) + (heatmap?.width ?? 0));

  for (const link of [page.url(), await rankLinkTo(QUERY, PASSAGES.slice(0, 3))]) {
    await page.goto(link);
    await page.setViewportSize({ width: 375, height: 800 });
    if (link.includes('page=rank')) await waitForRanking(page);
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.setViewportSize({ width: 1400, height: 900 });
  }
});
