// What the kernel should hold, and what we believe it holds: pure state, no
// I/O. Per address family, prefixes are dense ids (PrefixTable: the RIB's
// own, shared, when the daemon runs both; see PrefixUser) indexing typed
// arrays: the desired hop-set id, the programmed one (or one of the
// states below), and when it was last written. A route costs array slots,
// not an object. Next-hop sets are interned: a few per peer, not one per
// route, each resolved against the kernel view with the signature the
// kernel's own dump of such a route would have, so that comparisons are one
// string compare. Changes mark prefixes in a ChangeQueue; the programmer
// (programmer.ts) drains it.

import type { FibNextHop } from '../fib/types.js';
import { PrefixTable, PrefixUser } from '../net/prefix-table.js';
import { grownCapacity, grownColumn } from '../util/capacity.js';
import { ChangeQueue } from '../util/change-queue.js';
import { addressBytes, bytesToAddress, type Resolution } from './kernel-view.js';
import { AF_INET, AF_INET6, type KernelNextHop } from './rtnetlink.js';

/** Desired: no route. Programmed: nothing of ours is there. */
export const NONE = -1;
/** Programmed: found in the kernel at start; kept until sweepStale() unless wanted. */
export const ADOPTED = -2;
/** Programmed: the last write failed or the route changed outside; rewritten at the next turn. */
export const FAILED = -3;
/**
 * Programmed: written with a next-hop resolution that has since changed (a
 * link went down, a recursive route moved): the kernel holds the old one,
 * so the route is written again, or removed if nothing resolves now.
 */
export const STALE = -4;

export interface HopSet {
  readonly id: number;
  readonly key: string;
  readonly nextHops: readonly FibNextHop[];
  readonly blackhole: boolean;
  /** Resolved against the current kernel view (empty when nothing resolves). */
  resolved: KernelNextHop[];
  /** How the kernel shows this route, for comparisons (see signatureOf). */
  signature: string;
}

/** What next hops are resolved against (kernel-view.ts's KernelView). */
export interface NextHopResolver {
  resolve(address: string, interfaceName?: string): Resolution | null;
}

const INITIAL_PREFIXES = 1024;

/**
 * A hop-set id or state as stored: NONE 0, ADOPTED 1, FAILED 2, STALE 3,
 * hop set h at h + 4. 0 is NONE, so an untouched slot reads NONE.
 */
function encode(value: number): number {
  return value >= 0 ? value + 4 : -1 - value;
}

function decode(code: number): number {
  return code >= 4 ? code - 4 : -1 - code;
}

/** The largest hop-set id two octets hold (see encode). */
const MAX_NARROW_HOP_SET = 0xffff - 4;

export class FamilyState {
  readonly table: PrefixTable;
  readonly af: number;
  /**
   * The desired hop-set id (or NONE) and the programmed one (or a state
   * below), encoded (see encode): NONE is 0, so the columns need no fill and
   * can grow into reserved room (src/util/capacity.ts). Two octets a prefix
   * while the hop-set ids fit (a few per peer in practice), four once one
   * does not (widen). Read and written through desiredOf/setDesired and
   * programmedOf/setProgrammed.
   */
  private desiredCodes: Uint16Array | Int32Array = new Uint16Array(INITIAL_PREFIXES);
  private programmedCodes: Uint16Array | Int32Array = new Uint16Array(INITIAL_PREFIXES);
  private installedCount = 0;
  /** Second (writer clock) each prefix was last written: notifications right after our own writes are ours. */
  writtenSeconds = new Uint32Array(INITIAL_PREFIXES);
  readonly queue = new ChangeQueue();

  /**
   * `table`: the RIB's prefix table of this family, to index the same ids
   * (the keys of a full table are then held once, and the feed hands over
   * ids, not keys); a table of its own when none is given.
   */
  constructor(
    readonly version: 4 | 6,
    table?: PrefixTable,
  ) {
    this.af = version === 4 ? AF_INET : AF_INET6;
    this.table = table ?? new PrefixTable(version === 4 ? 1 : 2);
    if (this.table.afi !== (version === 4 ? 1 : 2)) throw new Error(`not an IPv${version} prefix table`);
  }

  /** True when the writer holds prefix id `p` (see PrefixUser). */
  holds(p: number): boolean {
    return this.table.holds(p, PrefixUser.kernel);
  }

  /** The id of a prefix, held by the writer from now on. */
  intern(words: ArrayLike<number>, at: number, length: number): number {
    const p = this.table.internKey(words, at, length, PrefixUser.kernel);
    this.ensure(p);
    return p;
  }

  /**
   * Lets go of the ids of prefixes that are neither wanted nor in the
   * kernel nor waiting to be written, so a table that churns through many
   * distinct prefixes does not grow for ever (an id the RIB still holds
   * stays, for the RIB). Returns how many the writer let go.
   */
  reclaim(): number {
    let count = 0;
    for (let p = 0; p < this.table.capacity; p++) {
      if (!this.holds(p) || this.desiredOf(p) !== NONE || this.programmedOf(p) !== NONE) continue;
      if (this.queue.has(p)) continue;
      this.table.release(p, PrefixUser.kernel);
      this.writtenSeconds[p] = 0;
      count++;
    }
    return count;
  }

