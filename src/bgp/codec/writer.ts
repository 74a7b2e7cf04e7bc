// A growable byte writer with back-patched length fields (pg-protocol's
// buffer-writer shape): reserve a length, write the body, patch the length.

export class BufferWriter {
  private buffer: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  length = 0;

  constructor(initialCapacity = 4096) {
    this.buffer = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): this {
    this.ensure(1);
    this.buffer[this.length++] = value;
    return this;
  }

  u16(value: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, value);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, value >>> 0);
    this.length += 4;
    return this;
  }

  u64(value: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.length, value);
    this.length += 8;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** Writes `count` copies of `value`. */
  fill(value: number, count: number): this {
    this.ensure(count);
    this.buffer.fill(value, this.length, this.length + count);
    this.length += count;
    return this;
  }

  /**
   * Makes room for `count` octets and returns where they start; the caller
   * fills them in `raw` (one bounds check for a whole run instead of one per
   * octet: NLRI are written this way).
   */
  reserve(count: number): number {
    this.ensure(count);
    const at = this.length;
    this.length += count;
    return at;
  }

  /** The buffer behind the writer: valid until the next write, which may replace it. */
  get raw(): Uint8Array {
    return this.buffer;
  }

  patchU8(position: number, value: number): void {
    this.buffer[position] = value;
  }

  patchU16(position: number, value: number): void {
    this.view.setUint16(position, value);
  }

  /** Moves bytes [from, this.length) `by` octets towards the start (shrinking the output). */
  shiftLeft(from: number, by: number): void {
    this.buffer.copyWithin(from - by, from, this.length);
    this.length -= by;
  }

  /** Discards everything after `position` (used to back out a speculative write). */
  truncate(position: number): void {
    this.length = position;
  }

  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  /** A view of the bytes written (valid until the next write). */
  peek(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}
