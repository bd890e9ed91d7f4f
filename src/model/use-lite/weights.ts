/**
 * Reads the USE-lite TF.js graph artefacts (model.json, weight shards, vocab.json)
 * and picks out the tensors our own implementation needs, checking every name and
 * shape so a broken file is reported by name instead of failing deep inside a matmul.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelFileError, parseJsonFile, type FileProgress, type ModelFiles } from '../files.ts';
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
  const expectedBytes = specs.reduce(
    (sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * (BYTES_PER_DTYPE[s.dtype] ?? 4),
    0,
  );

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
    const v = `${ENCODE}Layer_${l}/TransformerLayer/`;
    const stack = `${ENCODE}TransformerStack/Layer_${l}/TransformerLayer/`;
    const kernel = (name: string, shape: [number, number]) =>
      tf.reshape(take<tf.Rank.R4>(name, [1, 1, ...shape]), shape) as tf.Tensor2D;
    const weights: LayerWeights = {
      attentionNormScale: take(`${v}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`, [d]),
      attentionNormBias: take(`${v}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`, [d]),
      qkvKernel: kernel(`${VARS}Layer_${l}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`, [d, 3 * a]),
      qkvBias: take(`${v}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`, [3 * a]),
      queryScale: scalar(`${stack}MultiheadAttention/mul/y`),
      outputKernel: kernel(`${VARS}Layer_${l}/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`, [a, 512]),
      outputBias: take(`${v}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`, [512]),
      ffnNormScale: take(`${v}FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`, [512]),
      ffnNormBias: take(`${v}FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`, [512]),
      ffnInKernel: take(`${stack}FFN/conv1/Tensordot/Reshape_1`, [512, 1536]),
      ffnInBias: take(`${v}FFN/conv1/bias/ConcatPartitions/concat`, [1536]),
      ffnOutKernel: take(`${stack}FFN/conv2/Tensordot/Reshape_1`, [1536, 512]),
      ffnOutBias: take(`${v}FFN/conv2/bias/ConcatPartitions/concat`, [512]),
    };
    if (l === 0) {
      weights.residualKernel = take(`${v}dense/kernel/ConcatPartitions/concat`, [256, 512]);
      weights.residualBias = take(`${v}dense/bias/ConcatPartitions/concat`, [512]);
    }
    return weights;
  };

  return {
    tokenEmbeddings: take('module/Embeddings_en', [8002, 256]),
    inverseTimescales: take(`${ENCODE}TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, [1, 128]),
    layers: [layer(0), layer(1)],
    headKernel: take('module/Encoder_en/hidden_layers/tanh_layer_0/weights', [512, 512]),
    headBias: take('module/Encoder_en/hidden_layers/tanh_layer_0/bias', [512]),
    layerNormEpsilon: scalar(`${ENCODE}TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`),
    l2Epsilon: scalar('module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y'),
  };
}
