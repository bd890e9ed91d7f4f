/** Runs the pairlens command as a user would: a child process, JSON on stdout, errors on stderr. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { vi } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/pairlens.mjs', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function pairlens(...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [BIN, ...args], { maxBuffer: 1 << 26 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as CliRun;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs the command in this process (no model load: for usage errors), stdout and stderr captured. */
export async function pairlensInProcess(...args: string[]): Promise<CliRun> {
  const { main } = await import('./main.ts');
  const out = { stdout: '', stderr: '' };
  const capture = (key: keyof typeof out) => (chunk: string | Uint8Array) => {
    out[key] += String(chunk);
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture('stdout'));
  vi.spyOn(process.stderr, 'write').mockImplementation(capture('stderr'));
  try {
    return { code: await main(args), ...out };
  } finally {
    vi.restoreAllMocks();
  }
}
