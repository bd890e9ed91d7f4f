/**
 * A sentence-transformers model folder in the Hugging Face layout, read and checked
 * before any weight is touched:
 *
 *     config.json            the transformer (model_type, sizes, activation, eps)
 *     tokenizer.json         the fast tokenizer (tokenizer_config.json optional)
 *     model.safetensors      or model.safetensors.index.json + shards, or PyTorch's
 *                            pytorch_model.bin (+ pytorch_model.bin.index.json + shards)
 *     modules.json           the module list; absent for a plain transformers model
 *     sentence_bert_config.json   max_seq_length of the Transformer module (optional)
 *     1_Pooling/config.json  pooling_mode_* flags
 *     2_Dense/…              optional dense layers (config.json + weights as above)
 *     2_Normalize/           optional L2 normalisation (no files needed)
 *
 * Every problem becomes a ModelFileError naming the file, so the user sees which file
 * of their folder is wrong.
 */
import { DEFAULT_MAX_MODEL_MB } from '../catalog.ts';
import { ModelFileError, parseJsonFile, type ModelFiles } from '../files.ts';
import { formatBytes } from '../format.ts';

export type Architecture = 'bert' | 'roberta' | 'mpnet';
export type Activation = 'gelu' | 'gelu_tanh' | 'relu';
export type PoolingMode = 'cls' | 'max' | 'mean' | 'mean_sqrt_len' | 'weighted_mean' | 'last_token';

/** model_type values we can run, and the architecture family each one is. */
const ARCHITECTURES: Record<string, Architecture> = {
  bert: 'bert',
  roberta: 'roberta',
  'xlm-roberta': 'roberta',
  camembert: 'roberta',
  mpnet: 'mpnet',
};

const ACTIVATIONS: Record<string, Activation> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  relu: 'relu',
};

/** sentence-transformers concatenates the enabled modes in this order. */
const POOLING_FLAGS: Array<[string, PoolingMode]> = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len'],
  ['pooling_mode_weightedmean_tokens', 'weighted_mean'],
  ['pooling_mode_lasttoken', 'last_token'],
];

export interface EncoderConfig {
  architecture: Architecture;
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  activation: Activation;
  layerNormEps: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  padTokenId: number;
  /** MPNet's relative position buckets (32 in every released MPNet). */
  relativeAttentionBuckets: number;
}

export interface DenseSpec {
  path: string;
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  activation: 'identity' | 'tanh';
}

