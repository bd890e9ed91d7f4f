/**
 * The entries of a ZIP archive stored without compression, as torch.save writes them
 * (PyTorch ≥ 1.6). We go by the central directory at the end of the file: torch sets
 * the data-descriptor flag, so its local headers carry no sizes. Entries are handed
 * out as views of the archive's own bytes; nothing is copied or inflated, and nothing
 * outside the archive's bounds is ever read, so a truncated or tampered file is
 * reported by name.
 *
 * ZIP64 (archives over 4 GB, or with over 65,535 entries) is read from its records;
 * torch writes them even for small files. Split archives and encryption are refused.
 */
import { ModelFileError } from '../../files.ts';

export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is compressed, which torch.save never does. */
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  /** Start of the entry's local header. */
  headerOffset: number;
}

export interface StoredZip {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** The bytes of a stored entry: a view into the archive, not a copy. */
  bytes(entry: string): Uint8Array<ArrayBuffer>;
}

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const CENTRAL_SIZE = 46;
const LOCAL_SIGNATURE = 0x04034b50;
const LOCAL_SIZE = 30;
const ZIP64_EXTRA_ID = 0x0001;
/** A 16- or 32-bit field holding this value means "see the ZIP64 record". */
const U16_SENTINEL = 0xffff;
const U32_SENTINEL = 0xffffffff;
const ENCRYPTED_FLAG = 0x1;

const METHOD_NAMES: Record<number, string> = { 8: 'deflate', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz' };

interface Directory {
  count: number;
  offset: number;
  size: number;
}

export function readStoredZip(file: string, buffer: ArrayBuffer): StoredZip {
  const view = new DataView(buffer);
  const fail = (problem: string): never => {
    throw new ModelFileError(file, problem);
  };
  const directory = findDirectory(view, fail);
  const entries = readCentralDirectory(view, directory, fail);
  return {
    entries,
    bytes(name) {
      const entry = entries.get(name) ?? fail(`has no entry ${name}`);
      return entryBytes(view, entry, fail);
    },
  };
}

type Fail = (problem: string) => never;

/** The end-of-central-directory record sits in the last 22 bytes, before a comment of up to 64 KB. */
function findDirectory(view: DataView, fail: Fail): Directory {
  const length = view.byteLength;
  const lowest = Math.max(0, length - EOCD_SIZE - 0xffff);
  for (let at = length - EOCD_SIZE; at >= lowest; at--) {
    if (view.getUint32(at, true) !== EOCD_SIGNATURE) continue;
    // A signature inside the comment would not account for the bytes after it.
    if (at + EOCD_SIZE + view.getUint16(at + 20, true) !== length) continue;
    return directoryAt(view, at, fail);
  }
  const startsLikeZip = length >= 4 && view.getUint32(0, true) === LOCAL_SIGNATURE;
  return fail(
    startsLikeZip
      ? `is truncated (${length} bytes, without the ZIP directory a torch.save file ends with)`
      : 'is not a ZIP archive (no end-of-central-directory record)',
  );
}

function directoryAt(view: DataView, eocd: number, fail: Fail): Directory {
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) {
    fail('is a split (multi-disk) ZIP archive, which is not supported');
  }
  const classic: Directory = {
    count: view.getUint16(eocd + 10, true),
    size: view.getUint32(eocd + 12, true),
    offset: view.getUint32(eocd + 16, true),
  };
  const needsZip64 = classic.count === U16_SENTINEL || classic.size === U32_SENTINEL || classic.offset === U32_SENTINEL;
  const locator = eocd - ZIP64_LOCATOR_SIZE;
  const hasLocator = locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR_SIGNATURE;
  if (!hasLocator) {
    if (needsZip64) fail('says it is a ZIP64 archive but has no ZIP64 locator (truncated or corrupt)');
    return checkedDirectory(view, classic, fail);
  }
  const record = readU64(view, locator + 8, fail);
  if (record + 56 > locator || view.getUint32(record, true) !== ZIP64_EOCD_SIGNATURE) {
    fail(`has a ZIP64 locator pointing at byte ${record}, where there is no ZIP64 directory record (corrupt)`);
  }
  return checkedDirectory(
    view,
    { count: readU64(view, record + 32, fail), size: readU64(view, record + 40, fail), offset: readU64(view, record + 48, fail) },
    fail,
  );
}

