/**
 * Hugging Face fast tokenizers (tokenizer.json) through @huggingface/tokenizers, turned
 * into our TokenizedText: ids with the model's special tokens kept ([CLS]/[SEP] or
 * <s>/</s>), display pieces, a word index per token and truncation to the model's
 * limit.
 *
 * The package returns tokens only, with neither offsets nor word ids, so words are
 * recovered by running its own normaliser and pre-tokeniser and encoding each
 * pre-token on its own: a word is a pre-token, as in the Rust library's word_ids.
 * Where that replay does not reproduce the tokens (added tokens typed inside the
 * text, exotic configurations) we fall back to the pieces' word-start markers.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import type { TokenizedText } from '../encoder.ts';
import { ModelFileError } from '../files.ts';
import { BYTE_LEVEL_WORD_START, isBarePiece, joinWords, SENTENCEPIECE_WORD_START, WORDPIECE_CONTINUATION, type PieceMarkers } from '../words.ts';

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

export class HfTokenizer {
  readonly tokenizer: Tokenizer;
  /** Ids of the tokens marked special in tokenizer.json ([UNK] and [MASK] included). */
  readonly specialIds: ReadonlySet<number>;
  /**
   * Ids the post-processor wraps every text in ([CLS]/[SEP], <s>/</s>): the special
   * tokens the attribution reference keeps. [UNK] stands for text, so it is not one.
   */
  readonly frameIds: ReadonlySet<number>;
  /**
   * The token the tokenizer pads with (tokenizer_config.json's pad_token, else
   * tokenizer.json's padding), or undefined where neither names one. It can differ from
   * config.json's pad_token_id: BERT models with XLM-R's tokenizer (multilingual-e5,
   * paraphrase-multilingual-MiniLM) pad with <pad> = 1 while their config says 0, which
   * is <s> there.
   */
  readonly padId: number | undefined;
  private readonly byteLevel: boolean;
  /**
   * Whether a SentencePiece Metaspace pre-tokeniser splits words at "▁" (XLM-R, T5,
   * Gemma): the package hands back the whole text as one pre-token there, so the replay
   * below would make it one word; the "▁" each word's first piece carries marks words.
   */
  private readonly metaspaceSplit: boolean;
  private readonly subwordPrefix: string | undefined;
  /** How display pieces mark words: "##" (WordPiece), a lone "Ġ" (byte-level BPE) or "▁" (SentencePiece). */
  private readonly markers: PieceMarkers;

  constructor(
    json: Record<string, unknown>,
    config: Record<string, unknown>,
    readonly maxTokens: number,
    fileName = 'tokenizer.json',
  ) {
    const added = Array.isArray(json.added_tokens) ? (json.added_tokens as AddedTokenJson[]) : [];
    try {
      // The package iterates added_tokens unconditionally; older files may lack the key.
      this.tokenizer = new Tokenizer({ ...json, added_tokens: added }, config);
    } catch (error) {
      throw new ModelFileError(fileName, `cannot be used (${(error as Error).message})`);
    }
    this.specialIds = new Set(added.filter((t) => t.special).map((t) => t.id));
    this.frameIds = new Set(this.tokenizer.encode('').ids);
    this.padId = this.namedPadId(config, json.padding);
    const decoder = json.decoder as { type?: string } | null | undefined;
    this.byteLevel = decoder?.type === 'ByteLevel';
    this.metaspaceSplit = splitsAtMetaspace(json.pre_tokenizer);
    const model = json.model as { type?: string; continuing_subword_prefix?: string };
    this.subwordPrefix = model.type === 'WordPiece' ? (model.continuing_subword_prefix ?? WORDPIECE_CONTINUATION) : undefined;
    this.markers = this.subwordPrefix !== undefined ? { continuation: this.subwordPrefix } : { wordStart: this.byteLevel ? BYTE_LEVEL_WORD_START : SENTENCEPIECE_WORD_START };
  }

  private namedPadId(config: Record<string, unknown>, padding: unknown): number | undefined {
    const named = config.pad_token;
    const content = typeof named === 'string' ? named : (named as { content?: unknown } | null | undefined)?.content;
    if (typeof content === 'string') return this.tokenToId(content);
    const padId = (padding as { pad_id?: unknown } | null | undefined)?.pad_id;
    return typeof padId === 'number' && Number.isInteger(padId) ? padId : undefined;
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /**
   * The text's tokens. A prompt is put before the text as sentence-transformers does
   * (one string, prompt + text, tokenized together and truncated at the end); its
   * tokens are the first as many content tokens as the prompt alone has, marked in
   * `prompt` (and `special`, so the explorer can hide them with the frame tokens).
   */
  tokenize(text: string, prompt = ''): TokenizedText {
    const input = prompt + text;
    const full = this.tokenizer.encode(input);
    const content = this.tokenizer.encode(input, { add_special_tokens: false });
    const start = findRun(full.ids, content.ids);
    if (start < 0) throw new Error('tokenizer post-processing reordered the tokens; cannot find the text inside its special tokens');
    const before = full.ids.length - content.ids.length;
    const keep = Math.max(0, Math.min(content.ids.length, this.maxTokens - before));
    const end = start + content.ids.length;

    const contentWords = this.contentWords(input, content.tokens).slice(0, keep);
    const pick = <T>(xs: T[], mid: T[]): T[] => [...xs.slice(0, start), ...mid, ...xs.slice(end)];
    const ids = pick(full.ids, content.ids.slice(0, keep));
    const tokens = pick(full.tokens, content.tokens.slice(0, keep));
    // Special tokens added around the text are words of their own.
    const rawWords = pick(
      full.ids.map((_, i) => -1 - i),
      contentWords,
    );
    const pieces = tokens.map((t, i) => this.display(t, ids[i]));
    const words = denseWords(rawWords);
    const promptLength = prompt === '' ? 0 : this.tokenizer.encode(prompt, { add_special_tokens: false }).ids.length;
    const inPrompt = ids.map((_, i) => i >= start && i < start + Math.min(promptLength, keep));
    return {
      ids,
      pieces,
      words,
      wordLabels: joinWords(pieces, words, this.markers),
      special: pieces.map((piece, i) => this.frameIds.has(ids[i]) || inPrompt[i] || isBarePiece(piece, this.markers)),
      ...(promptLength > 0 ? { prompt: inPrompt } : {}),
      droppedTokens: content.ids.length - keep,
    };
  }

  /** Word index (not yet dense) of each content token. */
  private contentWords(text: string, tokens: string[]): number[] {
    return (this.metaspaceSplit ? undefined : this.replayWords(text, tokens)) ?? this.markerWords(tokens);
  }

  private replayWords(text: string, tokens: string[]): number[] | undefined {
    const t = this.tokenizer;
    if (!t.model) return undefined;
    const normalized = t.normalizer ? t.normalizer(text) : text;
    const preTokens = t.pre_tokenizer ? t.pre_tokenizer(normalized) : [normalized];
    const words: number[] = [];
    for (let w = 0; w < preTokens.length; w++) {
      for (const piece of t.model([preTokens[w]])) {
        if (tokens[words.length] !== piece) return undefined;
        words.push(w);
      }
    }
    return words.length === tokens.length ? words : undefined;
  }

  private markerWords(tokens: string[]): number[] {
    let word = -1;
    return tokens.map((token, i) => {
      const id = this.tokenizer.token_to_id(token);
      const special = id !== undefined && this.specialIds.has(id);
      const continues =
        this.subwordPrefix !== undefined
          ? token.startsWith(this.subwordPrefix)
          : !(token.startsWith(BYTE_LEVEL_WORD_START) || token.startsWith(SENTENCEPIECE_WORD_START));
      if (i === 0 || special || !continues) word++;
      return word;
    });
  }

  /** What to show for a token: byte-level pieces decoded to text, word-start space dropped. */
  private display(token: string, id: number): string {
    if (!this.byteLevel || this.specialIds.has(id)) return token;
    // A lone space marker would display as nothing; show the marker itself.
    return decodeByteLevel(token).replace(/^ /, '') || token;
  }
}