export interface HfCheckpoint {
  location: string;
  config: EncoderConfig;
  /** Folder of the Transformer module inside the model files ('' = root, else 'path/'). */
  transformerPath: string;
  pooling: PoolingMode[];
  dense: DenseSpec[];
  normalize: boolean;
  /**
   * A checkpoint from the papers' reference code whose Transformer module shifts the
   * token states by the reference's (ShiftingReferenceTransformer): its embedding is
   * f(x) − f(r) for r = [<s>] + [<pad>]·(S−2) + [</s>], i.e. the exact model.
   */
  exact: boolean;
  /** max_seq_length from sentence_bert_config.json, when the folder has one. */
  maxSeqLength?: number;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

export interface CheckpointOptions {
  /** Largest model we agree to load, in bytes of float32 weights (default 600 MB). */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = DEFAULT_MAX_MODEL_MB * 1e6;

interface ModuleEntry {
  idx?: number;
  name?: string;
  path?: unknown;
  type?: unknown;
}

export async function readCheckpoint(files: ModelFiles, options: CheckpointOptions = {}): Promise<HfCheckpoint> {
  const modules = await readModules(files);
  const transformer = modules.find((m) => m.kind === 'transformer');
  if (!transformer) throw new ModelFileError('modules.json', 'lists no Transformer module');
  const t = transformer.path;

  const config = parseConfig(`${t}config.json`, await readJson<Record<string, unknown>>(files, `${t}config.json`));
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const bytes = estimateBytes(config);
  if (bytes > maxBytes) {
    throw new ModelFileError(
      `${t}config.json`,
      `describes a model of about ${formatBytes(bytes)} (float32), over the ${formatBytes(maxBytes)} limit`,
    );
  }

  const tokenizerJson = await readJson<Record<string, unknown>>(files, `${t}tokenizer.json`);
  if (typeof tokenizerJson.model !== 'object' || tokenizerJson.model === null) {
    throw new ModelFileError(`${t}tokenizer.json`, 'has no "model" section (is it a fast-tokenizer file?)');
  }
  const tokenizerConfig = (await readOptionalJson<Record<string, unknown>>(files, `${t}tokenizer_config.json`)) ?? {};
  const sbert = await readOptionalJson<{ max_seq_length?: unknown }>(files, `${t}sentence_bert_config.json`);
  const maxSeqLength = typeof sbert?.max_seq_length === 'number' && sbert.max_seq_length > 0 ? sbert.max_seq_length : undefined;

  const pooling: PoolingMode[] = [];
  const dense: DenseSpec[] = [];
  let normalize = false;
  for (const m of modules) {
    if (m.kind === 'pooling') pooling.push(...(await readPooling(files, m.path)));
    else if (m.kind === 'dense') dense.push(await readDense(files, m.path));
    else if (m.kind === 'normalize') normalize = true;
  }
  // A plain transformers folder (no modules.json): sentence-transformers itself falls back to mean pooling.
  if (!modules.some((m) => m.kind === 'pooling')) pooling.push('mean');

  return {
    location: files.location,
    config,
    transformerPath: t,
    pooling,
    dense,
    normalize,
    exact: transformer.exact,
    maxSeqLength,
    tokenizerJson,
    tokenizerConfig,
  };
}

type ModuleKind = 'transformer' | 'pooling' | 'dense' | 'normalize';

async function readModules(files: ModelFiles): Promise<Array<{ kind: ModuleKind; path: string; exact: boolean }>> {
  const raw = await readOptionalJson<unknown>(files, 'modules.json');
  if (raw === undefined) return [{ kind: 'transformer', path: '', exact: false }];
  if (!Array.isArray(raw)) throw new ModelFileError('modules.json', 'is not a list of modules');
  return (raw as ModuleEntry[]).map((m) => {
    if (typeof m.type !== 'string' || typeof m.path !== 'string') {
      throw new ModelFileError('modules.json', 'has a module without "type" and "path"');
    }
    if (m.path.includes('..') || m.path.startsWith('/')) throw new ModelFileError('modules.json', `module path ${m.path} leaves the model folder`);
    const path = m.path === '' ? '' : `${m.path.replace(/\/+$/, '')}/`;
    const cls = m.type.split('.').pop() ?? '';
    switch (cls) {
      case 'Transformer':
      case 'ReferenceTransformer': // the papers' code: adds the reference to the batch, no shift
        return { kind: 'transformer', path, exact: false };
      case 'ShiftingReferenceTransformer':
        return { kind: 'transformer', path, exact: true };
      case 'Pooling':
        return { kind: 'pooling', path, exact: false };
      case 'Dense':
        return { kind: 'dense', path, exact: false };
      case 'Normalize':
        return { kind: 'normalize', path, exact: false };
      default:
        throw new ModelFileError('modules.json', `module type ${m.type} is not supported (supported: Transformer, Pooling, Dense, Normalize)`);
    }
  });
}

async function readPooling(files: ModelFiles, path: string): Promise<PoolingMode[]> {
  const name = `${path}config.json`;
  const raw = await readJson<Record<string, unknown>>(files, name);
  const modes = POOLING_FLAGS.filter(([flag]) => raw[flag] === true).map(([, mode]) => mode);
  if (modes.length === 0) throw new ModelFileError(name, 'enables no pooling mode');
  return modes;
}

async function readDense(files: ModelFiles, path: string): Promise<DenseSpec> {
  const name = `${path}config.json`;
  const raw = await readJson<Record<string, unknown>>(files, name);
  const inFeatures = positiveInt(name, raw, 'in_features');
  const outFeatures = positiveInt(name, raw, 'out_features');
  const act = String(raw.activation_function ?? 'torch.nn.modules.linear.Identity');
  const activation = act.endsWith('.Tanh') ? 'tanh' : act.endsWith('.Identity') ? 'identity' : undefined;
  if (!activation) throw new ModelFileError(name, `activation ${act} is not supported (Tanh or Identity)`);
  return { path, inFeatures, outFeatures, bias: raw.bias !== false, activation };
}

export function parseConfig(name: string, raw: Record<string, unknown>): EncoderConfig {
  const modelType = String(raw.model_type ?? '');
  const architecture = ARCHITECTURES[modelType];
  if (!architecture) {
    throw new ModelFileError(
      name,
      `model_type "${modelType}" is not supported (supported: ${Object.keys(ARCHITECTURES).join(', ')})`,
    );
  }
  const actName = String(raw.hidden_act ?? 'gelu');
  const activation = ACTIVATIONS[actName];
  if (!activation) throw new ModelFileError(name, `hidden_act "${actName}" is not supported (${Object.keys(ACTIVATIONS).join(', ')})`);
  const positionType = raw.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') throw new ModelFileError(name, `position_embedding_type "${String(positionType)}" is not supported (absolute only)`);

  const hiddenSize = positiveInt(name, raw, 'hidden_size');
  const numHeads = positiveInt(name, raw, 'num_attention_heads');
  if (hiddenSize % numHeads !== 0) throw new ModelFileError(name, `hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`);
  const padTokenId = typeof raw.pad_token_id === 'number' ? raw.pad_token_id : architecture === 'bert' ? 0 : 1;
  return {
    architecture,
    modelType,
    vocabSize: positiveInt(name, raw, 'vocab_size'),
    hiddenSize,
    numLayers: positiveInt(name, raw, 'num_hidden_layers'),
    numHeads,
    intermediateSize: positiveInt(name, raw, 'intermediate_size'),
    activation,
    layerNormEps: typeof raw.layer_norm_eps === 'number' ? raw.layer_norm_eps : 1e-12,
    maxPositionEmbeddings: positiveInt(name, raw, 'max_position_embeddings'),
    typeVocabSize: typeof raw.type_vocab_size === 'number' ? raw.type_vocab_size : architecture === 'mpnet' ? 0 : 2,
    padTokenId,
    relativeAttentionBuckets:
      typeof raw.relative_attention_num_buckets === 'number' ? raw.relative_attention_num_buckets : 32,
  };
}

/** Float32 bytes of the weights the config implies, to refuse an oversized model before downloading it. */
export function estimateBytes(c: EncoderConfig): number {
  const h = c.hiddenSize;
  const embeddings = (c.vocabSize + c.maxPositionEmbeddings + c.typeVocabSize + 2) * h;
  const layer = 4 * (h * h + h) + 2 * h * c.intermediateSize + c.intermediateSize + h + 4 * h;
  return 4 * (embeddings + c.numLayers * layer);
}

function positiveInt(file: string, raw: Record<string, unknown>, key: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelFileError(file, `"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

async function readJson<T>(files: ModelFiles, name: string): Promise<T> {
  const value = parseJsonFile<T>(name, await files.read(name));
  if (typeof value !== 'object' || value === null) throw new ModelFileError(name, 'is not a JSON object or list');
  return value;
}

/**
 * Optional files: absence is fine, a file that is there but broken is not. ModelFiles
 * only reports "could not read", so we treat any read failure as absence.
 */
async function readOptionalJson<T>(files: ModelFiles, name: string): Promise<T | undefined> {
  let bytes: ArrayBuffer;
  try {
    bytes = await files.read(name);
  } catch {
    return undefined;
  }
  return parseJsonFile<T>(name, bytes);
}
