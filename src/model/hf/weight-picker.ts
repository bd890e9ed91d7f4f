/**
 * Shared scaffolding of the Hugging Face weight loaders: picks a checkpoint's tensors by
 * their PyTorch names, checking each shape against what config.json implies, so a
 * checkpoint that does not match its config is reported by file and tensor name.
 *
 * Names may carry a prefix that a task head or wrapper adds ("bert.", "model.", …); it is
 * found from one anchor tensor every checkpoint of the family has.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelFileError } from '../files.ts';
import { EmbeddingTable } from './embedding-table.ts';
import type { WeightSource } from './formats/open-weights.ts';

/** One PyTorch name (without the prefix), or alternatives tried in order. */
export type TensorNames = string | readonly string[];

export interface WeightPicker {
  /** The values of the first of `names` the checkpoint has, after checking its shape. */
  raw(names: TensorNames, shape: number[]): Float32Array;
  /** Records `t` so that it is freed if picking fails later. */
  keep<T extends tf.Tensor>(t: T): T;
  /** A kept [size] tensor. */
  vector(names: TensorNames, size: number): tf.Tensor1D;
  /** A kept [rows, cols] tensor, as stored. */
  matrix(names: TensorNames, rows: number, cols: number): tf.Tensor2D;
  /** A token-embedding table [rows, cols], kept out of TF.js as compactly as stored (embedding-table.ts); nothing to free. */
  table(names: TensorNames, rows: number, cols: number): EmbeddingTable;
  /** `${name}.weight`, a PyTorch Linear weight [out, in], as our kernel [in, out]; kept. */
  kernel(name: string, inp: number, out: number): tf.Tensor2D;
  /** Kernels sharing an input, side by side in one kept [inp, Σ out] kernel: one matmul instead of several. */
  fusedKernel(inp: number, parts: readonly (readonly [name: string, out: number])[]): tf.Tensor2D;
}

export interface PickOptions {
  /**
   * Which of a tensor's alternative names a "has no tensor" error gives: all, joined by
   * " or " (the default), or only the first (when the others are legacy aliases).
   */
  missing?: 'all' | 'first';
}

/**
 * Runs `build` with a picker over `source`'s tensors, the prefix found from `anchor`
 * (`what` names the family in the error when no tensor ends with it). Every tensor the
 * picker creates or `build` keeps is freed if `build` throws.
 */
export function pickWeights<W>(
  source: WeightSource,
  file: string,
  anchor: string,
  what: string,
  build: (picker: WeightPicker) => W,
  options: PickOptions = {},
): W {
  const anchorName = source.names().find((n) => n === anchor || n.endsWith(`.${anchor}`));
  if (!anchorName) throw new ModelFileError(file, `has no ${anchor} (is this a ${what} checkpoint?)`);
  const prefix = anchorName.slice(0, anchorName.length - anchor.length);

  const created: tf.Tensor[] = [];
  /** The full name of the first of `names` the checkpoint has, its shape checked. */
  const find = (names: TensorNames, shape: number[]): string => {
    const full = (typeof names === 'string' ? [names] : names).map((n) => prefix + n);
    const name = full.find((n) => source.has(n));
    if (!name) throw new ModelFileError(file, `has no tensor ${options.missing === 'first' ? full[0] : full.join(' or ')}`);
    const actual = source.shape(name) ?? [];
    if (!tf.util.arraysEqual(actual, shape)) {
      throw new ModelFileError(file, `tensor ${name} has shape [${actual.join(', ')}], config.json implies [${shape.join(', ')}]`);
    }
    return name;
  };
  const raw = (names: TensorNames, shape: number[]): Float32Array => source.float32(find(names, shape));
  const keep = <T extends tf.Tensor>(t: T): T => {
    created.push(t);
    return t;
  };
  /** PyTorch stores Linear weights as [out, in]; we keep [in, out]. */
  const transposed = (name: string, inp: number, out: number): tf.Tensor2D =>
    tf.tidy(() => tf.transpose(tf.tensor2d(raw(`${name}.weight`, [out, inp]), [out, inp])));
  const picker: WeightPicker = {
    raw,
    keep,
    vector: (names, size) => keep(tf.tensor1d(raw(names, [size]))),
    matrix: (names, rows, cols) => keep(tf.tensor2d(raw(names, [rows, cols]), [rows, cols])),
    table: (names, rows, cols) => new EmbeddingTable(rows, cols, source.compact(find(names, [rows, cols]))),
    kernel: (name, inp, out) => keep(transposed(name, inp, out)),
    fusedKernel: (inp, parts) => keep(tf.tidy(() => tf.concat(parts.map(([name, out]) => transposed(name, inp, out)), 1))),
  };
  try {
    return build(picker);
  } catch (error) {
    tf.dispose(created);
    throw error;
  }
}
