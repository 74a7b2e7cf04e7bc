// Adj-RIB-Out of one peer: what was advertised to it, per prefix, and the
// work of turning Loc-RIB changes into UPDATEs. Changed prefixes are drained
// from the peer's change queues, grouped by their outgoing attribute set
// (BIRD's buckets) and packed into as few UPDATEs as fit. Outgoing sets are
// interned in the RIB's store and their encoding is shared across peers
// (encoding-cache.ts): peers that get the same export result share both.
// Writing stops when the session's socket is full and resumes on drain.
//
// A prefix whose outgoing set cannot be encoded for this peer (pack.ts: an
// attribute over its length field, or a set too large for the peer's
// maximum message) is refused: it is withdrawn if it had been advertised,
// kept with its reason for `rib show --out`, reported once, and everything
// else goes on.

import { type CodecContext, sendsPathIds } from '../bgp/codec/context.js';
import { RouteRefreshSubtype } from '../bgp/codec/iana.js';
import { encodeMessage } from '../bgp/codec/message.js';
import { type Prefixes, prefixOctets } from '../bgp/codec/nlri.js';
import {
  announcementSpace,
  type EncodeError,
  messageTooLong,
  nextHopBytes,
  packEncodedAnnouncements,
  packWithdrawals,
} from '../bgp/codec/pack.js';
import { endOfRib } from '../bgp/codec/update.js';
import { type AddressFamily, familyAfiSafi, familyTable } from '../bgp/family.js';
import type { ChangeQueue } from '../util/change-queue.js';
import type { AttrSet } from './attribute-store.js';
import { AttributeEncodingCache } from './encoding-cache.js';
import { type ExportContext, type Exported, type ExportTarget, exportRoute } from './export.js';
import type { Rib } from './rib.js';

/** Where the UPDATEs go (the peer's Established session). */
export interface UpdateSink {
  readonly canWrite: boolean;
  /** Writes whole messages; false when the socket is above its mark (stop until writable). */
  write(bytes: Uint8Array, messageCount: number): boolean;
}

const NOT_ADVERTISED = -1;
/** Prefixes taken from the queue per drain round (bounds one round's memory). */
const ROUND_PREFIXES = 8192;
/** spaceBySet: not computed yet, or the set cannot be encoded at all (error in setErrors). */
const SPACE_UNKNOWN = -0x80000000;
const SPACE_NONE = -0x7fffffff;
/** The longest NLRI entry: an IPv6 /128 with an ADD-PATH identifier (RFC 7911). */
const LONGEST_PREFIX_OCTETS = 21;

/** A prefix this peer should get but cannot, because its outgoing set cannot be encoded for it. */
export interface Refusal {
  readonly setId: number;
  readonly error: EncodeError;
}

interface FamilyOut {
  readonly family: AddressFamily;
  readonly queue: ChangeQueue;
  /** Outgoing attribute set id per prefix id, or NOT_ADVERTISED. */
  advertised: Int32Array;
  /** The initial table has been queued and End-of-RIB is owed once the queue empties. */
  endOfRibPending: boolean;
  /** An enhanced route refresh is under way: EoRR is owed once the queue empties (RFC 7313 §4). */
  endOfRefreshPending: boolean;
  readonly nextHops: Map<number, readonly string[]>;
  /** Prefixes refused for this peer, by prefix id (few: normally none). */
  readonly refused: Map<number, Refusal>;
}

export interface AdjRibOutStats {
  advertised: number;
  /** Prefixes refused so far (each counted when it is first refused). */
  refused: number;
}

export interface AdjRibOutOptions {
  readonly rib: Rib;
  readonly target: ExportTarget;
  readonly exportContext: ExportContext;
  readonly sendContext: CodecContext;
  readonly families: readonly AddressFamily[];
  readonly sink: UpdateSink;
  /** Changes are waiting: schedule a drain. */
  readonly onPending: () => void;
  /** A prefix was refused for this peer (once per prefix until it is sent or no longer exported). */
  readonly onRefused?: (family: AddressFamily, prefix: string, error: EncodeError) => void;
  /** Shared by every peer's Adj-RIB-Out (one per RIB). */
  readonly encodings?: AttributeEncodingCache;
}

