/**
 * The safetensors format (Hugging Face's weight files): an 8-byte little-endian
 * header length, a JSON header naming every tensor with its dtype, shape and byte
 * range, then the raw little-endian data. We check the whole header before any
 * tensor is used, so a truncated or tampered file is reported by name rather than
 * producing a model that silently computes garbage.
 *
 * Sharded checkpoints add `model.safetensors.index.json`, mapping each tensor name
 * to the shard that holds it.
 *
 * openWeights also opens PyTorch checkpoints (`pytorch_model.bin`, torch-bin.ts) when a
 * folder has no safetensors: both give the same WeightSource, float32 on demand.
 */
import { formatBytes } from '../format.ts';
import { ModelFileError, parseJsonFile, type FileProgress, type ModelFiles } from '../files.ts';
import { parseTorchCheckpoint } from './torch-bin.ts';

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
const FLOAT_DTYPES = new Set(['F64', 'F32', 'F16', 'BF16']);

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** Byte range inside the data section (after the header). */
  begin: number;
  end: number;
}

/** One parsed weight file of either format: its tensor table, and float32 decoding on demand. */
export interface WeightFile {
  readonly name: string;
  readonly tensors: ReadonlyMap<string, { readonly dtype: string; readonly shape: number[] }>;
  /** The tensor as float32 (F32 copied, F16/BF16/F64 converted). */
  float32(tensor: string): Float32Array;
}

/** One parsed safetensors file. */
export interface SafetensorsFile extends WeightFile {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Where the named weights of a checkpoint live: one file or several shards. */
export interface WeightSource {
  /** The file to name in messages about its tensors: the checkpoint, or the index of a sharded one. */
  readonly file: string;
  /** Shape of a tensor, or undefined when no file holds it. */
  shape(tensor: string): number[] | undefined;
  has(tensor: string): boolean;
  names(): string[];
  float32(tensor: string): Float32Array;
  /** Stored dtypes, for messages and tests (e.g. {F16: 40}). */
  dtypes(): Record<string, number>;
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
    float32(tensor) {
      const info = tensors.get(tensor);
      if (!info) throw new ModelFileError(name, `has no tensor ${tensor}`);
      return decodeFloat32(name, tensor, info, buffer, dataStart);
    },
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

function decodeFloat32(file: string, tensor: string, info: TensorInfo, buffer: ArrayBuffer, dataStart: number): Float32Array {
  checkFloat(file, tensor, info.dtype);
  const start = dataStart + info.begin;
  // slice() copies into a fresh, aligned buffer: the data section need not be 4-byte aligned.
  return float32FromBytes(info.dtype, buffer.slice(start, start + (info.end - info.begin)));
}

function checkFloat(file: string, tensor: string, dtype: string): void {
  if (!FLOAT_DTYPES.has(dtype)) {
    throw new ModelFileError(file, `tensor ${tensor} has dtype ${dtype}; only F32, F16, BF16 and F64 weights are supported`);
  }
}

/** Little-endian elements of a float dtype, in an aligned buffer, as float32. */
function float32FromBytes(dtype: string, bytes: ArrayBuffer): Float32Array {
  switch (dtype) {
    case 'F32':
      return new Float32Array(bytes);
    case 'F64':
      return Float32Array.from(new Float64Array(bytes));
    case 'F16':
      return halfToFloat32(new Uint16Array(bytes));
    default:
      return bfloat16ToFloat32(new Uint16Array(bytes));
  }
}

/** A PyTorch checkpoint (torch-bin.ts) with the same float32 decoding as safetensors. */
export function parseTorchWeights(name: string, buffer: ArrayBuffer): WeightFile {
  const checkpoint = parseTorchCheckpoint(name, buffer);
  return {
    name,
    tensors: checkpoint.tensors,
    float32(tensor) {
      const info = checkpoint.tensors.get(tensor);
      if (!info) throw new ModelFileError(name, `has no tensor ${tensor}`);
      checkFloat(name, tensor, info.dtype);
      return float32FromBytes(info.dtype, checkpoint.bytes(tensor));
    },
  };
}

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

function sourceOf(file: string, files: WeightFile[], owner: (tensor: string) => WeightFile | undefined): WeightSource {
  return {
    file,
    shape: (t) => owner(t)?.tensors.get(t)?.shape,
    has: (t) => owner(t)?.tensors.has(t) ?? false,
    names: () => files.flatMap((f) => [...f.tensors.keys()]),
    float32(t) {
      const file = owner(t);
      if (!file) throw new ModelFileError(files[0]?.name ?? 'model.safetensors', `has no tensor ${t}`);
      return file.float32(t);
    },
    dtypes() {
      const counts: Record<string, number> = {};
      for (const f of files) for (const info of f.tensors.values()) counts[info.dtype] = (counts[info.dtype] ?? 0) + 1;
      return counts;
    },
  };
}

export function singleFileSource(file: WeightFile): WeightSource {
  return sourceOf(file.name, [file], (t) => (file.tensors.has(t) ? file : undefined));
}

interface ShardIndex {
  metadata?: { total_size?: number };
  weight_map?: Record<string, string>;
}

export interface OpenOptions {
  /** Largest checkpoint, in bytes, we agree to read (whole files or the index's total_size). */
  maxBytes?: number;
  onProgress?: (p: FileProgress) => void;
  /** Folder prefix inside the model files (a module path from modules.json), '' for the root. */
  prefix?: string;
}

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
export const TORCH_FILE = 'pytorch_model.bin';
export const TORCH_INDEX_FILE = 'pytorch_model.bin.index.json';

/** One way a folder can hold its weights: a single file or an index of shards, and the parser of its files. */
interface WeightLayout {
  file: string;
  sharded: boolean;
  parse: (name: string, buffer: ArrayBuffer) => WeightFile;
}

/** In order of preference: safetensors first, as reading it needs no pickle interpreter at all. */
const LAYOUTS: WeightLayout[] = [
  { file: SINGLE_FILE, sharded: false, parse: parseSafetensors },
  { file: INDEX_FILE, sharded: true, parse: parseSafetensors },
  { file: TORCH_FILE, sharded: false, parse: parseTorchWeights },
  { file: TORCH_INDEX_FILE, sharded: true, parse: parseTorchWeights },
];

/**
 * Opens the weights of a checkpoint: the first of `model.safetensors`, the shards of
 * `model.safetensors.index.json`, `pytorch_model.bin` and the shards of
 * `pytorch_model.bin.index.json` that can be read. When none can, the error names the
 * first file and why it could not be read (e.g. a download cut off), and the others.
 */
export async function openWeights(files: ModelFiles, options: OpenOptions = {}): Promise<WeightSource> {
  const prefix = options.prefix ?? '';
  const maxBytes = options.maxBytes ?? Infinity;
  const progress = options.onProgress ?? (() => {});
  let firstProblem: string | undefined;
  for (const layout of LAYOUTS) {
    let bytes: ArrayBuffer;
    try {
      bytes = await files.read(prefix + layout.file);
    } catch (error) {
      // ModelFiles only says "could not read": any failure means trying the next layout.
      firstProblem ??= (error as Error).message.replace(/^[^:]*: /, '');
      continue;
    }
    if (layout.sharded) return openShards(files, prefix, layout, bytes, maxBytes, progress);
    const name = prefix + layout.file;
    checkSize(name, bytes.byteLength, maxBytes);
    progress({ file: name, loadedBytes: bytes.byteLength, totalBytes: bytes.byteLength });
    return singleFileSource(layout.parse(name, bytes));
  }
  throw new ModelFileError(
    prefix + SINGLE_FILE,
    `${firstProblem ?? 'missing'}, and there is no ${INDEX_FILE}, ${TORCH_FILE} or ${TORCH_INDEX_FILE} either`,
  );
}

async function openShards(
  files: ModelFiles,
  prefix: string,
  layout: WeightLayout,
  indexBytes: ArrayBuffer,
  maxBytes: number,
  progress: (p: FileProgress) => void,
): Promise<WeightSource> {
  const indexName = prefix + layout.file;
  const index = parseJsonFile<ShardIndex>(indexName, indexBytes);
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null || Object.values(map).some((v) => typeof v !== 'string')) {
    throw new ModelFileError(indexName, 'has no weight_map of tensor name → shard file');
  }
  const totalSize = index.metadata?.total_size;
  // Refuse before downloading anything when the index already says the model is too big.
  if (typeof totalSize === 'number') checkSize(indexName, totalSize, maxBytes);

