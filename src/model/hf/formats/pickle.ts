/**
 * A deliberately small pickle interpreter, for the `data.pkl` of torch.save checkpoints.
 *
 * A pickle is a program: GLOBAL imports any Python object by name and REDUCE calls it,
 * which is how a malicious checkpoint runs code when Python loads it. Here GLOBAL
 * resolves only through the caller's allow-list, to values the caller made (markers,
 * or PickleFunction wrappers of the caller's own JS functions), and REDUCE calls only
 * those. We execute only the protocol-2 opcodes torch.save writes for a state dict;
 * any other opcode, an unknown global, or a malformed stream stops with a
 * ModelFileError naming the file, the entry and the byte. Nothing from the file is
 * ever evaluated.
 *
 * Values: None → null, bools, ints → number (refused beyond 2^53), str → string,
 * tuple → frozen array, list → array, dict → Map.
 */
import { ModelFileError } from '../../files.ts';

/** A callable the caller allows a pickle to REDUCE (call) with its arguments. */
export class PickleFunction {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: readonly unknown[]) => unknown,
  ) {}
}

/** Thrown by the caller's hooks to refuse a value; reported with the byte where it happened. */
export class PickleRefusal extends Error {}

export interface UnpickleOptions {
  /** For messages: the file, and the entry inside it that holds the pickle. */
  file: string;
  entry: string;
  /** What GLOBAL `module.name` stands for, or undefined to refuse it. */
  resolveGlobal(module: string, name: string): unknown;
  /** What a persistent id (BINPERSID) stands for; torch uses them for tensor storages. */
  persistentLoad(pid: unknown): unknown;
}

export function isTuple(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && Object.isFrozen(value);
}

/** Runs the pickle and returns the object it builds. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return new Machine(bytes, options).run();
}

/** Opcode names, for messages about the ones we refuse. */
const OPCODE_NAMES: Record<string, string> = {
  '(': 'MARK', '.': 'STOP', '0': 'POP', '1': 'POP_MARK', '2': 'DUP', F: 'FLOAT', I: 'INT', J: 'BININT', K: 'BININT1',
  L: 'LONG', M: 'BININT2', N: 'NONE', P: 'PERSID', Q: 'BINPERSID', R: 'REDUCE', S: 'STRING', T: 'BINSTRING',
  U: 'SHORT_BINSTRING', V: 'UNICODE', X: 'BINUNICODE', a: 'APPEND', b: 'BUILD', c: 'GLOBAL', d: 'DICT', '}': 'EMPTY_DICT',
  e: 'APPENDS', g: 'GET', h: 'BINGET', i: 'INST', j: 'LONG_BINGET', l: 'LIST', ']': 'EMPTY_LIST', o: 'OBJ', p: 'PUT',
  q: 'BINPUT', r: 'LONG_BINPUT', s: 'SETITEM', t: 'TUPLE', ')': 'EMPTY_TUPLE', u: 'SETITEMS', G: 'BINFLOAT',
  '\x80': 'PROTO', '\x81': 'NEWOBJ', '\x82': 'EXT1', '\x83': 'EXT2', '\x84': 'EXT4', '\x85': 'TUPLE1', '\x86': 'TUPLE2',
  '\x87': 'TUPLE3', '\x88': 'NEWTRUE', '\x89': 'NEWFALSE', '\x8a': 'LONG1', '\x8b': 'LONG4', B: 'BINBYTES', C: 'SHORT_BINBYTES',
  '\x8c': 'SHORT_BINUNICODE', '\x8d': 'BINUNICODE8', '\x8e': 'BINBYTES8', '\x8f': 'EMPTY_SET', '\x90': 'ADDITEMS',
  '\x91': 'FROZENSET', '\x92': 'NEWOBJ_EX', '\x93': 'STACK_GLOBAL', '\x94': 'MEMOIZE', '\x95': 'FRAME',
  '\x96': 'BYTEARRAY8', '\x97': 'NEXT_BUFFER', '\x98': 'READONLY_BUFFER',
};

