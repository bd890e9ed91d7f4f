/**
 * Makes tiny seeded random sentence-transformers models (2 layers, hidden size 32) in
 * exactly the Hugging Face Hub layout, one per architecture we support, so the loader,
 * the tokenizers and every architecture's forward and tangent rules can be tested
 * offline. scripts/reference-fixtures.py loads the same folders with PyTorch to record
 * ground truth.
 *
 *     npx tsx scripts/make-tiny-models.ts [outputFolder]    (default: test-models)
 *
 * Output (≈ 0.5 MB), deterministic for a given script version:
 *   bert/          BERT, WordPiece, mean pooling + Normalize, max_seq_length 48
 *   bert-fp16/     the same weights stored as float16
 *   bert-sharded/  the same weights in two shards + index, names prefixed "bert."
 *   roberta/       RoBERTa, byte-level BPE, gelu_new, CLS pooling, no Normalize
 *   mpnet/         MPNet, WordPiece, mean pooling + Dense(32→16, tanh) + Normalize
 *   bert-maxmean/  the BERT weights with max and mean pooling concatenated (64 wide)
 *   mpnet-exact/   an exact checkpoint as the papers' reference code saves one: its
 *                  Transformer module is xsbert's ShiftingReferenceTransformer, then
 *                  mean pooling (other weights than mpnet/)
 */
import { normals, seededRandom } from '../src/shared/random.ts';
import { encoderTensors, type Shape, type Spreads, type Tensors } from './seeded-encoder.ts';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors } from '../src/model/hf/formats/safetensors.ts';
import { byteLevelAlphabet } from '../src/model/hf/tokenizer.ts';

const TINY: Shape = { hidden: 32, layers: 2, heads: 4, intermediate: 64 };
const HIDDEN = TINY.hidden;

/**
 * Shapes of real models, for timing only (random weights, tiny vocabulary):
 * `--shape minilm-l6` writes one BERT folder the size of all-MiniLM-L6-v2.
 */
const REAL_SHAPES: Record<string, Shape & { maxSeqLength: number }> = {
  'minilm-l6': { hidden: 384, layers: 6, heads: 12, intermediate: 1536, maxSeqLength: 256 },
  'mpnet-base': { hidden: 768, layers: 12, heads: 12, intermediate: 3072, maxSeqLength: 384 },
};

/** A small seeded generator (mulberry32), so the models are the same on every machine. */
const generator = seededRandom;

/**
 * Larger than the usual 0.02 init so attention is far from uniform and GELU works in its
 * curved range: the tests then exercise every term of the tangent rules. Wider (timing)
 * models scale the matrices' spread down so activations stay of the same size.
 */
function spreadsFor(shape: Shape): Spreads {
  return {
    words: 1, positions: 0.5, types: 0.5, bias: 0.1, normWeight: 0.1, normBias: 0.1,
    matrix: (inp) => (shape === TINY ? 0.25 : 0.25 * Math.sqrt(TINY.hidden / inp)),
  };
}

function encoder(arch: 'bert' | 'roberta' | 'mpnet', vocab: number, positions: number, seed: number, shape: Shape = TINY): Tensors {
  return encoderTensors(arch, vocab, positions, seed, shape, spreadsFor(shape));
}

function safetensors(tensors: Tensors, dtype: 'F32' | 'F16', prefix = ''): Uint8Array {
  const entries = Object.entries(tensors).map(([name, v]) => [prefix + name, { dtype, shape: v.shape, data: v.data }] as const);
  return encodeSafetensors(Object.fromEntries(entries));
}

