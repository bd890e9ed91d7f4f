/**
 * Reads the USE-lite TF.js graph artefacts (model.json, weight shards, vocab.json)
 * and picks out the tensors our own implementation needs, checking every name and
 * shape so a broken file is reported by name instead of failing deep inside a matmul.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelFileError, parseJsonFile, type FileProgress, type ModelFiles } from '../files.ts';
import type { ReplaceWeight } from '../named-weights.ts';
import type { Vocabulary } from './tokenizer.ts';

const ENCODE = 'module_apply_default/Encoder_en/KonaTransformer/Encode/';
const VARS = 'module/Encoder_en/KonaTransformer/Encode/';

export interface LayerWeights {
  attentionNormScale: tf.Tensor1D;
  attentionNormBias: tf.Tensor1D;
  qkvKernel: tf.Tensor2D; // [d, 3a]
  qkvBias: tf.Tensor1D;
  queryScale: number;
  outputKernel: tf.Tensor2D; // [a, 512]
  outputBias: tf.Tensor1D;
  ffnNormScale: tf.Tensor1D;
  ffnNormBias: tf.Tensor1D;
  ffnInKernel: tf.Tensor2D; // [512, 1536]
  ffnInBias: tf.Tensor1D;
  ffnOutKernel: tf.Tensor2D; // [1536, 512]
  ffnOutBias: tf.Tensor1D;
  /** Layer 0 only: projects the residual stream from 256 to 512. */
  residualKernel?: tf.Tensor2D;
  residualBias?: tf.Tensor1D;
}

export interface UseLiteWeights {
  tokenEmbeddings: tf.Tensor2D; // [8002, 256]
  inverseTimescales: tf.Tensor2D; // [1, 128]
  layers: LayerWeights[];
  headKernel: tf.Tensor2D; // [512, 512]
  headBias: tf.Tensor1D;
  layerNormEpsilon: number;
  l2Epsilon: number;
}

export interface UseLiteArtifacts {
  weights: UseLiteWeights;
  vocabulary: Vocabulary;
}

