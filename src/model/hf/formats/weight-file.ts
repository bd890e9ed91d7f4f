/**
 * What every weights format's reader gives (safetensors.ts, torch-bin.ts): a tensor
 * table, and each float tensor as float32, or as compactly as the file stores it, on
 * demand. Both formats name dtypes the safetensors way (F32, F16, BF16, F64, I64, …);
 * only the float ones can be weights.
 */
import { ModelFileError } from '../../files.ts';
import { bfloat16ToFloat32, halfToFloat32 } from './float16.ts';

/**
 * A float tensor's elements as compactly as its file allows: F16 and BF16 as the
 * file's own 16-bit patterns (half the memory of float32, decoded when used), every
 * other float dtype as float32 (exactly what WeightFile.float32 gives).
 */
export type CompactFloats =
  | { readonly dtype: 'F16' | 'BF16'; readonly bits: Uint16Array }
  | { readonly dtype: 'F32'; readonly values: Float32Array };

/** One parsed weight file of either format: its tensor table, and float decoding on demand. */
export interface WeightFile {
  readonly name: string;
  readonly tensors: ReadonlyMap<string, { readonly dtype: string; readonly shape: number[] }>;
  /** The tensor as float32 (F32 copied, F16/BF16/F64 converted). */
  float32(tensor: string): Float32Array;
  /** The tensor's 16-bit patterns when stored as F16 or BF16, else float32 as float32() gives. */
  compact(tensor: string): CompactFloats;
}

const FLOAT_DTYPES = new Set(['F64', 'F32', 'F16', 'BF16']);

/** Refuses, naming file and tensor, a dtype that cannot be read as weights. */
function checkFloat(file: string, tensor: string, dtype: string): void {
  if (!FLOAT_DTYPES.has(dtype)) {
    throw new ModelFileError(file, `tensor ${tensor} has dtype ${dtype}; only F32, F16, BF16 and F64 weights are supported`);
  }
}

/** Little-endian elements of a float dtype, in an aligned buffer, as float32. */
function float32FromBytes(dtype: string, bytes: ArrayBuffer): Float32Array {
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

/**
 * WeightFile's float32 and compact for a file whose `bytes(info, tensor)` gives a
 * tensor's elements in row-major order, little-endian, in a fresh aligned buffer: the
 * tensor's presence and float dtype are checked here, once for both formats.
 */
export function floatReaders<I extends { readonly dtype: string }>(
  file: string,
  tensors: ReadonlyMap<string, I>,
  bytes: (info: I, tensor: string) => ArrayBuffer,
): Pick<WeightFile, 'float32' | 'compact'> {
  const checked = (tensor: string): { dtype: string; data: ArrayBuffer } => {
    const info = tensors.get(tensor);
    if (!info) throw new ModelFileError(file, `has no tensor ${tensor}`);
    checkFloat(file, tensor, info.dtype);
    return { dtype: info.dtype, data: bytes(info, tensor) };
  };
  return {
    float32(tensor) {
      const { dtype, data } = checked(tensor);
      return float32FromBytes(dtype, data);
    },
    compact(tensor) {
      const { dtype, data } = checked(tensor);
      // The buffer is the tensor's own copy, so the view keeps only its bytes alive.
      if (dtype === 'F16' || dtype === 'BF16') return { dtype, bits: new Uint16Array(data) };
      return { dtype: 'F32', values: float32FromBytes(dtype, data) };
    },
  };
}
