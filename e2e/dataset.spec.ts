import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PAIRS = [
  ['id', 'label', 'a', 'b'],
  ['p1', 'paraphrase', 'The dog chased the cat.', 'A dog ran after the cat.'],
  ['p2', 'negation', 'The dog chased the cat.', 'The dog did not chase the cat.'],
  ['p3', 'unrelated', 'The dog chased the cat.', 'Stock prices fell on Tuesday.'],
  ['p4', 'paraphrase', 'She bought a new car.', 'She purchased a new vehicle.'],
  ['p5', 'antonyms', 'The soup is hot.', 'The soup is cold.'],
  ['p6', 'swapped-roles', 'The teacher thanked the student.', 'The student thanked the teacher.'],
]
  .map((row) => row.join('\t'))
  .join('\n');

interface BatchLine {
  id: string;
  sum: number;
  prediction: number;
  matrix: number[][];
  tokensA: string[];
  [field: string]: unknown;
}

function writePairs(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pairlens-dataset-'));
  const file = join(dir, 'pairs.tsv');
  writeFileSync(file, `${PAIRS}\n`);
  return file;
}

test('a dataset runs in the worker, with statistics, rows linking to the explorer, and the CLI batch JSONL', async ({ page }) => {
  const file = writePairs();
  await page.goto('./?backend=wasm#page=dataset&steps=8');
  await page.getByLabel('Load pairs (.tsv, .csv, .jsonl)').setInputFiles(file);
  await expect(page.getByTestId('dataset-loaded')).toContainText('6 pairs');
  await page.getByRole('button', { name: 'Run 6 pairs' }).click();
  await expect(page.getByTestId('dataset-progress')).toContainText('done', { timeout: 110_000 });
  await expect(page.getByTestId('dataset-row')).toHaveCount(6);
  await expect(page.getByTestId('dataset-statistics')).toBeVisible({ timeout: 60_000 });

  // The download is the CLI's JSONL for the same file and settings (numbers within float noise).
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download JSONL' }).click();
  const fromApp = readFileSync(await (await download).path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as BatchLine);
  const out = join(mkdtempSync(join(tmpdir(), 'pairlens-batch-')), 'out.jsonl');
  execFileSync(process.execPath, ['bin/pairlens.mjs', 'batch', '--input', file, '--output', out, '--steps', '8'], { stdio: 'pipe' });
  const fromCli = new Map(readFileSync(out, 'utf8').trim().split('\n').map((l) => { const r = JSON.parse(l) as BatchLine; return [r.id, r]; }));
  expect(fromApp.map((r) => r.id)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  for (const record of fromApp) {
    const other = fromCli.get(record.id);
    expect(other, record.id).toBeDefined();
    expect(Object.keys(record).filter((k) => k !== 'ms' && k !== 'backend')).toEqual(Object.keys(other ?? {}).filter((k) => k !== 'ms' && k !== 'backend'));
    expect(record.tokensA).toEqual(other?.tokensA);
    expect(Math.abs(record.sum - (other?.sum ?? NaN))).toBeLessThan(1e-4);
    expect(Math.abs(record.prediction - (other?.prediction ?? NaN))).toBeLessThan(1e-5);
  }

  // The CLI's analysis of its file and the page's statistics agree.
  const analysis = JSON.parse(execFileSync(process.execPath, ['bin/pairlens.mjs', 'analyze', out, '--json'], { encoding: 'utf8' })) as { groups: Array<{ topShare: Record<string, number> }> };
  const shown = Number(await page.getByTestId('top-share-1').textContent());
  expect(Math.abs(shown - analysis.groups[0].topShare['1'])).toBeLessThan(2e-3);

  // A row opens its pair in the explorer.
  await page.getByTestId('dataset-row').nth(4).getByRole('link').click();
  await expect(page.getByLabel('Sentence A')).toHaveValue('The soup is hot.');
  await expect(page.getByLabel('Sentence B')).toHaveValue('The soup is cold.');
});

test('a dataset run can be cancelled and resumed without redoing finished pairs', async ({ page }) => {
  await page.goto('./?backend=wasm#page=dataset&steps=64&layer=0');
  await page.getByLabel('Load pairs (.tsv, .csv, .jsonl)').setInputFiles(writePairs());
  await page.getByRole('button', { name: 'Run 6 pairs' }).click();
  await expect(page.getByTestId('dataset-row')).toHaveCount(1, { timeout: 110_000 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('dataset-progress')).toContainText('cancelled');
  const done = await page.getByTestId('dataset-row').count();
  expect(done).toBeLessThan(6);
  const first = await page.getByTestId('dataset-row').first().textContent();

  await page.getByRole('button', { name: /^Resume/ }).click();
  await expect(page.getByTestId('dataset-progress')).toContainText('done', { timeout: 110_000 });
  await expect(page.getByTestId('dataset-row')).toHaveCount(6);
  // Finished pairs were kept as they were, not computed again.
  await expect(page.getByTestId('dataset-row').first()).toHaveText(first ?? '');
});
