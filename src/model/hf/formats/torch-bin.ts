/**
 * PyTorch checkpoints as torch.save writes them since PyTorch 1.6 (`pytorch_model.bin`):
 * an uncompressed ZIP whose entries sit under one top folder (named after the file, or
 * `archive/`):
 *
 *     <top>/data.pkl      a pickle of the state dict: name → tensor
 *     <top>/data/<key>    the raw bytes of each storage
 *     <top>/byteorder     "little" (absent in old files, which are little-endian too)
 *
 * Each tensor in the pickle is `torch._utils._rebuild_tensor_v2(storage, offset, size,
 * stride, …)`, its storage a persistent id `('storage', torch.FloatStorage, key,
 * location, numel)`. Tensors may be views into a shared storage (an offset, strides of
 * a transpose or a slice). We check every tensor against its storage's bytes before
 * any is used, as for safetensors, and give each one out in row-major order.
 *
 * The pickle runs in our own small interpreter (pickle.ts) with an allow-list of
 * globals, so a checkpoint, being untrusted input, can never make us run anything.
 */
import { ModelFileError } from '../../files.ts';
import { isTuple, PickleFunction, PickleRefusal, unpickle } from './pickle.ts';
import { floatReaders, type WeightFile } from './weight-file.ts';
import { readStoredZip, type StoredZip } from './zip.ts';

export interface TorchTensorInfo {
  /** In safetensors' names: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL. */
  dtype: string;
  shape: number[];
  /** In elements, as PyTorch gives them. */
  stride: number[];
  offset: number;
  /** The storage's key: its bytes are the entry `<top>/data/<key>`. */
  storage: string;
}

/** One parsed torch.save checkpoint: its tensor table, and each tensor's bytes on demand. */
export interface TorchCheckpoint {
  readonly name: string;
  readonly tensors: ReadonlyMap<string, TorchTensorInfo>;
  /** The tensor's elements in row-major order, little-endian, in its stored dtype (a fresh, aligned buffer). */
  bytes(tensor: string): ArrayBuffer;
}

interface StorageType {
  dtype: string;
  bytesPerElement: number;
}

/** The storage classes a state dict's tensors come in, by their name in the `torch` module. */
const STORAGE_TYPES: Record<string, StorageType> = {
  FloatStorage: { dtype: 'F32', bytesPerElement: 4 },
  HalfStorage: { dtype: 'F16', bytesPerElement: 2 },
  BFloat16Storage: { dtype: 'BF16', bytesPerElement: 2 },
  DoubleStorage: { dtype: 'F64', bytesPerElement: 8 },
  LongStorage: { dtype: 'I64', bytesPerElement: 8 },
  IntStorage: { dtype: 'I32', bytesPerElement: 4 },
  ShortStorage: { dtype: 'I16', bytesPerElement: 2 },
  CharStorage: { dtype: 'I8', bytesPerElement: 1 },
  ByteStorage: { dtype: 'U8', bytesPerElement: 1 },
  BoolStorage: { dtype: 'BOOL', bytesPerElement: 1 },
};

const BYTES_PER_ELEMENT: Record<string, number> = Object.fromEntries(Object.values(STORAGE_TYPES).map((t) => [t.dtype, t.bytesPerElement]));

/** What GLOBAL torch.FloatStorage (etc.) stands for: a marker, never callable. */
class StorageClass {
  constructor(readonly type: StorageType) {}
}

/** A storage named by a persistent id: its bytes are read and checked after unpickling. */
class StorageRef {
  constructor(
    readonly key: string,
    readonly type: StorageType,
    readonly numel: number,
  ) {}
}

