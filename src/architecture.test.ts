/**
 * The import rules of docs/architecture.md ("Import rules"), checked on every .ts and
 * .tsx file under src/. Imports are read with the TypeScript parser (already a dev
 * dependency), so comments and strings never count: static `import … from`, side-effect
 * `import '…'`, `export … from`, dynamic `import('…')` and `import('…')` types.
 *
 * Tests (*.test.ts, *.test.tsx) and test support (*.test-support.ts: helpers shared by
 * tests) are exempt from the folder rules; production code must never import test
 * support. When a rule has to change,
 * change docs/architecture.md with it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** The folders of src/, each one layer. */
const LAYERS = ['shared', 'model', 'attribution', 'exact', 'worker', 'app', 'cli'] as const;
type Layer = (typeof LAYERS)[number];

/** Folders a production file of each layer may import from (its own included). */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  shared: ['shared'],
  model: ['model', 'shared'],
  attribution: ['attribution', 'model', 'shared'],
  exact: ['exact', 'attribution', 'model', 'shared'],
  worker: ['worker', 'exact', 'attribution', 'model', 'shared'],
  app: ['app', 'shared'],
  cli: ['cli', 'attribution', 'exact', 'model', 'shared'],
};

/** Folders a layer may import *types* from (`import type`, erased from the build) beyond MAY_IMPORT. */
const MAY_IMPORT_TYPES: Partial<Record<Layer, readonly Layer[]>> = {
  // shared/report.ts describes the JSON shape of an AttributionResult.
  shared: ['attribution'],
};

/**
 * The only modules of other folders the app may import: plain data and functions
 * without TF.js, and the worker's message types. Nothing the worker owns otherwise.
 */
const APP_MAY_IMPORT: readonly string[] = [
  'src/model/catalog.ts', // bundled models and exact variants, by id
  'src/model/model-id.ts', // what a model id names
  'src/model/hub.ts', // Hub URL checks and defaults (its downloads run in the worker)
  'src/model/format.ts', // byte sizes for people
  'src/model/words.ts', // the tokenizers' word markers, for the dataset analysis
  'src/attribution/words.ts', // word-level sums of a result
  'src/attribution/parameters.ts', // the table of attribution parameters
  'src/attribution/convergence.ts', // the error estimate's calibration, which Diagnostics explains
  'src/worker/protocol.ts', // the messages between app and worker
];

/** Sub-folders that must not import each other, or anything outside what they are given. */
const SUBFOLDER_RULES: ReadonlyArray<{ folder: string; mayNotImport: string; why: string }> = [
  { folder: 'src/model/use-lite/', mayNotImport: 'src/model/hf/', why: 'each architecture stands alone' },
  { folder: 'src/model/hf/', mayNotImport: 'src/model/use-lite/', why: 'each architecture stands alone' },
];

/**
 * The architectures' folders. Outside src/model, code asks the SentenceEncoder
 * interface (tokens, words, reference, widths, weights by name) and may import these
 * folders for types only: adding an architecture then touches src/model alone.
 */
const ARCHITECTURE_FOLDERS: readonly string[] = ['src/model/use-lite/', 'src/model/hf/'];

/** The heatmap draws numbers and labels; it knows nothing of models, attributions or the rest of the UI. */
const HEATMAP = 'src/app/heatmap/';
const HEATMAP_MAY_IMPORT: readonly string[] = [HEATMAP, 'src/shared/'];

interface ImportEdge {
  /** Importing file, relative to the repository root with '/' separators. */
  from: string;
  line: number;
  specifier: string;
  /** The src/ file a relative specifier names (null for packages and paths outside src/). */
  target: string | null;
  /** `import type`, or only type specifiers: erased from the build. */
  typeOnly: boolean;
}

function isTest(file: string): boolean {
  return /\.test\.tsx?$/.test(file);
}

function isTestSupport(file: string): boolean {
  return /\.test-support\.tsx?$/.test(file);
}

function isProduction(file: string): boolean {
  return !isTest(file) && !isTestSupport(file);
}

function layerOf(file: string): Layer | null {
  const folder = file.split('/')[1];
  return (LAYERS as readonly string[]).includes(folder) ? (folder as Layer) : null;
}

const NODE_BUILTINS = new Set(builtinModules);
function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(specifier.split('/')[0]);
}

