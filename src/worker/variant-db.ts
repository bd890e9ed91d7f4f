/**
 * Exact variants made in this browser, kept in IndexedDB so they are offered again on
 * the next visit: one per model id, with a fingerprint of the model they were made
 * from (a folder opened from disk keeps its name across visits even when its weights
 * change; a variant of other weights must not be offered).
 */
import { VARIANT_RECORD_FORMAT } from '../exact/variant-record.ts';
import { STORED_VARIANT_FORMAT, type StoredVariant } from '../exact/variant-store.ts';

const DB_NAME = 'pairlens';
const STORE = 'exact-variants';

export interface VariantEntry {
  /** The original model's id (the store's key). */
  originalId: string;
  /** modelFingerprint() of the original. */
  fingerprint: number[];
  variant: StoredVariant;
}

/** Embedding values of the same model differ by ~1e-5 between backends; another model's by far more. */
const FINGERPRINT_TOLERANCE = 1e-3;

function sameModel(a: unknown, b: readonly number[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((v, i) => typeof v === 'number' && Math.abs(v - b[i]) <= FINGERPRINT_TOLERANCE);
}

/** Data written by this version (another version, or other code on this origin, may have left something else). */
function isVariantEntry(value: unknown): value is VariantEntry {
  const entry = value as Partial<VariantEntry> | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    entry.variant?.format === STORED_VARIANT_FORMAT &&
    entry.variant.record?.format === VARIANT_RECORD_FORMAT &&
    Array.isArray(entry.variant.weights)
  );
}

function available(): boolean {
  return typeof indexedDB !== 'undefined';
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'originalId' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
    request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = run(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error ?? request.error ?? new Error('IndexedDB request failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted (storage full?)'));
    });
  } finally {
    db.close();
  }
}

/** The stored variant of `originalId`, if one was made from a model with this fingerprint. */
export async function findVariant(originalId: string, fingerprint: readonly number[]): Promise<VariantEntry | undefined> {
  if (!available()) return undefined;
  const entry: unknown = await withStore('readonly', (store) => store.get(originalId));
  return isVariantEntry(entry) && sameModel(entry.fingerprint, fingerprint) ? entry : undefined;
}

export async function saveVariant(entry: VariantEntry): Promise<void> {
  if (!available()) throw new Error('this browser offers no IndexedDB');
  await withStore('readwrite', (store) => store.put(entry));
}

export async function deleteVariant(originalId: string): Promise<void> {
  if (!available()) return;
  await withStore('readwrite', (store) => store.delete(originalId));
}
