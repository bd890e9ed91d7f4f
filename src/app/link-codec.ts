/**
 * Texts packed into a link: a JSON array of strings, deflated (the browser's
 * CompressionStream, 'deflate-raw') and written in base64url, behind a version prefix
 * so the format can change without breaking old links. Unpacking treats the link as
 * hostile: a bounded amount of output, then a shape check; the texts are only ever
 * used as data.
 */

/** Format of packed texts; a link names it before a dot. */
const FORMAT = '1';
/** Most characters unpacking produces before it gives up (a link bomb inflates ~1000×). */
export const MAX_UNPACKED_CHARS = 4_000_000;

export class LinkFormatError extends Error {
  override name = 'LinkFormatError';
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL_INDEX = new Map([...BASE64URL].map((c, i) => [c, i]));

export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += BASE64URL[(n >> (18 - 6 * c)) & 63];
  }
  return out;
}

export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (text.length % 4 === 1) throw new LinkFormatError('the packed texts are cut short');
  const bytes = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let value = 0;
  let j = 0;
  for (const c of text) {
    const digit = BASE64URL_INDEX.get(c);
    if (digit === undefined) throw new LinkFormatError('the packed texts hold a character that is not base64url');
    value = ((value << 6) | digit) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[j++] = (value >> bits) & 0xff;
    }
  }
  return bytes;
}

async function transform(bytes: Uint8Array<ArrayBuffer>, stream: CompressionStream | DecompressionStream, limit: number): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // Errors surface through the reader; the writer's own promises must not go unhandled.
  writer.write(bytes).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel();
      throw new LinkFormatError(`the packed texts unpack to more than ${limit.toLocaleString('en')} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** The texts as one link-safe string: "1." + base64url(deflate-raw(JSON)). */
export async function packTexts(texts: readonly string[]): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(texts));
  const packed = await transform(json, new CompressionStream('deflate-raw'), Infinity);
  return `${FORMAT}.${toBase64Url(packed)}`;
}

/** The texts packTexts packed; LinkFormatError (with what is wrong) for anything else. */
export async function unpackTexts(packed: string): Promise<string[]> {
  const dot = packed.indexOf('.');
  if (dot < 0 || packed.slice(0, dot) !== FORMAT) throw new LinkFormatError('the packed texts are in a format this version does not know');
  let json: string;
  try {
    // UTF-8 takes at least one byte per character, so the byte limit bounds the characters.
    const bytes = await transform(fromBase64Url(packed.slice(dot + 1)), new DecompressionStream('deflate-raw'), MAX_UNPACKED_CHARS);
    json = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    if (error instanceof LinkFormatError) throw error;
    throw new LinkFormatError('the packed texts are damaged (they do not inflate)', { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new LinkFormatError('the packed texts are damaged (not JSON)', { cause: error });
  }
  if (!Array.isArray(value) || !value.every((t): t is string => typeof t === 'string')) {
    throw new LinkFormatError('the packed texts are not a list of texts');
  }
  return value;
}
