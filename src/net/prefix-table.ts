// Prefixes -> dense integer ids, one table per family, shared by the RIB and
// the kernel writer: both index their columns by the same ids, so a full
// table's keys are held once. A full table is a million prefixes, so keys
// live in typed arrays (IPv4: one address word and a length; IPv6: four
// words and a length) behind an open-addressing hash of ids; no object,
// string or bigint per prefix. Each user of a shared table holds the ids it
// needs with its own bit (PrefixUser); an id goes back when no bit is left.

import { grownCapacity, grownColumn } from '../util/capacity.js';
import { closeHole, type HomeSlots } from '../util/open-addressing.js';
import { formatIpv4, formatIpv6, wordsToIpv6 } from './ip.js';

/** 1 for IPv4 keys (one word), 2 for IPv6 keys (four words). */
export type PrefixFamily = 1 | 2;

/**
 * A slot holds id + 1 in its low ID_BITS, so that 0 is empty: a new slot
 * array needs no fill, and the OS hands its pages over as they are first
 * touched, not all at once (filling 8 MB at a growth took some 20 ms in one
 * turn). The top bits hold a fingerprint of the key's hash: a probe that
 * meets another key almost never reads that key (1 in 128), so a lookup or
 * an insert into a full table costs about one cache miss instead of three
 * per slot probed (the id's length, words and use flag live in three other
 * arrays). At 1M prefixes in Internet-like order the key checks were half
 * of bench:rib's case (b) table time.
 */
const EMPTY = 0;
const ID_BITS = 25;
const ID_MASK = (1 << ID_BITS) - 1;
/** Ids handed out per family at most (32M; a full Internet table is about 1M). */
const MAX_IDS = ID_MASK - 1;

function slotEntry(hash: number, id: number): number {
  return (((hash >>> ID_BITS) << ID_BITS) | (id + 1)) >>> 0;
}

/**
 * Ids moved from the old slot array to the new one per insert while the
 * table grows. Rehashing a million keys at once is some 50 ms in one turn of
 * the event loop (every keepalive and control request waits); moved a few
 * per insert, the move ends long before the new array is half full.
 */
const MIGRATE_PER_INSERT = 16;

/**
 * Inserts per page of a new slot array touched before the table switches
 * to it. The new array is fresh memory: each 4 KiB page faults in at some
 * 12 us on these VMs on first write, and ids hashed all over it fault in
 * every page within the first thousand or so inserts (25 ms in one UPDATE
 * when 1M slots grow to 2M). Touched one page per few inserts beforehand,
 * while inserts still go to the old array (its load rises from 1/2 to about
 * 0.52), the cost spreads over some thirty UPDATEs.
 */
const INSERTS_PER_PREFAULTED_PAGE = 8;
/** Uint32 slots per 4 KiB page. */
const SLOTS_PER_PAGE = 1024;
/** Smaller slot arrays are switched to at once (16 pages: nothing to spread). */
const PREFAULT_ABOVE_SLOTS = 16 * SLOTS_PER_PAGE;

/** Knuth's multiplicative hash step, kept in 32 bits. */
function mix(hash: number, word: number): number {
  return Math.imul(hash ^ word, 0x9e3779b1) >>> 0;
}

/**
 * MurmurHash3's finalizer. The table indexes by the low bits of the hash,
 * and the low bits of a product depend only on the low bits of its input,
 * which are zero in most prefixes (a /24 has eight): without this avalanche
 * a full table piles into a few probe chains.
 */
