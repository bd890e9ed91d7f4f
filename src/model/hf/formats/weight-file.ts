/**
 * What every weights format's reader gives (safetensors.ts, torch-bin.ts): a tensor
 * table, and each float tensor as float32 on demand. Both formats name dtypes the
 * safetensors way (F32, F16, BF16, F64, I64, …); only the float ones can be weights.
 */
import { ModelFileError } from '../../files.ts';
import { bfloat16ToFloat32, halfToFloat32 } from './float16.ts';

/** One parsed weight file of either format: its tensor table, and float32 decoding on demand. */
export interface WeightFile {
  readonly name: string;
  readonly tensors: ReadonlyMap<string, { readonly dtype: string; readonly shape: number[] }>;
  /** The tensor as float32 (F32 copied, F16/BF16/F64 converted). */
  float32(tensor: string): Float32Array;
}

const FLOAT_DTYPES = new Set(['F64', 'F32', 'F16', 'BF16']);

/** Refuses, naming file and tensor, a dtype that cannot be read as weights. */
export function checkFloat(file: string, tensor: string, dtype: string): void {
  if (!FLOAT_DTYPES.has(dtype)) {
    throw new ModelFileError(file, `tensor ${tensor} has dtype ${dtype}; only F32, F16, BF16 and F64 weights are supported`);
  }
}

/** Little-endian elements of a float dtype, in an aligned buffer, as float32. */
export function float32FromBytes(dtype: string, bytes: ArrayBuffer): Float32Array {
  switch (dtype) {
    case 'F32':
      return new Float32Array(bytes);
    case 'F64':
      return Float32Array.from(new Float64Array(bytes));
    case 'F16':
      return halfToFloat32(new Uint16Array(bytes));
    default:
      return bfloat16ToFloat32(new Uint16Array(bytes));
  }
}
