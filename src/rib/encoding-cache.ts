// Outgoing attribute sets encoded once for every peer that gets them. Peers
// whose export gives the same result share the interned outgoing set (the
// store hands out one set per distinct attributes + next hops), and peers
// whose sessions encode alike (same 2/4-octet AS, the rest of the codec
// context) share its encoding too: with an Internet-like table of 250k sets
// and ten peers that is 250k encodes instead of 2.5M. Entries are keyed by
// the set object, so they go when the store forgets the set. A set that
// cannot be encoded (an attribute over its 2-octet length) is cached as
// that error, so it is found once, not at every drain.

import type { CodecContext } from '../bgp/codec/context.js';
import { type EncodeResult, encodeAttributesOnce } from '../bgp/codec/pack.js';
import type { AttrSet } from './attribute-store.js';

/** What the attribute encoding depends on in a codec context. */
export function encodingKey(context: CodecContext): string {
  return context.asn4 ? '4' : '2';
}

export class AttributeEncodingCache {
  private readonly bySet = new WeakMap<AttrSet, Map<string, EncodeResult<Uint8Array>>>();
  /** Encodes done (misses), for tests and the curious. */
  encodes = 0;

  /** The set's attributes (without MP_REACH) as `context` encodes them; shared, do not modify. */
  get(set: AttrSet, context: CodecContext): EncodeResult<Uint8Array> {
    const key = encodingKey(context);
    let byContext = this.bySet.get(set);
    const cached = byContext?.get(key);
    if (cached !== undefined) return cached;
    const encoded = encodeAttributesOnce(set.attributes, context);
    // The encoder's bytes are a view into its scratch space: keep a copy.
    const result: EncodeResult<Uint8Array> = encoded.ok
      ? { ok: true, value: encoded.value.slice() }
      : encoded;
    this.encodes++;
    if (byContext === undefined) {
      byContext = new Map();
      this.bySet.set(set, byContext);
    }
    byContext.set(key, result);
    return result;
  }
}
