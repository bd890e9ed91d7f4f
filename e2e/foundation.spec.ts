import { expect, test, type Page } from '@playwright/test';

async function similarity(page: Page): Promise<number> {
  const output = page.getByTestId('similarity');
  await expect(output).toBeVisible();
  return Number(await output.textContent());
}

async function typeAndWait(page: Page, label: string, text: string, previous: number): Promise<number> {
  await page.getByLabel(label).fill(text);
  await expect.poll(() => similarity(page)).not.toBe(previous);
  return similarity(page);
}

for (const backend of ['webgpu', 'wasm'] as const) {
  test(`compares two sentences on ${backend}`, async ({ page }) => {
    await page.goto(`./?backend=${backend}`);
    await expect(page.getByRole('status')).toContainText(`Backend: ${backend}`);
    await expect(page.getByRole('status')).toContainText('ready');
    await expect(page.getByLabel('Sentence A')).toHaveValue(/guitar/);
    const first = await similarity(page);
    expect(first).toBeGreaterThan(-1);
    expect(first).toBeLessThanOrEqual(1);

    const second = await typeAndWait(page, 'Sentence B', 'The stock market fell sharply today.', first);
    expect(second).toBeLessThan(first); // unrelated texts are less similar
    const third = await typeAndWait(page, 'Sentence A', 'Shares dropped steeply on the exchange.', second);
    expect(third).toBeGreaterThan(second);
  });
}

test('empty text gives a hint and no result', async ({ page }) => {
  await page.goto('./?backend=wasm');
  await expect(page.getByRole('status')).toContainText('ready');
  await page.getByLabel('Sentence A').fill('   ');
  await expect(page.getByText('Type a sentence in both boxes')).toBeVisible();
  await expect(page.getByTestId('similarity')).toHaveCount(0);
});

test('a text over the limit is truncated with a notice', async ({ page }) => {
  await page.goto('./?backend=wasm');
  await expect(page.getByRole('status')).toContainText('ready');
  await page.getByLabel('Sentence A').fill('word '.repeat(150));
  await expect(page.getByRole('note')).toContainText(/last \d+ tokens were dropped/);
  await expect(page.getByTestId('similarity')).toBeVisible();
});

test('broken model files give an error naming the file and keep the text', async ({ page }) => {
  await page.route('**/models/use-lite/vocab.json', (route) => route.fulfill({ status: 200, body: '{not json' }));
  await page.goto('./?backend=wasm');
  await expect(page.getByRole('status')).toContainText('vocab.json');
  await expect(page.getByRole('button', { name: 'Retry' })).toBeVisible();
  await page.getByLabel('Sentence A').fill('still editable');
  await expect(page.getByLabel('Sentence A')).toHaveValue('still editable');
});

test('a missing weight shard is named in the error', async ({ page }) => {
  await page.route('**/models/use-lite/group1-shard3of7', (route) => route.fulfill({ status: 404, body: '' }));
  await page.goto('./?backend=wasm');
  await expect(page.getByRole('status')).toContainText('group1-shard3of7');
});