  desiredOf(p: number): number {
    return decode(this.desiredCodes[p] ?? 0);
  }

  setDesired(p: number, hopSet: number): void {
    if (hopSet > MAX_NARROW_HOP_SET) this.widen();
    this.desiredCodes[p] = encode(hopSet);
  }

  programmedOf(p: number): number {
    return decode(this.programmedCodes[p] ?? 0);
  }

  setProgrammed(p: number, state: number): void {
    if (state > MAX_NARROW_HOP_SET) this.widen();
    const was = decode(this.programmedCodes[p] ?? 0);
    if (was >= 0 !== state >= 0) this.installedCount += state >= 0 ? 1 : -1;
    this.programmedCodes[p] = encode(state);
  }

  /**
   * Prefixes whose kernel route is one of our hop sets (programmedOf >= 0),
   * kept as they change: the fib_routes gauge counted them with a scan of
   * every prefix after each batch, some 5-13 ms a turn at 1M.
   */
  get installed(): number {
    return this.installedCount;
  }

  /** Octets per prefix of each of the two state columns: 2, or 4 after a hop-set id outgrew them. */
  get stateWidth(): number {
    return this.desiredCodes.BYTES_PER_ELEMENT;
  }

  /** Four octets a prefix from now on: a hop-set id does not fit in two. Once, and rare. */
  private widen(): void {
    if (this.desiredCodes instanceof Int32Array) return;
    // Copied up to the ids in use only: the rest of the reserved room stays untouched.
    const used = Math.min(this.table.capacity, this.desiredCodes.length);
    const desired = new Int32Array(this.desiredCodes.length);
    const programmed = new Int32Array(this.programmedCodes.length);
    desired.set(this.desiredCodes.subarray(0, used));
    programmed.set(this.programmedCodes.subarray(0, used));
    this.desiredCodes = desired;
    this.programmedCodes = programmed;
  }

  /** Prefix ids the columns have room for. */
  get capacity(): number {
    return this.desiredCodes.length;
  }

  /** Grows the columns so that prefix id `p` has a slot. */
  ensure(p: number): void {
    if (p < this.desiredCodes.length) return;
    const capacity = grownCapacity(this.desiredCodes.length, p);
    this.desiredCodes = grownColumn(this.desiredCodes, capacity);
    this.programmedCodes = grownColumn(this.programmedCodes, capacity);
    this.writtenSeconds = grownColumn(this.writtenSeconds, capacity);
  }
}

/** Network-order words (1 for IPv4, 4 for IPv6) of an address's bytes, into `out`. */
export function wordsOf(bytes: Uint8Array, out: Uint32Array): void {
  for (let w = 0; w < out.length; w++) {
    out[w] =
      (((bytes[w * 4] ?? 0) << 24) |
        ((bytes[w * 4 + 1] ?? 0) << 16) |
        ((bytes[w * 4 + 2] ?? 0) << 8) |
        (bytes[w * 4 + 3] ?? 0)) >>>
      0;
  }
}

/**
 * A prefix in text ("10.233.2.0/24", "fd00::/64") as network-order words
 * into `out` (4 words long); returns its length, or -1 when it is not one.
 */
export function parsePrefixWords(prefix: string, out: Uint32Array): number {
  const [addressText = '', lengthText] = prefix.split('/');
  const parsed = addressBytes(addressText);
  if (parsed === null) return -1;
  out.fill(0);
  wordsOf(parsed.bytes, out.subarray(0, parsed.bytes.length / 4));
  return Number(lengthText);
}

/**
 * A route's next hops as one comparable string. Sorted: the kernel may list
 * the hops of a multipath route in another order than we wrote them.
 */
export function signatureOf(
  blackhole: boolean,
  hops: readonly { readonly gateway: Uint8Array | null; readonly ifindex: number }[],
): string {
  if (blackhole) return 'blackhole';
  return hops
    .map((hop) => `${hop.gateway === null ? '-' : bytesToAddress(hop.gateway)}@${hop.ifindex}`)
    .sort()
    .join(',');
}

/** The interning key: the same next hops in any order are one set. */
function hopSetKey(nextHops: readonly FibNextHop[], blackhole: boolean): string {
  if (blackhole) return 'blackhole';
  return nextHops
    .map((h) => `${h.address}%${h.interfaceName ?? ''}`)
    .sort()
    .join(',');
}

/** Prefix tables to share with the RIB, per IP version (see FamilyState). */
export interface PrefixTables {
  readonly v4?: PrefixTable;
  readonly v6?: PrefixTable;
}

export class DesiredState {
  readonly v4: FamilyState;
  readonly v6: FamilyState;
  readonly families: readonly FamilyState[];
  readonly hopSets: HopSet[] = [];
  private readonly hopSetsByKey = new Map<string, HopSet>();
  /**
   * Set by sweepStale(): from then on an owned route nobody wants is
   * removed; before, routes adopted at start are kept (graceful restart).
   */
  swept = false;
  private readonly keyWords = new Uint32Array(4);

