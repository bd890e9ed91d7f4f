/**
 * The CLI's cache of downloaded model files: one file per URL under a folder
 * (default ~/.cache/pairlens/hub, or $PAIRLENS_CACHE), named by the URL's SHA-256 so
 * no URL can name a path. Written to a temporary name and renamed, so a cut-off
 * write never leaves a partial file behind. Node only.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ByteCache } from './hub.ts';

export function defaultCacheFolder(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PAIRLENS_CACHE) return env.PAIRLENS_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pairlens', 'hub');
}

export function diskCache(folder: string): ByteCache {
  const pathOf = (url: string) => join(folder, createHash('sha256').update(url).digest('hex'));
  return {
    async match(url) {
      try {
        const data = await readFile(pathOf(url));
        return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
      } catch {
        return undefined;
      }
    },
    async put(url, bytes) {
      await mkdir(folder, { recursive: true });
      const target = pathOf(url);
      const temporary = `${target}.${process.pid}.partial`;
      await writeFile(temporary, new Uint8Array(bytes));
      await rename(temporary, target);
    },
  };
}
