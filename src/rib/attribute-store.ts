// Interned attribute sets: one shared copy per distinct set of path
// attributes (plus next hops), reference counted, read-only by type (not
// Object.freeze: half a microsecond per object, 120 ms of a 250k-set load).
// Routes hold a set's id; the decision process reads the fields precomputed
// here instead of walking attribute lists on every comparison.
//
// A set keeps its attributes as the bytes of its key, not as decoded
// objects: the decoded graph (AS path segments, community arrays, ...) is
// about 700 octets per set against some 100 for the bytes, and in an
// Internet table (a few routes per set) that is most of the RIB. Only
// policy, export and `rib show` read the attributes, once per set and
// consumer, so they are decoded again on demand through a small cache.

import type { AsPathSegment, PathAttributes } from '../bgp/codec/attribute-types.js';
import { type CodecContext, codecContext } from '../bgp/codec/context.js';
import { SegmentType, WellKnownCommunity } from '../bgp/codec/iana.js';
import { decodePathAttributes, encodePathAttributes } from '../bgp/codec/path-attributes.js';
import { BufferWriter } from '../bgp/codec/writer.js';
import { withAs4Merged, withoutAs4 } from '../bgp/validate.js';
import { parseIpv4 } from '../net/ip.js';
import { ByteKeyIndex, hashBytes } from './byte-key-index.js';

export interface AttrSet {
  readonly id: number;
  /** The attributes, without NLRI (MP_REACH/MP_UNREACH) and without wire layout; decoded on demand, do not keep. */
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
}

export function asPathLength(segments: readonly AsPathSegment[] | undefined): number {
  let length = 0;
  for (const segment of segments ?? []) {
    // RFC 4271 §9.1.2.2: an AS_SET counts as one, whatever its size.
    if (segment.type === SegmentType.asSequence) length += segment.asns.length;
    else if (segment.type === SegmentType.asSet) length += 1;
  }
  return length;
}

export function neighborAs(segments: readonly AsPathSegment[] | undefined): number {
  const first = segments?.[0];
  return first !== undefined && first.type === SegmentType.asSequence ? (first.asns[0] ?? 0) : 0;
}

/**
 * The attributes a set keeps: every key present (one hidden class),
 * without MP_REACH/MP_UNREACH (they carry NLRI) and without the wire layout.
 * One allocation.
 */
function storedAttributes(a: PathAttributes): PathAttributes {
  return {
    origin: a.origin,
    asPath: a.asPath,
    nextHop: a.nextHop,
    med: a.med,
    localPref: a.localPref,
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregator,
    communities: a.communities,
    originatorId: a.originatorId,
    clusterList: a.clusterList,
    mpReach: undefined,
    mpUnreach: undefined,
    extendedCommunities: a.extendedCommunities,
    as4Path: a.as4Path,
    as4Aggregator: a.as4Aggregator,
    largeCommunities: a.largeCommunities,
    unknown: a.unknown,
    layout: undefined,
  };
}

/** Key encoding context: 4-octet AS, no ADD-PATH, room for any attribute set. */
const keyContext: CodecContext = codecContext({ asn4: true, maxMessageLength: 65535 });

/** Key kinds (the first octet; wire keys start with their tag's digit, `2` or `4`). */
const KEY_CANONICAL = 0x63; // 'c'
const KEY_WIRE_WITH_NEXT_HOPS = 0x68; // 'h'
const BAR = 0x7c; // '|': never in a next hop's text

export class AttributeStore {
  /** Each held set's key (see attributesFromKey), by set id. */
  private readonly keys = new ByteKeyIndex();
  private readonly sets: (AttrSet | undefined)[] = [];
  /** Reference count per set id (a typed array: no object per set). */
  private counts = new Uint32Array(1024);
  /** Per set id, how many sets with that id went: tells a set from a later one that reused its id. */
  private generations = new Uint32Array(1024);
  private readonly freeIds: number[] = [];
  /** Where keys that are not a bare wire key are put together. */
  private readonly writer = new BufferWriter(512);
  /**
   * Recently read sets' attributes, direct-mapped by id (slot id % size):
   * a set read again soon after (policy, then export) finds them, and
   * remembering costs two stores, not a Map insert.
   */
  private readonly decodedIds = new Int32Array(DECODED_CACHE_SIZE).fill(-1);
  private readonly decoded: (PathAttributes | undefined)[] = new Array(DECODED_CACHE_SIZE).fill(undefined);
  private readonly addresses = new Map<string, string>();
  /** Attribute decodes done on demand (cache misses), for tests and the curious. */
  decodes = 0;

