/** Waiting for the app in browser tests. */
import { expect, type Page } from '@playwright/test';

/** Until the running attribution has all its steps (the progress bar full). */
export async function waitForFinal(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const bar = document.querySelector<HTMLProgressElement>('progress[aria-label="Attribution progress"]');
      return bar !== null && bar.value === bar.max && bar.max > 0;
    },
    null,
    { timeout: 90_000 },
  );
}

/** Until the status area says `id` is loaded and in use. */
export async function expectServing(page: Page, id: string): Promise<void> {
  await expect(page.getByRole('status')).toContainText(`Model: ${id} ready`, { timeout: 60_000 });
}