/** First index where `run` occurs inside `xs` (−1 when it does not). */
function findRun(xs: number[], run: number[]): number {
  for (let s = 0; s + run.length <= xs.length; s++) {
    let ok = true;
    for (let i = 0; i < run.length && ok; i++) ok = xs[s + i] === run[i];
    if (ok) return s;
  }
  return -1;
}

/** Renumbers word labels 0, 1, 2, … in order of appearance (labels are only compared for equality). */
function denseWords(labels: number[]): number[] {
  let word = -1;
  return labels.map((label, i) => {
    if (i === 0 || label !== labels[i - 1]) word++;
    return word;
  });
}

let byteAlphabet: string[] | undefined;

/**
 * Byte-level BPE stores each byte as a printable character: bytes that are already
 * printable (and not space) stand for themselves, the other 68 are moved to 256 + n.
 * Entry b is the character that stands for byte b.
 */
export function byteLevelAlphabet(): readonly string[] {
  if (!byteAlphabet) {
    let shifted = 0;
    byteAlphabet = Array.from({ length: 256 }, (_, b) => {
      const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
      return String.fromCodePoint(printable ? b : 256 + shifted++);
    });
  }
  return byteAlphabet;
}

let byteDecoder: Map<string, number> | undefined;

/** The text a byte-level piece encodes (the piece itself when it is not byte-level). */
export function decodeByteLevel(piece: string): string {
  byteDecoder ??= new Map(byteLevelAlphabet().map((ch, b) => [ch, b]));
  const bytes: number[] = [];
  for (const ch of piece) {
    const b = byteDecoder.get(ch);
    if (b === undefined) return piece;
    bytes.push(b);
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** Whether the pre-tokeniser (or one in its sequence) is Metaspace with splitting on (the default). */
function splitsAtMetaspace(preTokenizer: unknown): boolean {
  const p = preTokenizer as { type?: string; split?: boolean; pretokenizers?: unknown[] } | null | undefined;
  if (p?.type === 'Metaspace') return p.split !== false;
  return p?.type === 'Sequence' && Array.isArray(p.pretokenizers) && p.pretokenizers.some(splitsAtMetaspace);
}
