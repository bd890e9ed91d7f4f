/** PyTorch checkpoints (torch.save's ZIP format): views, dtypes, the safe unpickler, and bad input. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../../files.ts';
import { unpickle } from './pickle.ts';
import { parseSafetensors } from './safetensors.ts';
import { parseTorchCheckpoint, parseTorchWeights } from './torch-bin.ts';
import { patchCentralRecord, stateDictPickle, storedZip, torchSaveBytes, type PickledTensor } from './torch-save.test-support.ts';
import { readStoredZip } from './zip.ts';

function testModelBytes(path: string): Uint8Array {
  const data = readFileSync(fileURLToPath(new URL(`../../../../test-models/${path}`, import.meta.url)));
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const toBuffer = (bytes: Uint8Array): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** t = torch.arange(24.).reshape(4, 6), as rows. */
const T = Array.from({ length: 4 }, (_, r) => Array.from({ length: 6 }, (_, c) => 6 * r + c));

describe('views.bin (torch 2.11): views of one storage, and every dtype', () => {
  const views = testModelBytes('torch/views.bin');
  const file = parseTorchWeights('views.bin', toBuffer(views));
  const checkpoint = parseTorchCheckpoint('views.bin', toBuffer(views));

  it.each([
    ['whole', [4, 6], T.flat()],
    ['slice', [2, 3], T.slice(1, 3).flatMap((row) => row.slice(2, 5))],
    ['transposed', [6, 4], T[0].flatMap((_, c) => T.map((row) => row[c]))],
    ['bf16', [4, 6], T.flat()],
    ['f64', [6], T[0]],
  ])('%s has its shape and exact values', (name, shape, values) => {
    expect(file.tensors.get(name)?.shape).toEqual(shape);
    expect(Array.from(file.float32(name))).toEqual(values);
  });

  it('reads the views from one storage, with their offsets and strides', () => {
    const layout = (name: string) => {
      const { storage, offset, stride, dtype } = checkpoint.tensors.get(name)!;
      return { storage, offset, stride, dtype };
    };
    expect(layout('whole')).toEqual({ storage: '0', offset: 0, stride: [6, 1], dtype: 'F32' });
    expect(layout('slice')).toEqual({ storage: '0', offset: 8, stride: [6, 1], dtype: 'F32' });
    expect(layout('transposed')).toEqual({ storage: '0', offset: 0, stride: [1, 6], dtype: 'F32' });
    expect(layout('bf16').dtype).toBe('BF16');
    expect(layout('f64')).toMatchObject({ dtype: 'F64', offset: 0, stride: [1] });
    expect(layout('i64')).toMatchObject({ dtype: 'I64', stride: [1] });
  });

  it('reads integer tensors, but refuses them as weights, naming the tensor and dtype', () => {
    expect(file.tensors.get('i64')?.shape).toEqual([5]);
    expect(Array.from(new BigInt64Array(checkpoint.bytes('i64')))).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(() => file.float32('i64')).toThrow(/^views\.bin: tensor i64 has dtype I64; only F32, F16, BF16 and F64/);
    expect(() => file.float32('nothing')).toThrow(/^views\.bin: has no tensor nothing/);
  });
});

