// Interned attribute sets: one shared, frozen copy per distinct set of path
// attributes (plus next hops), reference counted. Routes hold a set's id;
// the decision process reads the fields precomputed here instead of walking
// attribute lists on every comparison.

import type { AsPathSegment, PathAttributes } from '../bgp/codec/attribute-types.js';
import { emptyAttributes } from '../bgp/codec/attribute-types.js';
import { type CodecContext, codecContext } from '../bgp/codec/context.js';
import { WellKnownCommunity } from '../bgp/codec/iana.js';
import { encodePathAttributes } from '../bgp/codec/path-attributes.js';
import { BufferWriter } from '../bgp/codec/writer.js';
import { parseIpv4 } from '../net/ip.js';

export interface AttrSet {
  readonly id: number;
  /** The attributes, without NLRI (MP_REACH/MP_UNREACH) and without wire layout. */
  readonly attributes: PathAttributes;
  /** The next hop: NEXT_HOP for IPv4 NLRI, the MP_REACH next hop otherwise; null for local routes using "self". */
  readonly nextHop: string | null;
  /** RFC 2545 §3: a link-local IPv6 next hop sent beside the global one. */
  readonly linkLocalNextHop: string | null;
  /** LOCAL_PREF, or null when absent. */
  readonly localPref: number | null;
  /** RFC 4271 §9.1.2.2 (a): AS_SET counts 1, confederation segments 0 (RFC 5065 §5.3). */
  readonly asPathLength: number;
  /** The leftmost AS of AS_PATH (the neighboring AS), or 0 when the path is empty. */
  readonly neighborAs: number;
  readonly origin: number;
  /** MULTI_EXIT_DISC, 0 when absent (RFC 4271 §9.1.2.2 (c) treats missing as lowest). */
  readonly med: number;
  readonly hasMed: boolean;
  /** ORIGINATOR_ID as a 32-bit number, or 0. */
  readonly originatorId: number;
  readonly clusterListLength: number;
  readonly noExport: boolean;
  readonly noAdvertise: boolean;
  readonly noExportSubconfed: boolean;
  /** RFC 7999 BLACKHOLE (65535:666). */
  readonly blackhole: boolean;
  readonly key: string;
}

interface Slot {
  set: AttrSet;
  references: number;
}

export function asPathLength(segments: readonly AsPathSegment[] | undefined): number {
  let length = 0;
  for (const segment of segments ?? []) {
    if (segment.type === 2) length += segment.asns.length;
    else if (segment.type === 1) length += 1;
  }
  return length;
}

export function neighborAs(segments: readonly AsPathSegment[] | undefined): number {
  const first = segments?.[0];
  return first !== undefined && first.type === 2 ? (first.asns[0] ?? 0) : 0;
}

/** Key encoding context: 4-octet AS, no ADD-PATH, room for any attribute set. */
const keyContext: CodecContext = codecContext({ asn4: true, maxMessageLength: 65535 });

export class AttributeStore {
  private readonly byKey = new Map<string, number>();
  private readonly slots: (Slot | undefined)[] = [];
  private readonly freeIds: number[] = [];
  private readonly writer = new BufferWriter(512);

  /** Number of distinct sets held. */
  get size(): number {
    return this.byKey.size;
  }

  get(id: number): AttrSet {
    const slot = this.slots[id];
    if (slot === undefined) throw new Error(`attribute set ${id} is not held`);
    return slot.set;
  }

  /**
   * The set for these attributes and next hops, with one more reference.
   * MP_REACH/MP_UNREACH and the wire layout are left out of the set.
   */
  intern(
    attributes: PathAttributes,
    nextHop: string | null,
    linkLocalNextHop: string | null = null,
  ): AttrSet {
    const stripped: PathAttributes =
      attributes.mpReach === undefined &&
      attributes.mpUnreach === undefined &&
      attributes.layout === undefined
        ? attributes
        : { ...attributes, mpReach: undefined, mpUnreach: undefined, layout: undefined };
    const writer = this.writer;
    writer.truncate(0);
    encodePathAttributes(writer, stripped, keyContext);
    const key = `${Buffer.from(writer.peek()).toString('latin1')}|${nextHop ?? ''}|${linkLocalNextHop ?? ''}`;
    const existing = this.byKey.get(key);
    if (existing !== undefined) {
      const slot = this.slots[existing] as Slot;
      slot.references++;
      return slot.set;
    }
    const id = this.freeIds.pop() ?? this.slots.length;
    const communities = stripped.communities ?? [];
    const set: AttrSet = Object.freeze({
      id,
      attributes: Object.freeze({ ...emptyAttributes(), ...stripped }),
      nextHop,
      linkLocalNextHop,
      localPref: stripped.localPref ?? null,
      asPathLength: asPathLength(stripped.asPath),
      neighborAs: neighborAs(stripped.asPath),
      origin: stripped.origin ?? 2,
      med: stripped.med ?? 0,
      hasMed: stripped.med !== undefined,
      originatorId: stripped.originatorId === undefined ? 0 : (parseIpv4(stripped.originatorId) ?? 0),
      clusterListLength: stripped.clusterList?.length ?? 0,
      noExport: communities.includes(WellKnownCommunity.noExport),
      noAdvertise: communities.includes(WellKnownCommunity.noAdvertise),
      noExportSubconfed: communities.includes(WellKnownCommunity.noExportSubconfed),
      blackhole: communities.includes(WellKnownCommunity.blackhole),
      key,
    });
    this.slots[id] = { set, references: 1 };
    this.byKey.set(key, id);
    return set;
  }

  retain(id: number): void {
    const slot = this.slots[id];
    if (slot === undefined) throw new Error(`attribute set ${id} is not held`);
    slot.references++;
  }

  /** Drops one reference; the set is forgotten with its last one. */
  release(id: number): void {
    const slot = this.slots[id];
    if (slot === undefined) throw new Error(`attribute set ${id} is not held`);
    slot.references--;
    if (slot.references === 0) {
      this.byKey.delete(slot.set.key);
      this.slots[id] = undefined;
      this.freeIds.push(id);
    }
  }

  references(id: number): number {
    return this.slots[id]?.references ?? 0;
  }
}