class Machine {
  private at = 0;
  private readonly stack: unknown[] = [];
  /** Stack heights where each open MARK was set. */
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  /** Where the opcode being run starts, for messages. */
  private opcodeAt = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {}

  run(): unknown {
    try {
      for (;;) {
        this.opcodeAt = this.at;
        const opcode = String.fromCharCode(this.u8());
        if (opcode === '.') return this.finish();
        this.step(opcode);
      }
    } catch (error) {
      if (error instanceof PickleRefusal) this.fail(error.message);
      throw error;
    }
  }

  private step(opcode: string): void {
    switch (opcode) {
      case '\x80': return this.protocol(); // PROTO
      case '(': return this.mark(); // MARK
      case 'N': return this.push(null); // NONE
      case '\x88': return this.push(true); // NEWTRUE
      case '\x89': return this.push(false); // NEWFALSE
      case 'K': return this.push(this.u8()); // BININT1
      case 'M': return this.push(this.u16()); // BININT2
      case 'J': return this.push(this.i32()); // BININT
      case '\x8a': return this.push(this.long1()); // LONG1
      case 'X': return this.push(this.utf8(this.u32())); // BINUNICODE
      case ')': return this.push(Object.freeze([])); // EMPTY_TUPLE
      case 't': return this.push(Object.freeze(this.popMark())); // TUPLE
      case '\x85': return this.push(Object.freeze(this.popMany(1))); // TUPLE1
      case '\x86': return this.push(Object.freeze(this.popMany(2))); // TUPLE2
      case '\x87': return this.push(Object.freeze(this.popMany(3))); // TUPLE3
      case ']': return this.push([]); // EMPTY_LIST
      case 'a': return this.append(); // APPEND
      case 'e': return this.appends(); // APPENDS
      case '}': return this.push(new Map<unknown, unknown>()); // EMPTY_DICT
      case 's': return this.setItems(this.popMany(2)); // SETITEM
      case 'u': return this.setItems(this.popMark()); // SETITEMS
      case 'q': return this.put(this.u8()); // BINPUT
      case 'r': return this.put(this.u32()); // LONG_BINPUT
      case 'h': return this.get(this.u8()); // BINGET
      case 'j': return this.get(this.u32()); // LONG_BINGET
      case 'c': return this.global(); // GLOBAL
      case 'R': return this.reduce(); // REDUCE
      case 'b': return this.build(); // BUILD
      case 'Q': return this.push(this.options.persistentLoad(this.popValue())); // BINPERSID
      default: {
        const code = opcode.charCodeAt(0);
        const name = OPCODE_NAMES[opcode];
        const printable = code >= 0x21 && code < 0x7f ? ` '${opcode}'` : '';
        return this.fail(
          `opcode 0x${code.toString(16).padStart(2, '0')}${printable}${name ? ` (${name})` : ''} is not one torch.save writes for a state dict; refused`,
        );
      }
    }
  }

  // ---- the stream

