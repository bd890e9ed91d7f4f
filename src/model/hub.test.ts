/** Hub downloads against a fake fetch: URLs, progress, cache, and every failure named by file. */
import { describe, expect, it } from 'vitest';
import { ModelFileError } from './files.ts';
import { hubFiles, hubFileUrl, validHubUrl, type ByteCache } from './hub.ts';

const REPO = { repo: 'owner/tiny', revision: 'main' };

function memoryCache(): ByteCache & { store: Map<string, ArrayBuffer> } {
  const store = new Map<string, ArrayBuffer>();
  return {
    store,
    match: async (url) => store.get(url),
    put: async (url, bytes) => void store.set(url, bytes),
  };
}

/** A body that sends `chunks` and then, optionally, fails. */
function body(chunks: Uint8Array[], failAfter = false): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else if (failAfter) controller.error(new TypeError('network connection lost'));
      else controller.close();
    },
  });
}

function fakeFetch(routes: Record<string, () => Response | Promise<Response>>): typeof fetch & { calls: string[] } {
  const calls: string[] = [];
  const f = (async (input: string | URL | Request) => {
    const url = String(input);
    calls.push(url);
    const route = routes[url];
    if (!route) return new Response('not found', { status: 404 });
    return route();
  }) as typeof fetch & { calls: string[] };
  f.calls = calls;
  return f;
}

async function failure(promise: Promise<unknown>): Promise<ModelFileError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFileError);
  return error as ModelFileError;
}

describe('Hub URLs', () => {
  it('follows the Hub layout and encodes every segment', () => {
    expect(hubFileUrl('https://huggingface.co/', REPO, '1_Pooling/config.json')).toBe('https://huggingface.co/owner/tiny/resolve/main/1_Pooling/config.json');
    expect(hubFileUrl('http://mirror.local/hf', { repo: 'o/m', revision: 'v1.0' }, 'a b#?.json')).toBe('http://mirror.local/hf/o/m/resolve/v1.0/a%20b%23%3F.json');
  });

  it('accepts only plain http(s) Hub URLs', () => {
    expect(validHubUrl(' https://hf-mirror.example/ ')).toBe('https://hf-mirror.example');
    for (const bad of ['ftp://x', 'javascript:alert(1)', 'https://user:pw@x.example', 'https://x.example/?q=1', 'not a url']) {
      expect(validHubUrl(bad), bad).toBeUndefined();
    }
  });
});

describe('Hub files', () => {
  const url = (file: string) => hubFileUrl('https://hub.test', REPO, file);

  it('downloads with progress, caches complete files and reads them back without the network', async () => {
    const bytes = new Uint8Array(300).map((_, i) => i % 251);
    const fetch = fakeFetch({
      [url('model.safetensors')]: () =>
        new Response(body([bytes.subarray(0, 100), bytes.subarray(100, 300)]), { headers: { 'Content-Length': '300' } }),
    });
    const cache = memoryCache();
    const progress: Array<[number, number, boolean]> = [];
    const files = hubFiles(REPO, { baseUrl: 'https://hub.test', fetch, cache, onProgress: (p) => progress.push([p.loadedBytes, p.totalBytes, p.cached]) });
    expect(new Uint8Array(await files.read('model.safetensors'))).toEqual(bytes);
    expect(progress).toEqual([
      [100, 300, false],
      [300, 300, false],
    ]);
    expect(cache.store.has(url('model.safetensors'))).toBe(true);

    const offline = fakeFetch({});
    const again = hubFiles(REPO, { baseUrl: 'https://hub.test', fetch: offline, cache });
    expect(new Uint8Array(await again.read('model.safetensors'))).toEqual(bytes);
    expect(offline.calls).toEqual([]);
  });

  it('names the file and the problem for each failure, caching nothing', async () => {
    const cache = memoryCache();
    const fetch = fakeFetch({
      [url('gated.json')]: () => new Response('', { status: 401 }),
      [url('cut.safetensors')]: () => new Response(body([new Uint8Array(50)], true), { headers: { 'Content-Length': '200' } }),
      [url('short.safetensors')]: () => new Response(body([new Uint8Array(50)]), { headers: { 'Content-Length': '200' } }),
      [url('big.safetensors')]: () => new Response(body([new Uint8Array(10)]), { headers: { 'Content-Length': '5000000' } }),
      [url('offline.json')]: () => Promise.reject(new TypeError('Failed to fetch')),
    });
    const files = hubFiles(REPO, { baseUrl: 'https://hub.test', fetch, cache, maxFileBytes: 1e6 });
    expect((await failure(files.read('missing.json'))).message).toMatch(/^missing\.json: is not on the Hub \(HTTP 404\)/);
    expect((await failure(files.read('gated.json'))).message).toMatch(/private or gated/);
    expect((await failure(files.read('cut.safetensors'))).message).toMatch(/^cut\.safetensors: download interrupted after 50 bytes of 200 bytes \(network connection lost\)/);
    expect((await failure(files.read('short.safetensors'))).message).toMatch(/interrupted after 50 bytes of 200 bytes/);
    expect((await failure(files.read('big.safetensors'))).message).toMatch(/is 5\.0 MB, over the 1\.0 MB limit/);
    expect((await failure(files.read('offline.json'))).message).toMatch(/could not be downloaded from hub\.test \(Failed to fetch\); check the connection/);
    expect(cache.store.size).toBe(0);
  });

  it('keeps working when the cache cannot store', async () => {
    const fetch = fakeFetch({ [url('config.json')]: () => new Response('{}') });
    const broken: ByteCache = { match: async () => Promise.reject(new Error('no')), put: async () => Promise.reject(new Error('quota')) };
    const files = hubFiles(REPO, { baseUrl: 'https://hub.test', fetch, cache: broken });
    expect(new TextDecoder().decode(await files.read('config.json'))).toBe('{}');
  });
});
