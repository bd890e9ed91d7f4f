/**
 * Model files downloaded from the Hub, kept in the browser's Cache Storage so a model
 * loads again without the network. Complete files only (hub.ts caches after the
 * whole file arrived). Without Cache Storage (an insecure origin) nothing is kept.
 */
import type { ByteCache } from '../model/hub.ts';

const CACHE_NAME = 'pairlens-hub-v1';

function available(): boolean {
  return typeof caches !== 'undefined';
}

export function downloadCache(): ByteCache | undefined {
  if (!available()) return undefined;
  return {
    async match(url) {
      const response = await (await caches.open(CACHE_NAME)).match(url);
      return response ? response.arrayBuffer() : undefined;
    },
    async put(url, bytes) {
      await (await caches.open(CACHE_NAME)).put(url, new Response(bytes, { headers: { 'Content-Length': String(bytes.byteLength) } }));
    },
  };
}

/** Forgets every downloaded file; returns how many there were. */
export async function clearDownloadCache(): Promise<number> {
  if (!available()) return 0;
  const count = (await (await caches.open(CACHE_NAME)).keys()).length;
  await caches.delete(CACHE_NAME);
  return count;
}
