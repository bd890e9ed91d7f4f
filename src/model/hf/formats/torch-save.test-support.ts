/**
 * For the tests only: writes checkpoints in torch.save's layout (a stored ZIP holding a
 * protocol-2 pickle of an OrderedDict of `_rebuild_tensor_v2` calls, and the storage
 * bytes), and alters real ones in place, so bad input can be made without PyTorch.
 */

/** One tensor of a pickled state dict: a view of storage `key`. */
export interface PickledTensor {
  /** A torch storage class name, e.g. FloatStorage. */
  storageType: string;
  key: string;
  numel: number;
  offset?: number;
  shape: number[];
  /** Row-major when omitted. */
  stride?: number[];
}

/** A pickle writer with the opcodes torch.save uses for a state dict (no memo). */
class PickleWriter {
  private readonly out: number[] = [0x80, 2]; // PROTO 2

  op(code: string): this {
    this.out.push(code.charCodeAt(0));
    return this;
  }

  global(module: string, name: string): this {
    return this.op('c').raw(new TextEncoder().encode(`${module}\n${name}\n`));
  }

  text(value: string): this {
    const bytes = new TextEncoder().encode(value);
    return this.op('X').u32(bytes.length).raw(bytes);
  }

  int(value: number): this {
    return this.op('J').u32(value >>> 0);
  }

  tuple(values: number[]): this {
    this.op('(');
    values.forEach((v) => this.int(v));
    return this.op('t');
  }

  bytes(): Uint8Array {
    return Uint8Array.from([...this.out, '.'.charCodeAt(0)]);
  }

  private u32(value: number): this {
    this.out.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24);
    return this;
  }

  private raw(bytes: Uint8Array): this {
    this.out.push(...bytes);
    return this;
  }
}

const rowMajor = (shape: number[]): number[] => shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));

/** data.pkl of `torch.save(state_dict)`; `rebuild` replaces the tensor-building global (to test refusals). */
export function stateDictPickle(tensors: Record<string, PickledTensor>, rebuild: [string, string] = ['torch._utils', '_rebuild_tensor_v2']): Uint8Array {
  const w = new PickleWriter().global('collections', 'OrderedDict').op(')').op('R').op('(');
  for (const [name, t] of Object.entries(tensors)) {
    w.text(name).global(...rebuild).op('(');
    w.op('(').text('storage').global('torch', t.storageType).text(t.key).text('cpu').int(t.numel).op('t').op('Q');
    w.int(t.offset ?? 0).tuple(t.shape).tuple(t.stride ?? rowMajor(t.shape)).op('\x89');
    w.global('collections', 'OrderedDict').op(')').op('R').op('t').op('R');
  }
  return w.op('u').bytes();
}

/** The ZIP torch.save writes: `<stem>/data.pkl`, `<stem>/byteorder`, `<stem>/data/<key>`, `<stem>/version`. */
export function torchSaveBytes(stem: string, pickle: Uint8Array, storages: Record<string, Uint8Array>, options: { zip64?: boolean } = {}): Uint8Array {
  const entries: Array<[string, Uint8Array]> = [
    [`${stem}/data.pkl`, pickle],
    [`${stem}/byteorder`, new TextEncoder().encode('little')],
    ...Object.entries(storages).map(([key, bytes]): [string, Uint8Array] => [`${stem}/data/${key}`, bytes]),
    [`${stem}/version`, new TextEncoder().encode('3\n')],
  ];
  return storedZip(entries, options);
}

/** A checkpoint of float32 tensors, each in its own storage, as `torch.save(module.state_dict())` writes them. */
export function torchSaveFloat32(stem: string, tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const pickled: Record<string, PickledTensor> = {};
  const storages: Record<string, Uint8Array> = {};
  Object.entries(tensors).forEach(([name, t], i) => {
    pickled[name] = { storageType: 'FloatStorage', key: String(i), numel: t.data.length, shape: t.shape };
    storages[String(i)] = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  });
  return torchSaveBytes(stem, stateDictPickle(pickled), storages);
}