export class AdjRibOut {
  private readonly families = new Map<AddressFamily, FamilyOut>();
  /**
   * Outgoing set per (best attribute set, source), for exports that do not
   * depend on the prefix. Keyed by the set object, so a recycled id never
   * finds another set's result.
   */
  private exportCache = new WeakMap<AttrSet, Map<number, number | null>>();
  private readonly keyWords = new Uint32Array(4);
  private readonly heldSets = new Set<number>();
  /**
   * Octets left for NLRI per held outgoing set id in this peer's messages
   * (announcementSpace()), SPACE_UNKNOWN until computed, SPACE_NONE when the
   * set cannot be encoded at all. Held sets keep their ids, so the entry
   * stays right for this Adj-RIB-Out's life.
   */
  private spaceBySet = new Int32Array(1024).fill(SPACE_UNKNOWN);
  private readonly setErrors = new Map<number, EncodeError>();
  readonly stats: AdjRibOutStats = { advertised: 0, refused: 0 };
  private readonly rib: Rib;
  private readonly target: ExportTarget;
  private readonly exportContext: ExportContext;
  private readonly sendContext: CodecContext;
  private readonly sink: UpdateSink;
  private readonly encodings: AttributeEncodingCache;
  private readonly onRefused: (family: AddressFamily, prefix: string, error: EncodeError) => void;

  constructor(options: AdjRibOutOptions) {
    this.rib = options.rib;
    this.target = options.target;
    this.exportContext = options.exportContext;
    this.sendContext = options.sendContext;
    this.sink = options.sink;
    this.encodings = options.encodings ?? new AttributeEncodingCache();
    this.onRefused = options.onRefused ?? (() => {});
    for (const family of options.families) {
      const queue = this.rib.subscribe(family);
      queue.onPending = options.onPending;
      this.families.set(family, {
        family,
        queue,
        advertised: new Int32Array(1024).fill(NOT_ADVERTISED),
        endOfRibPending: false,
        endOfRefreshPending: false,
        nextHops: new Map(),
        refused: new Map(),
      });
    }
  }

  /** Queues the whole Loc-RIB (session just came up, or the peer asked for a refresh). */
  queueFullTable(): void {
    for (const out of this.families.values()) {
      out.endOfRibPending = true;
      this.rib.markAllInstalled(out.family, out.queue);
    }
  }

  /**
   * Queues every prefix of one family again, after a ROUTE-REFRESH (RFC 2918).
   * With Enhanced Route Refresh the re-sent table is framed by BoRR and EoRR
   * (RFC 7313 §4), so the peer can drop what is not re-sent.
   */
  queueFamily(family: AddressFamily, enhanced: boolean): boolean {
    const out = this.families.get(family);
    if (out === undefined) return false;
    // Everything is re-sent: forget what was advertised so nothing is skipped as unchanged.
    this.forgetAdvertised(out);
    if (enhanced) {
      const { afi, safi } = familyAfiSafi(family);
      this.sink.write(
        encodeMessage(
          { type: 'routeRefresh', afi, safi, subtype: RouteRefreshSubtype.beginning },
          this.sendContext,
        ),
        1,
      );
      out.endOfRefreshPending = true;
    }
    this.rib.markAllInstalled(family, out.queue);
    return true;
  }

  /** What was advertised: (prefix id, outgoing attribute set id) pairs of a family. */
  advertised(family: AddressFamily): [number, number][] {
    const out = this.families.get(family);
    if (out === undefined) return [];
    const entries: [number, number][] = [];
    for (let p = 0; p < out.advertised.length; p++) {
      const set = out.advertised[p] as number;
      if (set !== NOT_ADVERTISED) entries.push([p, set]);
    }
    return entries;
  }

  /** What was refused: (prefix id, refusal) pairs of a family. */
  refusals(family: AddressFamily): [number, Refusal][] {
    return [...(this.families.get(family)?.refused ?? [])];
  }

  get hasWork(): boolean {
    for (const out of this.families.values()) {
      if (out.queue.size > 0 || out.endOfRibPending || out.endOfRefreshPending) return true;
    }
    return false;
  }

  private forgetAdvertised(out: FamilyOut): void {
    for (let p = 0; p < out.advertised.length; p++) {
      const set = out.advertised[p] as number;
      if (set !== NOT_ADVERTISED) {
        out.advertised[p] = NOT_ADVERTISED;
        this.stats.advertised--;
      }
    }
  }

