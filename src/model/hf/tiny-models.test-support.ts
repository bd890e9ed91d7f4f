/**
 * For the tests only (here, and in src/cli, src/exact, src/worker): the tiny model
 * folders of test-models/ and a way to alter their files in memory.
 */
import { fileURLToPath } from 'node:url';
import { ModelFileError, type ModelFiles } from '../files.ts';
import { diskFiles } from '../node-files.ts';

export const TINY_ARCHS = ['bert', 'roberta', 'mpnet'] as const;

export function tinyModelFolder(name: string): string {
  return fileURLToPath(new URL(`../../../test-models/${name}`, import.meta.url));
}

export function tinyModelFiles(name: string): ModelFiles {
  return diskFiles(tinyModelFolder(name));
}

/**
 * The files of `base` with some replaced: an object is written as JSON, a string or
 * bytes as they are, null removes the file.
 */
export function withFiles(base: ModelFiles, overrides: Record<string, object | string | Uint8Array | null>): ModelFiles {
  return {
    location: `${base.location} (altered)`,
    async read(name) {
      if (!(name in overrides)) return base.read(name);
      const value = overrides[name];
      if (value === null) throw new ModelFileError(name, 'missing');
      const bytes =
        value instanceof Uint8Array ? value : new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

export async function readJson(files: ModelFiles, name: string): Promise<Record<string, unknown>> {
  return JSON.parse(new TextDecoder().decode(await files.read(name))) as Record<string, unknown>;
}
