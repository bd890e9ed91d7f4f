/**
 * Loading a sentence-transformers model folder (Hugging Face layout) from any
 * ModelFiles: disk in Node, HTTP or a picked folder in the browser.
 *
 *     const model = await loadHfModel(diskFiles('test-models/bert'), { id: 'tiny-bert' });
 *     model.tokenize('a text'); encodeFrom(model, 0, model.embed(ids)); …; model.dispose();
 *
 * The result is a TangentEncoder, so the attribution engine runs on it unchanged; it
 * also offers `referenceIds(ids)` (special tokens kept, the rest padding) and `exact`
 * (the folder is the papers' shifted model).
 */
import { ModelFileError, type FileProgress, type ModelFiles } from '../files.ts';
import { HfEncoder } from './bert.ts';
import { DEFAULT_MAX_BYTES, readCheckpoint, type HfCheckpoint } from './checkpoint.ts';
import { openWeights } from './formats/open-weights.ts';
import { HfTokenizer } from './tokenizer.ts';
import { encoderWeightTensors, loadDenseWeights, loadEncoderWeights, type DenseWeights } from './weights.ts';
import * as tf from '@tensorflow/tfjs-core';

export interface HfLoadOptions {
  /** Model id shown to users and used in cache keys (default: the files' location). */
  id?: string;
  /** Largest model accepted, in bytes (config estimate, index total and files read). Default 600 MB. */
  maxBytes?: number;
  onProgress?: (p: FileProgress) => void;
}

export async function loadHfModel(files: ModelFiles, options: HfLoadOptions = {}): Promise<HfEncoder> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const checkpoint = await readCheckpoint(files, { maxBytes });
  const tokenizer = new HfTokenizer(
    checkpoint.tokenizerJson,
    checkpoint.tokenizerConfig,
    maxTokensOf(checkpoint),
    `${checkpoint.transformerPath}tokenizer.json`,
  );

  const t = checkpoint.transformerPath;
  // model.safetensors, or its shards, or pytorch_model.bin, or its shards.
  const source = await openWeights(files, { maxBytes, onProgress: options.onProgress, prefix: t });
  const weights = loadEncoderWeights(source, checkpoint.config, source.file);
  const dense: DenseWeights[] = [];
  try {
    let width = checkpoint.pooling.length * checkpoint.config.hiddenSize;
    for (const spec of checkpoint.dense) {
      if (spec.inFeatures !== width) {
        throw new ModelFileError(`${spec.path}config.json`, `in_features ${spec.inFeatures} does not match the ${width}-wide input`);
      }
      const denseSource = await openWeights(files, { maxBytes, prefix: spec.path });
      dense.push(loadDenseWeights(denseSource, spec, denseSource.file));
      width = spec.outFeatures;
    }
  } catch (error) {
    tf.dispose([...encoderWeightTensors(weights), ...dense.flatMap((d) => [d.kernel, d.bias])]);
    throw error;
  }
  weights.dense = dense;
  return new HfEncoder(options.id ?? files.location, checkpoint, weights, tokenizer);
}

/**
 * Longest input: the position table's limit (RoBERTa and MPNet spend padding_idx + 1
 * rows before the first token), and sentence_bert_config.json's max_seq_length, which
 * sentence-transformers truncates to.
 */
export function maxTokensOf(checkpoint: HfCheckpoint): number {
  const c = checkpoint.config;
  const positional = c.architecture === 'bert' ? c.maxPositionEmbeddings : c.maxPositionEmbeddings - c.padTokenId - 1;
  return Math.min(positional, checkpoint.maxSeqLength ?? Infinity);
}