/** What _rebuild_tensor_v2 returns here: a description, checked against the storage later. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

/** torch.save's header of the pre-1.6 format: a pickled magic number, 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export function parseTorchCheckpoint(name: string, buffer: ArrayBuffer): TorchCheckpoint {
  if (startsWith(new Uint8Array(buffer), LEGACY_MAGIC)) {
    throw new ModelFileError(name, 'is in the legacy torch.save format (PyTorch before 1.6), which is not supported: save it again with a current PyTorch, or as safetensors');
  }
  const zip = readStoredZip(name, buffer);
  const top = recordFolder(name, zip);
  checkByteOrder(name, zip, top);
  const storages = new Map<string, StorageRef>();
  const stateDict = unpickle(zip.bytes(`${top}data.pkl`), {
    file: name,
    entry: `${top}data.pkl`,
    resolveGlobal: allowedGlobal,
    persistentLoad: (pid) => storageOf(pid, storages),
  });
  if (!(stateDict instanceof Map)) {
    throw new ModelFileError(name, `${top}data.pkl holds no dict of tensors (a whole pickled model rather than a state_dict?)`);
  }
  const storageBytes = checkedStorages(name, zip, top, storages);
  const tensors = new Map<string, TorchTensorInfo>();
  for (const [key, value] of stateDict) {
    // A state dict may hold non-tensor extras (counters, flags): they are no weights.
    if (typeof key !== 'string' || !(value instanceof TensorRef)) continue;
    tensors.set(key, checkedTensor(name, key, value));
  }
  return {
    name,
    tensors,
    bytes(tensor) {
      const info = tensors.get(tensor);
      if (!info) throw new ModelFileError(name, `has no tensor ${tensor}`);
      return rowMajorBytes(storageBytes.get(info.storage)!, info, BYTES_PER_ELEMENT[info.dtype]);
    },
  };
}

/** A PyTorch checkpoint as a WeightFile, with the same float decoding as safetensors. */
export function parseTorchWeights(name: string, buffer: ArrayBuffer): WeightFile {
  const checkpoint = parseTorchCheckpoint(name, buffer);
  return {
    name,
    tensors: checkpoint.tensors,
    ...floatReaders(name, checkpoint.tensors, (_, tensor) => checkpoint.bytes(tensor)),
  };
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/** The top folder that holds data.pkl: the file's stem for torch.save(path), `archive/` for older saves. */
function recordFolder(file: string, zip: StoredZip): string {
  const pickles = [...zip.entries.keys()].filter((entry) => /^[^/]+\/data\.pkl$/.test(entry));
  if (pickles.length !== 1) {
    throw new ModelFileError(file, pickles.length === 0 ? 'is a ZIP archive without data.pkl (not a torch.save checkpoint)' : `holds ${pickles.length} data.pkl entries (not a single torch.save checkpoint)`);
  }
  return pickles[0].slice(0, -'data.pkl'.length);
}

function checkByteOrder(file: string, zip: StoredZip, top: string): void {
  if (!zip.entries.has(`${top}byteorder`)) return;
  const order = new TextDecoder().decode(zip.bytes(`${top}byteorder`)).trim();
  if (order !== 'little') throw new ModelFileError(file, `was saved with byte order "${order}"; only little-endian checkpoints are supported`);
}

const REBUILD_TENSOR = new PickleFunction('torch._utils._rebuild_tensor_v2', rebuildTensor);
// Saving a Parameter rather than its data wraps the tensor once more.
const REBUILD_PARAMETER = new PickleFunction('torch._utils._rebuild_parameter', ([data]) => {
  if (!(data instanceof TensorRef)) throw new PickleRefusal('_rebuild_parameter is given something other than a tensor');
  return data;
});
const ORDERED_DICT = new PickleFunction('collections.OrderedDict', (args) => {
  if (args.length !== 0) throw new PickleRefusal('OrderedDict is built with arguments; torch.save never does that');
  return new Map<unknown, unknown>();
});

/** The allow-list: anything else a pickle names is refused, so no file can make us run code. */
function allowedGlobal(module: string, name: string): unknown {
  if (module === 'collections' && name === 'OrderedDict') return ORDERED_DICT;
  if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return REBUILD_TENSOR;
  if (module === 'torch._utils' && name === '_rebuild_parameter') return REBUILD_PARAMETER;
  if (module === 'torch' && Object.hasOwn(STORAGE_TYPES, name)) return new StorageClass(STORAGE_TYPES[name]);
  if (module === 'torch' && name.endsWith('Storage')) {
    throw new PickleRefusal(`holds a tensor of storage type torch.${name}, which is not supported (${Object.keys(STORAGE_TYPES).join(', ')})`);
  }
  return undefined;
}

/** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
function rebuildTensor(args: readonly unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (args.length < 6 || args.length > 7) throw new PickleRefusal(`_rebuild_tensor_v2 is called with ${args.length} arguments, not 6 or 7`);
  if (!(storage instanceof StorageRef)) throw new PickleRefusal('_rebuild_tensor_v2 is given something other than a storage');
  if (!isCount(offset)) throw new PickleRefusal(`_rebuild_tensor_v2 is given the storage offset ${String(offset)}`);
  const shape = countTuple(size, 'size');
  const strides = countTuple(stride, 'stride');
  if (shape.length !== strides.length) throw new PickleRefusal(`a tensor has size [${shape.join(', ')}] but stride [${strides.join(', ')}]`);
  return new TensorRef(storage, offset, shape, strides);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function countTuple(value: unknown, what: string): number[] {
  if (!isTuple(value) || !value.every(isCount)) throw new PickleRefusal(`a tensor's ${what} is not a tuple of sizes`);
  return [...value];
}

/** A persistent id `('storage', storage class, key, location, numel)`; one StorageRef per key. */
function storageOf(pid: unknown, storages: Map<string, StorageRef>): StorageRef {
  if (!isTuple(pid) || pid.length !== 5 || pid[0] !== 'storage') throw new PickleRefusal('has a persistent id that is not a torch storage');
  const [, type, key, , numel] = pid;
  if (!(type instanceof StorageClass)) throw new PickleRefusal('has a storage whose type is not a torch storage class');
  if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) throw new PickleRefusal(`has a storage with the key ${String(key)}`);
  if (!isCount(numel)) throw new PickleRefusal(`storage ${key} has ${String(numel)} elements`);
  const known = storages.get(key);
  if (known) {
    if (known.type !== type.type || known.numel !== numel) throw new PickleRefusal(`storage ${key} is described two different ways`);
    return known;
  }
  const ref = new StorageRef(key, type.type, numel);
  storages.set(key, ref);
  return ref;
}

