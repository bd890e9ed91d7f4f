/** Waiting for the app in browser tests. */
import { expect, type Page } from '@playwright/test';

/**
 * Until the shown attribution is the run's last (result.final, shown by the status
 * badge): partial results are complete quadrature levels, so a full progress bar or a
 * step count says nothing about whether more follow.
 */
export async function waitForFinal(page: Page): Promise<void> {
  await page.waitForFunction(
    () => document.querySelector('[data-testid="attribution-status"]')?.getAttribute('data-final') === 'true',
    null,
    { timeout: 90_000 },
  );
}

/** Until the status area says `id` is loaded and in use. */
export async function expectServing(page: Page, id: string): Promise<void> {
  await expect(page.getByRole('status')).toContainText(`Model: ${id} ready`, { timeout: 60_000 });
}

/** The view's parameters in the page's link: its fragment (`#a=…`), which never reaches the server. */
export function linkParams(page: Page): URLSearchParams {
  return new URLSearchParams(new URL(page.url()).hash.slice(1));
}
