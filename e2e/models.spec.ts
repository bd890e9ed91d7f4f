/**
 * Hugging Face models in the browser: typed Hub ids downloaded from a local stand-in
 * for the Hub (scripts/hub-server.ts, another origin), kept in Cache Storage for an
 * offline second visit; folders opened from disk or dropped; failures that name the
 * file and keep the previous model; switching models frees the old one.
 */
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { hubRequests, resetHub, setHubOffline, TEST_ORG, useTestHub } from './hub-helpers.ts';
import { expectServing, linkParams, waitForFinal } from './page-helpers.ts';

const WASM = 'backend=wasm';

async function loadTyped(page: Page, id: string): Promise<void> {
  await page.getByLabel('Model', { exact: true }).fill(id);
  await page.getByLabel('Model', { exact: true }).press('Enter');
}

test.beforeEach(async ({ page }) => {
  await resetHub();
  await useTestHub(page);
});

test('a Hub id typed into the Model box downloads with progress, explains a pair, and loads again offline', async ({ page }) => {
  await page.goto(`./?${WASM}&steps=8`);
  await expectServing(page, 'use-lite');
  await loadTyped(page, `${TEST_ORG}/bert`);
  await expectServing(page, `${TEST_ORG}/bert`);
  expect(linkParams(page).get('model')).toBe(`${TEST_ORG}/bert`);
  await waitForFinal(page);
  await expect(page.getByTestId('explained-model')).toContainText(`${TEST_ORG}/bert`);
  await expect(page.getByLabel('Layer')).toHaveValue('1');

  const requests = await hubRequests();
  // The weights came through the Hub's redirect to its file store, once.
  expect(requests[`/${TEST_ORG}/bert/resolve/main/model.safetensors`]).toBe(1);
  expect(requests[`/cdn/bert/model.safetensors`]).toBe(1);

  await setHubOffline(true);
  try {
    await page.reload();
    await expectServing(page, `${TEST_ORG}/bert`);
    await waitForFinal(page);
    await expect(page.getByTestId('explained-model')).toContainText(`${TEST_ORG}/bert`);
  } finally {
    await setHubOffline(false);
  }
});

test('the download shows which file arrives and how far it has come', async ({ page }) => {
  await page.goto(`./?${WASM}&steps=8`);
  await expectServing(page, 'use-lite');
  await loadTyped(page, `${TEST_ORG}/slow-bert`);
  const bar = page.getByRole('progressbar', { name: 'Download progress' });
  await expect(bar).toBeVisible();
  await expect(page.locator('.load-progress')).toContainText('model.safetensors');
  await expect(page.locator('.load-progress')).toContainText(/of 98 kB/);
  await page.waitForFunction(() => {
    const value = document.querySelector<HTMLProgressElement>('progress[aria-label="Download progress"]')?.value ?? 0;
    return value > 0 && value < 100;
  });
  await expectServing(page, `${TEST_ORG}/slow-bert`);
  await expect(bar).toBeHidden();
});

test('asking for the served model again during a download keeps it, without loading it again', async ({ page }) => {
  await page.goto(`./?${WASM}&steps=8`);
  await expectServing(page, 'use-lite');
  await loadTyped(page, `${TEST_ORG}/slow-bert`);
  await expect(page.getByRole('progressbar', { name: 'Download progress' })).toBeVisible();
  const reloads: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/models/use-lite/')) reloads.push(r.url());
  });
  await page.goBack();
  await expectServing(page, 'use-lite');
  await expect(page.getByLabel('Model', { exact: true })).toHaveValue('use-lite');
  await waitForFinal(page);
  // The slow download was dropped (nothing else becomes served) and use-lite was not fetched again.
  await page.waitForTimeout(2500);
  await expectServing(page, 'use-lite');
  expect(reloads).toEqual([]);
});

test('a link naming a Hub model restores it, its layer and mode', async ({ page }) => {
  await page.goto(`./?${WASM}&model=${encodeURIComponent(`${TEST_ORG}/mpnet`)}&layer=0&mode=exact&steps=8`);
  await expectServing(page, `${TEST_ORG}/mpnet`);
  await expect(page.getByLabel('Layer')).toHaveValue('0');
  await waitForFinal(page);
  await expect(page.getByTestId('explained-model')).toContainText(`${TEST_ORG}/mpnet shifted, not fine-tuned`);
  await expect(page.getByTestId('diag-a·R(b)')).toHaveText('0.0000');
});

