#!/usr/bin/env node
// `npm test`: type-check, lint, unit tests (Vitest), build, browser tests (Playwright),
// then one closing line "N passed, N failed" over unit and browser tests together.
// A failing type-check or lint counts as one failed check each.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const reports = mkdtempSync(join(tmpdir(), 'pairlens-test-'));
const vitestJson = join(reports, 'vitest.json');
const playwrightJson = join(reports, 'playwright.json');
const skipBrowser = process.argv.includes('--unit-only');

function run(title, command, args, env = {}) {
  console.log(`\n=== ${title}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

function readJson(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
}

let passed = 0;
let failed = 0;
let skipped = 0;

for (const [title, args] of [
  ['type-check', ['tsc', '--noEmit', '-p', '.']],
  ['lint', ['eslint', '.']],
]) {
  if (!run(title, 'npx', args)) failed++;
}

run('unit tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${vitestJson}`]);
const unit = readJson(vitestJson);
if (unit) {
  passed += unit.numPassedTests;
  failed += unit.numFailedTests + (unit.numFailedTestSuites > 0 && unit.numFailedTests === 0 ? 1 : 0);
  skipped += unit.numPendingTests + unit.numTodoTests;
} else {
  failed++;
}

if (!skipBrowser) {
  if (!run('build', 'npx', ['vite', 'build'])) failed++;
  else {
    run('browser tests', 'npx', ['playwright', 'test', '--reporter=list,json'], {
      PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson,
    });
    const browser = readJson(playwrightJson);
    if (browser) {
      passed += browser.stats.expected + browser.stats.flaky;
      failed += browser.stats.unexpected;
      skipped += browser.stats.skipped;
      if (browser.errors?.length && browser.stats.unexpected === 0) failed++;
    } else {
      failed++;
    }
  }
}

// Skipped tests (e.g. WebGPU in Node without an adapter) are named above the closing line, which stays "N passed, N failed".
if (skipped) console.log(`\n${skipped} skipped (see the reasons above)`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
