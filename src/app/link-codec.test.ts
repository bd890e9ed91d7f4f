import { describe, expect, it } from 'vitest';
import { fromBase64Url, LinkFormatError, MAX_UNPACKED_CHARS, packTexts, toBase64Url, unpackTexts } from './link-codec.ts';

async function deflate(text: string): Promise<string> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return `1.${toBase64Url(new Uint8Array(await new Response(stream).arrayBuffer()))}`;
}

describe('link codec', () => {
  it('base64url round-trips every length and byte value, without padding or URL-unsafe characters', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n * 31) % 256);
      const text = toBase64Url(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      expect(fromBase64Url(text)).toEqual(bytes);
    }
  });

  it('round-trips texts with odd Unicode, markup and link syntax', async () => {
    const texts = ['Ça va? 😀', '<img src=x onerror=alert(1)>', 'a&b=c#d%20', '', 'line\nbreak\u0000\u202e', 'x'.repeat(30_000)];
    const packed = await packTexts(texts);
    expect(packed).toMatch(/^1\.[A-Za-z0-9_-]+$/);
    expect(await unpackTexts(packed)).toEqual(texts);
  });

  it('compresses repetitive text well below its length', async () => {
    const passages = Array.from({ length: 50 }, (_, i) => `Passage ${i} about the lighthouse that guided ships home.`);
    const packed = await packTexts(passages);
    expect(packed.length).toBeLessThan(JSON.stringify(passages).length / 4);
  });

  it('refuses hostile or damaged links with a LinkFormatError that says what is wrong', async () => {
    const cases: Array<[string, RegExp]> = [
      ['', /format/],
      ['2.abc', /format/],
      ['1.ab*c', /base64url/],
      ['1.a', /cut short/],
      ['1.AAAAAAAA', /inflate/],
      [await deflate('not json'), /not JSON/],
      [await deflate('{"a":1}'), /not a list of texts/],
      [await deflate('["ok", 3]'), /not a list of texts/],
      [await deflate(JSON.stringify(['x'.repeat(MAX_UNPACKED_CHARS)])), /more than/],
    ];
    for (const [packed, message] of cases) {
      const error = await unpackTexts(packed).catch((e: unknown) => e);
      expect(error, packed.slice(0, 20)).toBeInstanceOf(LinkFormatError);
      expect((error as Error).message).toMatch(message);
    }
  });
});
