// Byte-string keys -> the ids their owner gave them, with the keys' bytes
// kept in one arena. The attribute store interns a quarter million sets in
// an Internet table; as a Map of latin1 strings each key was a heap string
// (some 70 octets on top of its bytes), a Map entry, and work for every
// scavenge that copied it. Here a key is its bytes plus three numbers in
// typed columns, and a lookup hashes the received bytes where they are.

import { grownCapacity, grownColumn } from '../util/capacity.js';
import { closeHole, type HomeSlots } from '../util/open-addressing.js';

/** A slot holds id + 1, so that 0 is empty and a new slot array needs no fill. */
const EMPTY = 0;

/** FNV-1a over the bytes, then MurmurHash3's finalizer (the table indexes by the low bits). */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** Up to this size the arena doubles. */
const ARENA_DOUBLING_LIMIT = 1 << 16;
/**
 * The room it then jumps to: address space, not memory (see
 * util/capacity.ts: pages fault in as keys are written), so that a table's
 * worth of keys (some 15 MB for an Internet table) is not copied at every
 * doubling, each copy a turn of the event loop spent faulting in pages.
 */
const ARENA_RESERVED = 1 << 26;

function arenaCapacity(current: number, needed: number): number {
  let capacity = Math.max(current * 2, 1);
  while (capacity < needed) capacity *= 2;
  return capacity > ARENA_DOUBLING_LIMIT && capacity < ARENA_RESERVED ? ARENA_RESERVED : capacity;
}

export class ByteKeyIndex implements HomeSlots {
  private slots = new Int32Array(64);
  private mask = 63;
  private live = 0;
  private arena = new Uint8Array(4096);
  /** End of the arena's written part. */
  private top = 0;
  /** Octets below `top` that belong to removed keys. */
  private garbage = 0;
  /** Per id: where its key starts in the arena, its length (0: no key), its hash. */
  private keyAt = new Uint32Array(256);
  private keyLength = new Uint32Array(256);
  private keyHash = new Uint32Array(256);
  /** One past the highest id that ever held a key (the bound for walks over ids). */
  private idEnd = 0;

  /** Keys held. */
  get count(): number {
    return this.live;
  }

  /** The id whose key is bytes[start, end) (hashed to `hash` by hashBytes), or -1. */
  find(hash: number, bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    let slot = hash & this.mask;
    for (;;) {
      const id = (this.slots[slot] as number) - 1;
      if (id < 0) return -1;
      if (this.keyHash[id] === hash && this.keyLength[id] === length && this.equals(id, bytes, start))
        return id;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Files bytes[start, end) (not empty, not held yet) under `id` (not in use). */
  insert(id: number, hash: number, bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (length === 0) throw new Error('ByteKeyIndex: empty key');
    if (id < this.keyLength.length && this.keyLength[id] !== 0)
      throw new Error(`ByteKeyIndex: id ${id} holds a key`);
    if (id >= this.keyLength.length) {
      const capacity = grownCapacity(this.keyLength.length, id);
      this.keyAt = grownColumn(this.keyAt, capacity);
      this.keyLength = grownColumn(this.keyLength, capacity);
      this.keyHash = grownColumn(this.keyHash, capacity);
    }
    if (this.top + length > this.arena.length) this.makeRoom(length);
    // (A whole key is copied as it is: a subarray of a Buffer is a Buffer, some 100 octets to make.)
    this.arena.set(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), this.top);
    this.keyAt[id] = this.top;
    this.keyLength[id] = length;
    this.keyHash[id] = hash;
    this.top += length;
    if (id >= this.idEnd) this.idEnd = id + 1;
    let slot = hash & this.mask;
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.slots[slot] = id + 1;
    this.live++;
    if (this.live * 2 > this.slots.length) this.rehash(this.slots.length * 2);
  }

  /** Forgets the key of `id` (no-op when it holds none); the id may be given a key again. */
  remove(id: number): void {
    const length = this.keyLength[id] ?? 0;
    if (length === 0) return;
    let slot = (this.keyHash[id] as number) & this.mask;
    while (this.slots[slot] !== id + 1) slot = (slot + 1) & this.mask;
    closeHole(this.slots, this.mask, slot, this);
    this.keyLength[id] = 0;
    this.garbage += length;
    this.live--;
  }

  /** HomeSlots: where the probe for a slot's entry (id + 1) starts. */
  homeSlot(entry: number, mask: number): number {
    return (this.keyHash[entry - 1] as number) & mask;
  }

  /** The key of `id`: a view into the arena, valid until the next insert. */
  keyOf(id: number): Uint8Array {
    const at = this.keyAt[id] as number;
    return this.arena.subarray(at, at + (this.keyLength[id] as number));
  }

  /** Bytes held by the index's arrays (for memory accounting). */
  get byteSize(): number {
    return (
      this.slots.byteLength +
      this.arena.byteLength +
      this.keyAt.byteLength +
      this.keyLength.byteLength +
      this.keyHash.byteLength
    );
  }

  private equals(id: number, bytes: Uint8Array, start: number): boolean {
    const arena = this.arena;
    const at = this.keyAt[id] as number;
    const length = this.keyLength[id] as number;
    for (let i = 0; i < length; i++) if (arena[at + i] !== bytes[start + i]) return false;
    return true;
  }

  /**
   * Room for `length` more octets. The live keys are copied into a fresh
   * arena at least twice their size: the same size when at least half of
   * the written part was garbage (churn), a larger one otherwise. Either
   * way the copy is paid for by the inserts since the last one.
   */
  private makeRoom(length: number): void {
    const needed = (this.top - this.garbage + length) * 2;
    const arena = new Uint8Array(
      needed <= this.arena.length ? this.arena.length : arenaCapacity(this.arena.length, needed),
    );
    let top = 0;
    for (let id = 0; id < this.idEnd; id++) {
      const keyLength = this.keyLength[id] as number;
      if (keyLength === 0) continue;
      const at = this.keyAt[id] as number;
      arena.set(this.arena.subarray(at, at + keyLength), top);
      this.keyAt[id] = top;
      top += keyLength;
    }
    this.arena = arena;
    this.top = top;
    this.garbage = 0;
  }

  private rehash(slotCount: number): void {
    const slots = new Int32Array(slotCount);
    const mask = slotCount - 1;
    for (let id = 0; id < this.idEnd; id++) {
      if (this.keyLength[id] === 0) continue;
      let slot = (this.keyHash[id] as number) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
