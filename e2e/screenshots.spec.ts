// Makes the README's screenshots (`npm run screenshots`); not part of `npm test`.
import { expect, test } from '@playwright/test';
import { waitForFinal } from './page-helpers.ts';

test('@screenshot explorer', async ({ page }) => {
  await page.setViewportSize({ width: 1100, height: 1400 });
  await page.goto('./?backend=wasm');
  await waitForFinal(page);
  await page.getByRole('button', { name: 'Compute all layers' }).click();
  await expect(page.getByText(/r = /)).toHaveCount(2, { timeout: 90_000 });
  await page.getByLabel('Attribution heatmap').hover({ position: { x: 150, y: 250 } });
  await page.screenshot({ path: 'docs/screenshot.png', fullPage: true });
});

test('@screenshot rank', async ({ page }) => {
  await page.setViewportSize({ width: 1300, height: 1200 });
  await page.goto('./?backend=wasm#page=rank&steps=16');
  await expect(page.getByTestId('rank-done')).toBeVisible({ timeout: 110_000 });
  const items = page.getByTestId('ranked-passage');
  await items.nth(0).getByRole('button', { name: 'Query words' }).click();
  await items.nth(0).getByRole('checkbox', { name: 'Compare' }).check();
  await items.nth(2).getByRole('checkbox', { name: 'Compare' }).check();
  await page.screenshot({ path: 'docs/rank.png', fullPage: true });
});
