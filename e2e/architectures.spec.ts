/**
 * An architecture added as a family, loaded in the browser: a tiny EmbeddingGemma-shaped
 * folder with prompts (written from the unit tests' builder to a temporary folder and
 * opened as a folder from disk). Gemma 3 is pinned to transformers by fixtures, so the
 * Model box shows no "unverified" notice; the model's prompts are offered, a link carries
 * the chosen ones, and the result and its export name them.
 */
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tinyGemma3Files } from '../src/model/hf/gemma3.test-support.ts';
import { withFiles } from '../src/model/hf/tiny-models.test-support.ts';
import { expectServing, linkParams, waitForFinal } from './page-helpers.ts';

const FILES = [
  'config.json', 'model.safetensors', 'modules.json', 'sentence_bert_config.json', 'tokenizer.json', 'tokenizer_config.json',
  '1_Pooling/config.json', '2_Dense/config.json', '2_Dense/model.safetensors', '3_Dense/config.json', '3_Dense/model.safetensors',
  'config_sentence_transformers.json',
];
const PROMPTS = { query: 'task: search result | query: ', document: 'title: none | text: ' };

let folder: string;

test.beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'pairlens-gemma-'));
  folder = join(root, 'tiny-gemma');
  const files = withFiles(tinyGemma3Files(), { 'config_sentence_transformers.json': { prompts: PROMPTS, default_prompt_name: null } });
  for (const name of FILES) {
    const path = join(folder, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, new Uint8Array(await files.read(name)));
  }
});

test.afterAll(() => rmSync(dirname(folder), { recursive: true, force: true }));

test('a family architecture loads without an unverified notice, offers its prompts, and a link and the export carry them', async ({ page }) => {
  await page.goto('./?backend=wasm#steps=8&a=the%20cat%20sat&b=a%20cat%20was%20sitting');
  await expectServing(page, 'use-lite');
  await expect(page.getByTestId('model-unverified')).toHaveCount(0);
  await expect(page.getByLabel('Prompt A')).toHaveCount(0);

  await page.getByTestId('folder-input').setInputFiles(folder);
  await expectServing(page, 'local:tiny-gemma');
  await expect(page.getByTestId('model-unverified')).toHaveCount(0);
  await waitForFinal(page);
  const plain = await exportJson(page);
  expect(plain).toMatchObject({ model: 'local:tiny-gemma', promptA: null, promptB: null, final: true });

  await expect(page.getByLabel('Prompt A')).toContainText('query');
  await page.getByLabel('Prompt A').selectOption('query');
  await page.getByLabel('Prompt B').selectOption('document');
  await expect.poll(() => linkParams(page).get('pa')).toBe('query');
  expect(linkParams(page).get('pb')).toBe('document');
  // The shown result changes to the prompted request's (its partial levels first), then finishes.
  await expect.poll(async () => (await exportJson(page)).promptB, { timeout: 90_000 }).toBe('document');
  await waitForFinal(page);

  const prompted = await exportJson(page);
  expect(prompted).toMatchObject({ model: 'local:tiny-gemma', promptA: 'query', promptB: 'document', final: true });
  expect(prompted.unverified).toBeUndefined();
  // The prompts' tokens come before each text's.
  expect(prompted.tokensA.length).toBeGreaterThan(plain.tokensA.length);
  expect(prompted.tokensB.length).toBeGreaterThan(plain.tokensB.length);
});

async function exportJson(page: Page): Promise<{ tokensA: string[]; tokensB: string[]; promptB: string | null; unverified?: string }> {
  const downloadPromise = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export JSON' }).click();
  return JSON.parse(readFileSync(await (await downloadPromise).path(), 'utf8'));
}
