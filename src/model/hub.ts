/**
 * Model files from the Hugging Face Hub (or a mirror with the same URL layout,
 * `{base}/{repo}/resolve/{revision}/{file}`), read through a cache so a model
 * downloaded once loads again offline. No TF.js and no DOM: the worker passes Cache
 * Storage, the CLI a folder on disk.
 *
 * Every failure is a ModelFileError naming the file and saying what happened: not on
 * the Hub, refused (gated or private), a network failure, a download cut off midway,
 * a file over the size limit. Only complete files are ever cached.
 */
import { ModelFileError, type FileProgress, type ModelFiles } from './files.ts';
import { formatBytes } from './format.ts';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** Whole files by URL. */
export interface ByteCache {
  match(url: string): Promise<ArrayBuffer | undefined>;
  put(url: string, bytes: ArrayBuffer): Promise<void>;
}

export interface HubOptions {
  /** Hub or mirror root (default https://huggingface.co). */
  baseUrl?: string;
  cache?: ByteCache;
  fetch?: typeof fetch;
  /** Per file, as bytes arrive (also once for a file found in the cache). */
  onProgress?: (p: FileProgress & { cached: boolean }) => void;
  /** Largest single file accepted, refused before it is downloaded when the server says its size. */
  maxFileBytes?: number;
  signal?: AbortSignal;
}

export interface HubRepo {
  repo: string;
  revision: string;
}

/**
 * The URL of one file. Every path segment is encoded, and "." or ".." segments (which a
 * URL would resolve) are refused, so a name from a model's files cannot leave its folder.
 */
export function hubFileUrl(baseUrl: string, { repo, revision }: HubRepo, file: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  const encode = (path: string) =>
    path
      .split('/')
      .map((segment) => {
        if (segment === '.' || segment === '..') throw new ModelFileError(file, 'names a path outside the model folder');
        return encodeURIComponent(segment);
      })
      .join('/');
  return `${base}/${encode(repo)}/resolve/${encodeURIComponent(revision)}/${encode(file)}`;
}

/** Checks a Hub URL typed by a user: http(s), no credentials, no query. */
export function validHubUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) return undefined;
  return url.href.replace(/\/+$/, '');
}

export interface HubFiles extends ModelFiles {
  /** Whether any file so far came from the cache (a broken or outdated copy is then possible). */
  readonly usedCache: boolean;
}

export function hubFiles(repo: HubRepo, options: HubOptions = {}): HubFiles {
  const baseUrl = options.baseUrl ?? DEFAULT_HUB_URL;
  const fetchImpl = options.fetch ?? fetch;
  let usedCache = false;
  return {
    location: `${repo.repo}${repo.revision === 'main' ? '' : `@${repo.revision}`} on ${baseUrl}`,
    get usedCache() {
      return usedCache;
    },
    async read(name) {
      const url = hubFileUrl(baseUrl, repo, name);
      const cached = await options.cache?.match(url).catch(() => undefined);
      if (cached) {
        usedCache = true;
        options.onProgress?.({ file: name, loadedBytes: cached.byteLength, totalBytes: cached.byteLength, cached: true });
        return cached;
      }
      const bytes = await download(fetchImpl, url, name, options);
      // A cache that cannot store (quota, private mode) only costs a later download.
      await options.cache?.put(url, bytes).catch(() => undefined);
      return bytes;
    },
  };
}

async function download(fetchImpl: typeof fetch, url: string, name: string, options: HubOptions): Promise<ArrayBuffer> {
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: options.signal });
  } catch (error) {
    throw new ModelFileError(name, `could not be downloaded from ${new URL(url).host} (${describeFailure(error)}); check the connection and the Hub URL`);
  }
  if (!response.ok) throw new ModelFileError(name, httpProblem(response.status));
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const maxBytes = options.maxFileBytes ?? Infinity;
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new ModelFileError(name, `is ${formatBytes(declared)}, over the ${formatBytes(maxBytes)} limit`);
  }
  const total = Number.isFinite(declared) ? declared : 0;
  const report = (loaded: number) => options.onProgress?.({ file: name, loadedBytes: loaded, totalBytes: Math.max(total, loaded), cached: false });
  if (!response.body) {
    const bytes = await response.arrayBuffer();
    report(bytes.byteLength);
    return bytes;
  }

  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      if (loaded > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new ModelFileError(name, `is over the ${formatBytes(maxBytes)} limit`);
      }
      report(loaded);
    }
  } catch (error) {
    if (error instanceof ModelFileError) throw error;
    throw new ModelFileError(name, `download interrupted after ${formatBytes(loaded)}${total ? ` of ${formatBytes(total)}` : ''} (${describeFailure(error)})`);
  }
  // Content-Length is the size on the wire; a compressed response decodes to more, never less.
  if (total > 0 && loaded < total) {
    throw new ModelFileError(name, `download interrupted after ${formatBytes(loaded)} of ${formatBytes(total)}`);
  }
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out.buffer;
}

function httpProblem(status: number): string {
  if (status === 404) return 'is not on the Hub (HTTP 404): check the model id and revision';
  if (status === 401 || status === 403) {
    return `was refused (HTTP ${status}): the model is private or gated; download it yourself and open its folder`;
  }
  if (status === 429) return 'was refused (HTTP 429, too many requests): try again in a minute';
  return `could not be downloaded (HTTP ${status})`;
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) return error.name === 'AbortError' ? 'cancelled' : error.message || error.name;
  return String(error);
}
