/**
 * A sentence-transformers model folder in the Hugging Face layout, read and checked
 * before any weight is touched:
 *
 *     config.json            the transformer (model_type, sizes, activation, eps),
 *                            read by its architecture's family (families.ts)
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
import { positiveInt, type BaseConfig } from './config.ts';
import { familyFor, supportedModelTypes, type Family } from './families.ts';

export type PoolingMode = 'cls' | 'max' | 'mean' | 'mean_sqrt_len' | 'weighted_mean' | 'last_token';

/** sentence-transformers concatenates the enabled modes in this order. */
const POOLING_FLAGS: Array<[string, PoolingMode]> = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len'],
  ['pooling_mode_weightedmean_tokens', 'weighted_mean'],
  ['pooling_mode_lasttoken', 'last_token'],
];

export interface DenseSpec {
  path: string;
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  activation: 'identity' | 'tanh';
}

export interface HfCheckpoint<C extends BaseConfig = BaseConfig> {
  location: string;
  /** config.json as its architecture's family read it (families.ts). */
  config: C;
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
  /** Why the architecture's forward pass is not yet checked against transformers (Family.unverified). */
  unverified?: string;
  /**
   * Prompts by name from config_sentence_transformers.json (empty ones left out);
   * undefined where there are none, or where pooling leaves the prompt out
   * (include_prompt false), which PairLens does not model yet.
   */
  prompts?: Record<string, string>;
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

  const rawConfig = await readJson<Record<string, unknown>>(files, `${t}config.json`);
  const family = familyOf(`${t}config.json`, rawConfig);
  const config = family.parseConfig(`${t}config.json`, rawConfig);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const bytes = family.estimateBytes(config);
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
  let poolsPrompt = true;
  for (const m of modules) {
    if (m.kind === 'pooling') {
      const read = await readPooling(files, m.path);
      pooling.push(...read.modes);
      poolsPrompt &&= read.includePrompt;
    }
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
    unverified: family.unverified,
    prompts: poolsPrompt ? await readPrompts(files) : undefined,
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

async function readPooling(files: ModelFiles, path: string): Promise<{ modes: PoolingMode[]; includePrompt: boolean }> {
  const name = `${path}config.json`;
  const raw = await readJson<Record<string, unknown>>(files, name);
  const modes = POOLING_FLAGS.filter(([flag]) => raw[flag] === true).map(([, mode]) => mode);
  if (modes.length === 0) throw new ModelFileError(name, 'enables no pooling mode');
  return { modes, includePrompt: raw.include_prompt !== false };
}

/**
 * The prompts of config_sentence_transformers.json by name ({"query": "query: ", …}),
 * or undefined where there are none. Prompts are data from the model folder: names
 * and texts must be strings, of a size a prompt has.
 */
async function readPrompts(files: ModelFiles): Promise<Record<string, string> | undefined> {
  const name = 'config_sentence_transformers.json';
  const raw = await readOptionalJson<{ prompts?: unknown }>(files, name);
  const prompts = raw?.prompts;
  if (prompts === undefined || prompts === null) return undefined;
  if (typeof prompts !== 'object' || Array.isArray(prompts)) throw new ModelFileError(name, '"prompts" is not an object of names and texts');
  const entries = Object.entries(prompts as Record<string, unknown>).filter(([, text]) => text !== '');
  for (const [key, text] of entries) {
    if (typeof text !== 'string' || key.length > MAX_PROMPT_NAME || text.length > MAX_PROMPT_TEXT) {
      throw new ModelFileError(name, `prompt "${key.slice(0, MAX_PROMPT_NAME)}" is not a text of at most ${MAX_PROMPT_TEXT} characters`);
    }
  }
  return entries.length > 0 ? Object.fromEntries(entries) as Record<string, string> : undefined;
}

/** Bounds on prompts read from a model folder (the longest published ones are a few dozen characters). */
const MAX_PROMPT_NAME = 64;
const MAX_PROMPT_TEXT = 1000;

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

/** The family (families.ts) that reads a config.json of this model_type. */
function familyOf(name: string, raw: Record<string, unknown>): Family {
  const modelType = String(raw.model_type ?? '');
  const family = familyFor(modelType);
  if (!family) {
    throw new ModelFileError(name, `model_type "${modelType}" is not supported (supported: ${supportedModelTypes().join(', ')})`);
  }
  return family;
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