function finish(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The users of a shared table, one bit each. The RIB holds a prefix while
 * it has routes for it; the kernel writer while it wants, has written or
 * is about to write a route for it. Neither may free the other's ids.
 */
export const PrefixUser = { rib: 1, kernel: 2 } as const;
export type PrefixUser = (typeof PrefixUser)[keyof typeof PrefixUser];

export class PrefixTable implements HomeSlots {
  readonly afi: PrefixFamily;
  readonly wordsPerKey: 1 | 4;
  /** Number of ids handed out (ids are 0..size-1; freed ids are reused). */
  private size = 0;
  private live = 0;
  private slots: Uint32Array;
  private mask: number;
  /**
   * While growing: the previous slot array, which still indexes the ids from
   * `migrated` up that were there when growth began. Searched after `slots`;
   * its entries are checked against the id's current key and use.
   */
  private oldSlots: Uint32Array | null = null;
  private oldMask = 0;
  private migrated = 0;
  /** Ids handed out when growth began: the migration's end. */
  private migrateEnd = 0;
  private words: Uint32Array;
  private lengths: Uint8Array;
  /** The PrefixUser bits holding the id; 0 when it is free. */
  private used: Uint8Array;
  /**
   * The last id freed, or -1. Free ids form a list through the first word
   * of their key (next free id plus one, 0 ends it): a table emptied by a
   * full-table withdrawal frees a million ids, and a JS array of them was
   * 8 MB of heap growing by copies in the middle of the withdrawal.
   */
  private freeHead = -1;
  /** The next slot array while its pages are touched (before the switch), and how far that got. */
  private pending: Uint32Array | null = null;
  private pendingTouched = 0;
  private insertsSincePageTouched = 0;
  /** Ids not yet migrated that were freed and given out again during the growth under way. */
  private readonly givenAgain = new Set<number>();

  constructor(
    afi: PrefixFamily,
    initialCapacity = 1024,
    private readonly migratePerInsert = MIGRATE_PER_INSERT,
    /** Growths to more slots than this touch the new array's pages first (tests pass 0). */
    private readonly prefaultAbove = PREFAULT_ABOVE_SLOTS,
  ) {
    this.afi = afi;
    this.wordsPerKey = afi === 1 ? 1 : 4;
    let slots = 16;
    while (slots < initialCapacity * 2) slots *= 2;
    this.slots = new Uint32Array(slots);
    this.mask = slots - 1;
    this.words = new Uint32Array(initialCapacity * this.wordsPerKey);
    this.lengths = new Uint8Array(initialCapacity);
    this.used = new Uint8Array(initialCapacity);
  }

  /** Ids handed out so far, the bound for arrays indexed by prefix id. */
  get capacity(): number {
    return this.size;
  }

  /** Prefixes currently in the table. */
  get count(): number {
    return this.live;
  }

  /** True when some user holds the id. */
  isLive(id: number): boolean {
    return this.used[id] !== 0 && id < this.size;
  }

  /** True when `user` holds the id. */
  holds(id: number, user: PrefixUser): boolean {
    return ((this.used[id] as number) & user) !== 0;
  }

  length(id: number): number {
    return this.lengths[id] as number;
  }

  word(id: number, index = 0): number {
    return this.words[id * this.wordsPerKey + index] as number;
  }

  private hashOf(words: ArrayLike<number>, at: number, length: number): number {
    let hash = mix(0x811c9dc5, length);
    for (let w = 0; w < this.wordsPerKey; w++) hash = mix(hash, words[at + w] as number);
    return finish(hash);
  }

  private matches(id: number, words: ArrayLike<number>, at: number, length: number): boolean {
    if (this.lengths[id] !== length) return false;
    const base = id * this.wordsPerKey;
    for (let w = 0; w < this.wordsPerKey; w++) if (this.words[base + w] !== words[at + w]) return false;
    return true;
  }

  /** The id of the prefix whose key is words[at..] and `length`, or -1. */
  findKey(words: ArrayLike<number>, at: number, length: number): number {
    const hash = this.hashOf(words, at, length);
    const found = this.findIn(this.slots, this.mask, hash, words, at, length);
    if (found >= 0 || this.oldSlots === null) return found;
    return this.findIn(this.oldSlots, this.oldMask, hash, words, at, length);
  }

  private findIn(
    slots: Uint32Array,
    mask: number,
    hash: number,
    words: ArrayLike<number>,
    at: number,
    length: number,
  ): number {
    const fingerprint = hash >>> ID_BITS;
    let slot = hash & mask;
    for (;;) {
      const entry = slots[slot] as number;
      if (entry === EMPTY) return -1;
      if (entry >>> ID_BITS === fingerprint) {
        const id = (entry & ID_MASK) - 1;
        // (The old array may name an id freed since, or given to another key.)
        if (this.used[id] !== 0 && this.matches(id, words, at, length)) return id;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** The id of the prefix, added if new, and held by `user` from now on. */
  internKey(words: ArrayLike<number>, at: number, length: number, user: PrefixUser = PrefixUser.rib): number {
    const hash = this.hashOf(words, at, length);
    const fingerprint = hash >>> ID_BITS;
    let slot = hash & this.mask;
    for (;;) {
      const entry = this.slots[slot] as number;
      if (entry === EMPTY) break;
      if (entry >>> ID_BITS === fingerprint) {
        const id = (entry & ID_MASK) - 1;
        if (this.used[id] !== 0 && this.matches(id, words, at, length)) {
          this.used[id] = (this.used[id] as number) | user;
          return id;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    if (this.oldSlots !== null) {
      const old = this.findIn(this.oldSlots, this.oldMask, hash, words, at, length);
      if (old >= 0) {
        this.used[old] = (this.used[old] as number) | user;
        return old;
      }
      this.migrate(this.migratePerInsert);
      // Migration may have filled the slot found free above.
      slot = hash & this.mask;
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    }
    const id = this.allocate();
    const base = id * this.wordsPerKey;
    for (let w = 0; w < this.wordsPerKey; w++) this.words[base + w] = words[at + w] as number;
    this.lengths[id] = length;
    this.used[id] = user;
    this.slots[slot] = slotEntry(hash, id);
    this.live++;
    if (this.pending !== null) this.prefault();
    else if (this.live * 2 > this.slots.length) this.startGrowth(this.slots.length * 2);
    return id;
  }

  /** Allocates the next slot array; its pages are touched a few inserts at a time before the switch. */
  private startGrowth(slotCount: number): void {
    if (slotCount <= this.prefaultAbove) {
      this.grow(new Uint32Array(slotCount));
      return;
    }
    this.pending = new Uint32Array(slotCount);
    this.pendingTouched = 0;
    this.insertsSincePageTouched = 0;
  }

  /** Touches the next page of the pending slot array; switches to it once every page is in. */
  private prefault(): void {
    const pending = this.pending as Uint32Array;
    if (++this.insertsSincePageTouched >= INSERTS_PER_PREFAULTED_PAGE) {
      this.insertsSincePageTouched = 0;
      pending[this.pendingTouched] = EMPTY;
      this.pendingTouched += SLOTS_PER_PAGE;
    }
    // One page per 8 inserts: the old array is at most 0.5 + 1/64 full when every page is in.
    if (this.pendingTouched >= pending.length) {
      this.pending = null;
      this.grow(pending);
    }
  }

  /** Puts `id` into the current slot array (it must not be there yet). */
  private place(id: number): void {
    const hash = this.hashOf(this.words, id * this.wordsPerKey, this.lengths[id] as number);
    let slot = hash & this.mask;
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.slots[slot] = slotEntry(hash, id);
  }

  /** Switches to `slots`, twice the size; the ids move over a few at a time (migrate). */
  private grow(slots: Uint32Array): void {
    // A growth before the last one ended (not with these sizes): end it first.
    if (this.oldSlots !== null) this.migrate(Number.POSITIVE_INFINITY);
    this.oldSlots = this.slots;
    this.oldMask = this.mask;
    this.migrated = 0;
    this.migrateEnd = this.size;
    this.givenAgain.clear();
    this.slots = slots;
    this.mask = slots.length - 1;
  }

  /** Moves up to `count` ids from the old slot array into the current one. */
  private migrate(count: number): void {
    const end = Math.min(this.migrateEnd, this.migrated + count);
    for (let id = this.migrated; id < end; id++) {
      // Freed ids need no slot; ids given out again since are placed already.
      if (this.used[id] === 0) continue;
      if (this.givenAgain.size > 0 && this.givenAgain.delete(id)) continue;
      this.place(id);
    }
    this.migrated = end;
    if (end >= this.migrateEnd) this.oldSlots = null;
  }

  private allocate(): number {
    const reused = this.freeHead;
    if (reused >= 0) {
      this.freeHead = (this.words[reused * this.wordsPerKey] as number) - 1;
      // Placed in the new slot array by internKey: migrate() must not place it twice.
      if (this.oldSlots !== null && reused >= this.migrated && reused < this.migrateEnd)
        this.givenAgain.add(reused);
      return reused;
    }
    if (this.size >= MAX_IDS)
      throw new Error(`prefix table: more than ${MAX_IDS} prefixes in one address family`);
    const id = this.size++;
    if (id >= this.lengths.length) {
      const capacity = grownCapacity(this.lengths.length, id);
      this.words = grownColumn(this.words, capacity * this.wordsPerKey);
      this.lengths = grownColumn(this.lengths, capacity);
      this.used = grownColumn(this.used, capacity);
    }
    return id;
  }

  /** `user` holds a live id too (one it got from another user of the table). */
  hold(id: number, user: PrefixUser): void {
    if (!this.isLive(id)) throw new Error(`prefix id ${id} is not in the table`);
    this.used[id] = (this.used[id] as number) | user;
  }

  /** `user` no longer needs the id: it goes back when no other user holds it. */
  release(id: number, user: PrefixUser): void {
    const left = (this.used[id] as number) & ~user;
    if (left !== 0) this.used[id] = left;
    else this.remove(id);
  }

  /** Forgets a prefix, whoever holds it; its id may be handed out again. */
  remove(id: number): void {
    if (this.used[id] === 0 || id >= this.size) return;
    this.used[id] = 0;
    this.live--;
    // Rebuild the probe chains without the id (backward-shift deletion). An
    // id not yet moved from the old slot array has no slot here: the old
    // array's entry stays, and lookups skip it (the id is no longer used).
    let slot = this.hashOf(this.words, id * this.wordsPerKey, this.lengths[id] as number) & this.mask;
    for (;;) {
      const other = this.slots[slot] as number;
      if ((other & ID_MASK) === id + 1) break;
      if (other === EMPTY) break;
      slot = (slot + 1) & this.mask;
    }
    if (this.slots[slot] !== EMPTY) closeHole(this.slots, this.mask, slot, this);
    // The key is not needed any more: its first word links the free list.
    this.words[id * this.wordsPerKey] = this.freeHead + 1;
    this.freeHead = id;
  }

  /** HomeSlots: where the probe for a slot's entry starts. */
  homeSlot(entry: number, mask: number): number {
    const id = (entry & ID_MASK) - 1;
    return this.hashOf(this.words, id * this.wordsPerKey, this.lengths[id] as number) & mask;
  }

  toString(id: number): string {
    const length = this.lengths[id] as number;
    if (this.wordsPerKey === 1) return `${formatIpv4(this.words[id] as number)}/${length}`;
    const base = id * 4;
    const w = this.words;
    return `${formatIpv6(wordsToIpv6(w[base] as number, w[base + 1] as number, w[base + 2] as number, w[base + 3] as number))}/${length}`;
  }

  /** The key storage and where the key of `id` starts in it (read-only use, e.g. encoding). */
  keyWords(): Uint32Array {
    return this.words;
  }

  keyOffset(id: number): number {
    return id * this.wordsPerKey;
  }

  /** Copies the key of `id` into `out` at `at` (for building Prefixes lists). */
  copyKey(id: number, out: Uint32Array, at: number): void {
    const base = id * this.wordsPerKey;
    for (let w = 0; w < this.wordsPerKey; w++) out[at + w] = this.words[base + w] as number;
  }

  /** Bytes held by the table's arrays (for memory accounting). */
  get byteSize(): number {
    return (
      this.slots.byteLength +
      (this.oldSlots?.byteLength ?? 0) +
      (this.pending?.byteLength ?? 0) +
      this.words.byteLength +
      this.lengths.byteLength +
      this.used.byteLength
    );
  }
}
