/**
 * A small direct encoder of WebAssembly 1.0 binaries (the core specification, "Binary Format",
 * https://webassembly.github.io/spec/core/binary/): a function body as bytes with one method per
 * instruction the back end uses, and a module of function types, imported functions, one
 * exported memory, functions and exports. No dependency: issue 19 measured binaryen (104 MB,
 * 275 ms to import) buying nothing, since V8 optimises the module itself.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof F64 | typeof V128;

/** A growable byte buffer (a number[] per byte costs a GC-heavy millisecond per module). */
export class Bytes {
  buf = new Uint8Array(256);
  length = 0;

  push(b: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Uint8Array(2 * this.buf.length);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = b;
  }

  append(other: Bytes): void {
    while (this.length + other.length > this.buf.length) {
      const bigger = new Uint8Array(2 * this.buf.length);
      bigger.set(this.buf.subarray(0, this.length));
      this.buf = bigger;
    }
    this.buf.set(other.buf.subarray(0, other.length), this.length);
    this.length += other.length;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Unsigned LEB128. */
function uleb(out: Bytes, v: number): void {
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/** Signed LEB128 of a 64-bit integer (bigint covers i32 and i64). */
function sleb(out: Bytes, value: bigint): void {
  let v = value;
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** Signed LEB128 of an integer that is exact as a number (i32 immediates), without bigint. */
function slebNumber(out: Bytes, value: number): void {
  let v = value;
  for (;;) {
    const byte = v & 0x7f;
    v = Math.floor(v / 128);
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0 && !signBit) || (v === -1 && signBit)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

const f64Scratch = new Float64Array(1);
const f64Bytes = new Uint8Array(f64Scratch.buffer);

/**
 * One function body. Locals are numbered after the parameters; `local(type)` declares one.
 * Each method appends one instruction (the stack discipline is the caller's job; V8's validator
 * reports mistakes when the module is compiled).
 */
export class Body {
  readonly code = new Bytes();
  private readonly localTypes: ValType[] = [];

  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[]) {}

  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  get localCount(): number {
    return this.localTypes.length;
  }

  /** The encoded body: local declarations (run-length by type), code, `end`. */
  encode(): Bytes {
    const out = new Bytes();
    const groups: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(out, groups.length);
    for (const [n, t] of groups) {
      uleb(out, n);
      out.push(t);
    }
    out.append(this.code);
    out.push(0x0b);
    return out;
  }

  private op(a: number, b?: number): this {
    this.code.push(a);
    if (b !== undefined) this.code.push(b);
    return this;
  }

  // Control.
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if(): this { return this.op(0x04, 0x40); }
  ifF64(): this { return this.op(0x04, F64); }
  else(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { this.op(0x0c); uleb(this.code, depth); return this; }
  brIf(depth: number): this { this.op(0x0d); uleb(this.code, depth); return this; }
  return(): this { return this.op(0x0f); }
  call(index: number): this { this.op(0x10); uleb(this.code, index); return this; }
  drop(): this { return this.op(0x1a); }
  select(): this { return this.op(0x1b); }

  // Locals.
  get(i: number): this { this.op(0x20); uleb(this.code, i); return this; }
  set(i: number): this { this.op(0x21); uleb(this.code, i); return this; }
  tee(i: number): this { this.op(0x22); uleb(this.code, i); return this; }

  // Memory (memarg: alignment exponent, then the static offset).
  f64Load(offset = 0): this { this.op(0x2b, 3); uleb(this.code, offset); return this; }
  f64Store(offset = 0): this { this.op(0x39, 3); uleb(this.code, offset); return this; }
  memorySize(): this { return this.op(0x3f, 0x00); }
  memoryGrow(): this { return this.op(0x40, 0x00); }

  // Constants.
  i32(v: number): this { this.op(0x41); slebNumber(this.code, v | 0); return this; }
  i64(v: bigint): this { this.op(0x42); sleb(this.code, BigInt.asIntN(64, v)); return this; }
  f64(v: number): this {
    this.op(0x44);
    f64Scratch[0] = v;
    for (let k = 0; k < 8; k++) this.code.push(f64Bytes[k]);
    return this;
  }

  // i32.
  i32Eqz(): this { return this.op(0x45); }
  i32Eq(): this { return this.op(0x46); }
  i32Ne(): this { return this.op(0x47); }
  i32LtS(): this { return this.op(0x48); }
  i32LtU(): this { return this.op(0x49); }
  i32GtS(): this { return this.op(0x4a); }
  i32GtU(): this { return this.op(0x4b); }
  i32LeS(): this { return this.op(0x4c); }
  i32GeS(): this { return this.op(0x4e); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32And(): this { return this.op(0x71); }
  i32Or(): this { return this.op(0x72); }
  i32Shl(): this { return this.op(0x74); }
  i32ShrU(): this { return this.op(0x76); }

  // i64.
  i64Add(): this { return this.op(0x7c); }
  i64And(): this { return this.op(0x83); }
  i64Or(): this { return this.op(0x84); }
  i64Shl(): this { return this.op(0x86); }
  i64ShrU(): this { return this.op(0x88); }

  // f64 comparisons (i32 results).
  f64Eq(): this { return this.op(0x61); }
  f64Ne(): this { return this.op(0x62); }
  f64Lt(): this { return this.op(0x63); }
  f64Gt(): this { return this.op(0x64); }
  f64Le(): this { return this.op(0x65); }
  f64Ge(): this { return this.op(0x66); }

  // f64 arithmetic.
  f64Abs(): this { return this.op(0x99); }
  f64Neg(): this { return this.op(0x9a); }
  f64Floor(): this { return this.op(0x9c); }
  f64Sqrt(): this { return this.op(0x9f); }
  f64Add(): this { return this.op(0xa0); }
  f64Sub(): this { return this.op(0xa1); }
  f64Mul(): this { return this.op(0xa2); }
  f64Div(): this { return this.op(0xa3); }
  f64Min(): this { return this.op(0xa4); }
  f64Max(): this { return this.op(0xa5); }

  // 128-bit SIMD (fixed-width SIMD proposal, standard since 2021): two f64 lanes, each lane
  // rounded exactly as the scalar instruction would round it.
  private simd(op: number): this { this.code.push(0xfd); uleb(this.code, op); return this; }
  v128Load(offset = 0): this { this.simd(0x00); this.code.push(3); uleb(this.code, offset); return this; }
  v128Store(offset = 0): this { this.simd(0x0b); this.code.push(3); uleb(this.code, offset); return this; }
  f64x2Splat(): this { return this.simd(0x14); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Mul(): this { return this.simd(0xf2); }

  // Conversions.
  i32WrapI64(): this { return this.op(0xa7); }
  i32TruncF64S(): this { return this.op(0xaa); }
  i64ExtendI32S(): this { return this.op(0xac); }
  f64ConvertI32S(): this { return this.op(0xb7); }
  i64ReinterpretF64(): this { return this.op(0xbd); }
  f64ReinterpretI64(): this { return this.op(0xbf); }
}

export interface ImportedFunction {
  readonly module: string;
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

/** A module: imported functions first (indices 0..), then the defined ones, one memory. */
export class ModuleBuilder {
  private readonly imports: ImportedFunction[] = [];
  private readonly bodies: Body[] = [];
  private readonly exports: { name: string; index: number }[] = [];
  private sealedImports = false;

  /** Adds an imported function; all imports must come before the first defined function. */
  import(fn: ImportedFunction): number {
    if (this.sealedImports) throw new Error('internal error: import after a defined function');
    this.imports.push(fn);
    return this.imports.length - 1;
  }

  /** Reserves the index of a function whose body is given later by define(). */
  declare(params: readonly ValType[], results: readonly ValType[]): Body {
    this.sealedImports = true;
    const body = new Body(params, results);
    this.bodies.push(body);
    return body;
  }

  indexOf(body: Body): number {
    return this.imports.length + this.bodies.indexOf(body);
  }

  export(name: string, body: Body): void {
    this.exports.push({ name, index: this.indexOf(body) });
  }

  /** The binary, with the memory exported as "memory" (initial pages, growable). */
  encode(initialPages: number): Uint8Array {
    const types: string[] = [];
    const typeOf = (params: readonly ValType[], results: readonly ValType[]): number => {
      const key = `${params.join(',')}:${results.join(',')}`;
      let k = types.indexOf(key);
      if (k < 0) k = types.push(key) - 1;
      return k;
    };
    const importTypes = this.imports.map((f) => typeOf(f.params, f.results));
    const bodyTypes = this.bodies.map((b) => typeOf(b.params, b.results));

    const out = new Bytes();
    for (const b of [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]) out.push(b);
    const section = (id: number, content: Bytes) => {
      out.push(id);
      uleb(out, content.length);
      out.append(content);
    };
    const name = (buf: Bytes, s: string) => {
      const bytes = new TextEncoder().encode(s);
      uleb(buf, bytes.length);
      for (const b of bytes) buf.push(b);
    };

    const typeSec = new Bytes();
    uleb(typeSec, types.length);
    for (const key of types) {
      const [ps, rs] = key.split(':').map((part) => (part === '' ? [] : part.split(',').map(Number)));
      typeSec.push(0x60);
      uleb(typeSec, ps.length);
      for (const t of ps) typeSec.push(t);
      uleb(typeSec, rs.length);
      for (const t of rs) typeSec.push(t);
    }
    section(1, typeSec);

    const importSec = new Bytes();
    uleb(importSec, this.imports.length);
    this.imports.forEach((f, k) => {
      name(importSec, f.module);
      name(importSec, f.name);
      importSec.push(0x00);
      uleb(importSec, importTypes[k]);
    });
    section(2, importSec);

    const funcSec = new Bytes();
    uleb(funcSec, this.bodies.length);
    for (const t of bodyTypes) uleb(funcSec, t);
    section(3, funcSec);

    const memSec = new Bytes();
    memSec.push(1);
    memSec.push(0x00);
    uleb(memSec, initialPages);
    section(5, memSec);

    const exportSec = new Bytes();
    uleb(exportSec, this.exports.length + 1);
    name(exportSec, 'memory');
    exportSec.push(0x02);
    exportSec.push(0x00);
    for (const e of this.exports) {
      name(exportSec, e.name);
      exportSec.push(0x00);
      uleb(exportSec, e.index);
    }
    section(7, exportSec);

    const codeSec = new Bytes();
    uleb(codeSec, this.bodies.length);
    for (const body of this.bodies) {
      const encoded = body.encode();
      uleb(codeSec, encoded.length);
      codeSec.append(encoded);
    }
    section(10, codeSec);
    return out.bytes();
  }
}
