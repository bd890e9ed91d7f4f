/**
 * Parts of speech, lemmas and negation words for the tokens of an attribution, for the
 * dataset analyses (analysis.ts). Plain TypeScript (no TF.js, DOM or Node): the CLI and
 * the browser load the tagger the same way, lazily, so nothing pays for it unless asked.
 *
 *   const tagger = await loadPosTagger();            // wink-nlp + wink-eng-lite-web-model (MIT)
 *   tagger.tag('He didn't go.')                      // [{text: 'He', pos: 'PRON', lemma: 'he'}, {text: 'did', …}, {text: "n't", pos: 'PART', lemma: 'not'}, …]
 *   tokenTags(text, tokens, tagger, words?)          // one TokenTag per model token
 *
 * Tags are Universal Dependencies parts of speech (NOUN, VERB, AUX, ADJ, ADP, DET, PART,
 * PRON, PUNCT, …) as wink-nlp gives them. The tagger tags the words of the text as it
 * was written; tokenTags then maps each of the model's tokens to the words it covers by
 * their characters (lowercased, accents and whitespace removed, the tokenizers' markers
 * stripped by the caller's PieceText), so a token covering two words ("cannot": "can" + "not")
 * has both, and a word split into pieces gives each piece its tag. A token whose
 * characters cannot be found (special tokens such as [CLS], a byte-level piece of a
 * non-ASCII character) takes the words of the other tokens of its model word when the
 * word map is given, else it is UNALIGNED.
 */
import type { ItsFunction } from 'wink-nlp';

/** One word of a text as the tagger sees it. */
export interface TaggedWord {
  /** As written. */
  text: string;
  /** Universal Dependencies part of speech, or 'X' when unknown. */
  pos: string;
  /** Lowercase base form ("did" → "do", "n't" → "not"); the lowercase word when the tagger has none. */
  lemma: string;
}

export interface PosTagger {
  /** What tagged, for reports: "wink-nlp 2.x, wink-eng-lite-web-model". */
  name: string;
  tag(text: string): TaggedWord[];
}

/** The part of speech of a token that could not be matched to any word of its text. */
export const UNALIGNED = 'NONE';

/**
 * Words that negate (compared with a word's lowercase form and its lemma). "n't" is how
 * the tagger splits "didn't", "isn't"; its lemma is "not".
 */
export const NEGATION_WORDS: readonly string[] = [
  'not', "n't", 'no', 'never', 'nobody', 'nothing', 'neither', 'nor', 'none', 'without', 'nowhere', 'cannot', 'noone', 'nought', 'nil',
];
const NEGATIONS = new Set(NEGATION_WORDS);

export function isNegation(word: TaggedWord): boolean {
  return NEGATIONS.has(word.text.toLowerCase().replace(/[’‘]/g, "'")) || NEGATIONS.has(word.lemma);
}

/** What a model token stands for in the analyses. */
export interface TokenTag {
  /** Part of speech of the first word the token covers, or UNALIGNED. */
  pos: string;
  /** Lemmas of the words it covers, joined with spaces ("" when unaligned): two tokens with equal keys are the same word. */
  key: string;
  /** Whether any word it covers is a negation word. */
  negation: boolean;
}

/**
 * A tagger without a model: words are runs of letters and digits (with "n't" split
 * off as its own word, like wink-nlp) or single other characters; every tag is 'X' and
 * every lemma the lowercase word. The analyses fall back to it when no tagger is given
 * (lexical overlap and negation words still work; parts of speech do not).
 */
export const plainTagger: PosTagger = {
  name: 'plain words (no part-of-speech model)',
  tag(text: string): TaggedWord[] {
    const words: TaggedWord[] = [];
    for (const [match] of text.matchAll(/[\p{L}\p{N}]+|\S/gu)) words.push({ text: match, pos: 'X', lemma: match.toLowerCase() });
    return mergeNegatedContractions(words);
  },
};