  /** Number of distinct sets held. */
  get size(): number {
    return this.keys.count;
  }

  /** The set with this id while it is held, else undefined (ids are reused once a set goes). */
  peek(id: number): AttrSet | undefined {
    return this.sets[id];
  }

  get(id: number): AttrSet {
    const set = this.sets[id];
    if (set === undefined) throw new Error(`attribute set ${id} is not held`);
    return set;
  }

  /**
   * The set for these attributes and next hops, with one more reference.
   * MP_REACH/MP_UNREACH and the wire layout are left out of the set.
   *
   * `wireKey` (UpdateMessage.attributesKey) is the attributes' identity as
   * received: when given, it is the key and the attributes are not encoded
   * again, which is most of the cost of a new set. It must come with the
   * attributes decoded from those very bytes (routing may only apply
   * transformations that depend on the key's context tag, like RFC 6793's
   * AS4_PATH merge). Two equal sets that arrived with different encodings
   * are then held twice: a few duplicates against a full table's worth of
   * encodes.
   */
  intern(
    attributes: PathAttributes,
    nextHop: string | null,
    linkLocalNextHop: string | null = null,
    wireKey?: Uint8Array,
  ): AttrSet {
    // Made when there is no wire key: the canonical key encodes it.
    let stored: PathAttributes | null = null;
    let key: Uint8Array;
    let keyLength: number;
    if (wireKey === undefined || wireKey.length === 0) {
      stored = storedAttributes(attributes);
      keyLength = this.canonicalKey(stored, nextHop, linkLocalNextHop);
      key = this.writer.raw;
    } else if (nextHop === (attributes.nextHop ?? null) && linkLocalNextHop === null) {
      // IPv4 NLRI: the next hop is the NEXT_HOP attribute, already in the bytes.
      key = wireKey;
      keyLength = wireKey.length;
    } else {
      const writer = this.writer;
      writer.truncate(0);
      writer.u8(KEY_WIRE_WITH_NEXT_HOPS).bytes(wireKey);
      keyLength = appendNextHops(writer, nextHop, linkLocalNextHop);
      key = writer.raw;
    }
    const hash = hashBytes(key, 0, keyLength);
    const existing = this.keys.find(hash, key, 0, keyLength);
    if (existing >= 0) {
      (this.counts[existing] as number)++;
      return this.sets[existing] as AttrSet;
    }
    const id = this.freeIds.pop() ?? this.sets.length;
    // (storedAttributes() leaves out only MP_REACH/MP_UNREACH and the layout: no field read here.)
    const communities = attributes.communities;
    const set: AttrSet = new StoredSet(this, {
      id,
      nextHop: this.shared(nextHop),
      linkLocalNextHop: this.shared(linkLocalNextHop),
      localPref: attributes.localPref ?? null,
      asPathLength: asPathLength(attributes.asPath),
      neighborAs: neighborAs(attributes.asPath),
      origin: attributes.origin ?? 2,
      med: attributes.med ?? 0,
      hasMed: attributes.med !== undefined,
      originatorId: attributes.originatorId === undefined ? 0 : (parseIpv4(attributes.originatorId) ?? 0),
      clusterListLength: attributes.clusterList?.length ?? 0,
      noExport: communities?.includes(WellKnownCommunity.noExport) ?? false,
      noAdvertise: communities?.includes(WellKnownCommunity.noAdvertise) ?? false,
      noExportSubconfed: communities?.includes(WellKnownCommunity.noExportSubconfed) ?? false,
      blackhole: communities?.includes(WellKnownCommunity.blackhole) ?? false,
    });
    // A set made here (export, an import policy's rewrite) is read next by
    // the packer, within the same round: remembered. A set received from a
    // peer is not: in a full-table burst its next reader (an update group)
    // comes thousands of sets later, and the decoded graph (some 700 octets)
    // kept until then was promoted out of the young generation only to die
    // there, major-GC work for every new set of an Internet table.
    if (stored !== null) this.remember(id, stored);
    this.sets[id] = set;
    if (id >= this.counts.length) {
      const counts = new Uint32Array(this.counts.length * 2);
      counts.set(this.counts);
      this.counts = counts;
      const generations = new Uint32Array(counts.length);
      generations.set(this.generations);
      this.generations = generations;
    }
    this.counts[id] = 1;
    this.keys.insert(id, hash, key, 0, keyLength);
    return set;
  }

