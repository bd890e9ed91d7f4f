// Makes the README's screenshots (`npm run screenshots`); not part of `npm test`.
import { expect, test } from '@playwright/test';

test('@screenshot main view', async ({ page }) => {
  await page.setViewportSize({ width: 1100, height: 520 });
  await page.goto('./');
  await expect(page.getByRole('status')).toContainText('ready');
  await expect(page.getByTestId('similarity')).toBeVisible();
  await page.screenshot({ path: 'docs/screenshot.png' });
});
