/**
 * Opens whichever weights a checkpoint folder has, as one WeightSource (tensor names,
 * shapes, float32 or the stored 16-bit values on demand): `model.safetensors`, the
 * shards of `model.safetensors.index.json`, `pytorch_model.bin` (torch-bin.ts) or the
 * shards of `pytorch_model.bin.index.json`, in that order of preference. An index maps each
 * tensor name to the shard that holds it; every shard is checked to hold what the
 * index places there.
 */
import { ModelFileError, parseJsonFile, type FileProgress, type ModelFiles } from '../../files.ts';
import { formatBytes } from '../../format.ts';
import { parseSafetensors } from './safetensors.ts';
import { parseTorchWeights } from './torch-bin.ts';
import type { CompactFloats, WeightFile } from './weight-file.ts';

/** Where the named weights of a checkpoint live: one file or several shards. */
export interface WeightSource {
  /** The file to name in messages about its tensors: the checkpoint, or the index of a sharded one. */
  readonly file: string;
  /** Shape of a tensor, or undefined when no file holds it. */
  shape(tensor: string): number[] | undefined;
  has(tensor: string): boolean;
  names(): string[];
  float32(tensor: string): Float32Array;
  /** The tensor's 16-bit patterns when stored as F16 or BF16, else float32 (WeightFile.compact). */
  compact(tensor: string): CompactFloats;
  /** Stored dtypes, for messages and tests (e.g. {F16: 40}). */
  dtypes(): Record<string, number>;
}

function sourceOf(file: string, files: WeightFile[], owner: (tensor: string) => WeightFile | undefined): WeightSource {
  const holder = (t: string): WeightFile => {
    const found = owner(t);
    if (!found) throw new ModelFileError(files[0]?.name ?? 'model.safetensors', `has no tensor ${t}`);
    return found;
  };
  return {
    file,
    shape: (t) => owner(t)?.tensors.get(t)?.shape,
    has: (t) => owner(t)?.tensors.has(t) ?? false,
    names: () => files.flatMap((f) => [...f.tensors.keys()]),
    float32: (t) => holder(t).float32(t),
    compact: (t) => holder(t).compact(t),
    dtypes() {
      const counts: Record<string, number> = {};
      for (const f of files) for (const info of f.tensors.values()) counts[info.dtype] = (counts[info.dtype] ?? 0) + 1;
      return counts;
    },
  };
}

function singleFileSource(file: WeightFile): WeightSource {
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
