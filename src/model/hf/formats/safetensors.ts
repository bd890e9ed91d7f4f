/**
 * The safetensors format (Hugging Face's weight files): an 8-byte little-endian
 * header length, a JSON header naming every tensor with its dtype, shape and byte
 * range, then the raw little-endian data. We check the whole header before any
 * tensor is used, so a truncated or tampered file is reported by name rather than
 * producing a model that silently computes garbage.
 *
 * Which file of a folder is read, and shards, are open-weights.ts's business.
 */
import { ModelFileError } from '../../files.ts';
import { float32ToHalf, roundToBfloat16 } from './float16.ts';
import { floatReaders, type WeightFile } from './weight-file.ts';

/** Element sizes of the dtypes the format defines; only the float ones can become weights. */
const BYTES_PER_ELEMENT: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** Byte range inside the data section (after the header). */
  begin: number;
  end: number;
}

/** One parsed safetensors file. */
export interface SafetensorsFile extends WeightFile {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024; // the reference implementation's own cap

export function parseSafetensors(name: string, buffer: ArrayBuffer): SafetensorsFile {
  if (buffer.byteLength < 8) throw new ModelFileError(name, `is ${buffer.byteLength} bytes, too short for a safetensors header`);
  const view = new DataView(buffer);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES || 8 + low > buffer.byteLength) {
    throw new ModelFileError(name, `header length ${high * 2 ** 32 + low} does not fit the ${buffer.byteLength}-byte file (not a safetensors file, or truncated)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(buffer, 8, low)));
  } catch (error) {
    throw new ModelFileError(name, `header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new ModelFileError(name, 'header is not a JSON object');
  }
  const dataStart = 8 + low;
  const dataBytes = buffer.byteLength - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    tensors.set(key, checkedInfo(name, key, value, dataBytes));
  }
  checkNoOverlap(name, tensors);

  return {
    name,
    tensors,
    metadata,
    ...floatReaders(name, tensors, (info) => {
      const start = dataStart + info.begin;
      // slice() copies into a fresh, aligned buffer: the data section need not be 4-byte aligned.
      return buffer.slice(start, start + (info.end - info.begin));
    }),
  };
}

function checkedInfo(file: string, key: string, value: unknown, dataBytes: number): TensorInfo {
  const fail = (problem: string): never => {
    throw new ModelFileError(file, `tensor ${key}: ${problem}`);
  };
  if (typeof value !== 'object' || value === null) return fail('entry is not an object');
  const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const dtype = entry.dtype;
  if (typeof dtype !== 'string' || !(dtype in BYTES_PER_ELEMENT)) return fail(`unknown dtype ${String(dtype)}`);
  const shape = entry.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return fail('shape is not a list of sizes');
  const offsets = entry.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
    return fail('data_offsets is not a pair of byte offsets');
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataBytes) return fail(`bytes ${begin}..${end} lie outside the ${dataBytes}-byte data section (file truncated?)`);
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = elements * BYTES_PER_ELEMENT[dtype];
  if (end - begin !== expected) return fail(`holds ${end - begin} bytes, but ${dtype} [${shape.join(', ')}] needs ${expected}`);
  return { dtype, shape: shape as number[], begin, end };
}

/** Overlapping ranges would mean two tensors alias the same bytes: a corrupt header. */
function checkNoOverlap(file: string, tensors: Map<string, TensorInfo>): void {
  const ranges = [...tensors.entries()].filter(([, t]) => t.end > t.begin).sort((a, b) => a[1].begin - b[1].begin);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][1].begin < ranges[i - 1][1].end) {
      throw new ModelFileError(file, `tensors ${ranges[i - 1][0]} and ${ranges[i][0]} overlap`);
    }
  }
}

/** Writes a safetensors file (used by the tiny-model script and the tests). */
export function encodeSafetensors(
  tensors: Record<string, { dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; data: ArrayLike<number> }>,
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = encodeValues(t.dtype, t.data);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // The format pads the header with spaces so the data starts 8-byte aligned.
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).byteLength) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setUint32(0, headerBytes.byteLength, true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function encodeValues(dtype: 'F32' | 'F16' | 'BF16', data: ArrayLike<number>): Uint8Array {
  const f32 = Float32Array.from(data);
  if (dtype === 'F32') return new Uint8Array(f32.buffer);
  const out = new Uint16Array(f32.length);
  const bits = new Uint32Array(f32.buffer);
  for (let i = 0; i < f32.length; i++) out[i] = dtype === 'F16' ? float32ToHalf(f32[i]) : roundToBfloat16(bits[i]);
  return new Uint8Array(out.buffer);
}
