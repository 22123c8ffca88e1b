/**
 * The writing half of `pickle.ts`: the protocol-2 opcodes `torch.save` itself emits, for
 * data (dicts, lists, strings, numbers, booleans, None) and the calls that rebuild tensors.
 */

const encoder = new TextEncoder();

export class Pickler {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private memo = 0;
  private readonly globals = new Map<string, number>();

  constructor() {
    this.bytes(0x80, 2); // PROTO 2
  }

  private bytes(...values: number[]): void {
    this.push(Uint8Array.from(values));
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  private u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.push(b);
  }

  /** Memoize the value on top of the stack (BINPUT / LONG_BINPUT); returns its memo index. */
  private put(): number {
    const i = this.memo++;
    if (i < 256) this.bytes(0x71, i);
    else {
      this.bytes(0x72);
      this.u32(i);
    }
    return i;
  }

  private get(i: number): void {
    if (i < 256) this.bytes(0x68, i);
    else {
      this.bytes(0x6a);
      this.u32(i);
    }
  }

  /** Push a global (GLOBAL "module\nname\n"), once per name, then from the memo. */
  global(module: string, name: string): void {
    const key = `${module}\n${name}\n`;
    const known = this.globals.get(key);
    if (known !== undefined) return this.get(known);
    this.bytes(0x63);
    this.push(encoder.encode(key));
    this.globals.set(key, this.put());
  }

  mark(): void {
    this.bytes(0x28);
  }

  /** TUPLE of everything since the matching mark. */
  tuple(): void {
    this.bytes(0x74);
  }

  emptyTuple(): void {
    this.bytes(0x29);
  }

  reduce(): void {
    this.bytes(0x52);
  }

  binpersid(): void {
    this.bytes(0x51);
  }

  none(): void {
    this.bytes(0x4e);
  }

  bool(v: boolean): void {
    this.bytes(v ? 0x88 : 0x89);
  }

  int(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v < 256) return this.bytes(0x4b, v);
    if (typeof v === 'number' && v >= -0x80000000 && v <= 0x7fffffff) {
      this.bytes(0x4a);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, v, true);
      return this.push(b);
    }
    // LONG1: little-endian two's complement, as short as the value allows.
    let n = BigInt(v);
    const out: number[] = [];
    while (true) {
      const byte = Number(n & 0xffn);
      out.push(byte);
      n >>= 8n;
      if ((n === 0n && !(byte & 0x80)) || (n === -1n && byte & 0x80)) break;
    }
    this.bytes(0x8a, out.length, ...out);
  }

  float(v: number): void {
    const b = new Uint8Array(9);
    b[0] = 0x47; // BINFLOAT, big-endian
    new DataView(b.buffer).setFloat64(1, v, false);
    this.push(b);
  }

  string(s: string): void {
    const utf8 = encoder.encode(s);
    this.bytes(0x58);
    this.u32(utf8.length);
    this.push(utf8);
    this.put();
  }

  /** EMPTY_DICT, then `(` … `u` SETITEMS around the items `write` pushes. */
  dict(write: () => void): void {
    this.bytes(0x7d);
    this.put();
    this.mark();
    write();
    this.bytes(0x75);
  }

  /** EMPTY_LIST, then `(` … `e` APPENDS. */
  list(write: () => void): void {
    this.bytes(0x5d);
    this.put();
    this.mark();
    write();
    this.bytes(0x65);
  }

  /** STOP, and the pickle's bytes. */
  finish(): Uint8Array {
    this.bytes(0x2e);
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
