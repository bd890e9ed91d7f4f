/**
 * A token-embedding table kept out of TF.js. No TF.js backend here stores float16, so a
 * table held as a tensor costs 4 bytes a value whatever the file stored; EmbeddingGemma's
 * (262,144 × 768) would be 805 MB, two thirds of the model, and on WASM it would sit in
 * the 4 GB heap. The table is only ever read by row, so it stays in JS memory as the
 * file stored it (F16 or BF16: their 16-bit patterns, 2 bytes a value; other dtypes as
 * float32), and `gather` makes a float32 tensor of just the rows asked for.
 *
 * Those rows are decoded with float16.ts's converters, as WeightFile.float32 decodes a
 * whole tensor, so they are bit for bit what tf.gather on the float32 table gave.
 *
 * Not a tensor, so not a named weight (named-weights.ts): never trainable (the gathered
 * rows are constants to TF.js), shared as it is by a model rebuilt from named weights,
 * and freed by the garbage collector with the last model that holds it, never by
 * dispose().
 */
import * as tf from '@tensorflow/tfjs-core';
import { bfloat16ToFloat32, halfToFloat32 } from './formats/float16.ts';
import type { CompactFloats } from './formats/weight-file.ts';

export class EmbeddingTable {
  constructor(
    /** The vocabulary size. */
    readonly rows: number,
    /** The width of a row (the hidden size). */
    readonly width: number,
    /** The rows, row-major, as WeightSource.compact gives them. */
    private readonly stored: CompactFloats,
  ) {
    const length = stored.dtype === 'F32' ? stored.values.length : stored.bits.length;
    if (length !== rows * width) throw new Error(`an embedding table of ${rows} × ${width} needs ${rows * width} values, not ${length}`);
  }

  /** The JS memory the rows take: 2 bytes a value for F16 and BF16, 4 otherwise. */
  get byteLength(): number {
    return this.stored.dtype === 'F32' ? this.stored.values.byteLength : this.stored.bits.byteLength;
  }

  /** Rows `ids`, in order and with repeats, as a float32 [ids.length, width] tensor the caller owns. */
  gather(ids: readonly number[]): tf.Tensor2D {
    // Reading past the table would give short or foreign rows, not an error: refuse first.
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= this.rows);
    if (bad !== undefined) throw new RangeError(`token id ${bad} is outside the embedding table's rows 0..${this.rows - 1}`);
    const w = this.width;
    const s = this.stored;
    const values =
      s.dtype === 'F32'
        ? pickRows(s.values, new Float32Array(ids.length * w), ids, w)
        : (s.dtype === 'F16' ? halfToFloat32 : bfloat16ToFloat32)(pickRows(s.bits, new Uint16Array(ids.length * w), ids, w));
    return tf.tensor2d(values, [ids.length, w]);
  }
}

/** Copies rows `ids` of `from` (rows `width` wide) into `to`, one after another. */
function pickRows<T extends Float32Array | Uint16Array>(from: T, to: T, ids: readonly number[], width: number): T {
  ids.forEach((id, i) => to.set(from.subarray(id * width, (id + 1) * width), i * width));
  return to;
}