  /** Stops consuming changes and drops every reference (the session went down). */
  close(): void {
    for (const out of this.families.values()) {
      this.rib.unsubscribe(out.family, out.queue);
      out.queue.onPending = null;
    }
    this.families.clear();
    for (const id of this.heldSets) this.rib.attrs.release(id);
    this.heldSets.clear();
    this.exportCache = new WeakMap();
  }

  /** The outgoing set for one prefix (interned and held), or null when not advertised. */
  private outgoing(family: AddressFamily, out: FamilyOut, p: number): number | null {
    const best = this.rib.bestRoute(family, p);
    if (best < 0) return null;
    const attr = this.rib.routeAttr(family, best);
    const source = this.rib.routeSource(family, best);
    const cacheable =
      this.target.policy.kind !== 'terms' || this.target.policy.terms.every((t) => t.prefixes === null);
    let bySource = cacheable ? this.exportCache.get(attr) : undefined;
    if (bySource !== undefined) {
      const cached = bySource.get(source.id);
      if (cached !== undefined) return cached;
    }
    const table = this.rib.family(family).prefixes;
    const words = this.keyWords;
    table.copyKey(p, words, 0);
    const exported: Exported = exportRoute(
      this.exportContext,
      this.target,
      family,
      { afi: table.afi, words, at: 0, length: table.length(p) },
      attr,
      source,
    );
    let result: number | null = null;
    if (exported.advertise) {
      const set: AttrSet = this.rib.attrs.intern(
        exported.attributes,
        exported.nextHops[0] ?? null,
        exported.nextHops[1] ?? null,
      );
      if (this.heldSets.has(set.id)) this.rib.attrs.release(set.id);
      else this.heldSets.add(set.id);
      out.nextHops.set(set.id, exported.nextHops);
      result = set.id;
    }
    if (cacheable) {
      if (bySource === undefined) {
        bySource = new Map();
        this.exportCache.set(attr, bySource);
      }
      bySource.set(source.id, result);
    }
    return result;
  }

  /**
   * Why a prefix of `lengthBits` cannot be announced with outgoing set
   * `setId` to this peer, or null when it can. One array read per prefix
   * once the set's room is known.
   */
  private unsendable(out: FamilyOut, setId: number, lengthBits: number): EncodeError | null {
    if (setId >= this.spaceBySet.length) {
      let capacity = this.spaceBySet.length * 2;
      while (capacity <= setId) capacity *= 2;
      const grown = new Int32Array(capacity).fill(SPACE_UNKNOWN);
      grown.set(this.spaceBySet);
      this.spaceBySet = grown;
    }
    let space = this.spaceBySet[setId] as number;
    if (space === SPACE_UNKNOWN) {
      space = this.roomFor(out, setId);
      this.spaceBySet[setId] = space;
    }
    if (space === SPACE_NONE) return this.setErrors.get(setId) ?? null;
    if (space >= LONGEST_PREFIX_OCTETS) return null;
    const withPathId = sendsPathIds(this.sendContext, familyTable[out.family].afi);
    if (prefixOctets(lengthBits, withPathId) <= space) return null;
    const encoded = this.encodings.get(this.rib.attrs.get(setId), this.sendContext);
    const attributeOctets = encoded.ok ? encoded.value.length : 0;
    return messageTooLong(attributeOctets, space, lengthBits, withPathId, this.sendContext);
  }

  /** announcementSpace() for an outgoing set, or SPACE_NONE (with the error kept) when it cannot be encoded. */
  private roomFor(out: FamilyOut, setId: number): number {
    const encoded = this.encodings.get(this.rib.attrs.get(setId), this.sendContext);
    const descriptor = familyTable[out.family];
    let nextHopOctets = 0;
    if (!descriptor.nextHopAttribute) {
      const hops = nextHopBytes(out.nextHops.get(setId) ?? []);
      if (!hops.ok) {
        this.setErrors.set(setId, hops.error);
        return SPACE_NONE;
      }
      nextHopOctets = hops.value.length;
    }
    if (!encoded.ok) {
      this.setErrors.set(setId, encoded.error);
      return SPACE_NONE;
    }
    return Math.max(
      SPACE_NONE + 1,
      announcementSpace(descriptor.afi, encoded.value.length, nextHopOctets, this.sendContext),
    );
  }

