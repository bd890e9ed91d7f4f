import { describe, expect, it } from 'vitest';
import { packTexts } from '../link-codec.ts';
import { DEFAULT_VIEW, MAX_TEXT_LENGTH, parseLocation, settingsOf } from '../url-state.ts';
import {
  EXAMPLE_RANK,
  MAX_LINK_LENGTH,
  MAX_RANK_PASSAGES,
  parseRankParams,
  parseSessionFile,
  rankLink,
  sessionFile,
  SessionFileError,
  type RankState,
} from './rank-state.ts';

const settings = { ...settingsOf(DEFAULT_VIEW), model: 'sentence-transformers/all-MiniLM-L6-v2', layer: 2, mode: 'exact' as const, steps: 64, rule: 'romberg' as const };
const rank: RankState = { query: 'Ça va? 😀 <b>', passages: ['one & two', 'x=1#y', '<script>alert(1)</script>'], selected: 2, compare: [1, 0] };

describe('Rank view state', () => {
  it('round-trips the whole view through a link fragment', async () => {
    const link = await rankLink(settings, rank);
    expect(link.fits).toBe(true);
    expect(link.hash.startsWith('#')).toBe(true);
    const location = parseLocation('', link.hash);
    expect(location).toMatchObject({ page: 'rank', fromQuery: false });
    expect(await parseRankParams(location.params, EXAMPLE_RANK)).toEqual({ rank, notices: [] });
  });

  it('leaves the texts out of a link over MAX_LINK_LENGTH, and says how long it would be', async () => {
    // Random-looking text does not compress: 60 passages of 600 characters.
    let seed = 7;
    const noise = () => Array.from({ length: 600 }, () => String.fromCharCode(33 + ((seed = (seed * 48271) % 2147483647) % 90))).join('');
    const long: RankState = { ...rank, passages: Array.from({ length: 60 }, noise), selected: null, compare: null };
    const link = await rankLink(settings, long);
    expect(link.fits).toBe(false);
    expect(link.length).toBeGreaterThan(MAX_LINK_LENGTH);
    expect(link.hash).not.toContain('texts=');
    // Opened, such a link keeps the texts already on the page.
    const opened = await parseRankParams(parseLocation('', link.hash).params, long);
    expect(opened.rank.passages).toEqual(long.passages);
  });

  it('falls back to the texts it has, with a notice, for a damaged link; drops bad indices', async () => {
    const damaged = await parseRankParams('page=rank&texts=1.AAAA', EXAMPLE_RANK);
    expect(damaged.rank).toEqual(EXAMPLE_RANK);
    expect(damaged.notices[0]).toMatch(/could not be read/);
    const packed = await packTexts(['q', 'p0', 'p1']);
    const bad = await parseRankParams(`page=rank&texts=${packed}&sel=9&cmp=1,1`, EXAMPLE_RANK);
    expect(bad.rank).toEqual({ query: 'q', passages: ['p0', 'p1'], selected: null, compare: null });
  });

  it('caps passages and their length', async () => {
    const many = Array.from({ length: MAX_RANK_PASSAGES + 5 }, (_, i) => `p${i}`);
    const packed = await packTexts(['q'.repeat(MAX_TEXT_LENGTH + 3), 'x'.repeat(MAX_TEXT_LENGTH + 1), ...many]);
    const { rank: opened, notices } = await parseRankParams(`texts=${packed}`, EXAMPLE_RANK);
    expect(opened.query).toHaveLength(MAX_TEXT_LENGTH);
    expect(opened.passages).toHaveLength(MAX_RANK_PASSAGES);
    expect(opened.passages[0]).toHaveLength(MAX_TEXT_LENGTH);
    expect(notices[0]).toMatch(/first 1000/);
  });

  it('round-trips a session file exactly, settings included', () => {
    const opened = parseSessionFile(sessionFile(settings, rank));
    expect(opened).toEqual({ settings, rank, notices: [] });
  });

  it('refuses files that are not session files, with what is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /not JSON/],
      ['[1,2]', /not a PairLens session file/],
      ['{"kind":"other"}', /not a PairLens session file/],
      ['{"kind":"pairlens-session","version":9}', /version 9/],
      ['{"kind":"pairlens-session","version":1,"query":"q","passages":[1]}', /no query and passages/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseSessionFile(text)).toThrow(SessionFileError);
      expect(() => parseSessionFile(text)).toThrow(message);
    }
  });

  it('reads a session file with bad settings as the defaults, and says so', () => {
    const text = JSON.stringify({ kind: 'pairlens-session', version: 1, settings: { layer: 'x', sim: 'dot', a: 'ignored' }, query: 'q', passages: ['p'], selected: 'nope', compare: [0] });
    const opened = parseSessionFile(text);
    expect(opened.settings).toEqual({ ...settingsOf(DEFAULT_VIEW), sim: 'dot' });
    expect(opened.rank).toEqual({ query: 'q', passages: ['p'], selected: null, compare: null });
    expect(opened.notices.join(' ')).toMatch(/layer/);
  });
});

describe('link location', () => {
  it('reads old query-string links, and prefers the fragment', () => {
    expect(parseLocation('?a=x&b=y&backend=wasm', '')).toEqual({ page: 'explorer', params: 'a=x&b=y&backend=wasm', fromQuery: true });
    expect(parseLocation('?backend=wasm', '#a=p&b=q')).toEqual({ page: 'explorer', params: 'a=p&b=q', fromQuery: false });
    expect(parseLocation('?backend=wasm', '')).toEqual({ page: 'explorer', params: '', fromQuery: false });
  });
});