/** Joins a relative specifier onto a file's folder, posix style. */
function resolveRelative(from: string, specifier: string): string {
  const parts = from.split('/').slice(0, -1);
  for (const part of specifier.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.join('/');
}

/** The file a relative specifier names: as written, or with .ts/.tsx or /index.ts added. */
function resolveTarget(from: string, specifier: string, exists: (file: string) => boolean): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = resolveRelative(from, specifier);
  if (!base.startsWith('src/')) return null;
  const candidates = [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`];
  return candidates.find(exists) ?? base;
}

function allTypeOnly(elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>): boolean {
  return elements.length > 0 && elements.every((e) => e.isTypeOnly);
}

/** Every import of one file. */
function importsOf(file: string, source: string, exists: (file: string) => boolean): ImportEdge[] {
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, kind);
  const edges: ImportEdge[] = [];
  const add = (node: ts.Node, specifier: string, typeOnly: boolean) => {
    const line = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
    edges.push({ from: file, line, specifier, target: resolveTarget(file, specifier, exists), typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly || (!clause.name && bindings !== undefined && ts.isNamedImports(bindings) && allTypeOnly(bindings.elements)));
      add(node, node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      add(node, node.moduleSpecifier.text, node.isTypeOnly || (clause !== undefined && ts.isNamedExports(clause) && allTypeOnly(clause.elements)));
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteralLike(argument)) add(node, argument.text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return edges;
}

function describeEdge(edge: ImportEdge): string {
  return `${edge.from}:${edge.line} imports '${edge.specifier}'`;
}

/** Files reachable from `roots` through imports that stay in the build (type-only ones are erased). */
function reachable(roots: readonly string[], edgesOf: Map<string, ImportEdge[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const edge of edgesOf.get(file) ?? []) if (!edge.typeOnly && edge.target && edgesOf.has(edge.target)) stack.push(edge.target);
  }
  return seen;
}

/**
 * Every violation of the import rules in `files` (path relative to the repository
 * root → source), as one readable line each; [] when all is well.
 */
function importViolations(files: ReadonlyMap<string, string>): string[] {
  const exists = (file: string) => files.has(file);
  const edgesOf = new Map<string, ImportEdge[]>();
  for (const [file, source] of files) edgesOf.set(file, importsOf(file, source, exists));
  const violations: string[] = [];

  for (const [file, edges] of edgesOf) {
    const layer = layerOf(file);
    // Tests included: the app's tests run without TF.js too.
    if (layer === 'app') {
      for (const edge of edges) {
        if (edge.specifier.startsWith('@tensorflow/')) violations.push(`${describeEdge(edge)}: src/app never imports TF.js (the worker owns it)`);
      }
    }
    if (!isProduction(file)) continue;
    if (!layer) {
      violations.push(`${file} is production code outside the folders ${LAYERS.join(', ')} (add its folder to docs/architecture.md and to this test)`);
      continue;
    }
    for (const edge of edges) {
      const target = edge.target;
      if (!target) continue;
      if (isTestSupport(target)) {
        violations.push(`${describeEdge(edge)}: production code must not import test support`);
        continue;
      }
      const targetLayer = layerOf(target);
      if (!targetLayer) continue; // a file directly in src/ (only tests live there)
      const allowed =
        MAY_IMPORT[layer].includes(targetLayer) ||
        (edge.typeOnly && (MAY_IMPORT_TYPES[layer] ?? []).includes(targetLayer)) ||
        (layer === 'app' && APP_MAY_IMPORT.includes(target));
      if (!allowed) {
        const rule =
          layer === 'app'
            ? `src/app may import from other folders only ${APP_MAY_IMPORT.join(', ')}`
            : `src/${layer} may import only from ${MAY_IMPORT[layer].map((l) => `src/${l}`).join(', ')}`;
        violations.push(`${describeEdge(edge)}: ${rule}`);
      }
      for (const { folder, mayNotImport, why } of SUBFOLDER_RULES) {
        if (file.startsWith(folder) && target.startsWith(mayNotImport)) {
          violations.push(`${describeEdge(edge)}: ${folder} must not import ${mayNotImport} (${why})`);
        }
      }
      if (!file.startsWith('src/model/') && !edge.typeOnly && ARCHITECTURE_FOLDERS.some((folder) => target.startsWith(folder))) {
        violations.push(`${describeEdge(edge)}: outside src/model, an architecture's folder is imported for types only (ask the SentenceEncoder interface)`);
      }
      if (file.startsWith(HEATMAP) && !HEATMAP_MAY_IMPORT.some((folder) => target.startsWith(folder))) {
        violations.push(`${describeEdge(edge)}: ${HEATMAP} may import only ${HEATMAP_MAY_IMPORT.join(', ')} (and packages)`);
      }
    }
  }

  // What the browser loads: neither bundle may need Node, and the app's may not hold TF.js.
  const productionIn = (layer: Layer) => [...files.keys()].filter((f) => isProduction(f) && layerOf(f) === layer);
  const bundles: Array<{ name: string; roots: string[]; banned: (specifier: string) => boolean; why: string; skipOwn?: boolean }> = [
    { name: 'src/app', roots: productionIn('app'), banned: (s) => s.startsWith('@tensorflow/'), why: 'TF.js would land in the main bundle', skipOwn: true },
    { name: 'src/app', roots: productionIn('app'), banned: isNodeBuiltin, why: 'browser code cannot load Node modules' },
    { name: 'src/worker', roots: productionIn('worker'), banned: isNodeBuiltin, why: 'browser code cannot load Node modules' },
  ];
  for (const { name, roots, banned, why, skipOwn } of bundles) {
    for (const file of reachable(roots, edgesOf)) {
      for (const edge of edgesOf.get(file) ?? []) {
        if (edge.typeOnly || edge.target || !banned(edge.specifier)) continue;
        if (skipOwn && file.startsWith(`${name}/`)) continue; // reported above
        violations.push(`${describeEdge(edge)}, reached from ${name}: ${why}`);
      }
    }
  }
  return violations;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function readSources(): Map<string, string> {
  const files = new Map<string, string>();
  for (const path of sourceFiles(join(ROOT, 'src'))) {
    files.set(relative(ROOT, path).split('\\').join('/'), readFileSync(path, 'utf8'));
  }
  return files;
}

