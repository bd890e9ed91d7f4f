/**
 * What a model id names, without any TF.js (the UI, the URL state, the worker and
 * the CLI all read ids the same way):
 *
 *   use-lite                   a model bundled with the app (catalog.ts)
 *   owner/name, owner/name@rev a sentence-transformers model on the Hugging Face Hub
 *                              (revision: a branch, tag or commit; default "main")
 *   local:folder-name          a folder the user opened from disk in this browser tab;
 *                              a link can name it but only that user's browser has it
 */
import { BUNDLED_MODELS, EXACT_VARIANTS } from './catalog.ts';

export type ModelRef =
  | { kind: 'bundled'; id: string }
  | { kind: 'hub'; id: string; repo: string; revision: string }
  | { kind: 'local'; id: string; name: string };

export const DEFAULT_REVISION = 'main';
export const LOCAL_PREFIX = 'local:';

/**
 * Hub repository ids: one or two segments of letters, digits, '.', '_' and '-'
 * (the Hub's own rule), not starting with a dot, optionally "@revision".
 */
const HUB_ID = /^([A-Za-z0-9][\w.-]{0,95}(?:\/[A-Za-z0-9][\w.-]{0,95})?)(?:@([\w-][\w.-]{0,63}))?$/;
/** Path separators and control characters, which a folder name in an id must not hold. */
function isForbiddenInName(ch: string): boolean {
  const code = ch.codePointAt(0) ?? 0;
  return ch === '/' || ch === '\\' || code < 0x20 || code === 0x7f;
}

function validLocalName(name: string): boolean {
  return name.length >= 1 && name.length <= 128 && name.trim() === name && ![...name].some(isForbiddenInName) && !/^\.+$/.test(name);
}

export function parseModelId(id: string): ModelRef | undefined {
  if ([...BUNDLED_MODELS, ...EXACT_VARIANTS].some((m) => m.id === id)) return { kind: 'bundled', id };
  if (id.startsWith(LOCAL_PREFIX)) {
    const name = id.slice(LOCAL_PREFIX.length);
    return validLocalName(name) ? { kind: 'local', id, name } : undefined;
  }
  const match = HUB_ID.exec(id);
  if (!match || id.includes('..') || id.includes('--')) return undefined;
  const revision = match[2] ?? DEFAULT_REVISION;
  // "owner/name@main" and "owner/name" are the same model: one id for caches and links.
  const canonical = revision === DEFAULT_REVISION ? match[1] : `${match[1]}@${revision}`;
  return { kind: 'hub', id: canonical, repo: match[1], revision };
}

/** The id of a folder opened from disk. */
export function localModelId(folderName: string): string {
  const cleaned = [...folderName].map((ch) => (isForbiddenInName(ch) ? '_' : ch)).join('').trim().slice(0, 128).trim();
  return LOCAL_PREFIX + (cleaned.replace(/^\.+$/, '') || 'folder');
}

/** A short explanation of what ids are accepted, for error messages. */
export const MODEL_ID_HELP =
  'a bundled model (use-lite), a Hugging Face id such as sentence-transformers/all-MiniLM-L6-v2 (optionally @revision), or a folder opened from disk';
