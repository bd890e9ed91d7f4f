/** The test Hub (scripts/hub-server.ts, started by playwright.config.ts) as the browser tests use it. */
import type { Page } from '@playwright/test';

export const HUB_URL = `http://127.0.0.1:${Number(process.env.E2E_HUB_PORT || 4180)}`;
export const TEST_ORG = 'pairlens-test';

/** Points the app at the test Hub (a setting kept in localStorage) before the page loads. */
export async function useTestHub(page: Page): Promise<void> {
  await page.addInitScript((url) => window.localStorage.setItem('pairlens.hubUrl', url), HUB_URL);
}

export async function hubRequests(): Promise<Record<string, number>> {
  return ((await (await fetch(`${HUB_URL}/__stats`)).json()) as { requests: Record<string, number> }).requests;
}

export async function setHubOffline(on: boolean): Promise<void> {
  await fetch(`${HUB_URL}/__offline?on=${on ? 1 : 0}`, { method: 'POST' });
}

export async function resetHub(): Promise<void> {
  await fetch(`${HUB_URL}/__reset`, { method: 'POST' });
}
