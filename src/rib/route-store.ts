// Routes as a struct of typed arrays: one slot per (prefix, source, path id).
// 15 octets per route and no object, closure or string per route, so a full
// table from a peer fits in a few tens of megabytes. The columns grow as
// src/util/capacity.ts says: a full table is never copied in one turn, and
// a page of a column is memory only once a slot on it is written. Three
// columns are written only when they say something: the path id (ADD-PATH,
// RFC 7911; 0 without it), the attribute set as received when the import
// policy changed or rejected it, and the next route of the same prefix
// (none for a prefix with one path), and each is read only behind a flag
// bit that says it was written. A table of one path per prefix, without
// ADD-PATH and import rewrites, never touches their pages (12 octets per
// route saved; a read would cost as much on these VMs, see hasNext).

import { grownCapacity, grownColumn } from '../util/capacity.js';

export const NO_ROUTE = -1;
/** Post-policy attribute id of a route the import policy (or a loop check) rejected. */
export const REJECTED = -1;
/** The attribute column of a free slot. */
const FREE = -2;

export const RouteFlag = {
  /** Kept through a peer's graceful restart (RFC 4724) or an enhanced refresh (RFC 7313), not yet re-announced. */
  stale: 1,
  /** Its source went down: removed by a job that is under way, unless announced again first. */
  doomed: 2,
  /**
   * Another route of the same prefix follows it in the candidate list. The
   * next-route column is read only when this is set: a prefix with one path
   * never reads it, and on kernels that back even a read of a fresh page
   * with memory (no shared zero page: pvm_no_zero_page=1 on the machines
   * here) its pages stay untouched.
   */
  hasNext: 4,
  /**
   * Announced (or announced again) while a flush of its source was still
   * marking that source's routes, in a slot the marking had not reached:
   * the marking skips it (and clears this), so the flush leaves it alone.
   */
  kept: 8,
  /** The as-received column holds this route's set (import policy changed or rejected it): read only then. */
  hasRaw: 16,
  /** The path-id column holds this route's ADD-PATH path id: read only then (0 otherwise). */
  hasPathId: 32,
} as const;

/** What a re-announcement keeps of a route's flags: where its columns say something. */
const COLUMN_FLAGS = RouteFlag.hasNext | RouteFlag.hasRaw | RouteFlag.hasPathId;

export class RouteStore {
  private capacity: number;
  private top = 0;
  /**
   * The last slot released, or NO_ROUTE. Free slots form a list through
   * their `prefix` column (next free slot plus one, 0 ends it): a full table
   * withdrawn frees a million slots, and a JS array of them cost 8 MB of
   * heap and grew by copying in the middle of the flush (30 ms turns).
   */
  private freeHead = NO_ROUTE;
  private live = 0;
  prefix: Uint32Array;
  source: Uint16Array;
  /** ADD-PATH path id, read with pathIdOf (behind RouteFlag.hasPathId). */
  private pathId: Uint32Array;
  /** Attribute set as received plus one, read with rawAttrOf (behind RouteFlag.hasRaw). */
  private rawAttrPlusOne: Int32Array;
  /** Attribute set after import policy, or REJECTED (FREE in a free slot). */
  attr: Int32Array;
  /** Next route of the same prefix (candidate list, best first) plus one, 0 for none: read with nextOf. */
  private nextPlusOne: Int32Array;
  flags: Uint8Array;
  /** Seconds (since the RIB started) when the route was learned or last changed. */
  since: Uint32Array;

  constructor(initialCapacity = 1024) {
    this.capacity = initialCapacity;
    this.prefix = new Uint32Array(initialCapacity);
    this.source = new Uint16Array(initialCapacity);
    this.pathId = new Uint32Array(initialCapacity);
    this.rawAttrPlusOne = new Int32Array(initialCapacity);
    this.attr = new Int32Array(initialCapacity);
    this.nextPlusOne = new Int32Array(initialCapacity);
    this.flags = new Uint8Array(initialCapacity);
    this.since = new Uint32Array(initialCapacity);
  }

  get count(): number {
    return this.live;
  }

  /** One past the highest slot ever used (bound for scans). */
  get end(): number {
    return this.top;
  }

  /** True when slot `route` holds a route (scans skip freed slots). */
  isLive(route: number): boolean {
    return this.attr[route] !== FREE;
  }

