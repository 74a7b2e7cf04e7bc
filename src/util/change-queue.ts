// Which prefixes changed since a consumer (the kernel writer, the OVS writer,
// a peer's Adj-RIB-Out) last looked. One bit per prefix id: a prefix that
// changes ten times before the consumer gets to it is handed over once, and
// the consumer reads its state as it is by then.
//
// A bitmap, not a list: a full table's burst marks a million ids, and a list
// of them (4 octets each, plus a flag octet) was 5 MB per consumer that
// stayed resident after the burst; the bitmap is 128 KB. Ids come out in
// ascending order from where the last take stopped, wrapping around, so an
// id marked behind the consumer waits at most one pass.

import { grownColumn } from './capacity.js';

const BITS = 32;

export class ChangeQueue {
  private words = new Int32Array(32);
  private count = 0;
  /** The word the next take() starts looking at. */
  private cursor = 0;
  /** Called when the queue goes from empty to non-empty. */
  onPending: (() => void) | null = null;

  /** Whether prefix id `p` is waiting to be taken. */
  has(p: number): boolean {
    return (((this.words[p >>> 5] as number | undefined) ?? 0) & (1 << (p & (BITS - 1)))) !== 0;
  }

  get size(): number {
    return this.count;
  }

  mark(prefixId: number): void {
    const w = prefixId >>> 5;
    if (w >= this.words.length) {
      // Doubled, not grown into reserved room (capacity.ts): take() scans every word.
      let length = this.words.length * 2;
      while (length <= w) length *= 2;
      this.words = grownColumn(this.words, length);
    }
    const word = this.words[w] as number;
    const bit = 1 << (prefixId & (BITS - 1));
    if ((word & bit) !== 0) return;
    this.words[w] = word | bit;
    if (++this.count === 1) this.onPending?.();
  }

  /** Takes the next changed prefix, or -1 when there is none. */
  take(): number {
    if (this.count === 0) return -1;
    const words = this.words;
    let w = this.cursor;
    // Some word is non-zero (count > 0): the loop ends within one pass.
    for (;;) {
      if (w >= words.length) w = 0;
      const word = words[w] as number;
      if (word !== 0) {
        const lowest = word & -word;
        words[w] = word ^ lowest;
        this.cursor = w;
        this.count--;
        return w * BITS + 31 - Math.clz32(lowest);
      }
      w++;
    }
  }

  clear(): void {
    this.words.fill(0);
    this.count = 0;
    this.cursor = 0;
  }
}
