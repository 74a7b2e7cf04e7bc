// Byte cursors for the OpenFlow codec: a growable writer whose length fields
// are reserved and back-patched (one buffer holds thousands of messages, so
// a batch is one socket write), and a bounds-checked reader whose failures
// are values, not exceptions.

export class ByteWriter {
  private buffer: Buffer;
  /** Bytes written so far. */
  length = 0;

  constructor(initialCapacity = 4096) {
    this.buffer = Buffer.allocUnsafe(initialCapacity);
  }

  /** The backing store; valid until the next write that grows it. */
  get raw(): Buffer {
    return this.buffer;
  }

  /**
   * Advances by `count` bytes and returns where they start, for encoders that
   * fill a fixed-size record in place (the hot path: one capacity check per
   * flow mod instead of one per field). The bytes are not cleared.
   */
  claim(count: number): number {
    this.ensure(count);
    const at = this.length;
    this.length += count;
    return at;
  }

  private ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value & 0xff;
  }

  u16(value: number): void {
    this.ensure(2);
    this.buffer.writeUInt16BE(value & 0xffff, this.length);
    this.length += 2;
  }

  u32(value: number): void {
    this.ensure(4);
    this.buffer.writeUInt32BE(value >>> 0, this.length);
    this.length += 4;
  }

  u64(value: bigint): void {
    this.ensure(8);
    this.buffer.writeBigUInt64BE(BigInt.asUintN(64, value), this.length);
    this.length += 8;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  zeros(count: number): void {
    this.ensure(count);
    this.buffer.fill(0, this.length, this.length + count);
    this.length += count;
  }

  /** Zero bytes up to the next multiple of 8 counted from `start` (OpenFlow's 64-bit alignment). */
  padTo8(start: number): void {
    const rem = (this.length - start) % 8;
    if (rem !== 0) this.zeros(8 - rem);
  }

  patchU16(position: number, value: number): void {
    this.buffer.writeUInt16BE(value & 0xffff, position);
  }

  /** A copy of everything written (safe to keep after further writes). */
  toBuffer(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  /** A view of bytes [start, end) without copying; valid until the next write. */
  view(start = 0, end = this.length): Buffer {
    return this.buffer.subarray(start, end);
  }

  reset(): void {
    this.length = 0;
  }
}

/**
 * Malformed input found by a decoder. Thrown only inside the codec's readers
 * and turned into an error value at the decode boundary (decodeMessage and
 * the multipart body decoders), so bad bytes never escape as exceptions.
 */
export class DecodeError extends Error {}

export class TruncatedError extends DecodeError {
  constructor(readonly what: string) {
    super(`truncated ${what}`);
  }
}

export class ByteReader {
  constructor(
    readonly buffer: Buffer,
    public offset = 0,
    readonly end = buffer.length,
  ) {}

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(count: number, what: string): void {
    if (this.offset + count > this.end) throw new TruncatedError(what);
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buffer[this.offset++] ?? 0;
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  u64(what = 'u64'): bigint {
    this.need(8, what);
    const value = this.buffer.readBigUInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  bytes(count: number, what = 'bytes'): Buffer {
    this.need(count, what);
    const slice = this.buffer.subarray(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }

  skip(count: number, what = 'padding'): void {
    this.need(count, what);
    this.offset += count;
  }

  /** A reader over the next `count` bytes; this reader moves past them. */
  sub(count: number, what: string): ByteReader {
    this.need(count, what);
    const reader = new ByteReader(this.buffer, this.offset, this.offset + count);
    this.offset += count;
    return reader;
  }
}
