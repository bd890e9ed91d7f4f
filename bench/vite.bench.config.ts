/**
 * Vite config for the benchmark page (bench/browser): the engine, the model files
 * (served from node_modules by the app's own served-files plugin) and the WebGPU
 * backend, with the app's cross-origin isolation headers. `npm run bench` builds it
 * (a production build, as users get the app, and no dev-server reloads mid-run) and
 * serves it with `vite preview`; to open the page by hand on a GPU machine:
 *   npx vite --config bench/vite.bench.config.ts --host 127.0.0.1 --port 5180
 * then open http://127.0.0.1:5180/ and read the JSON it prints (see bench/README.md).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { servedFiles } from '../scripts/served-files.ts';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('./browser', import.meta.url)),
  cacheDir: fileURLToPath(new URL('../node_modules/.vite-bench', import.meta.url)),
  plugins: [servedFiles()],
  // Everything the page imports, declared up front: a dependency discovered at run time
  // (the reverse route's lazily imported gradients) would make Vite reload the page mid-run.
  optimizeDeps: {
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-core/dist/register_all_gradients.js',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgpu',
      'd3',
    ],
  },
  logLevel: 'warn',
  clearScreen: false,
  base: './',
  server: { headers: isolation, fs: { allow: [repoRoot] } },
  preview: { headers: isolation },
  // As the app's config: esbuild's minifier keeps the names the WASM backend's thread code needs.
  build: { target: 'es2022', chunkSizeWarningLimit: 4000, minify: 'esbuild', emptyOutDir: true },
});