describe('views gathered along their strides', () => {
  const f64 = (values: number[]) => new Uint8Array(Float64Array.from(values).buffer);

  it('gathers 8-byte and 2-byte elements of permuted 3-d views, with offsets', () => {
    const storage = Array.from({ length: 30 }, (_, i) => i - 3.5);
    // A [2, 3, 4] view starting at element 5 with dims permuted: strides (1, 2*4, 2) over a [3, 4, 2]-ish layout.
    const view: PickledTensor = { storageType: 'DoubleStorage', key: '0', numel: 30, offset: 5, shape: [2, 3, 4], stride: [1, 8, 2] };
    const halves = Uint16Array.from(storage, (v) => new Uint16Array(Float32Array.of(v).buffer)[1]); // bfloat16 bits, exact for these
    const zip = torchSaveBytes(
      'views',
      stateDictPickle({ d: view, h: { ...view, storageType: 'BFloat16Storage', key: '1' } }),
      { '0': f64(storage), '1': new Uint8Array(halves.buffer) },
    );
    const expected: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expected.push(storage[5 + i + 8 * j + 2 * k]);
    const file = parseTorchWeights('v.bin', toBuffer(zip));
    expect(Array.from(file.float32('d'))).toEqual(expected);
    expect(Array.from(file.float32('h'))).toEqual(expected);
  });

  it('reads scalars, empty tensors and broadcast (stride 0) views', () => {
    const zip = torchSaveBytes(
      's',
      stateDictPickle({
        scalar: { storageType: 'DoubleStorage', key: '0', numel: 3, offset: 2, shape: [] },
        empty: { storageType: 'DoubleStorage', key: '0', numel: 3, shape: [0, 5] },
        broadcast: { storageType: 'DoubleStorage', key: '0', numel: 3, shape: [2, 3], stride: [0, 1] },
      }),
      { '0': f64([1, 2, 3]) },
    );
    const file = parseTorchWeights('s.bin', toBuffer(zip));
    expect(Array.from(file.float32('scalar'))).toEqual([3]);
    expect(Array.from(file.float32('empty'))).toEqual([]);
    expect(Array.from(file.float32('broadcast'))).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('reads ZIP64 archives (saturated sizes in the directory, ZIP64 end records)', () => {
    const tensors = { a: { storageType: 'FloatStorage', key: '0', numel: 2, shape: [2] } };
    const zip = torchSaveBytes('z', stateDictPickle(tensors), { '0': new Uint8Array(Float32Array.of(1.5, -2).buffer) }, { zip64: true });
    expect(Array.from(parseTorchWeights('z.bin', toBuffer(zip)).float32('a'))).toEqual([1.5, -2]);
  });
});

describe('the real checkpoints (torch 2.11, transformers 5.17)', () => {
  it.each([
    ['bert-bin/pytorch_model.bin', ['bert/model.safetensors']],
    ['roberta-bin-sharded/pytorch_model-00001-of-00002.bin', ['roberta/model.safetensors']],
    ['roberta-bin-sharded/pytorch_model-00002-of-00002.bin', ['roberta/model.safetensors']],
  ])('%s holds the same float32 tensors as the safetensors folder', (bin, [safetensors]) => {
    const torch = parseTorchWeights(bin, toBuffer(testModelBytes(bin)));
    const reference = parseSafetensors(safetensors, toBuffer(testModelBytes(safetensors)));
    expect(torch.tensors.size).toBeGreaterThan(10);
    for (const [name, info] of torch.tensors) {
      expect(info.shape, name).toEqual(reference.tensors.get(name)?.shape);
      expect(torch.float32(name), name).toEqual(reference.float32(name));
    }
  });

  it('mpnet-exact-bin holds float16: every weight is the float32 one rounded to half', () => {
    const torch = parseTorchWeights('mpnet', toBuffer(testModelBytes('mpnet-exact-bin/pytorch_model.bin')));
    const reference = parseSafetensors('mpnet', toBuffer(testModelBytes('mpnet-exact/model.safetensors')));
    for (const [name, info] of torch.tensors) {
      expect(info.dtype).toBe('F16');
      const ours = torch.float32(name);
      reference.float32(name).forEach((v, i) => expect(Math.abs(ours[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25));
    }
  });
});

describe('the unpickler runs nothing it is not allowed to', () => {
  const refuseAll = { file: 'evil.bin', entry: 'evil/data.pkl', resolveGlobal: () => undefined, persistentLoad: () => null };
  const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

  it('refuses os.system, naming the file and the global', () => {
    // cos\nsystem\n(X\x02\x00\x00\x00idtR. = os.system('id')
    const evil = Uint8Array.from([...ascii('\x80\x02cos\nsystem\n(X'), 2, 0, 0, 0, ...ascii('idtR.')]);
    expect(() => unpickle(evil, refuseAll)).toThrow(ModelFileError);
    expect(() => unpickle(evil, refuseAll)).toThrow(/^evil\.bin: evil\/data\.pkl, byte 2: names the global os\.system, which is not allowed/);
  });

  it.each([
    ['an opcode torch.save does not write', ascii('\x80\x02(i__builtin__\neval\n.'), /byte 3: opcode 0x69 'i' \(INST\) is not one torch\.save writes/],
    ['a protocol-4 frame', ascii('\x80\x04\x95'), /opcode 0x95 \(FRAME\)/],
    ['a pickle without STOP', ascii('\x80\x02}'), /byte 3: ends early/],
    ['a call of a non-function', ascii('\x80\x02})R.'), /calls something that is not an allowed function/],
    ['a memo slot never written', ascii('\x80\x02h\x07.'), /memo slot 7/],
    ['a stack left with two values', ascii('\x80\x02}}.'), /stops with 2 values/],
    ['a string running past the end', Uint8Array.from([0x80, 2, 0x58, 0xff, 0xff, 0, 0, 0x41]), /ends early/],
  ])('refuses %s', (_what, bytes, message) => {
    expect(() => unpickle(bytes, refuseAll)).toThrow(ModelFileError);
    expect(() => unpickle(bytes, refuseAll)).toThrow(message);
  });

  it('builds tuples, lists, dicts and ints as protocol 2 writes them', () => {
    // ((1, 300, -2, 2**40), [True, False, None], {'k': 'v'})
    const bytes = Uint8Array.from([
      ...ascii('\x80\x02(K\x01M\x2c\x01J'), 0xfe, 0xff, 0xff, 0xff, 0x8a, 6, 0, 0, 0, 0, 0, 1, ...ascii('t]q\x00(\x88\x89Ne}X'), 1, 0, 0, 0,
      ...ascii('kX'), 1, 0, 0, 0, ...ascii('vs\x87.'),
    ]);
    const [numbers, list, dict] = unpickle(bytes, refuseAll) as [number[], unknown[], Map<string, string>];
    expect(numbers).toEqual([1, 300, -2, 2 ** 40]);
    expect(Object.isFrozen(numbers)).toBe(true);
    expect(list).toEqual([true, false, null]);
    expect([...dict]).toEqual([['k', 'v']]);
  });
});

describe('bad checkpoints are reported by file', () => {
  const views = testModelBytes('torch/views.bin');
  const tensors: Record<string, PickledTensor> = { a: { storageType: 'FloatStorage', key: '0', numel: 2, shape: [2] } };
  const storage = { '0': new Uint8Array(8) };
  const dataPkl = readStoredZip('views.bin', toBuffer(views)).bytes('views/data.pkl');

  /** views.bin with one byte of its data.pkl changed. */
  const corruptPickle = (at: number, value: number): Uint8Array => {
    const copy = views.slice();
    copy[dataPkl.byteOffset + at] = value;
    return copy;
  };

  it('any one byte of data.pkl changed gives a ModelFileError or a checkpoint, never another error', () => {
    let refused = 0;
    for (let at = 0; at < dataPkl.length; at++) {
      for (const value of [0x00, 0xff, dataPkl[at] ^ 0x01]) {
        try {
          parseTorchWeights('bad.bin', toBuffer(corruptPickle(at, value)));
        } catch (error) {
          expect(error, `byte ${at} = ${value}`).toBeInstanceOf(ModelFileError);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(dataPkl.length); // most changes break it
  });

  it.each([
    ['a file cut inside its data', views.slice(0, 1500), /^bad\.bin: is truncated \(1500 bytes, without the ZIP directory/],
    ['a file cut inside its ZIP directory', views.slice(0, views.length - 400), /^bad\.bin: is truncated/],
    ['a file that is not a ZIP', new TextEncoder().encode('{"not": "a checkpoint"}'), /^bad\.bin: is not a ZIP archive/],
    ['a legacy (pre-1.6) torch.save file', Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]), /^bad\.bin: is in the legacy torch\.save format/],
    ['a ZIP without data.pkl', storedZip([['x/readme', new Uint8Array(3)]]), /^bad\.bin: is a ZIP archive without data\.pkl/],
    ['a corrupt pickle (an opcode changed)', corruptPickle(2, 0x69), /^bad\.bin: views\/data\.pkl, byte 2: opcode 0x69 'i' \(INST\) is not one torch\.save writes/],
    ['a corrupt pickle (a length changed)', corruptPickle(7, 0x7f), /^bad\.bin: views\/data\.pkl, byte \d+: /],
    ['a pickle naming os.system', torchSaveBytes('x', stateDictPickle(tensors, ['os', 'system']), storage), /^bad\.bin: x\/data\.pkl, byte \d+: names the global os\.system, which is not allowed/],
    ['a pickle naming builtins.eval', torchSaveBytes('x', stateDictPickle(tensors, ['builtins', 'eval']), storage), /names the global builtins\.eval/],
    ['an unsupported storage type', torchSaveBytes('x', stateDictPickle({ a: { ...tensors.a, storageType: 'ComplexFloatStorage' } }), storage), /storage type torch\.ComplexFloatStorage, which is not supported/],
    ['a compressed entry', patchCentralRecord(views, 'views/data/0', (v, at) => v.setUint16(at + 10, 8, true)), /^bad\.bin: entry views\/data\/0 is compressed \(deflate\)/],
    ['an encrypted entry', patchCentralRecord(views, 'views/data.pkl', (v, at) => v.setUint16(at + 8, 1, true)), /^bad\.bin: entry views\/data\.pkl is encrypted/],
    ['a storage entry missing', patchCentralRecord(views, 'views/data/0', (v, at) => v.setUint8(at + 46 + 11, '9'.charCodeAt(0))), /^bad\.bin: has no entry views\/data\/0, the storage data\.pkl refers to/],
    ['a storage too short for its elements', torchSaveBytes('x', stateDictPickle(tensors), { '0': new Uint8Array(6) }), /^bad\.bin: entry x\/data\/0 holds 6 bytes, but 2 F32 elements need 8/],
    ['a view reaching past its storage', torchSaveBytes('x', stateDictPickle({ a: { ...tensors.a, offset: 1 } }), storage), /^bad\.bin: tensor a \[2\] at offset 1 .* reaches element 2 of its 2-element storage 0/],
    ['a big-endian checkpoint', storedZip([['x/data.pkl', stateDictPickle(tensors)], ['x/byteorder', new TextEncoder().encode('big')], ['x/data/0', new Uint8Array(8)]]), /byte order "big"/],
  ])('%s', (_what, bytes, message) => {
    expect(() => parseTorchWeights('bad.bin', toBuffer(bytes))).toThrow(ModelFileError);
    expect(() => parseTorchWeights('bad.bin', toBuffer(bytes))).toThrow(message);
  });
});
