/**
 * The two 16-bit float types checkpoints store weights in, to and from float32:
 * IEEE half (F16) and bfloat16 (BF16). The readers (weight-file.ts) decode with them;
 * the safetensors writer encodes with them.
 */

let halfTable: Float32Array | undefined;

/** IEEE half → float32 through a 65,536-entry table (built once; 256 KB), exact for every value. */
export function halfToFloat32(halves: Uint16Array, count = halves.length): Float32Array {
  halfTable ??= buildHalfTable();
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = halfTable[halves[i]];
  return out;
}

function buildHalfTable(): Float32Array {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24; // zero and subnormals
    else if (exponent === 31) table[h] = mantissa ? NaN : sign * Infinity;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
}

/** bfloat16 is the top half of a float32: widen by shifting into the high 16 bits. */
export function bfloat16ToFloat32(values: Uint16Array, count = values.length): Float32Array {
  const bits = new Uint32Array(count);
  for (let i = 0; i < count; i++) bits[i] = values[i] << 16;
  return new Float32Array(bits.buffer);
}

/** Round-to-nearest-even float32 bits → bfloat16 bits (NaN kept quiet). */
export function roundToBfloat16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float32 → IEEE half bits with round-to-nearest-even (normals, subnormals, overflow to ∞). */
export function float32ToHalf(value: number): number {
  const f = new Float32Array([value]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = m >> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++; // a carry into the exponent is still correct
  return sign | r;
}
