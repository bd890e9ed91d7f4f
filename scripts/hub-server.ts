/**
 * A local stand-in for the Hugging Face Hub, for tests: serves the tiny models in
 * test-models/ with the Hub's URL layout, so the real download, progress and caching
 * code runs offline.
 *
 *   GET /pairlens-test/<name>/resolve/<revision>/<path>   a file of test-models/<name>/
 *       (.safetensors files answer with a redirect to /cdn/…, as the Hub does for
 *       large files; every answer carries CORS headers, the page being elsewhere)
 *   GET /pairlens-test/cut-download/…    the bert model, whose weights stop halfway
 *   GET /pairlens-test/unknown-architecture/…  the bert model, with model_type "gpt2"
 *   GET /pairlens-test/slow-<name>/…     <name>, its weights sent in small pieces over about 2 s
 *   GET /__stats                         {"requests": {path: count}}
 *   POST /__offline?on=1|0               refuse every model request (a dead network)
 *   POST /__reset                        forget the counts, go back online
 *
 *     npx tsx scripts/hub-server.ts [--port 4180]
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const MODELS = fileURLToPath(new URL('../test-models/', import.meta.url));
export const TEST_ORG = 'pairlens-test';
/** Served like bert, but its weights are cut off halfway: a network failure mid-download. */
const CUT_DOWNLOAD = 'cut-download';
/** Served like bert, but config.json names an architecture we do not run. */
const UNKNOWN_ARCHITECTURE = 'unknown-architecture';
/** "slow-<name>": <name> with its weights trickling in. */
const SLOW = 'slow-';

export interface HubServer {
  url: string;
  close(): Promise<void>;
}

function cors(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Length');
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
}

/** Twenty pieces, 100 ms apart: slow enough for a test to watch the progress bar move. */
function sendSlowly(res: ServerResponse, bytes: Buffer): void {
  const pieces = 20;
  const size = Math.ceil(bytes.length / pieces);
  let sent = 0;
  const next = () => {
    if (res.destroyed) return;
    if (sent >= bytes.length) {
      res.end();
      return;
    }
    res.write(bytes.subarray(sent, sent + size));
    sent += size;
    setTimeout(next, 100);
  };
  next();
}

/** test-models/<name>/<path>, or undefined when it does not exist or leaves the folder. */
function modelFile(name: string, path: string): string | undefined {
  if (!readdirSync(MODELS).includes(name)) return undefined;
  const folder = join(MODELS, name);
  const file = normalize(join(folder, path));
  if (!file.startsWith(folder + sep) || !existsSync(file) || !statSync(file).isFile()) return undefined;
  return file;
}

export function startHubServer(port = 0): Promise<HubServer> {
  const requests = new Map<string, number>();
  let offline = false;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    cors(res);
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      res.statusCode = 400;
      res.end('Bad request');
      return;
    }
    if (path === '/__stats') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ requests: Object.fromEntries(requests) }));
      return;
    }
    if (path === '/__offline' && req.method === 'POST') {
      offline = url.searchParams.get('on') !== '0';
      res.end('ok');
      return;
    }
    if (path === '/__reset' && req.method === 'POST') {
      requests.clear();
      offline = false;
      res.end('ok');
      return;
    }
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (offline) {
      req.socket.destroy(); // as a dead network: no answer at all
      return;
    }

    const cdn = /^\/cdn\/([^/]+)\/(.+)$/.exec(path);
    const resolve = new RegExp(`^/${TEST_ORG}/([^/]+)/resolve/[^/]+/(.+)$`).exec(path);
    const [name, file] = cdn ? [cdn[1], cdn[2]] : resolve ? [resolve[1], resolve[2]] : [undefined, undefined];
    if (!name || !file) {
      res.statusCode = 404;
      res.end('Entry not found');
      return;
    }
    const cut = name === CUT_DOWNLOAD;
    const unknown = name === UNKNOWN_ARCHITECTURE;
    const slow = name.startsWith(SLOW);
    const onDisk = modelFile(cut || unknown ? 'bert' : slow ? name.slice(SLOW.length) : name, file);
    if (!onDisk) {
      res.statusCode = 404;
      res.end('Entry not found');
      return;
    }
    if (!cdn && file.endsWith('.safetensors')) {
      res.statusCode = 302;
      res.setHeader('Location', `/cdn/${encodeURIComponent(name)}/${file.split('/').map(encodeURIComponent).join('/')}`);
      res.end();
      return;
    }
    if (unknown && file === 'config.json') {
      const config = { ...JSON.parse(readFileSync(onDisk, 'utf8')), model_type: 'gpt2', architectures: ['GPT2Model'] };
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(config));
      return;
    }
    const size = statSync(onDisk).size;
    res.setHeader('Content-Length', String(size));
    res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    if (cut && file.endsWith('.safetensors')) {
      // Half the bytes, then the connection drops.
      res.write(readFileSync(onDisk).subarray(0, Math.floor(size / 2)), () => setTimeout(() => req.socket.destroy(), 50));
      return;
    }
    if (slow && file.endsWith('.safetensors')) {
      sendSlowly(res, readFileSync(onDisk));
      return;
    }
    createReadStream(onDisk).pipe(res);
  };

  const server: Server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${actual}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--port');
  const port = at > 0 ? Number(process.argv[at + 1]) : 4180;
  startHubServer(port).then((s) => console.log(`test Hub serving test-models/ at ${s.url}/${TEST_ORG}/<name>`));
}