  private need(count: number): void {
    if (this.at + count > this.bytes.length) this.fail(`ends early (needs ${count} more bytes; truncated or corrupt)`);
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.at++];
  }

  private u16(): number {
    return this.u8() | (this.u8() << 8);
  }

  private u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }

  private i32(): number {
    return this.u32() | 0;
  }

  /** LONG1: a length byte, then that many bytes of little-endian two's complement. */
  private long1(): number {
    const length = this.u8();
    this.need(length);
    let value = 0n;
    for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.bytes[this.at + i]);
    if (length > 0 && this.bytes[this.at + length - 1] & 0x80) value -= 1n << BigInt(8 * length);
    this.at += length;
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.fail(`integer ${value} is too large to be a size or offset`);
    }
    return Number(value);
  }

  private utf8(length: number): string {
    this.need(length);
    const text = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(text);
    } catch {
      return this.fail('holds a string that is not valid UTF-8');
    }
  }

  /** GLOBAL's arguments: "module\nname\n". */
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.at);
    if (end < 0) this.fail('ends inside a GLOBAL name (truncated or corrupt)');
    const text = this.utf8(end - this.at);
    this.at = end + 1;
    return text;
  }

  // ---- the stack

  private push(value: unknown): void {
    this.stack.push(value);
  }

  private popValue(): unknown {
    if (this.stack.length <= (this.marks.at(-1) ?? 0)) this.fail('pops an empty stack (corrupt)');
    return this.stack.pop();
  }

  private popMany(count: number): unknown[] {
    if (this.stack.length - count < (this.marks.at(-1) ?? 0)) this.fail(`needs ${count} values on the stack (corrupt)`);
    return this.stack.splice(this.stack.length - count, count);
  }

  private top(): unknown {
    if (this.stack.length <= (this.marks.at(-1) ?? 0)) this.fail('reads an empty stack (corrupt)');
    return this.stack[this.stack.length - 1];
  }

  private mark(): void {
    this.marks.push(this.stack.length);
  }

  private popMark(): unknown[] {
    const height = this.marks.pop();
    if (height === undefined) return this.fail('closes a MARK that was never set (corrupt)');
    return this.stack.splice(height);
  }

  private finish(): unknown {
    if (this.marks.length > 0 || this.stack.length !== 1) this.fail(`stops with ${this.stack.length} values on the stack (corrupt)`);
    return this.stack[0];
  }

  // ---- opcodes with logic of their own

  private protocol(): void {
    const version = this.u8();
    // torch.save writes protocol 2; newer protocols need opcodes we refuse anyway.
    if (version > 5) this.fail(`pickle protocol ${version} does not exist`);
  }

  private list(): unknown[] {
    const list = this.top();
    if (!Array.isArray(list) || isTuple(list)) return this.fail('appends to something that is not a list (corrupt)');
    return list;
  }

  private append(): void {
    const item = this.popValue();
    this.list().push(item);
  }

  private appends(): void {
    const items = this.popMark();
    this.list().push(...items);
  }

  private setItems(pairs: unknown[]): void {
    const dict = this.top();
    if (!(dict instanceof Map)) return this.fail('sets items on something that is not a dict (corrupt)');
    if (pairs.length % 2 !== 0) this.fail('sets an item without a value (corrupt)');
    for (let i = 0; i < pairs.length; i += 2) dict.set(pairs[i], pairs[i + 1]);
  }

  private put(index: number): void {
    this.memo.set(index, this.top());
  }

  private get(index: number): void {
    if (!this.memo.has(index)) this.fail(`reads memo slot ${index}, which was never written (corrupt)`);
    this.push(this.memo.get(index));
  }

  private global(): void {
    const module = this.line();
    const name = this.line();
    const value = this.options.resolveGlobal(module, name);
    if (value === undefined) {
      this.fail(`names the global ${module}.${name}, which is not allowed in a checkpoint of tensors; refused (unpickling it could run code)`);
    }
    this.push(value);
  }

  private reduce(): void {
    const args = this.popValue();
    const callable = this.popValue();
    if (!(callable instanceof PickleFunction)) return this.fail('calls something that is not an allowed function (corrupt or malicious)');
    if (!isTuple(args)) return this.fail(`calls ${callable.qualifiedName} without an argument tuple (corrupt)`);
    this.push(callable.call(args));
  }

  /**
   * BUILD sets an object's state. torch.save uses it on the state dict (an OrderedDict)
   * to attach `_metadata`, module versions that hold no tensors: we drop that state.
   */
  private build(): void {
    const state = this.popValue();
    const target = this.top();
    if (!(target instanceof Map) || !(state instanceof Map || state === null)) {
      this.fail('sets the state of something other than a dict; refused');
    }
  }

  private fail(problem: string): never {
    throw new ModelFileError(this.options.file, `${this.options.entry}, byte ${this.opcodeAt}: ${problem}`);
  }
}
