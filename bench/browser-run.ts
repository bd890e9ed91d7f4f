/**
 * Node side of the browser part: serves bench/browser with Vite, opens it in Chromium
 * through Playwright, calls window.runBench(config) and returns its JSON.
 */
import { chromium } from '@playwright/test';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview } from 'vite';
import type { BrowserResult } from './browser/main.ts';
import type { BrowserConfig } from './plans.ts';
import type { Log } from './suite.ts';
import viteConfig from './vite.bench.config.ts';
import { CHROMIUM_ARGS } from '../scripts/chromium.ts';

/** Flags for this machine's Chromium (SwiftShader WebGPU); see README for a real GPU. */
export const DEFAULT_CHROMIUM_ARGS = CHROMIUM_ARGS;

export interface BrowserRun extends BrowserResult {
  chromiumVersion: string;
  chromiumPath: string;
  chromiumArgs: string[];
  headless: boolean;
  /** Wall time from launching the server to closing the browser, ms. */
  wallMs: number;
}

export interface BrowserRunOptions {
  executablePath: string;
  extraArgs: string[];
  headless: boolean;
  timeoutMs: number;
}

export async function runBrowser(config: BrowserConfig, options: BrowserRunOptions, log: Log): Promise<BrowserRun> {
  const started = performance.now();
  const outDir = mkdtempSync(join(tmpdir(), 'pairlens-bench-'));
  try {
    const b0 = performance.now();
    await build({ ...viteConfig, configFile: false, logLevel: 'error', build: { ...viteConfig.build, outDir } });
    log(`  built the bench page in ${((performance.now() - b0) / 1000).toFixed(0)} s`);
    const server = await preview({
      ...viteConfig,
      configFile: false,
      build: { ...viteConfig.build, outDir },
      preview: { ...viteConfig.preview, host: '127.0.0.1', port: 0 },
    });
    try {
      const port = (server.httpServer.address() as AddressInfo).port;
      return await drive(`http://127.0.0.1:${port}/`, config, options, log, started);
    } finally {
      await server.close();
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function drive(url: string, config: BrowserConfig, options: BrowserRunOptions, log: Log, started: number): Promise<BrowserRun> {
  const args = [...DEFAULT_CHROMIUM_ARGS, ...options.extraArgs];
  const browser = await chromium.launch({ executablePath: options.executablePath, args, headless: options.headless });
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1400 } });
    page.on('console', (msg) => {
      const text = msg.text();
      if (text.startsWith('[bench] ')) log(`  [chromium] ${text.slice(8)}`);
      else if (msg.type() === 'error' && !text.includes('404')) log(`  [chromium error] ${text}`);
    });
    page.on('pageerror', (error) => log(`  [chromium page error] ${error.message}`));
    await page.goto(url, { timeout: 120_000 });
    await page.waitForFunction(() => typeof window.runBench === 'function', undefined, { timeout: 120_000 });
    const run = page.evaluate((c) => window.runBench(c), config);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`browser part did not finish in ${options.timeoutMs / 1000} s`)), options.timeoutMs);
    });
    try {
      const result = await Promise.race([run, timeout]);
      return {
        ...result,
        chromiumVersion: browser.version(),
        chromiumPath: options.executablePath,
        chromiumArgs: args,
        headless: options.headless,
        wallMs: performance.now() - started,
      };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await browser.close();
  }
}