test('an exact checkpoint from the papers’ code is explained as it is', async ({ page }) => {
  await page.goto(`./?${WASM}&model=${encodeURIComponent(`${TEST_ORG}/mpnet-exact`)}&mode=exact&steps=8`);
  await expectServing(page, `${TEST_ORG}/mpnet-exact`);
  await expect(page.getByRole('status')).toContainText('exact checkpoint');
  await waitForFinal(page);
  await expect(page.getByTestId('explained-model')).toContainText(`${TEST_ORG}/mpnet-exact (an exact checkpoint)`);
});

test('a download cut off midway names the file, and the previous model stays in use', async ({ page }) => {
  await page.goto(`./?${WASM}&steps=8`);
  await expectServing(page, 'use-lite');
  const similarity = await page.getByTestId('similarity').textContent();
  await loadTyped(page, `${TEST_ORG}/cut-download`);
  await expect(page.getByTestId('model-error')).toContainText('model.safetensors: download interrupted', { timeout: 60_000 });
  await expect(page.getByTestId('model-error')).toContainText('Showing use-lite instead');
  await expectServing(page, 'use-lite');
  await expect(page.getByLabel('Model', { exact: true })).toHaveValue('use-lite');
  await page.getByLabel('Sentence B').fill('Someone plays an instrument.');
  await expect(page.getByTestId('similarity')).not.toHaveText(similarity ?? '');
});

test('unknown architectures, missing models and bad ids are refused with a reason', async ({ page }) => {
  await page.goto(`./?${WASM}&steps=8`);
  await expectServing(page, 'use-lite');
  await loadTyped(page, `${TEST_ORG}/unknown-architecture`);
  await expect(page.getByTestId('model-error')).toContainText('config.json: model_type "gpt2" is not supported', { timeout: 60_000 });
  await loadTyped(page, `${TEST_ORG}/no-such-model`);
  await expect(page.getByTestId('model-error')).toContainText('is not on the Hub (HTTP 404)', { timeout: 60_000 });
  await loadTyped(page, 'not a model');
  await expect(page.getByRole('alert').filter({ hasText: 'is not a model id' })).toBeVisible();
  await expectServing(page, 'use-lite');
});

test('a model over the size limit is refused before its weights are downloaded', async ({ page }) => {
  await page.addInitScript(() => window.localStorage.setItem('pairlens.maxMegabytes', '0.05'));
  await page.goto(`./?${WASM}&steps=8`);
  await expectServing(page, 'use-lite');
  await loadTyped(page, `${TEST_ORG}/bert`);
  await expect(page.getByTestId('model-error')).toContainText('config.json: describes a model of about', { timeout: 60_000 });
  await expect(page.getByTestId('model-error')).toContainText('over the 50 kB limit');
  expect((await hubRequests())[`/cdn/bert/model.safetensors`]).toBeUndefined();
  await expectServing(page, 'use-lite');
});

test('a model folder opened from disk loads, and switching models frees the old one', async ({ page }) => {
  await page.goto(`./?${WASM}&steps=8`);
  await expectServing(page, 'use-lite');
  const withUseLite = Number(await page.getByTestId('tensors').textContent());

  await page.getByTestId('folder-input').setInputFiles('test-models/roberta');
  await expectServing(page, 'local:roberta');
  await waitForFinal(page);
  await expect(page.getByTestId('explained-model')).toContainText('local:roberta');

  await loadTyped(page, 'use-lite');
  await expectServing(page, 'use-lite');
  expect(Number(await page.getByTestId('tensors').textContent())).toBe(withUseLite);
});

test('loose model files dropped on the Model box load as a folder', async ({ page }) => {
  await page.goto(`./?${WASM}&steps=8`);
  await expectServing(page, 'use-lite');
  const files = ['config.json', 'tokenizer.json', 'model.safetensors'].map((name) => ({
    name,
    bytes: Array.from(readFileSync(`test-models/bert/${name}`)),
  }));
  await page.evaluate((list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([new Uint8Array(f.bytes)], f.name));
    const target = document.querySelector('.model-bar')!;
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
  await expectServing(page, 'local:dropped files');
  await waitForFinal(page);
});
