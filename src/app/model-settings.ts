/**
 * Where Hugging Face models come from, how big they may be and which TF.js backend
 * runs them (auto: the fastest by measurement), kept in this browser
 * (localStorage), not in links: a shared link must not point someone's browser at
 * another server. Also the models recently loaded here, offered in the Model box.
 */
import { DEFAULT_MAX_MODEL_MB } from '../model/catalog.ts';
import { DEFAULT_HUB_URL, validHubUrl } from '../model/hub.ts';
import { BACKENDS, type BackendName } from '../worker/protocol.ts';

/** `auto`: the worker times every backend this browser offers and keeps the fastest. */
export type BackendSetting = 'auto' | BackendName;
export const BACKEND_SETTINGS: readonly BackendSetting[] = ['auto', ...BACKENDS];

export interface ModelSettings {
  /** Hub or mirror root. */
  hubUrl: string;
  /** Largest model accepted, in MB (float32 weights, as downloaded). */
  maxMegabytes: number;
  /** The TF.js backend to run on; `backend=` in a link overrides it for that page. */
  backend: BackendSetting;
}

export const MAX_MEGABYTES_LIMIT = 4000;
export const DEFAULT_SETTINGS: ModelSettings = { hubUrl: DEFAULT_HUB_URL, maxMegabytes: DEFAULT_MAX_MODEL_MB, backend: 'auto' };

/** Models a user may not know to type; all are sentence-transformers BERT, RoBERTa or MPNet. */
export const SUGGESTED_MODELS: readonly string[] = [
  'sentence-transformers/all-MiniLM-L6-v2',
  'sentence-transformers/all-mpnet-base-v2',
  'sentence-transformers/all-distilroberta-v1',
  'BAAI/bge-small-en-v1.5',
  'intfloat/e5-small-v2',
  'thenlper/gte-small',
];

const KEYS = { hubUrl: 'pairlens.hubUrl', maxMegabytes: 'pairlens.maxMegabytes', recent: 'pairlens.recentModels', backend: 'pairlens.backend' };
const MAX_RECENT = 8;

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null; // storage disabled: defaults only
  }
}

function write(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Storage disabled or full: the setting lasts for this page only.
  }
}

export const MIN_MEGABYTES = 0.01;

export function validMegabytes(value: number): boolean {
  return Number.isFinite(value) && value >= MIN_MEGABYTES && value <= MAX_MEGABYTES_LIMIT;
}

export function loadSettings(): ModelSettings {
  const hubUrl = validHubUrl(read(KEYS.hubUrl) ?? '') ?? DEFAULT_SETTINGS.hubUrl;
  const mb = Number(read(KEYS.maxMegabytes));
  const backend = BACKEND_SETTINGS.find((b) => b === read(KEYS.backend)) ?? DEFAULT_SETTINGS.backend;
  return { hubUrl, maxMegabytes: validMegabytes(mb) ? mb : DEFAULT_SETTINGS.maxMegabytes, backend };
}

export function saveSettings(settings: ModelSettings): void {
  write(KEYS.hubUrl, settings.hubUrl);
  write(KEYS.maxMegabytes, String(settings.maxMegabytes));
  write(KEYS.backend, settings.backend);
}

export function recentModels(): string[] {
  try {
    const list = JSON.parse(read(KEYS.recent) ?? '[]') as unknown;
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string').slice(0, MAX_RECENT) : [];
  } catch {
    return [];
  }
}

export function rememberModel(id: string): void {
  write(KEYS.recent, JSON.stringify([id, ...recentModels().filter((m) => m !== id)].slice(0, MAX_RECENT)));
}
