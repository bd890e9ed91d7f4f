/**
 * The system Chromium that browser tests and the benchmark drive (Playwright's own
 * browser downloads are not available on our machines), and the flags it needs here:
 * WebGPU enabled (SwiftShader without a GPU), running as root, and no background
 * network traffic on a closed network.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
