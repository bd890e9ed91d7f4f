/**
 * config.json of the BERT family (bert.ts): BERT, RoBERTa (and XLM-R, CamemBERT),
 * MPNet and DistilBERT. DistilBERT spells the same sizes differently (dim, n_layers,
 * n_heads, hidden_dim, activation) and has no token types.
 */
import { ModelFileError } from '../files.ts';
import { activationOf, positiveInt, type Activation, type BaseConfig } from './config.ts';

export type BertArchitecture = 'bert' | 'roberta' | 'mpnet' | 'distilbert';

/** model_type values this family reads, and the variant each one is. */
export const BERT_MODEL_TYPES: Readonly<Record<string, BertArchitecture>> = {
  bert: 'bert',
  roberta: 'roberta',
  'xlm-roberta': 'roberta',
  camembert: 'roberta',
  mpnet: 'mpnet',
  distilbert: 'distilbert',
};

export interface BertConfig extends BaseConfig {
  architecture: BertArchitecture;
  numHeads: number;
  intermediateSize: number;
  activation: Activation;
  layerNormEps: number;
  maxPositionEmbeddings: number;
  /** Rows of the token-type table (0: none, as in MPNet and DistilBERT). */
  typeVocabSize: number;
  /** MPNet's relative position buckets (32 in every released MPNet). */
  relativeAttentionBuckets: number;
}

/** DistilBERT's config keys for the sizes BERT calls hidden_size, num_hidden_layers, … */
const DISTILBERT_KEYS = { hidden: 'dim', layers: 'n_layers', heads: 'n_heads', ffn: 'hidden_dim', act: 'activation' } as const;
const BERT_KEYS = { hidden: 'hidden_size', layers: 'num_hidden_layers', heads: 'num_attention_heads', ffn: 'intermediate_size', act: 'hidden_act' } as const;

export function parseBertConfig(name: string, raw: Record<string, unknown>): BertConfig {
  const modelType = String(raw.model_type ?? '');
  const architecture = BERT_MODEL_TYPES[modelType];
  if (!architecture) throw new ModelFileError(name, `model_type "${modelType}" is not one of the BERT family's`);
  const keys = architecture === 'distilbert' ? DISTILBERT_KEYS : BERT_KEYS;
  const activation = activationOf(name, raw, keys.act);
  const positionType = raw.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') throw new ModelFileError(name, `position_embedding_type "${String(positionType)}" is not supported (absolute only)`);

  const hiddenSize = positiveInt(name, raw, keys.hidden);
  const numHeads = positiveInt(name, raw, keys.heads);
  if (hiddenSize % numHeads !== 0) throw new ModelFileError(name, `${keys.hidden} ${hiddenSize} is not a multiple of ${keys.heads} ${numHeads}`);
  const absolute = architecture === 'bert' || architecture === 'distilbert';
  const padTokenId = typeof raw.pad_token_id === 'number' ? raw.pad_token_id : absolute ? 0 : 1;
  const maxPositionEmbeddings = positiveInt(name, raw, 'max_position_embeddings');
  const typeVocab = typeof raw.type_vocab_size === 'number' ? raw.type_vocab_size : architecture === 'mpnet' ? 0 : 2;
  return {
    architecture,
    modelType,
    vocabSize: positiveInt(name, raw, 'vocab_size'),
    hiddenSize,
    numLayers: positiveInt(name, raw, keys.layers),
    numHeads,
    intermediateSize: positiveInt(name, raw, keys.ffn),
    activation,
    // DistilBERT's LayerNorms use PyTorch's 1e-12 written into its code, not the config.
    layerNormEps: typeof raw.layer_norm_eps === 'number' ? raw.layer_norm_eps : 1e-12,
    maxPositionEmbeddings,
    // RoBERTa and MPNet spend padding_idx + 1 rows before the first token's position.
    maxPositions: absolute ? maxPositionEmbeddings : maxPositionEmbeddings - padTokenId - 1,
    typeVocabSize: architecture === 'distilbert' ? 0 : typeVocab,
    padTokenId,
    relativeAttentionBuckets: typeof raw.relative_attention_num_buckets === 'number' ? raw.relative_attention_num_buckets : 32,
    smoothLayers: activation !== 'relu',
  };
}

/** Float32 bytes of the weights the config implies, to refuse an oversized model before downloading it. */
export function estimateBertBytes(c: BertConfig): number {
  const h = c.hiddenSize;
  const embeddings = (c.vocabSize + c.maxPositionEmbeddings + c.typeVocabSize + 2) * h;
  const layer = 4 * (h * h + h) + 2 * h * c.intermediateSize + c.intermediateSize + h + 4 * h;
  return 4 * (embeddings + c.numLayers * layer);
}
