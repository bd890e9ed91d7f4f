import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../../files.ts';
import { bfloat16ToFloat32 } from './float16.ts';
import { encodeSafetensors, parseSafetensors } from './safetensors.ts';

const toBuffer = (bytes: Uint8Array): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** A hand-made file: header JSON and raw data bytes, with an optional wrong length field. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), lengthField?: number): ArrayBuffer {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, lengthField ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out.buffer;
}

describe('safetensors parsing', () => {
  it('round-trips float32 tensors with shapes and metadata', () => {
    const a = Float32Array.from([1, -2.5, 3.25, 1e-8, -1e30, 0]);
    const file = parseSafetensors('x.safetensors', toBuffer(encodeSafetensors({ a: { dtype: 'F32', shape: [2, 3], data: a }, b: { dtype: 'F32', shape: [], data: [7] } })));
    expect(file.tensors.get('a')?.shape).toEqual([2, 3]);
    expect(file.tensors.get('b')?.shape).toEqual([]);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(Array.from(file.float32('a'))).toEqual(Array.from(a));
    expect(Array.from(file.float32('b'))).toEqual([7]);
  });

  it('reads F16 and BF16 tensors as float32 within their precision', () => {
    const data = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i) * 3);
    const bytes = encodeSafetensors({ h: { dtype: 'F16', shape: [5, 10], data }, b: { dtype: 'BF16', shape: [50], data } });
    const file = parseSafetensors('m.safetensors', toBuffer(bytes));
    const h = file.float32('h');
    const b = file.float32('b');
    for (let i = 0; i < data.length; i++) {
      expect(Math.abs(h[i] - data[i])).toBeLessThanOrEqual(Math.abs(data[i]) * 2 ** -11 + 1e-7);
      expect(Math.abs(b[i] - data[i])).toBeLessThanOrEqual(Math.abs(data[i]) * 2 ** -8 + 1e-7);
    }
    expect(Array.from(bfloat16ToFloat32(Uint16Array.of(0x3f80, 0xc040)))).toEqual([1, -3]);
  });

  it('hands out F16 and BF16 tensors as their stored 16-bit patterns, others as float32 (compact)', () => {
    const data = [1, -2, 0.5];
    const file = parseSafetensors('m', toBuffer(encodeSafetensors({ h: { dtype: 'F16', shape: [3], data }, b: { dtype: 'BF16', shape: [3], data }, f: { dtype: 'F32', shape: [3], data } })));
    expect(file.compact('h')).toEqual({ dtype: 'F16', bits: Uint16Array.of(0x3c00, 0xc000, 0x3800) });
    expect(file.compact('b')).toEqual({ dtype: 'BF16', bits: Uint16Array.of(0x3f80, 0xc000, 0x3f00) });
    expect(file.compact('f')).toEqual({ dtype: 'F32', values: Float32Array.from(data) });
    expect(() => file.compact('nothing')).toThrow(/^m: has no tensor nothing/);
  });

  it('reads tensors whose data is not 4-byte aligned', () => {
    // A header of odd length puts the data at an odd offset.
    let header = JSON.stringify({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
    if (header.length % 2 === 0) header += ' ';
    const file = parseSafetensors('odd', rawFile(header, new Uint8Array(new Float32Array([2.5]).buffer)));
    expect(Array.from(file.float32('a'))).toEqual([2.5]);
  });

  it.each([
    ['a file shorter than the length field', new ArrayBuffer(5), /too short/],
    ['a header length past the end', rawFile({}, new Uint8Array(0), 1000), /does not fit/],
    ['a header that is not JSON', rawFile('{nope'), /not valid JSON/],
    ['a header that is a list', rawFile([1, 2]), /not a JSON object/],
    ['an unknown dtype', rawFile({ a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /unknown dtype F8/],
    ['a bad shape', rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape/],
    ['offsets past the data', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), /outside the 4-byte data section/],
    ['a size that does not match the shape', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(8)), /needs 8/],
    [
      'overlapping tensors',
      rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
      /overlap/,
    ],
  ])('rejects %s, naming the file', (_what, buffer, message) => {
    expect(() => parseSafetensors('bad.safetensors', buffer)).toThrow(ModelFileError);
    expect(() => parseSafetensors('bad.safetensors', buffer)).toThrow(/^bad\.safetensors: /);
    expect(() => parseSafetensors('bad.safetensors', buffer)).toThrow(message);
  });

  it('lists integer tensors but refuses to use them as weights', () => {
    const file = parseSafetensors('ids', rawFile({ position_ids: { dtype: 'I64', shape: [1, 2], data_offsets: [0, 16] } }, new Uint8Array(16)));
    expect(file.tensors.get('position_ids')?.dtype).toBe('I64');
    expect(() => file.float32('position_ids')).toThrow(/dtype I64; only F32, F16, BF16 and F64/);
    expect(() => file.compact('position_ids')).toThrow(/dtype I64; only F32, F16, BF16 and F64/);
    expect(() => file.float32('nothing')).toThrow(/has no tensor nothing/);
  });
});
