/**
 * Loading a sentence-transformers model folder (Hugging Face layout) from any
 * ModelFiles: disk in Node, HTTP or a picked folder in the browser.
 *
 *     const model = await loadHfModel(diskFiles('test-models/bert'), { id: 'tiny-bert' });
 *     model.tokenize('a text'); encodeFrom(model, 0, model.embed(ids)); …; model.dispose();
 *
 * The result is a TangentEncoder built by the family config.json's model_type names
 * (families.ts), so the attribution engine runs on it unchanged; it also offers `referenceIds(ids)` (special tokens kept, the rest padding) and `exact`
 * (the folder is the papers' shifted model).
 */
import { ModelFileError, type FileProgress, type ModelFiles } from '../files.ts';
import { DEFAULT_MAX_BYTES, readCheckpoint, type HfCheckpoint } from './checkpoint.ts';
import { loadDenseWeights, type DenseWeights } from './dense.ts';
import { familyFor, type Family } from './families.ts';
import { openWeights } from './formats/open-weights.ts';
import type { HfSentenceEncoder } from './sentence-encoder.ts';
import { HfTokenizer } from './tokenizer.ts';
import * as tf from '@tensorflow/tfjs-core';

export interface HfLoadOptions {
  /** Model id shown to users and used in cache keys (default: the files' location). */
  id?: string;
  /** Largest model accepted, in bytes (config estimate, index total and files read). Default 600 MB. */
  maxBytes?: number;
  onProgress?: (p: FileProgress) => void;
}

export async function loadHfModel(files: ModelFiles, options: HfLoadOptions = {}): Promise<HfSentenceEncoder> {
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
  const dense = await loadDenseModules(files, checkpoint, maxBytes);
  try {
    return familyOf(checkpoint).build(options.id ?? files.location, checkpoint, source, dense, tokenizer);
  } catch (error) {
    tf.dispose(dense.flatMap((d) => [d.kernel, d.bias]));
    throw error;
  }
}

/** The Dense modules in order, each checked to take the width the one before gives. */
async function loadDenseModules(files: ModelFiles, checkpoint: HfCheckpoint, maxBytes: number): Promise<DenseWeights[]> {
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
    return dense;
  } catch (error) {
    tf.dispose(dense.flatMap((d) => [d.kernel, d.bias]));
    throw error;
  }
}

function familyOf(checkpoint: HfCheckpoint): Family {
  const family = familyFor(checkpoint.config.modelType);
  // readCheckpoint found the family already; a checkpoint without one was not read by it.
  if (!family) throw new Error(`no architecture reads model_type "${checkpoint.config.modelType}"`);
  return family;
}

/**
 * Longest input: the position scheme's limit (BaseConfig.maxPositions), and
 * sentence_bert_config.json's max_seq_length, which sentence-transformers truncates to.
 */
export function maxTokensOf(checkpoint: HfCheckpoint): number {
  return Math.min(checkpoint.config.maxPositions, checkpoint.maxSeqLength ?? Infinity);
}