const WORDS = [
  'the', 'a', 'an', 'is', 'are', 'was', 'be', 'to', 'of', 'and', 'in', 'on', 'at', 'for', 'with', 'that', 'this',
  'it', 'he', 'she', 'they', 'we', 'you', 'i', 'not', 'no', 'cat', 'dog', 'sat', 'sit', 'mat', 'man', 'woman',
  'child', 'play', 'run', 'quick', 'brown', 'fox', 'jump', 'over', 'lazy', 'house', 'home', 'car', 'road', 'city',
  'music', 'song', 'book', 'read', 'good', 'bad', 'happy', 'sad', 'big', 'small', 'old', 'new', 'day', 'night',
  'people', 'food', 'water', 'coffee', 'tea', 'drink', 'eat', 'like', 'love', 'very', 'much', 'street', 'park',
  'weather', 'today', 'outside', 'guitar', 'un', 'believ', 'able',
];
const SUFFIXES = ['##believ', '##s', '##ing', '##ed', '##er', '##ly', '##able', '##y', '##e'];
const PUNCTUATION = ['.', ',', '!', '?', "'", '-'];

function wordPieceTokenizer(specials: { pad: string; unk: string; cls: string; sep: string; mask: string }, specialOrder: string[]) {
  const vocab: Record<string, number> = {};
  for (const token of [...specialOrder, ...PUNCTUATION, ...WORDS, ...SUFFIXES]) vocab[token] ??= Object.keys(vocab).length;
  if (!(specials.mask in vocab)) vocab[specials.mask] = Object.keys(vocab).length;
  const added = [specials.pad, specials.unk, specials.cls, specials.sep, specials.mask]
    .map((content) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }))
    .sort((x, y) => x.id - y.id);
  const special = (name: string) => ({ SpecialToken: { id: name, type_id: 0 } });
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special(specials.cls), { Sequence: { id: 'A', type_id: 0 } }, special(specials.sep)],
      pair: [
        special(specials.cls),
        { Sequence: { id: 'A', type_id: 0 } },
        special(specials.sep),
        { Sequence: { id: 'B', type_id: 1 } },
        special(specials.sep),
      ],
      special_tokens: Object.fromEntries(
        [specials.cls, specials.sep].map((s) => [s, { id: s, ids: [vocab[s]], tokens: [s] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: specials.unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
  return { json, size: Object.keys(vocab).length };
}

/** Byte-level BPE: all 256 byte symbols plus merges that build a few words, with and without the space marker. */
function byteLevelTokenizer() {
  const alphabet = byteLevelAlphabet();
  const vocab: Record<string, number> = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 };
  for (const ch of alphabet) vocab[ch] = Object.keys(vocab).length;
  const merges: string[] = [];
  const space = alphabet[32];
  for (const word of WORDS.slice(0, 60)) {
    for (const form of [space + word, word]) {
      let current = form[0];
      for (const ch of form.slice(1)) {
        const merged = current + ch;
        if (!(merged in vocab)) {
          merges.push(`${current} ${ch}`);
          vocab[merged] = Object.keys(vocab).length;
        }
        current = merged;
      }
    }
  }
  vocab['<mask>'] = Object.keys(vocab).length;
  const added = ['<s>', '<pad>', '</s>', '<unk>', '<mask>'].map((content) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: content === '<mask>',
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
  return { json, size: Object.keys(vocab).length };
}

function pooling(hidden: number, ...modes: Array<'mean' | 'cls' | 'max'>) {
  return {
    word_embedding_dimension: hidden,
    pooling_mode_cls_token: modes.includes('cls'),
    pooling_mode_mean_tokens: modes.includes('mean'),
    pooling_mode_max_tokens: modes.includes('max'),
    pooling_mode_mean_sqrt_len_tokens: false,
    pooling_mode_weightedmean_tokens: false,
    pooling_mode_lasttoken: false,
    include_prompt: true,
  };
}

function modules(extra: Array<'Dense' | 'Normalize'>, transformer = 'sentence_transformers.models.Transformer') {
  const list = [
    { idx: 0, name: '0', path: '', type: transformer },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  extra.forEach((kind, i) => {
    const idx = i + 2;
    list.push({ idx, name: String(idx), path: `${idx}_${kind}`, type: `sentence_transformers.models.${kind}` });
  });
  return list;
}

function writeFolder(folder: string, files: Record<string, string | Uint8Array | object>): void {
  rmSync(folder, { recursive: true, force: true });
  for (const [name, content] of Object.entries(files)) {
    const path = join(folder, name);
    mkdirSync(join(path, '..'), { recursive: true });
    const data = content instanceof Uint8Array || typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`;
    writeFileSync(path, data);
  }
}

/** A BERT model's files (all but the weights) and its random weights. */
function bertModel(shape: Shape, maxPositions: number, maxSeqLength: number, seed: number) {
  const tokenizer = wordPieceTokenizer(
    { pad: '[PAD]', unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' },
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
  );
  const config = {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: tokenizer.size,
    hidden_size: shape.hidden,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    intermediate_size: shape.intermediate,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: maxPositions,
    type_vocab_size: 2,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
  };
  const files = {
    'config.json': config,
    'tokenizer.json': tokenizer.json,
    'tokenizer_config.json': { tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: maxSeqLength, cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' },
    'sentence_bert_config.json': { max_seq_length: maxSeqLength, do_lower_case: false },
    'modules.json': modules(['Normalize']),
    '1_Pooling/config.json': pooling(shape.hidden, 'mean'),
  };
  return { files, weights: encoder('bert', tokenizer.size, maxPositions, seed, shape) };
}

function makeTinyModels(out: string): void {
  // BERT and its storage variants.
  const { files: bertCommon, weights: bertWeights } = bertModel(TINY, 64, 48, 1);
  writeFolder(join(out, 'bert'), { ...bertCommon, 'model.safetensors': safetensors(bertWeights, 'F32') });
  writeFolder(join(out, 'bert-fp16'), { ...bertCommon, 'model.safetensors': safetensors(bertWeights, 'F16') });
  writeFolder(join(out, 'bert-maxmean'), {
    ...bertCommon,
    'modules.json': modules([]),
    '1_Pooling/config.json': pooling(HIDDEN, 'max', 'mean'),
    'model.safetensors': safetensors(bertWeights, 'F32'),
  });

  const names = Object.keys(bertWeights);
  const half = Math.ceil(names.length / 2);
  const shardNames = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const shards = [names.slice(0, half), names.slice(half)].map((group) =>
    safetensors(Object.fromEntries(group.map((n) => [n, bertWeights[n]])), 'F32', 'bert.'),
  );
  const index = {
    metadata: { total_size: names.reduce((sum, n) => sum + bertWeights[n].data.length * 4, 0) },
    weight_map: Object.fromEntries(names.map((n, i) => [`bert.${n}`, shardNames[i < half ? 0 : 1]])),
  };
  writeFolder(join(out, 'bert-sharded'), {
    ...bertCommon,
    'model.safetensors.index.json': index,
    [shardNames[0]]: shards[0],
    [shardNames[1]]: shards[1],
  });

  // RoBERTa: positions start at padding_idx + 1, byte-level BPE, tanh GELU, CLS pooling.
  const robertaTok = byteLevelTokenizer();
  writeFolder(join(out, 'roberta'), {
    'config.json': {
      architectures: ['RobertaModel'],
      model_type: 'roberta',
      vocab_size: robertaTok.size,
      hidden_size: HIDDEN,
      num_hidden_layers: TINY.layers,
      num_attention_heads: TINY.heads,
      intermediate_size: TINY.intermediate,
      hidden_act: 'gelu_new',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      max_position_embeddings: 66,
      type_vocab_size: 1,
      initializer_range: 0.02,
      layer_norm_eps: 1e-5,
      pad_token_id: 1,
      bos_token_id: 0,
      eos_token_id: 2,
      position_embedding_type: 'absolute',
    },
    'tokenizer.json': robertaTok.json,
    'tokenizer_config.json': { tokenizer_class: 'RobertaTokenizer', model_max_length: 64, bos_token: '<s>', eos_token: '</s>', cls_token: '<s>', sep_token: '</s>', pad_token: '<pad>', unk_token: '<unk>', mask_token: '<mask>', add_prefix_space: false },
    'modules.json': modules([]),
    '1_Pooling/config.json': pooling(HIDDEN, 'cls'),
    'model.safetensors': safetensors(encoder('roberta', robertaTok.size, 66, 2), 'F32'),
  });

  // MPNet: relative position bias, a Dense head and Normalize.
  const mpnetTok = wordPieceTokenizer(
    { pad: '<pad>', unk: '<unk>', cls: '<s>', sep: '</s>', mask: '<mask>' },
    ['<s>', '<pad>', '</s>', '<unk>'],
  );
  const dense: Tensors = { 'linear.weight': { dtype: 'F32', shape: [16, HIDDEN], data: normals(generator(4), 16 * HIDDEN, 0.25) }, 'linear.bias': { dtype: 'F32', shape: [16], data: normals(generator(5), 16, 0.1) } };
  const mpnetCommon = {
    'config.json': {
      architectures: ['MPNetModel'],
      model_type: 'mpnet',
      vocab_size: mpnetTok.size,
      hidden_size: HIDDEN,
      num_hidden_layers: TINY.layers,
      num_attention_heads: TINY.heads,
      intermediate_size: TINY.intermediate,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      max_position_embeddings: 66,
      initializer_range: 0.02,
      layer_norm_eps: 1e-5,
      relative_attention_num_buckets: 32,
      pad_token_id: 1,
      bos_token_id: 0,
      eos_token_id: 2,
    },
    'tokenizer.json': mpnetTok.json,
    'tokenizer_config.json': { tokenizer_class: 'MPNetTokenizer', do_lower_case: true, model_max_length: 64, bos_token: '<s>', eos_token: '</s>', cls_token: '<s>', sep_token: '</s>', pad_token: '<pad>', unk_token: '<unk>', mask_token: '<mask>' },
    'sentence_bert_config.json': { max_seq_length: 64, do_lower_case: false },
    '1_Pooling/config.json': pooling(HIDDEN, 'mean'),
  };
  writeFolder(join(out, 'mpnet'), {
    ...mpnetCommon,
    'modules.json': modules(['Dense', 'Normalize']),
    '2_Dense/config.json': { in_features: HIDDEN, out_features: 16, bias: true, activation_function: 'torch.nn.modules.activation.Tanh' },
    '2_Dense/model.safetensors': safetensors(dense, 'F32'),
    'model.safetensors': safetensors(encoder('mpnet', mpnetTok.size, 66, 3), 'F32'),
  });
  // The papers' exact checkpoints (xs_mpnet, xs_distilroberta): the shifting Transformer, then mean pooling only.
  writeFolder(join(out, 'mpnet-exact'), {
    ...mpnetCommon,
    'modules.json': modules([], 'xsbert.models.ShiftingReferenceTransformer'),
    'model.safetensors': safetensors(encoder('mpnet', mpnetTok.size, 66, 6), 'F32'),
  });
}

const args = process.argv.slice(2);
const shapeAt = args.indexOf('--shape');
if (shapeAt >= 0) {
  const name = args[shapeAt + 1];
  const shape = REAL_SHAPES[name];
  const out = args.filter((_, i) => i !== shapeAt && i !== shapeAt + 1)[0];
  if (!shape || !out) throw new Error(`usage: make-tiny-models.ts --shape ${Object.keys(REAL_SHAPES).join('|')} FOLDER`);
  const { files, weights } = bertModel(shape, 512, shape.maxSeqLength, 11);
  writeFolder(out, { ...files, 'model.safetensors': safetensors(weights, 'F32') });
  console.log(`a random BERT of ${name}'s size written to ${out}/ (for timing only)`);
} else {
  const out = args[0] ?? 'test-models';
  makeTinyModels(out);
  console.log(`tiny models written to ${out}/`);
}
