// Which prefixes changed since a consumer (the kernel writer, the OVS writer,
// a peer's Adj-RIB-Out) last looked. One flag and at most one queue entry per
// prefix: a prefix that changes ten times before the consumer gets to it is
// handed over once, and the consumer reads its state as it is by then.

export class ChangeQueue {
  private queued = new Uint8Array(1024);
  private items = new Int32Array(1024);
  private start = 0;
  private end = 0;
  /** Called when the queue goes from empty to non-empty. */
  onPending: (() => void) | null = null;

  /** Whether prefix id `p` is waiting to be taken. */
  has(p: number): boolean {
    return this.queued[p] === 1;
  }

  get size(): number {
    return this.end - this.start;
  }

  mark(prefixId: number): void {
    if (prefixId >= this.queued.length) {
      let capacity = this.queued.length * 2;
      while (capacity <= prefixId) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.queued);
      this.queued = grown;
    }
    if (this.queued[prefixId] === 1) return;
    this.queued[prefixId] = 1;
    if (this.end === this.items.length) this.makeRoom();
    this.items[this.end++] = prefixId;
    if (this.end - this.start === 1) this.onPending?.();
  }

  private makeRoom(): void {
    const size = this.end - this.start;
    if (this.start > 0 && size <= this.items.length / 2) {
      this.items.copyWithin(0, this.start, this.end);
    } else {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items.subarray(this.start, this.end));
      this.items = grown;
    }
    this.start = 0;
    this.end = size;
  }

  /** Takes the next changed prefix, or -1 when there is none. */
  take(): number {
    if (this.start === this.end) return -1;
    const prefixId = this.items[this.start++] as number;
    this.queued[prefixId] = 0;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    return prefixId;
  }

  clear(): void {
    while (this.take() !== -1) {
      // drain
    }
  }
}