/**
 * A ZIP of stored entries. With `zip64`, every entry's sizes and offset are saturated
 * and given in a ZIP64 extra field, and ZIP64 end records are written, as for a file
 * over 4 GB.
 */
export function storedZip(entries: Array<[string, Uint8Array]>, options: { zip64?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(data);
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 45, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, data.length, true);
    local.setUint32(22, data.length, true);
    local.setUint16(26, nameBytes.length, true);
    parts.push(new Uint8Array(local.buffer), nameBytes, data);
    central.push(centralRecord(nameBytes, crc, data.length, offset, options.zip64 ?? false));
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = concat(central);
  const tail: Uint8Array[] = [];
  if (options.zip64) tail.push(zip64End(entries.length, directory.length, offset));
  const eocd = new DataView(new ArrayBuffer(22));
  eocd.setUint32(0, 0x06054b50, true);
  eocd.setUint16(8, options.zip64 ? 0xffff : entries.length, true);
  eocd.setUint16(10, options.zip64 ? 0xffff : entries.length, true);
  eocd.setUint32(12, options.zip64 ? 0xffffffff : directory.length, true);
  eocd.setUint32(16, options.zip64 ? 0xffffffff : offset, true);
  tail.push(new Uint8Array(eocd.buffer));
  return concat([...parts, directory, ...tail]);
}

function centralRecord(name: Uint8Array, crc: number, size: number, offset: number, zip64: boolean): Uint8Array {
  const extra = new DataView(new ArrayBuffer(zip64 ? 28 : 0));
  if (zip64) {
    extra.setUint16(0, 0x0001, true);
    extra.setUint16(2, 24, true);
    extra.setBigUint64(4, BigInt(size), true);
    extra.setBigUint64(12, BigInt(size), true);
    extra.setBigUint64(20, BigInt(offset), true);
  }
  const record = new DataView(new ArrayBuffer(46));
  record.setUint32(0, 0x02014b50, true);
  record.setUint16(4, 45, true);
  record.setUint16(6, 45, true);
  record.setUint32(16, crc, true);
  record.setUint32(20, zip64 ? 0xffffffff : size, true);
  record.setUint32(24, zip64 ? 0xffffffff : size, true);
  record.setUint16(28, name.length, true);
  record.setUint16(30, extra.byteLength, true);
  record.setUint32(42, zip64 ? 0xffffffff : offset, true);
  return concat([new Uint8Array(record.buffer), name, new Uint8Array(extra.buffer)]);
}

/** The ZIP64 end-of-central-directory record and its locator, for a directory at `offset`. */
function zip64End(count: number, size: number, offset: number): Uint8Array {
  const record = new DataView(new ArrayBuffer(56 + 20));
  record.setUint32(0, 0x06064b50, true);
  record.setBigUint64(4, 44n, true);
  record.setUint16(12, 45, true);
  record.setUint16(14, 45, true);
  record.setBigUint64(24, BigInt(count), true);
  record.setBigUint64(32, BigInt(count), true);
  record.setBigUint64(40, BigInt(size), true);
  record.setBigUint64(48, BigInt(offset), true);
  record.setUint32(56, 0x07064b50, true); // the locator follows the record
  record.setBigUint64(64, BigInt(offset + size), true);
  record.setUint32(72, 1, true);
  return new Uint8Array(record.buffer);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A copy of a ZIP with the central-directory record of `entry` altered in place
 * (`at` is the record's start): to mark an entry compressed, or rename it.
 */
export function patchCentralRecord(zip: Uint8Array, entry: string, patch: (record: DataView, at: number) => void): Uint8Array {
  const copy = zip.slice();
  const view = new DataView(copy.buffer);
  const wanted = new TextEncoder().encode(entry);
  for (let at = 0; at + 46 <= copy.length; at++) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const nameLength = view.getUint16(at + 28, true);
    const name = copy.subarray(at + 46, at + 46 + nameLength);
    if (name.length === wanted.length && name.every((b, i) => b === wanted[i])) {
      patch(view, at);
      return copy;
    }
  }
  throw new Error(`no directory record for ${entry}`);
}
