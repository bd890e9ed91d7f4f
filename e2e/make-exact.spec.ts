/**
 * "Make exact" in the browser: fine-tunes a tiny model's exact variant in the worker
 * with visible progress and a live loss curve, uses it for Exact mode, keeps it in
 * IndexedDB and offers it on the next visit; Cancel leaves everything as it was.
 */
import { expect, test, type Page } from '@playwright/test';
import { resetHub, TEST_ORG, useTestHub } from './hub-helpers.ts';
import { expectServing, waitForFinal } from './page-helpers.ts';

const MODEL = `${TEST_ORG}/bert`;

async function openTinyModel(page: Page, extra = ''): Promise<void> {
  await page.goto(`./?backend=wasm&steps=8&mode=exact&model=${encodeURIComponent(MODEL)}${extra}`);
  await expectServing(page, MODEL);
}

test.beforeEach(async ({ page }) => {
  await resetHub();
  await useTestHub(page);
});

test('makes a tiny model exact with progress and a loss curve, uses it, and offers it on the next visit', async ({ page }) => {
  await openTinyModel(page);
  await waitForFinal(page);
  await expect(page.getByTestId('explained-model')).toContainText(`${MODEL} shifted, not fine-tuned`);

  await page.getByLabel('Training pairs').selectOption('128');
  await page.getByRole('button', { name: 'Make exact' }).click();
  await expect(page.getByRole('progressbar', { name: 'Fine-tuning progress' })).toBeVisible();
  await expect(page.getByRole('img', { name: /Fine-tuning loss curve/ })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('exact-result')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('exact-result')).toContainText('Spearman');
  await expect(page.getByTestId('exact-description')).toContainText(`${MODEL}~exact`);

  // Exact mode now explains the fine-tuned variant, exactly: no reference terms.
  await waitForFinal(page);
  await expect(page.getByTestId('explained-model')).toContainText(`${MODEL}~exact (exact variant, fine-tuned)`);
  await expect(page.getByTestId('diag-R(a)·R(b)')).toHaveText('0.0000');

  await page.reload();
  await expectServing(page, MODEL);
  await expect(page.getByTestId('stored-variant')).toBeVisible();
  // The shifted model's result first; using the stored variant must replace it.
  await waitForFinal(page);
  await expect(page.getByTestId('explained-model')).toContainText(`${MODEL} shifted, not fine-tuned`);
  await page.getByRole('button', { name: 'Use stored variant' }).click();
  await expect(page.getByTestId('exact-description')).toContainText(`${MODEL}~exact`);
  await waitForFinal(page);
  await expect(page.getByTestId('explained-model')).toContainText(`${MODEL}~exact (exact variant, fine-tuned)`);

  await page.getByRole('button', { name: 'Delete stored variant' }).click();
  await page.reload();
  await expectServing(page, MODEL);
  await expect(page.getByTestId('exact-description')).toContainText('not fine-tuned');
  await expect(page.getByTestId('stored-variant')).toHaveCount(0);
});

test("offers each model its own default size: use-lite make-exact's 12,000 pairs, a Hugging Face model 2,048", async ({ page }) => {
  await openTinyModel(page);
  await expect(page.getByLabel('Training pairs')).toHaveValue('2048');
  await expect(page.getByLabel('Training pairs').locator('option:checked')).toHaveText('2048 (default)');
  await page.goto('./?backend=wasm');
  await expectServing(page, 'use-lite');
  await expect(page.getByLabel('Training pairs')).toHaveValue('12000');
  await expect(page.getByLabel('Training pairs').locator('option:checked')).toHaveText('12000 (default)');
});

test('a run that cannot get its training sentences fails with a message and changes nothing', async ({ page }) => {
  await page.route('**/corpus/sentences.json', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await openTinyModel(page);
  await page.getByRole('button', { name: 'Make exact' }).click();
  await expect(page.getByTestId('exact-message')).toContainText('could not be made: the training sentences (corpus/sentences.json) could not be downloaded (HTTP 404)');
  await expect(page.getByTestId('exact-description')).toContainText('not fine-tuned');
  await waitForFinal(page);
  await expect(page.getByTestId('explained-model')).toContainText(`${MODEL} shifted, not fine-tuned`);
});

test('cancelling a run keeps the model and its exact mode as they were', async ({ page }) => {
  await openTinyModel(page);
  await page.getByLabel('Training pairs').selectOption('4096');
  await page.getByRole('button', { name: 'Make exact' }).click();
  await expect(page.getByRole('progressbar', { name: 'Fine-tuning progress' })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('exact-message')).toContainText('Cancelled', { timeout: 60_000 });
  await expect(page.getByTestId('exact-description')).toContainText('not fine-tuned');
  await waitForFinal(page);
  await expect(page.getByTestId('explained-model')).toContainText(`${MODEL} shifted, not fine-tuned`);
});