/** "didn" "'" "t" → "did" "n't", as the model tagger splits contractions. */
function mergeNegatedContractions(words: TaggedWord[]): TaggedWord[] {
  const out: TaggedWord[] = [];
  for (let i = 0; i < words.length; i++) {
    const [w, apostrophe, t] = [words[i], words[i + 1], words[i + 2]];
    if (apostrophe && t && /n$/i.test(w.text) && w.text.length > 1 && /^['’]$/.test(apostrophe.text) && /^t$/i.test(t.text)) {
      const stem = w.text.slice(0, -1);
      out.push({ text: stem, pos: w.pos, lemma: stem.toLowerCase() }, { text: `${w.text.slice(-1)}${apostrophe.text}${t.text}`, pos: 'PART', lemma: 'not' });
      i += 2;
    } else {
      out.push(w);
    }
  }
  return out;
}

/** The words' lowercase letters for matching: compatibility-decomposed, accents and whitespace removed, curly quotes straightened. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[’‘]/g, "'")
    .replace(/[“”]/g, '"')
    .toLowerCase()
    .replace(/\s+/g, '');
}

/**
 * A token's own characters, its tokenizer's markers removed ('' for a special token).
 * The markers are the models' to know (src/model/words.ts pieceText): the caller passes
 * them in; by default a piece is taken as it is.
 */
export type PieceText = (piece: string) => string;

/** How far ahead of the expected place a token of 3 or more characters may be found (text the tokenizer dropped or changed). */
const RESYNC_WINDOW = 32;

/**
 * For each token, the indices of the words (of `words`, tagged from `text`) whose
 * characters it covers, in order; [] when it could not be placed. `modelWords` (the
 * token → word map of the result) lets an unplaced token borrow its model word's.
 */
export function alignTokens(
  words: readonly TaggedWord[],
  tokens: readonly string[],
  modelWords?: readonly number[],
  pieceText: PieceText = (piece) => piece,
): number[][] {
  let compact = '';
  const owner: number[] = [];
  words.forEach((word, w) => {
    const folded = foldText(word.text);
    compact += folded;
    for (let k = 0; k < folded.length; k++) owner.push(w);
  });
  let position = 0;
  const covered = tokens.map((piece) => {
    const chars = foldText(pieceText(piece));
    if (chars === '') return [];
    const at = compact.startsWith(chars, position) ? position : compact.indexOf(chars, position);
    // Short pieces match almost anywhere: they may skip only a character or two.
    if (at < 0 || at - position > (chars.length >= 3 ? RESYNC_WINDOW : 2)) return [];
    position = at + chars.length;
    return [...new Set(owner.slice(at, at + chars.length))];
  });
  if (modelWords) {
    const byModelWord = new Map<number, number[]>();
    covered.forEach((c, i) => {
      if (c.length > 0 && !byModelWord.has(modelWords[i])) byModelWord.set(modelWords[i], c);
    });
    covered.forEach((c, i) => {
      if (c.length === 0) covered[i] = byModelWord.get(modelWords[i]) ?? [];
    });
  }
  return covered;
}

/** The TokenTag of every token of a text (see the header). */
export function tokenTags(text: string, tokens: readonly string[], tagger: PosTagger, modelWords?: readonly number[], pieceText?: PieceText): TokenTag[] {
  const words = tagger.tag(text);
  return alignTokens(words, tokens, modelWords, pieceText).map((indices) => {
    if (indices.length === 0) return { pos: UNALIGNED, key: '', negation: false };
    const covered = indices.map((w) => words[w]);
    return { pos: covered[0].pos, key: covered.map((w) => w.lemma).join(' '), negation: covered.some(isNegation) };
  });
}

interface WinkToken {
  value: string;
  pos: string;
  lemma: string;
}

let winkTagger: Promise<PosTagger> | undefined;

/**
 * wink-nlp with its English lite model (both MIT), imported on first use (about 4 MB of
 * model; 0.3 s to load in Node). Loaded once; later calls share it.
 */
export function loadPosTagger(): Promise<PosTagger> {
  winkTagger ??= (async () => {
    const [{ default: winkNLP }, { default: model }] = await Promise.all([import('wink-nlp'), import('wink-eng-lite-web-model')]);
    const nlp = winkNLP(model, ['sbd', 'pos']);
    const its = nlp.its;
    return {
      name: 'wink-nlp with wink-eng-lite-web-model',
      tag(text: string): TaggedWord[] {
        const tokens = nlp.readDoc(text).tokens();
        const values = tokens.out(its.value) as string[];
        const pos = tokens.out(its.pos) as string[];
        // The typings give lemma an addons parameter the other helpers lack; it is called like them.
        const lemmas = tokens.out(its.lemma as unknown as ItsFunction<string>) as string[];
        return values
          .map((value, i): WinkToken => ({ value, pos: pos[i] ?? 'X', lemma: lemmas[i] ?? value }))
          .filter((t) => t.value.trim() !== '')
          .map((t) => ({ text: t.value, pos: t.pos || 'X', lemma: (t.lemma || t.value).toLowerCase() }));
      },
    };
  })();
  return winkTagger;
}
