import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './scripts/chromium.ts';
const port = Number(process.env.E2E_PORT || 4173);
/** The test Hub's port; e2e/hub.ts reads the same variable. */
const hubPort = Number(process.env.E2E_HUB_PORT || 4180);

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  // Screenshot makers run only through `npm run screenshots`.
  grep: process.env.SCREENSHOTS ? /@screenshot/ : undefined,
  grepInvert: process.env.SCREENSHOTS ? undefined : /@screenshot/,
  use: {
    baseURL: `http://127.0.0.1:${port}/`,
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    },
  },
  webServer: [
    {
      // Tests run against the production build, as users get it.
      command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
      url: `http://127.0.0.1:${port}/`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
    {
      // A stand-in for the Hugging Face Hub serving test-models/ (another origin, as the real Hub is).
      command: `npx tsx scripts/hub-server.ts --port ${hubPort}`,
      url: `http://127.0.0.1:${hubPort}/__stats`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
  ],
});
