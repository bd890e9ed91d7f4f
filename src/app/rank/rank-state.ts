/**
 * What the Rank view restores from a link or a session file: the query, the passages,
 * the passage selected and the pair compared, beside the attribution settings the
 * explorer shares (url-state.ts). In a link the texts travel packed (link-codec.ts) in
 * the fragment; a view whose link would pass MAX_LINK_LENGTH is saved as a session
 * file instead, which restores it exactly.
 */
import { MAX_PASSAGES } from '../../shared/passages.ts';
import { LinkFormatError, packTexts, unpackTexts } from '../link-codec.ts';
import { MAX_TEXT_LENGTH, parseView, serializeSettings, settingsOf, type Settings } from '../url-state.ts';

export interface RankState {
  query: string;
  passages: string[];
  /** Index (in `passages`) of the passage whose query words are highlighted. */
  selected: number | null;
  /** Indices of the two passages compared in "Why is X above Y". */
  compare: [number, number] | null;
}

/** Most passages a view holds, as many as a passage file gives (shared/passages.ts). */
export const MAX_RANK_PASSAGES = MAX_PASSAGES;

/**
 * Longest link the Rank view writes, in characters. Browsers take far longer URLs,
 * but chat tools, issue trackers and mail clients cut or refuse them well before:
 * 32,000 characters is about 50 passages of a paragraph each once packed.
 */
export const MAX_LINK_LENGTH = 32_000;

export const EXAMPLE_RANK: RankState = {
  query: 'How do lighthouses help ships at night?',
  passages: [
    'A lighthouse sends out a bright beam so that sailors can see the coast in the dark.',
    'The keeper climbed the tower every evening to light the lamp for passing boats.',
    'Ships use radar and satellite navigation to find their way in poor visibility.',
    'The old mill by the river ground wheat for the village until 1950.',
    'Each lighthouse flashes its own pattern, telling captains exactly where they are.',
    'Seagulls nest on the cliffs above the harbour in spring.',
    'Fog horns warned ships of rocks when the light could not be seen.',
    'The museum displays paintings of stormy seas from the nineteenth century.',
  ],
  selected: null,
  compare: null,
};

export interface RankLink {
  /** The fragment (with "#"); without the texts when they do not fit. */
  hash: string;
  /** Characters the full link's fragment would take. */
  length: number;
  fits: boolean;
}

/** The fragment for the Rank view: page=rank, the settings, the packed texts, selection. */
export async function rankLink(view: Settings, rank: RankState): Promise<RankLink> {
  const params = new URLSearchParams(serializeSettings(view));
  params.set('page', 'rank');
  if (rank.selected !== null) params.set('sel', String(rank.selected));
  if (rank.compare) params.set('cmp', rank.compare.join(','));
  const settings = params.toString();
  const full = `#${settings}&texts=${await packTexts([rank.query, ...rank.passages])}`;
  const fits = full.length <= MAX_LINK_LENGTH;
  return { hash: fits ? full : `#${settings}`, length: full.length, fits };
}

/** An index into `count` passages, or null. */
function indexIn(raw: string | null | undefined, count: number): number | null {
  if (raw === null || raw === undefined || !/^\d{1,4}$/.test(raw)) return null;
  const index = Number(raw);
  return index < count ? index : null;
}

/** Cleans texts read from a link or file: at most MAX_RANK_PASSAGES passages, each cut to MAX_TEXT_LENGTH. */
function rankTexts(query: string, passages: readonly string[], selected: string | null, compare: string | null): { rank: RankState; notices: string[] } {
  const notices: string[] = [];
  if (passages.length > MAX_RANK_PASSAGES) notices.push(`Only the first ${MAX_RANK_PASSAGES} of ${passages.length} passages are shown.`);
  const kept = passages.slice(0, MAX_RANK_PASSAGES).map((p) => p.slice(0, MAX_TEXT_LENGTH));
  const pair = compare?.split(',').map((i) => indexIn(i, kept.length)) ?? [];
  const [x, y] = pair;
  return {
    rank: {
      query: query.slice(0, MAX_TEXT_LENGTH),
      passages: kept,
      selected: indexIn(selected, kept.length),
      compare: pair.length === 2 && x !== null && y !== null && x !== y ? [x, y] : null,
    },
    notices,
  };
}

/**
 * The Rank view a link's parameters describe. Without texts (a view too long for a
 * link, or none yet) it is `fallback`'s texts, with a notice when the link meant more.
 */
export async function parseRankParams(params: string, fallback: RankState): Promise<{ rank: RankState; notices: string[] }> {
  const query = new URLSearchParams(params);
  const packed = query.get('texts');
  if (packed === null) return { rank: { ...fallback, selected: null, compare: null }, notices: [] };
  try {
    const [first = '', ...passages] = await unpackTexts(packed);
    return rankTexts(first, passages, query.get('sel'), query.get('cmp'));
  } catch (error) {
    const why = error instanceof LinkFormatError ? error.message : String(error);
    return { rank: fallback, notices: [`The link's texts could not be read (${why}); showing the example instead.`] };
  }
}

/** The session file's kind, so that any other JSON is refused with a clear message. */
const SESSION_KIND = 'pairlens-session';
const SESSION_VERSION = 1;
/** Largest session file opened, in bytes. */
export const MAX_SESSION_BYTES = 50_000_000;

export class SessionFileError extends Error {
  override name = 'SessionFileError';
}

/** A session file (JSON) that restores the Rank view exactly: its settings, texts and selection. */
export function sessionFile(view: Settings, rank: RankState): string {
  const settings = Object.fromEntries(new URLSearchParams(serializeSettings(view)));
  return `${JSON.stringify({ kind: SESSION_KIND, version: SESSION_VERSION, page: 'rank', settings, ...rank }, null, 2)}\n`;
}

/** The settings and Rank view a session file holds; SessionFileError says what is wrong with anything else. */
export function parseSessionFile(text: string): { settings: Settings; rank: RankState; notices: string[] } {
  if (text.length > MAX_SESSION_BYTES) throw new SessionFileError(`it is larger than ${MAX_SESSION_BYTES / 1e6} MB`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SessionFileError('it is not JSON');
  }
  const record = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
  const file = record(value);
  if (!file || file.kind !== SESSION_KIND) throw new SessionFileError('it is not a PairLens session file');
  if (file.version !== SESSION_VERSION) throw new SessionFileError(`it is version ${String(file.version)}; this PairLens reads version ${SESSION_VERSION}`);
  const { query, passages, selected, compare } = file;
  if (typeof query !== 'string' || !Array.isArray(passages) || !passages.every((p): p is string => typeof p === 'string')) {
    throw new SessionFileError('it holds no query and passages');
  }
  // Settings go through the link parser: the same validation, defaults and notices.
  const settings = Object.entries(record(file.settings) ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'a' && entry[0] !== 'b');
  const parsed = parseView(new URLSearchParams(settings).toString());
  const texts = rankTexts(
    query,
    passages,
    typeof selected === 'number' ? String(selected) : null,
    Array.isArray(compare) ? compare.join(',') : null,
  );
  return { settings: settingsOf(parsed.view), rank: texts.rank, notices: [...parsed.notices, ...texts.notices] };
}
