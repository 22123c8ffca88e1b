/**
 * A restricted reader of Python's pickle format (protocols 2 to 5, the ones `torch.save`
 * writes), after CPython's `Lib/pickle.py`. It builds data only: every global the pickle
 * names goes through `PickleHooks.global`, which answers with a `PickleCallable` or refuses,
 * so no code named by a file ever runs, as with `torch.load(weights_only=True)`.
 *
 * Python values become JavaScript values: None → null, bool → boolean, int → number (a
 * bigint beyond 2^53), float → number, str → string, bytes → Uint8Array, list and tuple →
 * array, dict → object (int keys become strings), set → Set.
 */
import { putOwn } from '../own-property.js';

/** A global a pickle may call (REDUCE, NEWOBJ) and then BUILD, as the hooks define it. */
export interface PickleCallable {
  /** `module.name`, for messages. */
  readonly qualifiedName: string;
  call(args: unknown[]): unknown;
}

export interface PickleHooks {
  /** The callable for a global (`GLOBAL`, `STACK_GLOBAL`), or throw to refuse it. */
  global(module: string, name: string): PickleCallable;
  /** The object a persistent id (`BINPERSID`) stands for. */
  persistentLoad(pid: unknown): unknown;
  /** Apply a `BUILD` state to an object the hooks' callables made, or throw. */
  build(obj: unknown, state: unknown): void;
}

/** Whether a value is a dict the reader made (not an array, set, tensor or other object). */
function isDict(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;
}

/** Printable opcode, as pickletools names them where that helps. */
function opName(code: number): string {
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  return code >= 0x20 && code < 0x7f ? `'${String.fromCharCode(code)}' (${hex})` : hex;
}

function toNumber(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Unpickle `bytes`. Errors start with `op` and say what is wrong and where (the byte offset
 * of the opcode).
 */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks, op: string): unknown {
  return unpickleAt(bytes, 0, hooks, op).value;
}

/**
 * Unpickle the pickle that starts at byte `start` of `bytes` (one of several written one after
 * another, as the legacy `torch.save` format writes them): its value, and the byte after its STOP.
 */
export function unpickleAt(bytes: Uint8Array, start: number, hooks: PickleHooks, op: string): { value: unknown; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = start;
  let at = 0; // where the current opcode starts, for messages
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const fail = (message: string): never => {
    throw new Error(`${op}: pickle byte ${at}: ${message}`);
  };
  const need = (n: number): number => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > bytes.length) fail(`needs ${n} more byte(s) but the pickle ends at ${bytes.length}; it is truncated`);
    const start = pos;
    pos += n;
    return start;
  };
  const u8 = () => bytes[need(1)];
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const u64 = () => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} is too large`);
    return Number(v);
  };
  const text = (n: number) => {
    const start = need(n);
    try {
      return utf8.decode(bytes.subarray(start, start + n));
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const latin1 = (n: number) => {
    const start = need(n);
    let s = '';
    for (let i = start; i < start + n; i++) s += String.fromCharCode(bytes[i]);
    return s;
  };
  const raw = (n: number) => {
    const start = need(n);
    return bytes.slice(start, start + n);
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('the stack is empty');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('the stack is empty');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const previous = marks.pop();
    if (!previous) fail('no MARK to pop to');
    stack = previous!;
    return items;
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) fail(`memo entry ${i} was never stored`);
    return memo.get(i);
  };
  const callable = (v: unknown, what: string): PickleCallable => {
    if (v === null || typeof v !== 'object' || typeof (v as PickleCallable).call !== 'function' || typeof (v as PickleCallable).qualifiedName !== 'string') {
      fail(`${what} applies to something that is not a global it may call`);
    }
    return v as PickleCallable;
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!isDict(dict)) fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) {
      const k = items[i];
      let key: string;
      if (typeof k === 'string') key = k;
      else if (typeof k === 'number' || typeof k === 'bigint') key = String(k);
      else return fail(`a dict key of type ${k === null ? 'None' : Array.isArray(k) ? 'tuple' : typeof k} cannot be a JavaScript key`);
      putOwn(dict as Record<string, unknown>, key, items[i + 1]);
    }
  };
  const appendItems = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) fail('APPEND(S) on something that is not a list');
    (list as unknown[]).push(...items);
  };
  const long = (n: number): number | bigint => {
    if (n === 0) return 0;
    const start = need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[start + i]);
    if (bytes[start + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return toNumber(v);
  };

  while (true) {
    if (pos >= bytes.length) {
      at = pos;
      fail('the pickle ends without a STOP opcode; it is truncated');
    }
    at = pos;
    const code = bytes[pos++];
    switch (code) {
      case 0x80: { // PROTO
        const protocol = u8();
        if (protocol > 5) fail(`pickle protocol ${protocol} is newer than 5`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail(`STOP with ${stack.length} value(s) and ${marks.length} MARK(s) left; the pickle is malformed`);
        return { value: stack[0], end: pos };
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(u8()));
        break;
      case 0x8b: { // LONG4
        const n = view.getInt32(need(4), true);
        if (n < 0) fail('LONG4 with a negative length');
        stack.push(long(n));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x54: // BINSTRING (Python 2 str): latin-1 text
        stack.push(latin1(view.getInt32(need(4), true)));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(raw(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(raw(u8()));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(raw(u64()));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74: { // TUPLE
        const items = popMark(); // before reading `stack`, which popMark replaces
        stack.push(items);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: { // LIST
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push({});
        break;
      case 0x64: { // DICT
        const items = popMark();
        const dict = {};
        setItems(dict, items);
        stack.push(dict);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: { // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof Set)) fail('ADDITEMS on something that is not a set');
        for (const item of items) (set as Set<unknown>).add(item);
        break;
      }
      case 0x91: { // FROZENSET
        const items = popMark();
        stack.push(new Set(items));
        break;
      }
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x63: { // GLOBAL: "module\nname\n"
        const line = () => {
          const end = bytes.indexOf(0x0a, pos);
          if (end < 0) fail('GLOBAL without a newline; the pickle is truncated');
          return latin1(end - pos + 1).slice(0, -1);
        };
        const module = line();
        stack.push(hooks.global(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(hooks.global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = callable(pop(), 'REDUCE');
        if (!Array.isArray(args)) fail(`REDUCE of ${fn.qualifiedName} without an argument tuple`);
        stack.push(fn.call(args as unknown[]));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop();
        const cls = callable(pop(), 'NEWOBJ');
        if (!Array.isArray(args)) fail(`NEWOBJ of ${cls.qualifiedName} without an argument tuple`);
        stack.push(cls.call(args as unknown[]));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = callable(pop(), 'NEWOBJ_EX');
        if (!isDict(kwargs) || Object.keys(kwargs).length) fail(`NEWOBJ_EX of ${cls.qualifiedName} with keyword arguments, which no weight needs`);
        if (!Array.isArray(args)) fail(`NEWOBJ_EX of ${cls.qualifiedName} without an argument tuple`);
        stack.push(cls.call(args as unknown[]));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        hooks.build(top(), state);
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      default:
        fail(`opcode ${opName(code)} is not one a weights-only reader accepts (it builds objects by calling code, uses protocol 0 text forms, or is not pickle at all)`);
    }
  }
}
