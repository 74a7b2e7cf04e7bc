// What one outgoing attribute set leaves for NLRI in a peer's UPDATEs
// (pack.ts's size budget), kept per set for one codec context: one array
// read per prefix on the hot path. A set that cannot be encoded at all
// (an attribute over its length field, a next hop that is not an address)
// is remembered with its error. Entries are checked against the set object,
// so a reused set id is measured again.

import { type CodecContext, sendsPathIds } from '../bgp/codec/context.js';
import { prefixOctets } from '../bgp/codec/nlri.js';
import { announcementSpace, type EncodeError, messageTooLong, nextHopBytes } from '../bgp/codec/pack.js';
import { type AddressFamily, familyTable } from '../bgp/family.js';
import type { AttrSet } from './attribute-store.js';
import type { AttributeEncodingCache } from './encoding-cache.js';

const SPACE_NONE = -0x7fffffff;
/** The longest NLRI entry: an IPv6 /128 with an ADD-PATH identifier (RFC 7911). */
const LONGEST_PREFIX_OCTETS = 21;

export class SendBudget {
  private space = new Int32Array(1024);
  private owner: (AttrSet | undefined)[] = [];
  private readonly errors = new WeakMap<AttrSet, EncodeError>();

  constructor(
    private readonly family: AddressFamily,
    private readonly context: CodecContext,
    private readonly encodings: AttributeEncodingCache,
  ) {}

  /** Why a prefix of `lengthBits` cannot be announced with `set`, or null when it can. */
  check(set: AttrSet, lengthBits: number): EncodeError | null {
    const id = set.id;
    if (id >= this.space.length) {
      let capacity = this.space.length * 2;
      while (capacity <= id) capacity *= 2;
      const grown = new Int32Array(capacity);
      grown.set(this.space);
      this.space = grown;
    }
    if (this.owner[id] !== set) {
      this.space[id] = this.measure(set);
      this.owner[id] = set;
    }
    const space = this.space[id] as number;
    if (space === SPACE_NONE) return this.errors.get(set) ?? null;
    if (space >= LONGEST_PREFIX_OCTETS) return null;
    const withPathId = sendsPathIds(this.context, familyTable[this.family].afi);
    if (prefixOctets(lengthBits, withPathId) <= space) return null;
    const encoded = this.encodings.get(set, this.context);
    return messageTooLong(encoded.ok ? encoded.value.length : 0, space, lengthBits, withPathId, this.context);
  }

  /** announcementSpace() for the set, or SPACE_NONE (error kept) when it cannot be encoded. */
  private measure(set: AttrSet): number {
    this.errors.delete(set);
    const descriptor = familyTable[this.family];
    let nextHopOctets = 0;
    if (!descriptor.nextHopAttribute) {
      const hops = nextHopBytes(mpNextHops(set));
      if (!hops.ok) {
        this.errors.set(set, hops.error);
        return SPACE_NONE;
      }
      nextHopOctets = hops.value.length;
    }
    const encoded = this.encodings.get(set, this.context);
    if (!encoded.ok) {
      this.errors.set(set, encoded.error);
      return SPACE_NONE;
    }
    return Math.max(
      SPACE_NONE + 1,
      announcementSpace(descriptor.afi, encoded.value.length, nextHopOctets, this.context),
    );
  }
}

/** The MP_REACH_NLRI next hops of an outgoing set: the global one, then the link-local one (RFC 2545 §3). */
export function mpNextHops(set: AttrSet): readonly string[] {
  if (set.nextHop === null) return [];
  return set.linkLocalNextHop === null ? [set.nextHop] : [set.nextHop, set.linkLocalNextHop];
}