  /** Writes our own encoding of `stored` (storedAttributes()) as a key into the writer; its length. */
  private canonicalKey(
    stored: PathAttributes,
    nextHop: string | null,
    linkLocalNextHop: string | null,
  ): number {
    const writer = this.writer;
    writer.truncate(0);
    writer.u8(KEY_CANONICAL);
    encodePathAttributes(writer, stored, keyContext);
    return appendNextHops(writer, nextHop, linkLocalNextHop);
  }

  /** How many sets with this id went so far (a cache keyed by id checks it). */
  generationOf(id: number): number {
    return this.generations[id] ?? 0;
  }

  retain(id: number): void {
    if (this.sets[id] === undefined) throw new Error(`attribute set ${id} is not held`);
    (this.counts[id] as number)++;
  }

  /** Drops one reference; the set is forgotten with its last one. */
  release(id: number): void {
    const set = this.sets[id];
    if (set === undefined) throw new Error(`attribute set ${id} is not held`);
    const left = (this.counts[id] as number) - 1;
    this.counts[id] = left;
    if (left === 0) {
      (this.generations[id] as number)++;
      this.keys.remove(id);
      this.sets[id] = undefined;
      const slot = id & (DECODED_CACHE_SIZE - 1);
      if (this.decodedIds[slot] === id) {
        this.decodedIds[slot] = -1;
        this.decoded[slot] = undefined;
      }
      this.freeIds.push(id);
    }
  }

  /** The attributes of a held set: from the cache, else decoded from its key. */
  attributesOf(set: AttrSet): PathAttributes {
    const slot = set.id & (DECODED_CACHE_SIZE - 1);
    if (this.decodedIds[slot] === set.id) return this.decoded[slot] as PathAttributes;
    const attributes = attributesFromKey(this.keys.keyOf(set.id));
    this.decodes++;
    this.remember(set.id, attributes);
    return attributes;
  }

  /**
   * One string per distinct next hop: each UPDATE's decode makes its own,
   * and a set would otherwise keep that copy. Next hops are the peers and
   * their neighbors, a few; the map is dropped if it ever grows large.
   */
  private shared(address: string | null): string | null {
    if (address === null) return null;
    const known = this.addresses.get(address);
    if (known !== undefined) return known;
    if (this.addresses.size >= SHARED_ADDRESSES) this.addresses.clear();
    this.addresses.set(address, address);
    return address;
  }

  private remember(id: number, attributes: PathAttributes): void {
    const slot = id & (DECODED_CACHE_SIZE - 1);
    this.decodedIds[slot] = id;
    this.decoded[slot] = attributes;
  }

  /** The key a held set is filed under (see attributesFromKey): a view, valid until the next intern. */
  keyOf(id: number): Uint8Array {
    this.get(id);
    return this.keys.keyOf(id);
  }

  references(id: number): number {
    return this.sets[id] === undefined ? 0 : (this.counts[id] as number);
  }
}

/** Decoded attribute sets kept for repeated reads (a power of two). */
const DECODED_CACHE_SIZE = 4096;

/** Appends `|next hop|link-local` to a key being written; the key's length. */
function appendNextHops(
  writer: BufferWriter,
  nextHop: string | null,
  linkLocalNextHop: string | null,
): number {
  writer.u8(BAR);
  if (nextHop !== null) writer.bytes(Buffer.from(nextHop, 'latin1'));
  writer.u8(BAR);
  if (linkLocalNextHop !== null) writer.bytes(Buffer.from(linkLocalNextHop, 'latin1'));
  return writer.length;
}
/** Distinct next-hop strings shared among sets. */
const SHARED_ADDRESSES = 65536;

type SetFields = Omit<AttrSet, 'attributes'>;

