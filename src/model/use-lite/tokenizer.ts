/**
 * SentencePiece (unigram) tokenizer of the Universal Sentence Encoder lite.
 *
 * A port of the algorithm the maintained USE-lite packages run, quirks included,
 * because the model was trained on exactly these ids (docs/use-lite.md, "Tokenizer"):
 *  - ties in the Viterbi search keep the later candidate (`>=`),
 *  - a cumulative score of exactly 0 counts as "not reached yet",
 *  - ids 0..5 are never matched; a character no piece covers becomes id 0,
 *    and consecutive id-0 tokens merge into one.
 * Unlike those packages it also reports where each token came from, so the UI can
 * show the text a token covers and group sub-word pieces into words.
 */

export const WORD_START = '\u2581'; // "▁", SentencePiece's visible space
export const UNKNOWN_ID = 0;
const RESERVED_IDS = 6;

/** A vocabulary as shipped in vocab.json: [piece, log-probability score] by id. */
export type Vocabulary = ReadonlyArray<readonly [string, number | null]>;

export interface Token {
  id: number;
  /** The vocabulary piece, or the covered characters for unknown tokens. */
  piece: string;
  /** Index of the word this token belongs to (a word starts at a "▁" piece). */
  word: number;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  id: number; // -1 when no piece ends here
  score: number;
}

function newNode(): TrieNode {
  return { children: new Map(), id: -1, score: 0 };
}

/** Normalises like the original: NFKC, then "▁" before the text and for every ASCII space. */
export function normalizeForPieces(text: string): string {
  const nfkc = text.normalize('NFKC');
  return nfkc.length > 0 ? WORD_START + nfkc.replace(/ /g, WORD_START) : nfkc;
}

export class UseLiteTokenizer {
  private readonly root = newNode();
  private readonly pieceLengths: number[];

  constructor(private readonly vocabulary: Vocabulary) {
    this.pieceLengths = vocabulary.map(([piece]) => piece.length);
    for (let id = RESERVED_IDS; id < vocabulary.length; id++) {
      const [piece, score] = vocabulary[id];
      let node = this.root;
      for (const symbol of piece) {
        let child = node.children.get(symbol);
        if (!child) {
          child = newNode();
          node.children.set(symbol, child);
        }
        node = child;
      }
      // A later duplicate piece replaces an earlier one, as in the original trie.
      node.id = id;
      node.score = score ?? 0;
    }
  }

  get vocabularySize(): number {
    return this.vocabulary.length;
  }

  /** Ids only, exactly as the maintained implementation returns them. */
  encode(text: string): number[] {
    return this.tokenize(text).map((t) => t.id);
  }

  tokenize(text: string): Token[] {
    const symbols = [...normalizeForPieces(text)];
    const n = symbols.length;
    if (n === 0) return [];

    // candidates[end] lists (start, id, score) of every piece ending at `end`, by ascending start.
    const candidates: Array<Array<{ start: number; id: number; score: number }>> = [];
    for (let i = 0; i <= n; i++) candidates.push([]);
    for (let start = 0; start < n; start++) {
      let node = this.root.children.get(symbols[start]);
      let matched = false;
      for (let end = start + 1; node; end++) {
        if (node.id >= 0) {
          candidates[end].push({ start, id: node.id, score: node.score });
          matched = true;
        }
        node = end < n ? node.children.get(symbols[end]) : undefined;
      }
      if (!matched) candidates[start + 1].push({ start, id: UNKNOWN_ID, score: 0 });
    }
    // Candidates were pushed in ascending start order already, as the original visits them.

    const best = new Array<number>(n + 1).fill(0);
    const bestId = new Array<number>(n + 1).fill(0);
    for (let end = 0; end <= n; end++) {
      for (const { start, id, score } of candidates[end]) {
        const total = score + best[start];
        if (best[end] === 0 || total >= best[end]) {
          best[end] = total;
          bestId[end] = id;
        }
      }
    }

    // Walk back from the end. Like the original, step back by the winning piece's
    // string length (id 0 is "�", one symbol).
    const reversed: Array<{ id: number; start: number; end: number }> = [];
    for (let end = n; end > 0; ) {
      const id = bestId[end];
      const start = end - this.pieceLengths[id];
      reversed.push({ id, start, end });
      end = start;
    }
    const spans = reversed.reverse();

    const tokens: Token[] = [];
    let word = -1;
    let previousUnknown = false;
    for (const { id, start, end } of spans) {
      const surface = symbols.slice(start, end).join('');
      if (id === UNKNOWN_ID && previousUnknown) {
        tokens[tokens.length - 1].piece += surface;
        continue;
      }
      previousUnknown = id === UNKNOWN_ID;
      if (surface.startsWith(WORD_START) || word < 0) word++;
      tokens.push({ id, piece: id === UNKNOWN_ID ? surface : this.vocabulary[id][0], word });
    }
    return tokens;
  }
}
