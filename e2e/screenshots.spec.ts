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