interface WeightsManifest {
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
/** Stored bytes per value of a quantized weight (TF.js manifest `quantization.dtype`). */
const BYTES_PER_QUANTIZED: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** Bytes a manifest entry takes in the shards: quantized weights are smaller than their dtype. */
function storedBytes(spec: tf.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const quantized = spec.quantization?.dtype;
  return count * (quantized ? (BYTES_PER_QUANTIZED[quantized] ?? 4) : (BYTES_PER_DTYPE[spec.dtype] ?? 4));
}

export async function loadUseLiteArtifacts(
  files: ModelFiles,
  onProgress: (p: FileProgress) => void = () => {},
): Promise<UseLiteArtifacts> {
  const manifest = parseJsonFile<WeightsManifest>('model.json', await files.read('model.json'));
  if (!Array.isArray(manifest.weightsManifest)) {
    throw new ModelFileError('model.json', 'has no weightsManifest');
  }
  const specs = manifest.weightsManifest.flatMap((group) => group.weights);
  const paths = manifest.weightsManifest.flatMap((group) => group.paths);
  const expectedBytes = specs.reduce((sum, s) => sum + storedBytes(s), 0);

  let loadedBytes = 0;
  const vocabPromise = files.read('vocab.json');
  const shards: ArrayBuffer[] = [];
  for (const path of paths) {
    const shard = await files.read(path);
    shards.push(shard);
    loadedBytes += shard.byteLength;
    onProgress({ file: path, loadedBytes, totalBytes: expectedBytes });
  }
  if (loadedBytes !== expectedBytes) {
    throw new ModelFileError(
      paths[paths.length - 1] ?? 'model.json',
      `weight shards hold ${loadedBytes} bytes, model.json expects ${expectedBytes}`,
    );
  }
  const vocabulary = parseVocabulary(await vocabPromise);

  const joined = tf.io.concatenateArrayBuffers(shards);
  const named = tf.io.decodeWeights(joined, specs);
  let weights: UseLiteWeights;
  try {
    weights = pickWeights(named);
  } catch (error) {
    tf.dispose(named);
    throw error;
  }
  // Free what we do not keep: graph constants (shapes, axes) and the 4-D originals of
  // reshaped kernels (a reshape shares the data, so disposing the original is safe).
  const kept = new Set(weightTensors(weights));
  for (const tensor of Object.values(named)) if (!kept.has(tensor)) tensor.dispose();
  return { weights, vocabulary };
}

/** Every tensor a weights object holds, for disposal. */
export function weightTensors(weights: UseLiteWeights): tf.Tensor[] {
  const { layers, ...top } = weights;
  const all = [top, ...layers].flatMap((group) => Object.values(group));
  return all.filter((value): value is tf.Tensor => value instanceof tf.Tensor);
}

function parseVocabulary(bytes: ArrayBuffer): Vocabulary {
  const raw = parseJsonFile<unknown>('vocab.json', bytes);
  const valid =
    Array.isArray(raw) &&
    raw.length > 6 &&
    raw.every(
      (entry) =>
        Array.isArray(entry) &&
        typeof entry[0] === 'string' &&
        (typeof entry[1] === 'number' || entry[1] === null),
    );
  if (!valid) throw new ModelFileError('vocab.json', 'is not a list of [piece, score] pairs');
  return raw as Vocabulary;
}

/** Graph names of one layer's weights (`d`: input width, `a`: attention width). */
function layerNames(l: number) {
  const v = `${ENCODE}Layer_${l}/TransformerLayer/`;
  const stack = `${ENCODE}TransformerStack/Layer_${l}/TransformerLayer/`;
  const kernels = `${VARS}Layer_${l}/TransformerLayer/MultiheadAttention/`;
  return {
    attentionNormScale: `${v}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`,
    attentionNormBias: `${v}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`,
    qkvKernel: `${kernels}qkv_transform_single/kernel/part_0`,
    qkvBias: `${v}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`,
    queryScale: `${stack}MultiheadAttention/mul/y`,
    outputKernel: `${kernels}output_transform_single/kernel/part_0`,
    outputBias: `${v}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`,
    ffnNormScale: `${v}FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`,
    ffnNormBias: `${v}FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`,
    ffnInKernel: `${stack}FFN/conv1/Tensordot/Reshape_1`,
    ffnInBias: `${v}FFN/conv1/bias/ConcatPartitions/concat`,
    ffnOutKernel: `${stack}FFN/conv2/Tensordot/Reshape_1`,
    ffnOutBias: `${v}FFN/conv2/bias/ConcatPartitions/concat`,
    residualKernel: `${v}dense/kernel/ConcatPartitions/concat`,
    residualBias: `${v}dense/bias/ConcatPartitions/concat`,
  } satisfies Record<keyof LayerWeights, string>;
}

const TOP_NAMES = {
  tokenEmbeddings: 'module/Embeddings_en',
  inverseTimescales: `${ENCODE}TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`,
  headKernel: 'module/Encoder_en/hidden_layers/tanh_layer_0/weights',
  headBias: 'module/Encoder_en/hidden_layers/tanh_layer_0/bias',
  layerNormEpsilon: `${ENCODE}TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`,
  l2Epsilon: 'module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y',
} satisfies Record<Exclude<keyof UseLiteWeights, 'layers'>, string>;

/** The graph stores the attention kernels as 1×1 convolutions, [1, 1, in, out]. */
const CONV_KERNELS: ReadonlySet<keyof LayerWeights> = new Set(['qkvKernel', 'outputKernel']);

function pickWeights(named: tf.NamedTensorMap): UseLiteWeights {
  const take = <R extends tf.Rank>(name: string, shape: number[]): tf.Tensor<R> => {
    const tensor = named[name];
    if (!tensor) throw new ModelFileError('model.json', `weight ${name} is missing`);
    if (!tf.util.arraysEqual(tensor.shape, shape)) {
      throw new ModelFileError('model.json', `weight ${name} has shape [${tensor.shape}], expected [${shape}]`);
    }
    return tensor as tf.Tensor<R>;
  };
  const scalar = (name: string): number => take<tf.Rank.R0>(name, []).dataSync()[0];

  const layer = (l: number): LayerWeights => {
    const d = l === 0 ? 256 : 512; // width of the layer's input
    const a = l === 0 ? 256 : 512; // attention width
    const n = layerNames(l);
    const kernel = (name: string, shape: [number, number]) =>
      tf.reshape(take<tf.Rank.R4>(name, [1, 1, ...shape]), shape) as tf.Tensor2D;
    const weights: LayerWeights = {
      attentionNormScale: take(n.attentionNormScale, [d]),
      attentionNormBias: take(n.attentionNormBias, [d]),
      qkvKernel: kernel(n.qkvKernel, [d, 3 * a]),
      qkvBias: take(n.qkvBias, [3 * a]),
      queryScale: scalar(n.queryScale),
      outputKernel: kernel(n.outputKernel, [a, 512]),
      outputBias: take(n.outputBias, [512]),
      ffnNormScale: take(n.ffnNormScale, [512]),
      ffnNormBias: take(n.ffnNormBias, [512]),
      ffnInKernel: take(n.ffnInKernel, [512, 1536]),
      ffnInBias: take(n.ffnInBias, [1536]),
      ffnOutKernel: take(n.ffnOutKernel, [1536, 512]),
      ffnOutBias: take(n.ffnOutBias, [512]),
    };
    if (l === 0) {
      weights.residualKernel = take(n.residualKernel, [256, 512]);
      weights.residualBias = take(n.residualBias, [512]);
    }
    return weights;
  };

  return {
    tokenEmbeddings: take(TOP_NAMES.tokenEmbeddings, [8002, 256]),
    inverseTimescales: take(TOP_NAMES.inverseTimescales, [1, 128]),
    layers: [layer(0), layer(1)],
    headKernel: take(TOP_NAMES.headKernel, [512, 512]),
    headBias: take(TOP_NAMES.headBias, [512]),
    layerNormEpsilon: scalar(TOP_NAMES.layerNormEpsilon),
    l2Epsilon: scalar(TOP_NAMES.l2Epsilon),
  };
}

/** Weights as the graph names them, in the shapes loadUseLiteArtifacts checks. */
function namedWeights(weights: UseLiteWeights): Array<{ name: string; tensor: tf.Tensor }> {
  const out: Array<{ name: string; tensor: tf.Tensor }> = [];
  const add = (name: string, value: tf.Tensor | number | undefined, conv = false) => {
    if (value === undefined) return;
    if (typeof value === 'number') out.push({ name, tensor: tf.scalar(value, 'float32') });
    else out.push({ name, tensor: conv ? tf.reshape(value, [1, 1, ...value.shape]) : value });
  };
  const { layers, ...top } = weights;
  for (const key of Object.keys(TOP_NAMES) as Array<keyof typeof TOP_NAMES>) add(TOP_NAMES[key], top[key]);
  layers.forEach((layer, l) => {
    const names = layerNames(l);
    for (const key of Object.keys(names) as Array<keyof LayerWeights>) add(names[key], layer[key], CONV_KERNELS.has(key));
  });
  return out;
}

export interface WeightFilesOptions {
  /**
   * Store matrices (not biases, norms or scalars) as float16: half the bytes, and
   * TF.js decodes them back to float32 on load. The model is then defined by the
   * rounded weights.
   */
  float16?: boolean;
  /** Bytes per shard file (the original uses 4 MiB). */
  shardBytes?: number;
  /** Extra top-level fields for model.json (provenance); the loader ignores them. */
  metadata?: Record<string, unknown>;
}

export interface WeightFiles {
  /** model.json's bytes. */
  modelJson: Uint8Array;
  shards: Array<{ name: string; data: Uint8Array }>;
}

/** Smallest tensor worth rounding to float16; smaller ones are biases and norms, kept exact. */
const FLOAT16_MIN_SIZE = 4096;

/**
 * Writes weights in the format loadUseLiteArtifacts reads (model.json with a
 * weightsManifest, group1-shardNofM files), so a variant such as the exact model
 * loads exactly like the bundled one. The vocabulary is not written: it is shared.
 */
export async function encodeUseLiteWeights(weights: UseLiteWeights, options: WeightFilesOptions = {}): Promise<WeightFiles> {
  const named = namedWeights(weights);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  try {
    for (const { name, tensor } of named) {
      const values = (await tensor.data()) as Float32Array;
      const spec: tf.io.WeightsManifestEntry = { name, shape: tensor.shape, dtype: 'float32' };
      if (options.float16 && values.length >= FLOAT16_MIN_SIZE) {
        spec.quantization = { dtype: 'float16' };
        parts.push(new Uint8Array(toFloat16(values).buffer));
      } else {
        parts.push(new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)));
      }
      specs.push(spec);
    }
  } finally {
    // Scalars and reshaped views were made here; the weights' own tensors are the caller's.
    const own = new Set(weightTensors(weights));
    for (const { tensor } of named) if (!own.has(tensor)) tensor.dispose();
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  const shardBytes = options.shardBytes ?? 4 * 1024 * 1024;
  const count = Math.max(1, Math.ceil(total / shardBytes));
  const shards = Array.from({ length: count }, (_, k) => ({
    name: `group1-shard${k + 1}of${count}`,
    data: all.slice(k * shardBytes, Math.min(total, (k + 1) * shardBytes)),
  }));
  const manifest = { ...options.metadata, weightsManifest: [{ paths: shards.map((s) => s.name), weights: specs }] };
  return { modelJson: new TextEncoder().encode(JSON.stringify(manifest, null, 1)), shards };
}