describe('import rules (docs/architecture.md)', () => {
  it('holds for every file under src/', () => {
    const files = readSources();
    // Guards against a parser that finds nothing: the app talks to the worker through protocol.ts.
    const appToProtocol = [...files].flatMap(([file, source]) => importsOf(file, source, (f) => files.has(f))).filter(
      (edge) => edge.from.startsWith('src/app/') && edge.target === 'src/worker/protocol.ts',
    );
    expect(appToProtocol.length).toBeGreaterThan(0);
    const violations = importViolations(files);
    expect(violations, `\n${violations.join('\n')}\n`).toEqual([]);
  });

  it('finds the imports of every form, and only real ones', () => {
    const source = [
      "import type { A } from './a.ts';",
      "import { type B, type C } from './b.ts';",
      "import { d, type D } from './d';",
      "import './side-effect.css';",
      "export { e } from '../model/e.ts';",
      "export type { F } from '../model/f.ts';",
      "const g = await import('@tensorflow/tfjs-core');",
      "type H = typeof import('./h.ts');",
      "// import { no } from './comment.ts';",
      "const text = \"import { no } from './string.ts'\";",
    ].join('\n');
    const edges = importsOf('src/attribution/x.ts', source, (f) => f === 'src/attribution/d.ts');
    expect(edges.map((e) => [e.specifier, e.target, e.typeOnly])).toEqual([
      ['./a.ts', 'src/attribution/a.ts', true],
      ['./b.ts', 'src/attribution/b.ts', true],
      ['./d', 'src/attribution/d.ts', false],
      ['./side-effect.css', 'src/attribution/side-effect.css', false],
      ['../model/e.ts', 'src/model/e.ts', false],
      ['../model/f.ts', 'src/model/f.ts', true],
      ['@tensorflow/tfjs-core', null, false],
      ['./h.ts', 'src/attribution/h.ts', true],
    ]);
  });

  it('reports each kind of violation on a synthetic tree', () => {
    const files = new Map<string, string>([
      ['src/shared/ok.ts', "import type { AttributionResult } from '../attribution/engine.ts';"],
      ['src/shared/bad.ts', "import { AttributionEngine } from '../attribution/engine.ts';"],
      ['src/attribution/engine.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport class AttributionEngine {}"],
      ['src/model/up.ts', "export { x } from '../attribution/engine.ts';"],
      ['src/model/use-lite/mixed.ts', "import { bert } from '../hf/bert.ts';"],
      ['src/model/hf/bert.ts', "import { h } from './helpers.test-support.ts';\nexport const bert = h;"],
      ['src/model/hf/helpers.test-support.ts', "import { bert } from './bert.ts';\nexport const h = bert;"],
      ['src/model/hf/bert.test.ts', "import { App } from '../../app/App.tsx';"],
      ['src/app/App.tsx', "import { readFile } from 'node:fs/promises';\nimport { words } from '../attribution/words.ts';"],
      ['src/app/lazy.ts', "const engine = await import('../attribution/engine.ts');"],
      ['src/app/tf.ts', "import '@tensorflow/tfjs-backend-wasm';"],
      ['src/app/heatmap/view.ts', "import { App } from '../App.tsx';"],
      ['src/attribution/words.ts', "import { WORD_START } from '../model/use-lite/tokenizer.ts';"],
      ['src/model/use-lite/tokenizer.ts', "import { tf } from '../node-helper.ts';"],
      ['src/model/node-helper.ts', "export * as tf from '@tensorflow/tfjs-core';"],
      ['src/worker/protocol.ts', "import type { AttributionResult } from '../attribution/engine.ts';"],
      ['src/worker/model-worker.ts', "import { AttributionEngine } from '../attribution/engine.ts';\nimport { App } from '../app/App.tsx';"],
      ['src/cli/main.ts', "import { ModelHost } from '../worker/model-host.ts';\nimport { parseArgs } from 'node:util';"],
      ['src/tools/extra.ts', 'export const x = 1;'],
      ['src/exact/training.test-support.ts', "import { App } from '../app/App.tsx';"],
      ['src/exact/trainable.ts', "import type { UseLite } from '../model/use-lite/model.ts';\nimport { HfEncoder } from '../model/hf/bert.ts';"],
    ]);
    const violations = importViolations(files);
    const expected = [
      "src/shared/bad.ts:1 imports '../attribution/engine.ts': src/shared may import only from src/shared",
      "src/model/up.ts:1 imports '../attribution/engine.ts': src/model may import only from src/model, src/shared",
      "src/model/use-lite/mixed.ts:1 imports '../hf/bert.ts': src/model/use-lite/ must not import src/model/hf/ (each architecture stands alone)",
      "src/model/hf/bert.ts:1 imports './helpers.test-support.ts': production code must not import test support",
      "src/app/App.tsx:1 imports 'node:fs/promises', reached from src/app: browser code cannot load Node modules",
      "src/app/lazy.ts:1 imports '../attribution/engine.ts': src/app may import from other folders only",
      "src/attribution/engine.ts:1 imports '@tensorflow/tfjs-core', reached from src/app: TF.js would land in the main bundle",
      "src/app/tf.ts:1 imports '@tensorflow/tfjs-backend-wasm': src/app never imports TF.js",
      "src/app/heatmap/view.ts:1 imports '../App.tsx': src/app/heatmap/ may import only",
      "src/model/node-helper.ts:1 imports '@tensorflow/tfjs-core', reached from src/app: TF.js would land in the main bundle",
      "src/worker/model-worker.ts:2 imports '../app/App.tsx': src/worker may import only from",
      "src/cli/main.ts:1 imports '../worker/model-host.ts': src/cli may import only from",
      'src/tools/extra.ts is production code outside the folders',
      "src/attribution/words.ts:1 imports '../model/use-lite/tokenizer.ts': outside src/model, an architecture's folder is imported for types only",
      "src/exact/trainable.ts:2 imports '../model/hf/bert.ts': outside src/model, an architecture's folder is imported for types only",
    ];
    for (const start of expected) expect(violations.some((v) => v.startsWith(start)), `${start}\n\nin\n${violations.join('\n')}`).toBe(true);
    // Allowed: type-only from attribution in shared and from an architecture in exact, words.ts in the app, TF.js and Node in the CLI, anything in tests.
    expect(violations.filter((v) => v.startsWith('src/exact/trainable.ts:1'))).toEqual([]);
    for (const quiet of ['src/shared/ok.ts', 'src/model/hf/bert.test.ts', 'src/model/hf/helpers.test-support.ts', 'src/exact/training.test-support.ts']) {
      expect(violations.filter((v) => v.startsWith(`${quiet}:`)), quiet).toEqual([]);
    }
    expect(violations.filter((v) => v.includes("'node:util'"))).toEqual([]);
  });
});
