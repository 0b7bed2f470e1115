/**
 * The read-only data of a compiled model (constants, packed weight panels, tables), placed once per key in
 * order of first use. Entry i starts at the first multiple of its alignment at or after the end of entry
 * i-1, the gap zero-filled, so offsets depend only on the sequence of (key, size, alignment) placed: the
 * same graph gives the same layout, and a kernel asking again for a key gets the first placement back.
 * Offsets are absolute: the pool starts at `base` (wasm: after the arena and scratch; rvv, webgpu: 0).
 */
export class ConstantPool {
  private readonly parts: Uint8Array[] = [];
  private readonly placed = new Map<string, number>();
  private readonly ids = new Map<object, number>();
  private last: number;

  constructor(
    readonly base = 0,
    private readonly defaultAlign = 16,
  ) {
    this.last = base;
  }

  /** Places `bytes` under `key` (once) and returns its absolute offset. */
  place(key: string, bytes: Uint8Array, align = this.defaultAlign): number {
    const known = this.placed.get(key);
    if (known !== undefined) return known;
    const at = Math.ceil(this.last / align) * align;
    if (at > this.last) this.parts.push(new Uint8Array(at - this.last));
    this.parts.push(bytes);
    this.last = at + bytes.length;
    this.placed.set(key, at);
    return at;
  }

  /** A number per distinct object (a constant's data array), so equal names from different graphs stay apart. */
  identity(data: object): number {
    let id = this.ids.get(data);
    if (id === undefined) this.ids.set(data, (id = this.ids.size));
    return id;
  }

  /** Absolute offset just past the last entry. */
  get end(): number {
    return this.last;
  }

  /** Bytes placed, padding included. */
  get size(): number {
    return this.last - this.base;
  }

  /** The entries and the padding between them, in order (to write without one more copy). */
  chunks(): readonly Uint8Array[] {
    return this.parts;
  }

  /** The pool as one buffer, zero-extended to `length` bytes when that is more than its size. */
  bytes(length = this.size): Uint8Array {
    const out = new Uint8Array(Math.max(length, this.size));
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