  /**
   * Keeps prefix `p` from this peer: withdrawn if it was advertised (the
   * peer must not keep a route we no longer agree with), remembered with
   * its reason, reported the first time.
   */
  private refuse(out: FamilyOut, p: number, setId: number, error: EncodeError, withdrawn: number[]): void {
    if ((out.advertised[p] as number) !== NOT_ADVERTISED) {
      withdrawn.push(p);
      out.advertised[p] = NOT_ADVERTISED;
      this.stats.advertised--;
    }
    const known = out.refused.has(p);
    out.refused.set(p, { setId, error });
    if (known) return;
    this.stats.refused++;
    this.onRefused(out.family, this.rib.family(out.family).prefixes.toString(p), error);
  }

  /**
   * Turns queued changes into UPDATEs until the queues are empty or the sink
   * is full. Returns true when everything queued was sent.
   */
  drain(): boolean {
    for (const out of this.families.values()) {
      if (!this.drainFamily(out)) return false;
    }
    return true;
  }

  private drainFamily(out: FamilyOut): boolean {
    const family = out.family;
    const table = this.rib.family(family).prefixes;
    const wordsPer = table.wordsPerKey;
    while (out.queue.size > 0) {
      if (!this.sink.canWrite) return false;
      const buckets = new Map<number, number[]>();
      const withdrawn: number[] = [];
      for (let taken = 0; taken < ROUND_PREFIXES; taken++) {
        const p = out.queue.take();
        if (p < 0) break;
        if (p >= out.advertised.length) {
          let capacity = out.advertised.length * 2;
          while (capacity <= p) capacity *= 2;
          const grown = new Int32Array(capacity).fill(NOT_ADVERTISED);
          grown.set(out.advertised);
          out.advertised = grown;
        }
        const now = this.outgoing(family, out, p);
        const before = out.advertised[p] as number;
        if (now !== null) {
          const error = this.unsendable(out, now, table.length(p));
          if (error !== null) {
            this.refuse(out, p, now, error, withdrawn);
            continue;
          }
        }
        if (out.refused.size > 0) out.refused.delete(p);
        if (now === null) {
          if (before !== NOT_ADVERTISED) {
            withdrawn.push(p);
            out.advertised[p] = NOT_ADVERTISED;
            this.stats.advertised--;
          }
          continue;
        }
        if (now === before) continue;
        if (before === NOT_ADVERTISED) this.stats.advertised++;
        out.advertised[p] = now;
        let bucket = buckets.get(now);
        if (bucket === undefined) {
          bucket = [];
          buckets.set(now, bucket);
        }
        bucket.push(p);
      }
      const listOf = (ids: number[]): Prefixes => {
        const lengths = new Uint8Array(ids.length);
        const words = new Uint32Array(ids.length * wordsPer);
        ids.forEach((p, i) => {
          lengths[i] = table.length(p);
          table.copyKey(p, words, i * wordsPer);
        });
        return { afi: table.afi, count: ids.length, lengths, words, pathIds: null };
      };
      if (withdrawn.length > 0) {
        const packed = packWithdrawals(listOf(withdrawn), this.sendContext);
        this.sink.write(packed.bytes, packed.messageCount);
      }
      for (const [setId, ids] of buckets) {
        // unsendable() checked the encoding and every prefix's room above.
        const encoded = this.encodings.get(this.rib.attrs.get(setId), this.sendContext);
        if (!encoded.ok) continue;
        const packed = packEncodedAnnouncements(
          listOf(ids),
          encoded.value,
          this.sendContext,
          out.nextHops.get(setId) ?? [],
        );
        if (packed.ok) this.sink.write(packed.value.bytes, packed.value.messageCount);
      }
    }
    if (out.endOfRibPending) {
      if (!this.sink.canWrite) return false;
      // RFC 4724 §2: End-of-RIB once the initial table is out.
      const { afi, safi } = familyAfiSafi(family);
      this.sink.write(encodeMessage(endOfRib(afi, safi), this.sendContext), 1);
      out.endOfRibPending = false;
    }
    if (out.endOfRefreshPending) {
      if (!this.sink.canWrite) return false;
      const { afi, safi } = familyAfiSafi(family);
      this.sink.write(
        encodeMessage(
          { type: 'routeRefresh', afi, safi, subtype: RouteRefreshSubtype.end },
          this.sendContext,
        ),
        1,
      );
      out.endOfRefreshPending = false;
    }
    return true;
  }
}
