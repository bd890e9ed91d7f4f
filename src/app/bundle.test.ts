/**
 * The main bundle must not contain TF.js: all model work belongs to the worker.
 * Builds the app into a temporary folder and inspects what index.html loads.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TFJS_MARKER = '_tfengine'; // the global key under which every TF.js build keeps its engine
let outDir: string;

function chunksLoadedBy(html: string): string[] {
  const srcs = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(outDir, file), 'utf8');
    // Static imports between chunks: import ... from "./x.js" or import "./x.js"
    for (const m of code.matchAll(/(?:from|import)\s*["']\.\/([^"']+\.js)["']/g)) visit(`assets/${m[1]}`);
  };
  srcs.forEach(visit);
  return [...seen];
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'pairlens-build-'));
  await build({ logLevel: 'silent', build: { outDir, emptyOutDir: true } });
});

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('built bundles', () => {
  it('keeps TF.js out of the main bundle and inside the worker', () => {
    const main = chunksLoadedBy(readFileSync(join(outDir, 'index.html'), 'utf8'));
    expect(main.length).toBeGreaterThan(0);
    for (const file of main) expect(readFileSync(join(outDir, file), 'utf8'), file).not.toContain(TFJS_MARKER);

    const workers = readdirSync(join(outDir, 'assets')).filter((f) => f.startsWith('model-worker') && f.endsWith('.js'));
    expect(workers).toHaveLength(1);
    expect(readFileSync(join(outDir, 'assets', workers[0]), 'utf8')).toContain(TFJS_MARKER);
  });

  it('serves the bundled model and the WASM binaries from our own build', () => {
    const model = readdirSync(join(outDir, 'models', 'use-lite'));
    expect(model).toEqual(expect.arrayContaining(['model.json', 'vocab.json', 'group1-shard1of7', 'group1-shard7of7']));
    expect(readdirSync(join(outDir, 'tfjs-wasm'))).toContain('tfjs-backend-wasm-simd.wasm');
    expect(readdirSync(join(outDir, 'models', 'use-lite-exact'))).toEqual(expect.arrayContaining(['model.json', 'group1-shard1of4']));
  });
});