/** Each storage's bytes, checked to be there and to be exactly as long as its elements need. */
function checkedStorages(file: string, zip: StoredZip, top: string, storages: Map<string, StorageRef>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const storage of storages.values()) {
    const entry = `${top}data/${storage.key}`;
    if (!zip.entries.has(entry)) throw new ModelFileError(file, `has no entry ${entry}, the storage data.pkl refers to (corrupt or truncated)`);
    const bytes = zip.bytes(entry);
    const expected = storage.numel * storage.type.bytesPerElement;
    if (bytes.byteLength !== expected) {
      throw new ModelFileError(file, `entry ${entry} holds ${bytes.byteLength} bytes, but ${storage.numel} ${storage.type.dtype} elements need ${expected}`);
    }
    out.set(storage.key, bytes);
  }
  return out;
}

function checkedTensor(file: string, name: string, t: TensorRef): TorchTensorInfo {
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count > 0) {
    const last = t.offset + t.shape.reduce((sum, size, d) => sum + (size - 1) * t.stride[d], 0);
    if (last >= t.storage.numel) {
      throw new ModelFileError(file, `tensor ${name} [${t.shape.join(', ')}] at offset ${t.offset} with strides [${t.stride.join(', ')}] reaches element ${last} of its ${t.storage.numel}-element storage ${t.storage.key}`);
    }
  }
  return { dtype: t.storage.type.dtype, shape: t.shape, stride: t.stride, offset: t.offset, storage: t.storage.key };
}

/** The tensor's elements in row-major order: one slice when it is contiguous, else gathered along its strides. */
function rowMajorBytes(storage: Uint8Array, info: TorchTensorInfo, elementBytes: number): ArrayBuffer {
  const count = info.shape.reduce((a, b) => a * b, 1);
  if (count === 0) return new ArrayBuffer(0);
  const begin = info.offset * elementBytes;
  if (isContiguous(info.shape, info.stride)) return storage.slice(begin, begin + count * elementBytes).buffer;
  const span = info.shape.reduce((sum, size, d) => sum + (size - 1) * info.stride[d], 0) + 1;
  // A copy of the spanned elements is aligned, so it can be read in whole elements.
  const source = storage.slice(begin, begin + span * elementBytes).buffer;
  return gather(source, count, elementBytes, info.shape, info.stride);
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/**
 * Copies `count` elements, visited in row-major order of `shape`, from `source` along
 * `stride` (in elements). Elements move as 1, 2 or 4-byte words (8-byte ones as two),
 * so no float is ever reinterpreted on the way.
 */
function gather(source: ArrayBuffer, count: number, elementBytes: number, shape: number[], stride: number[]): ArrayBuffer {
  const wordBytes = Math.min(elementBytes, 4);
  const words = elementBytes / wordBytes;
  const Words = wordBytes === 1 ? Uint8Array : wordBytes === 2 ? Uint16Array : Uint32Array;
  const from = new Words(source);
  const to = new Words(count * words);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  const innerSize = shape[rank - 1];
  const innerStride = stride[rank - 1] * words;
  let base = 0; // first element of the current innermost row, in words
  let written = 0;
  while (written < to.length) {
    for (let k = 0, at = base; k < innerSize; k++, at += innerStride) {
      for (let w = 0; w < words; w++) to[written++] = from[at + w];
    }
    // Step the outer indices like an odometer.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      base += stride[d] * words;
      if (index[d] < shape[d]) break;
      base -= shape[d] * stride[d] * words;
      index[d] = 0;
    }
  }
  return to.buffer;
}