  /** `tables`: the RIB's prefix tables, to share its prefix ids (see FamilyState). */
  constructor(
    private readonly resolver: NextHopResolver,
    tables: PrefixTables = {},
  ) {
    this.v4 = new FamilyState(4, tables.v4);
    this.v6 = new FamilyState(6, tables.v6);
    this.families = [this.v4, this.v6];
  }

  family(version: 4 | 6): FamilyState {
    return version === 4 ? this.v4 : this.v6;
  }

  /** The family of an address family number (AF_INET, AF_INET6). */
  familyOf(af: number): FamilyState {
    return af === AF_INET ? this.v4 : this.v6;
  }

  /**
   * Interns a next-hop set (or blackhole). Sets are kept for the writer's
   * life: there are as many as distinct next-hop combinations (a few per
   * peer), not per route.
   */
  hopSet(nextHops: readonly FibNextHop[], blackhole: boolean): number {
    const key = hopSetKey(nextHops, blackhole);
    const existing = this.hopSetsByKey.get(key);
    if (existing !== undefined) return existing.id;
    const id = this.hopSets.length;
    const set: HopSet = { id, key, nextHops: [...nextHops], blackhole, resolved: [], signature: '' };
    this.resolve(set);
    this.hopSets[id] = set;
    this.hopSetsByKey.set(key, set);
    return id;
  }

  private resolve(set: HopSet): void {
    if (set.blackhole) {
      set.resolved = [];
      set.signature = 'blackhole';
      return;
    }
    const resolved: KernelNextHop[] = [];
    const seen = new Set<string>();
    for (const hop of set.nextHops) {
      const resolution = this.resolver.resolve(hop.address, hop.interfaceName);
      if (resolution === null) continue;
      // Two BGP next hops behind one gateway are one kernel next hop.
      const key = `${bytesToAddress(resolution.hop.gateway)}@${resolution.hop.ifindex}`;
      if (seen.has(key)) continue;
      seen.add(key);
      resolved.push(resolution.hop);
    }
    set.resolved = resolved;
    set.signature = signatureOf(false, resolved);
  }

  /** True when nothing of the set reaches the kernel now: such a route is rightly absent. */
  unresolved(set: HopSet): boolean {
    return !set.blackhole && set.resolved.length === 0;
  }

  /**
   * Sets what the kernel should have for one prefix: a hop set id, or NONE.
   * `words` are the prefix's network-order words (1 for IPv4, 4 for IPv6)
   * starting at `at`. Returns true when the prefix was marked dirty. Runs
   * once per route change: no allocation.
   */
  setRoute(version: 4 | 6, words: ArrayLike<number>, at: number, length: number, hopSet: number): boolean {
    const family = version === 4 ? this.v4 : this.v6;
    const p = hopSet < 0 ? family.table.findKey(words, at, length) : family.intern(words, at, length);
    if (p < 0) return false;
    return this.setDesired(family, p, hopSet);
  }

  /**
   * setRoute() by prefix id, for a caller that shares the family's table
   * (the RIB's FIB feed): no key to copy or hash.
   */
  setRouteOf(version: 4 | 6, p: number, hopSet: number): boolean {
    const family = version === 4 ? this.v4 : this.v6;
    if (hopSet >= 0) {
      if (!family.holds(p)) family.table.hold(p, PrefixUser.kernel);
      family.ensure(p);
    } else if (!family.holds(p)) return false;
    return this.setDesired(family, p, hopSet);
  }

  private setDesired(family: FamilyState, p: number, hopSet: number): boolean {
    if (family.desiredOf(p) === hopSet) return false;
    if (hopSet >= this.hopSets.length) throw new Error(`unknown hop set ${hopSet}`);
    family.setDesired(p, hopSet);
    family.queue.mark(p);
    return true;
  }

  /** The prefix id of a route's destination (interned: dumps meet prefixes we never wanted). */
  prefixOf(family: FamilyState, destination: Uint8Array, prefixLength: number): number {
    const words = this.keyWords.subarray(0, family.version === 4 ? 1 : 4);
    wordsOf(destination, words);
    return family.intern(words, 0, prefixLength);
  }

  /**
   * Resolves every set again after the kernel view changed. When any set
   * resolves differently, every wanted prefix is marked (the sets do not
   * know their routes). Returns whether anything changed.
   */
  resolveAgain(): boolean {
    const changedSets = new Uint8Array(this.hopSets.length);
    let changed = false;
    for (const set of this.hopSets) {
      const before = set.signature;
      this.resolve(set);
      if (set.signature !== before) {
        changedSets[set.id] = 1;
        changed = true;
      }
    }
    if (changed) {
      for (const family of this.families) {
        for (let p = 0; p < family.table.capacity; p++) {
          const desired = family.desiredOf(p);
          if (desired < 0) continue;
          // What the kernel has was written with the old resolution.
          if (changedSets[desired] === 1 && family.programmedOf(p) === desired)
            family.setProgrammed(p, STALE);
          family.queue.mark(p);
        }
      }
    }
    return changed;
  }

  /** Prefixes waiting to be programmed. */
  get pending(): number {
    return this.v4.queue.size + this.v6.queue.size;
  }
}
