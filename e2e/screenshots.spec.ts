// Makes the README's screenshots (`npm run screenshots`); not part of `npm test`.
import { expect, test } from '@playwright/test';

test('@screenshot explorer', async ({ page }) => {
  await page.setViewportSize({ width: 1100, height: 1400 });
  await page.goto('./?backend=wasm&steps=128');
  await page.waitForFunction(() => {
    const bar = document.querySelector<HTMLProgressElement>('progress[aria-label="Attribution progress"]');
    return bar !== null && bar.value === bar.max && bar.max > 0;
  }, null, { timeout: 90_000 });
  await page.getByRole('button', { name: 'Compute all layers' }).click();
  await expect(page.getByText(/r = /)).toHaveCount(2, { timeout: 90_000 });
  await page.getByLabel('Attribution heatmap').hover({ position: { x: 150, y: 250 } });
  await page.screenshot({ path: 'docs/screenshot.png', fullPage: true });
});