  /** The attribute set of `route` as received (before the import policy). */
  rawAttrOf(route: number): number {
    if (((this.flags[route] as number) & RouteFlag.hasRaw) === 0) return this.attr[route] as number;
    return (this.rawAttrPlusOne[route] as number) - 1;
  }

  /** The ADD-PATH path id of `route` (0 without ADD-PATH). */
  pathIdOf(route: number): number {
    if (((this.flags[route] as number) & RouteFlag.hasPathId) === 0) return 0;
    return this.pathId[route] as number;
  }

  /**
   * setAttrs() for a route just allocated (its flags are 0): the
   * as-received column is written only when it differs, and not read.
   */
  initAttrs(route: number, rawId: number, postId: number): void {
    this.attr[route] = postId;
    if (rawId !== postId) {
      this.rawAttrPlusOne[route] = rawId + 1;
      this.flags[route] = (this.flags[route] as number) | RouteFlag.hasRaw;
    }
  }

  /** Sets both attribute sets of `route`: as received, and after the import policy (or REJECTED). */
  setAttrs(route: number, rawId: number, postId: number): void {
    this.attr[route] = postId;
    const flags = this.flags[route] as number;
    if (rawId !== postId) {
      this.rawAttrPlusOne[route] = rawId + 1;
      if ((flags & RouteFlag.hasRaw) === 0) this.flags[route] = flags | RouteFlag.hasRaw;
    } else if ((flags & RouteFlag.hasRaw) !== 0) this.flags[route] = flags & ~RouteFlag.hasRaw;
  }

  /** The route after `route` in its prefix's candidate list, or NO_ROUTE. */
  nextOf(route: number): number {
    if (((this.flags[route] as number) & RouteFlag.hasNext) === 0) return NO_ROUTE;
    return (this.nextPlusOne[route] as number) - 1;
  }

  setNext(route: number, next: number): void {
    const flags = this.flags[route] as number;
    if (next === NO_ROUTE) {
      if ((flags & RouteFlag.hasNext) !== 0) this.flags[route] = flags & ~RouteFlag.hasNext;
      return;
    }
    this.nextPlusOne[route] = next + 1;
    if ((flags & RouteFlag.hasNext) === 0) this.flags[route] = flags | RouteFlag.hasNext;
  }

  /** Clears the stale and doomed marks of `route` (announced again), keeping its place in the list. */
  clearMarks(route: number): void {
    this.flags[route] = (this.flags[route] as number) & COLUMN_FLAGS;
  }

  /** Sets the ADD-PATH path id of a new route (its flags are 0). */
  setPathId(route: number, pathId: number): void {
    if (pathId === 0) return;
    this.pathId[route] = pathId;
    this.flags[route] = (this.flags[route] as number) | RouteFlag.hasPathId;
  }

  allocate(): number {
    let route = this.freeHead;
    if (route !== NO_ROUTE) {
      this.freeHead = (this.prefix[route] as number) - 1;
      this.prefix[route] = 0;
    } else {
      route = this.top++;
      if (route >= this.capacity) this.grow();
    }
    this.live++;
    return route;
  }

  release(route: number): void {
    // The sparse columns are neither read nor cleared: with the flags at 0
    // nothing reads them (a read of a never-written page costs a page here).
    this.attr[route] = FREE;
    if (this.flags[route] !== 0) this.flags[route] = 0;
    this.prefix[route] = this.freeHead + 1;
    this.freeHead = route;
    this.live--;
  }

  private grow(): void {
    const capacity = grownCapacity(this.capacity, this.capacity);
    this.prefix = grownColumn(this.prefix, capacity);
    this.source = grownColumn(this.source, capacity);
    this.pathId = grownColumn(this.pathId, capacity);
    this.rawAttrPlusOne = grownColumn(this.rawAttrPlusOne, capacity);
    this.attr = grownColumn(this.attr, capacity);
    this.nextPlusOne = grownColumn(this.nextPlusOne, capacity);
    this.flags = grownColumn(this.flags, capacity);
    this.since = grownColumn(this.since, capacity);
    this.capacity = capacity;
  }

  /** Octets of the slots in use so far (the room past them is address space, not memory). */
  get byteSize(): number {
    return this.top * (4 + 2 + 4 + 1 + 4);
  }
}