/** IEEE 754 half precision bits of each value, rounded to nearest even (TF.js has a decoder only). */
export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = u32[0];
    const sign = (x >>> 16) & 0x8000;
    const exponent = (x >>> 23) & 0xff;
    let mantissa = x & 0x7fffff;
    if (exponent === 0xff) {
      out[i] = sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf, or a quiet NaN
      continue;
    }
    const e = exponent - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00; // too large: Inf
    } else if (e <= 0) {
      // Subnormal half (or zero): shift the mantissa, with its implicit 1, into place.
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mantissa |= 0x800000;
      const shift = 14 - e;
      let half = mantissa >>> shift;
      const rest = mantissa & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rest > halfway || (rest === halfway && half & 1)) half++;
      out[i] = sign | half;
    } else {
      let half = (e << 10) | (mantissa >>> 13);
      const rest = mantissa & 0x1fff;
      // Round to nearest even; a carry into the exponent is the correct rounding too.
      if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
      out[i] = sign | half;
    }
  }
  return out;
}

/** `weights` with every tensor passed through `replace`; numbers (ε, query scale) kept. */
export function mapUseLiteWeights(w: UseLiteWeights, replace: ReplaceWeight): UseLiteWeights {
  const tensor = <T extends tf.Tensor>(name: string, t: T) => replace(name, t) as T;
  const layer = (l: LayerWeights, index: number): LayerWeights => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(l)) out[key] = typeof value === 'number' ? value : tensor(`layers.${index}.${key}`, value);
    return out as unknown as LayerWeights; // the same keys, each tensor replaced by one of its shape
  };
  return {
    tokenEmbeddings: tensor('tokenEmbeddings', w.tokenEmbeddings),
    inverseTimescales: tensor('inverseTimescales', w.inverseTimescales),
    layers: w.layers.map(layer),
    headKernel: tensor('headKernel', w.headKernel),
    headBias: tensor('headBias', w.headBias),
    layerNormEpsilon: w.layerNormEpsilon,
    l2Epsilon: w.l2Epsilon,
  };
}