function checkedDirectory(view: DataView, directory: Directory, fail: Fail): Directory {
  if (directory.offset + directory.size > view.byteLength) {
    fail(`has its ZIP directory at bytes ${directory.offset}..${directory.offset + directory.size}, past the end of the ${view.byteLength}-byte file (truncated?)`);
  }
  return directory;
}

function readCentralDirectory(view: DataView, directory: Directory, fail: Fail): Map<string, ZipEntry> {
  const entries = new Map<string, ZipEntry>();
  const end = directory.offset + directory.size;
  let at = directory.offset;
  for (let i = 0; i < directory.count; i++) {
    if (at + CENTRAL_SIZE > end || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      fail(`has a corrupt ZIP directory (entry ${i} of ${directory.count} at byte ${at} is not a directory record)`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const next = at + CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (next > end) fail(`has a corrupt ZIP directory (entry ${i} runs past its end)`);
    const name = new TextDecoder().decode(new Uint8Array(view.buffer, at + CENTRAL_SIZE, nameLength));
    const extra = new DataView(view.buffer, at + CENTRAL_SIZE + nameLength, extraLength);
    entries.set(name, {
      name,
      flags: view.getUint16(at + 8, true),
      method: view.getUint16(at + 10, true),
      ...entrySizes(view, at, extra, (problem) => fail(`entry ${name}: ${problem}`)),
    });
    at = next;
  }
  return entries;
}

/** Sizes and offset from the directory record, the saturated ones replaced by the ZIP64 extra field's, in its order. */
function entrySizes(view: DataView, at: number, extra: DataView, fail: Fail): Pick<ZipEntry, 'size' | 'compressedSize' | 'headerOffset'> {
  let size = view.getUint32(at + 24, true);
  let compressedSize = view.getUint32(at + 20, true);
  let headerOffset = view.getUint32(at + 42, true);
  if (size !== U32_SENTINEL && compressedSize !== U32_SENTINEL && headerOffset !== U32_SENTINEL) return { size, compressedSize, headerOffset };
  const zip64 = findExtraField(extra, ZIP64_EXTRA_ID) ?? fail('has saturated sizes but no ZIP64 extra field');
  let field = 0;
  const next = (): number => {
    if (field + 8 > zip64.byteLength) fail('has a ZIP64 extra field too short for its saturated sizes');
    const value = readU64(zip64, field, fail);
    field += 8;
    return value;
  };
  if (size === U32_SENTINEL) size = next();
  if (compressedSize === U32_SENTINEL) compressedSize = next();
  if (headerOffset === U32_SENTINEL) headerOffset = next();
  return { size, compressedSize, headerOffset };
}

function findExtraField(extra: DataView, id: number): DataView | undefined {
  for (let at = 0; at + 4 <= extra.byteLength; ) {
    const fieldId = extra.getUint16(at, true);
    const length = extra.getUint16(at + 2, true);
    if (at + 4 + length > extra.byteLength) return undefined;
    if (fieldId === id) return new DataView(extra.buffer, extra.byteOffset + at + 4, length);
    at += 4 + length;
  }
  return undefined;
}

function entryBytes(view: DataView<ArrayBuffer>, entry: ZipEntry, fail: Fail): Uint8Array<ArrayBuffer> {
  const problem = (what: string): never => fail(`entry ${entry.name} ${what}`);
  if (entry.flags & ENCRYPTED_FLAG) problem('is encrypted');
  if (entry.method !== 0) {
    const method = METHOD_NAMES[entry.method] ?? `method ${entry.method}`;
    problem(`is compressed (${method}); torch.save stores entries uncompressed, so the file was re-packed: save it again with torch.save`);
  }
  if (entry.compressedSize !== entry.size) problem(`is stored but its sizes differ (${entry.compressedSize} vs ${entry.size}): corrupt`);
  const header = entry.headerOffset;
  if (header + LOCAL_SIZE > view.byteLength || view.getUint32(header, true) !== LOCAL_SIGNATURE) {
    problem(`has no local header at byte ${header} (corrupt or truncated)`);
  }
  // torch pads the local header's extra field so the data starts aligned: take its lengths from there.
  const start = header + LOCAL_SIZE + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
  if (start + entry.size > view.byteLength) {
    problem(`holds bytes ${start}..${start + entry.size}, past the end of the ${view.byteLength}-byte file (truncated?)`);
  }
  return new Uint8Array(view.buffer, view.byteOffset + start, entry.size);
}

function readU64(view: DataView, at: number, fail: Fail): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`has a 64-bit size or offset ${value} beyond what we can address`);
  return Number(value);
}
