/**
 * How a tokenizer's display pieces join into words, and which pieces carry no text.
 * Each tokenizer marks word boundaries its own way, so each declares its markers
 * (PieceMarkers) and the encoder hands the rest of PairLens finished word labels and
 * special-token flags (TokenizedText): nothing outside src/model reads token strings.
 */

/** The word-boundary markers of the tokenizers PairLens reads. */
export const SENTENCEPIECE_WORD_START = '\u2581'; // "▁"
export const BYTE_LEVEL_WORD_START = '\u0120'; // "Ġ"
export const WORDPIECE_CONTINUATION = '##';

export interface PieceMarkers {
  /**
   * Prefix of a piece that starts a word (SentencePiece's "▁"; byte-level BPE's "Ġ",
   * which display pieces keep only when the piece is that marker alone). Removed
   * wherever it occurs when words are joined.
   */
  wordStart?: string;
  /** Prefix of a piece that continues a word (WordPiece's "##"). */
  continuation?: string;
}

/** Number of words in a token → word map (word indices start at 0 and never decrease). */
export function wordCount(words: readonly number[]): number {
  return words.length === 0 ? 0 : Math.max(...words) + 1;
}

function withoutWordStart(piece: string, markers: PieceMarkers): string {
  return markers.wordStart ? piece.split(markers.wordStart).join('') : piece;
}

/**
 * Display text of each word: its pieces joined without their markers. A word made
 * of markers only (a lone separator) shows the marker, so no label is empty.
 */
export function joinWords(pieces: readonly string[], words: readonly number[], markers: PieceMarkers): string[] {
  const labels = new Array<string>(wordCount(words)).fill('');
  const raw = new Array<string>(wordCount(words)).fill('');
  const prefix = markers.continuation;
  pieces.forEach((piece, i) => {
    const w = words[i];
    const continues = prefix !== undefined && raw[w] !== '' && piece.startsWith(prefix) && piece.length > prefix.length;
    raw[w] += piece;
    labels[w] += continues ? piece.slice(prefix.length) : withoutWordStart(piece, markers);
  });
  return labels.map((label, w) => label || raw[w]);
}

/** A piece without text of its own: empty or white space once its word-start marker is removed. */
export function isBarePiece(piece: string, markers: PieceMarkers): boolean {
  return withoutWordStart(piece, markers).trim() === '';
}

/**
 * A display piece's own characters, for matching it against the text where the
 * tokenizer that made it is not at hand (batch files that `analyze` reads back): every
 * tokenizer's markers above removed; special tokens ([CLS], <s>) have none.
 */
export function pieceText(piece: string): string {
  if (/^\[[A-Z_]+\]$/.test(piece) || /^<\/?[a-z_]+>$/i.test(piece)) return '';
  const start = new RegExp(`^(${SENTENCEPIECE_WORD_START}+|${BYTE_LEVEL_WORD_START})`);
  const continuation = piece.startsWith(WORDPIECE_CONTINUATION) && piece.length > WORDPIECE_CONTINUATION.length;
  return (continuation ? piece.slice(WORDPIECE_CONTINUATION.length) : piece).replace(start, '');
}
