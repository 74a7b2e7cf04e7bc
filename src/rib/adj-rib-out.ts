// Adj-RIB-Out of one peer: what was advertised to it, per prefix, and the
// work of turning Loc-RIB changes into UPDATEs. Changed prefixes are drained
// from the peer's change queues, grouped by their outgoing attribute set
// (BIRD's buckets) and packed into as few UPDATEs as fit. Outgoing sets are
// interned in the RIB's store and their encoding is shared across peers
// (encoding-cache.ts): peers that get the same export result share both.
// Writing stops when the session's socket is full and resumes on drain.

import type { CodecContext } from '../bgp/codec/context.js';
import { RouteRefreshSubtype } from '../bgp/codec/iana.js';
import { encodeMessage } from '../bgp/codec/message.js';
import type { Prefixes } from '../bgp/codec/nlri.js';
import { packEncodedAnnouncements, packWithdrawals } from '../bgp/codec/pack.js';
import { endOfRib } from '../bgp/codec/update.js';
import { type AddressFamily, familyAfiSafi } from '../bgp/family.js';
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
}

export interface AdjRibOutStats {
  advertised: number;
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
  readonly stats: AdjRibOutStats = { advertised: 0 };

  constructor(
    private readonly rib: Rib,
    private readonly target: ExportTarget,
    private readonly exportContext: ExportContext,
    private readonly sendContext: CodecContext,
    families: readonly AddressFamily[],
    private readonly sink: UpdateSink,
    onPending: () => void,
    /** Shared by every peer's Adj-RIB-Out (one per RIB). */
    private readonly encodings: AttributeEncodingCache = new AttributeEncodingCache(),
  ) {
    for (const family of families) {
      const queue = rib.subscribe(family);
      queue.onPending = onPending;
      this.families.set(family, {
        family,
        queue,
        advertised: new Int32Array(1024).fill(NOT_ADVERTISED),
        endOfRibPending: false,
        endOfRefreshPending: false,
        nextHops: new Map(),
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
        const set = this.rib.attrs.get(setId);
        const packed = packEncodedAnnouncements(
          listOf(ids),
          this.encodings.get(set, this.sendContext),
          this.sendContext,
          out.nextHops.get(setId) ?? [],
        );
        this.sink.write(packed.bytes, packed.messageCount);
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