  const shardNames = [...new Set(Object.values(map))];
  for (const shard of shardNames) {
    if (shard.includes('..') || shard.startsWith('/')) throw new ModelFileError(indexName, `shard path ${shard} leaves the model folder`);
  }
  const shards = new Map<string, WeightFile>();
  let loaded = 0;
  for (const shard of shardNames) {
    const bytes = await files.read(prefix + shard);
    loaded += bytes.byteLength;
    checkSize(prefix + shard, loaded, maxBytes);
    // total_size counts tensor bytes only; files add headers (a .bin's ZIP and pickle add ~10%).
    progress({ file: prefix + shard, loadedBytes: loaded, totalBytes: Math.max(totalSize ?? 0, loaded) });
    shards.set(shard, layout.parse(prefix + shard, bytes));
  }
  for (const [tensor, shard] of Object.entries(map)) {
    if (!shards.get(shard)?.tensors.has(tensor)) {
      throw new ModelFileError(prefix + shard, `has no tensor ${tensor}, which ${layout.file} places there`);
    }
  }
  return sourceOf(indexName, [...shards.values()], (t) => {
    const shard = map[t];
    return shard === undefined ? undefined : shards.get(shard);
  });
}

function checkSize(file: string, bytes: number, maxBytes: number): void {
  if (bytes > maxBytes) {
    throw new ModelFileError(file, `the model is ${formatBytes(bytes)}, over the ${formatBytes(maxBytes)} limit`);
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

/** Round-to-nearest-even float32 → bfloat16 bits (NaN kept quiet). */
function roundToBfloat16(bits: number): number {
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