const SetFlag = {
  hasMed: 1,
  noExport: 2,
  noAdvertise: 4,
  noExportSubconfed: 8,
  blackhole: 16,
} as const;

/**
 * An interned set: the precomputed fields, and the attributes decoded from
 * the key when read. The booleans share one field: a held set is a few
 * hundred octets at most, and an Internet table holds a quarter million.
 */
class StoredSet implements AttrSet {
  readonly id: number;
  readonly nextHop: string | null;
  readonly linkLocalNextHop: string | null;
  readonly localPref: number | null;
  readonly asPathLength: number;
  readonly neighborAs: number;
  readonly origin: number;
  readonly med: number;
  readonly originatorId: number;
  readonly clusterListLength: number;
  readonly #flags: number;
  readonly #store: AttributeStore;

  constructor(store: AttributeStore, fields: SetFields) {
    this.#store = store;
    this.id = fields.id;
    this.nextHop = fields.nextHop;
    this.linkLocalNextHop = fields.linkLocalNextHop;
    this.localPref = fields.localPref;
    this.asPathLength = fields.asPathLength;
    this.neighborAs = fields.neighborAs;
    this.origin = fields.origin;
    this.med = fields.med;
    this.originatorId = fields.originatorId;
    this.clusterListLength = fields.clusterListLength;
    this.#flags =
      (fields.hasMed ? SetFlag.hasMed : 0) |
      (fields.noExport ? SetFlag.noExport : 0) |
      (fields.noAdvertise ? SetFlag.noAdvertise : 0) |
      (fields.noExportSubconfed ? SetFlag.noExportSubconfed : 0) |
      (fields.blackhole ? SetFlag.blackhole : 0);
  }

  get hasMed(): boolean {
    return (this.#flags & SetFlag.hasMed) !== 0;
  }

  get noExport(): boolean {
    return (this.#flags & SetFlag.noExport) !== 0;
  }

  get noAdvertise(): boolean {
    return (this.#flags & SetFlag.noAdvertise) !== 0;
  }

  get noExportSubconfed(): boolean {
    return (this.#flags & SetFlag.noExportSubconfed) !== 0;
  }

  get blackhole(): boolean {
    return (this.#flags & SetFlag.blackhole) !== 0;
  }

  get attributes(): PathAttributes {
    return this.#store.attributesOf(this);
  }
}

const wireContexts = new Map<number, CodecContext>();

/**
 * The stored attributes a key stands for. Keys are one of (see intern):
 * - a wire key: a two-octet context tag (`4i`, `2e`, ...) and the
 *   attribute bytes as received; decoded in that context, with the RFC 6793
 *   handling routing applied before interning (AS4_PATH dropped on a
 *   4-octet session, merged on a 2-octet one);
 * - `h` + a wire key + `|next hop|link-local`;
 * - `c` + our own encoding (keyContext) + `|next hop|link-local`.
 * Next hops never hold '|', so the attribute bytes end at the last two.
 */
export function attributesFromKey(key: Uint8Array): PathAttributes {
  const kind = key[0];
  let end = key.length;
  let start = 0;
  if (kind === KEY_CANONICAL || kind === KEY_WIRE_WITH_NEXT_HOPS) {
    end = key.lastIndexOf(BAR, key.lastIndexOf(BAR) - 1);
    start = 1;
  }
  if (kind === KEY_CANONICAL) return decodeStored(key, start, end, keyContext);
  const tag = ((key[start] as number) << 8) | (key[start + 1] as number);
  let context = wireContexts.get(tag);
  if (context === undefined) {
    const type = tag & 0xff;
    const peerType = type === 0x69 ? 'ibgp' : type === 0x65 ? 'ebgp' : 'unknown';
    context = codecContext({ asn4: tag >>> 8 === 0x34, peerType, maxMessageLength: 65535 });
    wireContexts.set(tag, context);
  }
  const decoded = decodeStored(key, start + 2, end, context);
  return storedAttributes(context.asn4 ? withoutAs4(decoded) : withAs4Merged(decoded));
}

function decodeStored(key: Uint8Array, start: number, end: number, context: CodecContext): PathAttributes {
  return storedAttributes(decodePathAttributes(key, start, end, context).attributes);
}
