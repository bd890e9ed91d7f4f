/** Text made safe for markup the project writes by hand: SVG and HTML exports, in Node and the browser. */

/**
 * Escapes text for XML and HTML content and attribute values. Characters that XML 1.0 forbids
 * (most C0 controls, lone surrogates, U+FFFE/U+FFFF) become U+FFFD: a token holding one
 * would otherwise make the exported file unreadable.
 */
export function escapeXml(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const code = s.charCodeAt(i);
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) out += '\uFFFD';
    else if (code === 0xfffe || code === 0xffff) out += '\uFFFD';
    else if (code >= 0xd800 && code <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += ch + s[i + 1];
        i++;
      } else out += '\uFFFD';
    } else if (code >= 0xdc00 && code <= 0xdfff) out += '\uFFFD';
    else out += ch;
  }
  return out;
}
