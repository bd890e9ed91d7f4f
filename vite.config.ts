import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { servedFiles } from './scripts/served-files.ts';

// Cross-origin isolation lets the WASM backend use threads (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  plugins: [react(), servedFiles()],
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
  // esbuild's minifier, because the default one renames names that the TF.js WASM
  // backend's thread code still refers to after it is copied into its pthread workers.
  build: { target: 'es2022', chunkSizeWarningLimit: 4000, minify: 'esbuild' },
});
